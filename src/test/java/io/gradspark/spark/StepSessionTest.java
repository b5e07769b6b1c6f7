package io.gradspark.spark;

import io.gradspark.spark.session.StepSession;
import io.gradspark.spark.session.HelloServer;
import io.gradspark.spark.session.Frames;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.api.RunSpec;
import io.gradspark.data.InMemorySource;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientSum;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Steps in a {@link StepSession} (tasks that stay up from step to step) against a job per step:
 * the same sums bit for bit, sessions only where every partition has a slot, one session spanning
 * a training (its evaluations inside it), and the slots given back (idle, a second engine, a
 * failed task) so that nothing waits forever.
 */
class StepSessionTest {
  /**
   * The idle time of the sessions of tests whose engines take turns on local[3]'s slots (each
   * turn waits for the other's session to end idle): a fifth of the product's second.
   */
  private static final long SHORT_IDLE = StepSession.IDLE_NANOS / 5;
  private static final int ROWS = 50;
  private static final Network NET = new Network(new int[] {6, 40, 3},
      List.of(Activation.TANH), Head.SOFTMAX_CROSS_ENTROPY);
  private static final InMemorySource SRC = ArraySource.random(ROWS, 6, 3, 29, false);
  private static final BatchSchedule SCHEDULE = new BatchSchedule(ROWS, 8, 17, true, false);

  private static SparkEngine engine(int partitions) {
    return engine(NET, partitions);
  }

  private static SparkEngine engine(Network net, int partitions) {
    return new SparkEngine(SharedSpark.get(), net, SCHEDULE, SRC, SRC, null, partitions,
        StorageLevel.MEMORY_ONLY(), SparkEngine.Aggregation.DIRECT);
  }

  /**
   * inJvm: the step handed over in this JVM; else the tasks connect to the driver over TCP, as a
   * star (every task to the driver) or a tree (the sums merged on the tasks).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"in-jvm", "star", "tree"})
  void sessionStepsAreBitIdenticalToAJobPerStep(String how) {
    boolean inJvm = how.equals("in-jvm");
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 5);
    // SharedSpark is local[3]: 7 partitions do not fit a barrier stage, so steps stay jobs (P = 1,
    // 5 and 8 too: on threads below, and on eight executors in ClusterIT)
    for (int partitions : new int[] {2, 3, 7}) {
      try (SparkEngine session = engine(partitions); SparkEngine jobs = engine(partitions)) {
        session.sameJvmHandoff(inJvm); // off: the tasks connect to the driver over TCP
        session.sessionIdle(SHORT_IDLE); // the job engine waits for the session's slots
        session.sessionSettings(new RunSpec.Sessions(true, how.equals("tree")
            ? RunSpec.Exchange.TREE : RunSpec.Exchange.STAR, 0, 4));
        jobs.stepSessions(false);
        assertEquals(partitions <= 3, session.stepSessions(), "P=" + partitions);
        assertFalse(jobs.stepSessions());
        assertEquals(partitions <= 3 ? (how.equals("tree") ? "tree" : "star") : "jobs",
            session.exchange());
        double maxDiff = 0;
        // two epochs where a session runs (the second starts a session again after the
        // evaluation ended the first); one where steps stay jobs, which the second would repeat
        for (int epoch = 0; epoch < (partitions <= 3 ? 2 : 1); epoch++) {
          // one engine's epoch, then the other's: stepping them in turn would have each wait for
          // the other's idle session to give the slots back
          List<GradientSum> bySession = epoch(session, params, epoch);
          // evaluated in the session (its slots held): before the job engine needs them
          io.gradspark.eval.Evaluation evaluated =
              session.evaluate(params, DataSplit.VALIDATION);
          List<GradientSum> byJobs = epoch(jobs, params, epoch);
          for (int k = 0; k < SCHEDULE.stepsPerEpoch(); k++) {
            GradientSum a = bySession.get(k);
            GradientSum b = byJobs.get(k);
            String at = "P=" + partitions + " epoch " + epoch + " step " + k;
            for (int i = 0; i < a.grad().length; i++) {
              maxDiff = Math.max(maxDiff, Math.abs(a.grad()[i] - b.grad()[i]));
            }
            assertArrayEquals(b.grad(), a.grad(), at);
            assertEquals(b.lossSum(), a.lossSum(), 0.0, at);
            assertEquals(b.count(), a.count(), at);
          }
          // Evaluation.equals: the loss sum bit for bit, the counts and the confusion matrix
          assertEquals(jobs.evaluate(params, DataSplit.VALIDATION), evaluated,
              "P=" + partitions);
        }
        double bytes = session.driverBytesPerStep();
        System.out.printf("P=%d sessions %s (%s): max |difference| of the gradient sums %.1e, "
            + "%.0f bytes a step through the driver%n", partitions, session.stepSessions(),
            how, maxDiff, bytes);
        if (!inJvm && partitions <= 3) {
          // a star moves the parameters to, and a sum from, each task (none from a task without
          // rows in the batch); a tree one of each
          double w = 8.0 * NET.numParams();
          int links = how.equals("tree") ? 1 : partitions;
          assertTrue(bytes >= w * (links + 1) && bytes < 2 * w * links * 1.1 + 1000,
              how + " P=" + partitions + ": " + bytes + " bytes a step");
        }
      }
      assertEquals(0, StepSession.open(), "no session stays open after close");
    }
  }

  /**
   * The TCP star and tree with their tasks on threads of this JVM (Spark's barrier stage needs a
   * slot per task; local[3] has 3), over loopback, sealed or not: bit for bit a job per step for
   * P = 1, 2, 3, 5 and 8, odd trees included.
   */
  @ParameterizedTest(name = "P={0}")
  @ValueSource(ints = {1, 2, 3, 5, 8})
  void tcpStarAndTreeOnThreadsAreBitIdenticalToAJobPerStep(int partitions) throws Exception {
    starAndTreeOnThreads(NET, partitions, new boolean[] {false, true});
  }

  /**
   * float32 (the parameters rounded to float, as the trainer sends them): the star and the tree
   * are bit for bit a job per step, their float32 merges made in the same canonical order, and
   * every vector moves as 4 bytes a value, half of float64's.
   */
  @ParameterizedTest(name = "P={0}")
  @ValueSource(ints = {3, 5})
  void float32StarAndTreeOnThreadsAreBitIdenticalToAJobPerStepAtHalfTheBytes(int partitions)
      throws Exception {
    starAndTreeOnThreads(NET.withPrecision(Precision.FLOAT32), partitions,
        new boolean[] {false});
  }

  private static void starAndTreeOnThreads(Network net, int partitions, boolean[] encrypts)
      throws Exception {
    double[] params = net.precision().round(net.initialParameters(Initializer.XAVIER_UNIFORM, 11),
        null);
    try (SparkEngine jobs = engine(net, partitions)) {
      jobs.stepSessions(false);
      List<GradientSum> expected = epoch(jobs, params, 1);
      for (boolean star : new boolean[] {true, false}) {
        for (boolean encrypt : encrypts) {
          StepSession.Tcp s = ThreadedTasks.session(partitions, net, SCHEDULE, SRC, encrypt,
              star);
          double maxDiff = 0;
          try {
            for (int k = 0; k < SCHEDULE.stepsPerEpoch(); k++) {
              GradientSum a = ThreadedTasks.merged(s.step(params, 1, k));
              GradientSum b = expected.get(k);
              for (int i = 0; i < a.grad().length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a.grad()[i] - b.grad()[i]));
              }
              String at = "P=" + partitions + (star ? " star" : " tree") + " step " + k;
              assertArrayEquals(b.grad(), a.grad(), at);
              assertEquals(b.lossSum(), a.lossSum(), 0.0, at);
              assertEquals(b.count(), a.count(), at);
            }
            double perStep = (double) s.traffic() / SCHEDULE.stepsPerEpoch();
            double w = (double) net.precision().bytes() * net.numParams();
            System.out.printf("P=%d %s %s%s: max |difference| %.1e, %.0f bytes a step through "
                + "the driver (%.2f W*%d)%n", partitions, net.precision().configName(),
                star ? "star" : "tree", encrypt ? " sealed" : "", maxDiff, perStep, perStep / w,
                net.precision().bytes());
            // the parameters to each linked task, a sum from each (none from a task without
            // rows in the batch): at W * (bytes a value) each
            assertTrue(perStep < 2 * w * (star ? partitions : 1) * 1.1 + 1000,
                "bytes a step " + perStep);
            assertTrue(perStep > w * (star ? partitions : 1), "bytes a step " + perStep);
          } finally {
            s.end();
          }
        }
      }
    }
    assertEquals(0, StepSession.open());
  }

  /**
   * Whole trainings (steps, validation and test each epoch) over TCP with the tasks on threads,
   * a star and a tree, P = 1, 2, 3, 5 and 8 (odd trees included): the model and the history bit
   * for bit those of a job per step.
   */
  @ParameterizedTest(name = "P={0}")
  @ValueSource(ints = {1, 2, 3, 5, 8})
  void tcpStarAndTreeOnThreadsTrainTheModelAndHistoryOfAJobPerStep(int partitions)
      throws Exception {
    double[] start = NET.initialParameters(Initializer.XAVIER_UNIFORM, 17);
    Trained expected;
    try (SparkEngine jobs = new SparkEngine(SharedSpark.get(), NET, SCHEDULE, SRC, SRC, SRC,
        partitions, StorageLevel.MEMORY_ONLY(), SparkEngine.Aggregation.DIRECT)) {
      jobs.stepSessions(false);
      expected = train(jobs, start, 2);
    }
    for (boolean star : new boolean[] {true, false}) {
      StepSession.Tcp s = ThreadedTasks.session(partitions, NET, SCHEDULE, SRC, SRC, SRC, false,
          star);
      try {
        Trained t = train(new ThreadedTasks.Engine(s, NET, SCHEDULE, partitions), start, 2);
        t.assertSame(expected, "P=" + partitions + (star ? " star" : " tree"));
      } finally {
        s.end();
      }
    }
    assertEquals(0, StepSession.open());
  }

  /** A trained model and its history. */
  record Trained(double[] model, List<io.gradspark.eval.EpochStats> history) {
    /** Asserts this is expected bit for bit (model, and every loss and accuracy of history). */
    void assertSame(Trained expected, String what) {
      double maxDiff = 0;
      for (int i = 0; i < model.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(model[i] - expected.model[i]));
      }
      System.out.printf("%s: max |difference| of the models %.1e%n", what, maxDiff);
      assertArrayEquals(expected.model, model, what + ": the model");
      assertEquals(expected.history.size(), history.size(), what);
      for (int e = 0; e < history.size(); e++) {
        io.gradspark.eval.EpochStats a = history.get(e);
        io.gradspark.eval.EpochStats b = expected.history.get(e);
        String at = what + " epoch " + (e + 1);
        assertEquals(b.trainLoss(), a.trainLoss(), 0.0, at);
        assertEquals(b.valLoss(), a.valLoss(), 0.0, at);
        assertEquals(b.valAccuracy(), a.valAccuracy(), 0.0, at);
        assertEquals(b.testLoss(), a.testLoss(), 0.0, at);
        assertEquals(b.testAccuracy(), a.testAccuracy(), 0.0, at);
      }
    }
  }

  /** Trains from start (not changed) for epochs with momentum SGD. */
  private static Trained train(io.gradspark.train.GradientEngine engine, double[] start,
      int epochs) {
    double[] params = start.clone();
    io.gradspark.train.Trainer.Result r = new io.gradspark.train.Trainer(
        new io.gradspark.optim.MomentumSgd(io.gradspark.optim.MomentumSgd.Form.HEAVY_BALL, 0.9,
            0.0, new io.gradspark.optim.LearningRateSchedule.Constant(0.1), NET.weightMask()),
        epochs, io.gradspark.train.TrainingListener.NONE).fit(engine, params);
    return new Trained(params, r.history());
  }

  /**
   * A training whose evaluations (validation and test) run inside the step session, which then
   * spans the training, against the per-epoch sessions before it (each evaluation a job, ending
   * the session): the same model and history bit for bit, in this JVM and over TCP as a star
   * and a tree; one session and one Spark job for the whole training where per-epoch sessions
   * start one an epoch and run two evaluation jobs an epoch.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"in-jvm", "star", "tree"})
  void aSessionSpanningTheTrainingGivesTheModelAndHistoryOfPerEpochSessions(String how)
      throws Exception {
    int epochs = 2;
    int partitions = 3;
    double[] start = NET.initialParameters(Initializer.XAVIER_UNIFORM, 13);
    List<Trained> trained = new java.util.ArrayList<>();
    for (String evaluation : new String[] {"in the session", "as jobs", "a job per step"}) {
      try (SparkEngine engine = new SparkEngine(SharedSpark.get(), NET, SCHEDULE, SRC, SRC, SRC,
          partitions, StorageLevel.MEMORY_ONLY(), SparkEngine.Aggregation.DIRECT)) {
        engine.sameJvmHandoff(how.equals("in-jvm"));
        engine.sessionSettings(new RunSpec.Sessions(true, how.equals("tree")
            ? RunSpec.Exchange.TREE : RunSpec.Exchange.STAR, 0, 4));
        // sessions end at an evaluation that runs as a job and at the engine's close, not idle:
        // a loaded machine (the other test JVM) may pause the driver for a second between two
        // steps, which would end a session and start another, and the counts below would not be
        // the modes'
        engine.sessionIdle(60_000_000_000L);
        boolean spanning = evaluation.equals("in the session");
        engine.sessionEvaluation(spanning);
        if (evaluation.equals("a job per step")) {
          engine.stepSessions(false);
        }
        int[] jobs = new int[1];
        trained.add(countingJobs(jobs, () -> train(engine, start, epochs)));
        System.out.printf("%s, evaluation %s: %d sessions, %d Spark jobs for %d epochs%n", how,
            evaluation, engine.sessionsStarted(), jobs[0], epochs);
        if (!evaluation.equals("a job per step")) {
          assertEquals(spanning ? 1 : epochs, engine.sessionsStarted(), how);
          assertEquals(spanning ? 1 : epochs * 3, jobs[0], how + ": Spark jobs of the training");
          assertEquals(spanning ? 1 : epochs,
              engine.dataFigures().get("step_sessions_started"), how);
          // the summary's probe job (executor_blas) needs the session's slots: it ends the
          // session first rather than wait for its idle end (60 s here; a second by default)
          assertEquals(0, StepSession.open(), how + ": a session still open after the summary");
        }
      }
    }
    trained.get(0).assertSame(trained.get(1), how + ", spanning vs per-epoch sessions");
    trained.get(0).assertSame(trained.get(2), how + ", spanning session vs a job per step");
    assertEquals(0, StepSession.open());
  }

  /** What work returns; jobs[0]: the Spark jobs started while it ran. */
  private static <T> T countingJobs(int[] jobs, java.util.concurrent.Callable<T> work)
      throws Exception {
    JavaSparkContext sc = SharedSpark.get();
    java.util.concurrent.atomic.AtomicInteger started =
        new java.util.concurrent.atomic.AtomicInteger();
    org.apache.spark.scheduler.SparkListener listener =
        new org.apache.spark.scheduler.SparkListener() {
          @Override
          public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart start) {
            started.incrementAndGet();
          }
        };
    sc.sc().listenerBus().waitUntilEmpty(10_000);
    sc.sc().addSparkListener(listener);
    try {
      T result = work.call();
      sc.sc().listenerBus().waitUntilEmpty(10_000);
      jobs[0] = started.get();
      return result;
    } finally {
      sc.sc().removeSparkListener(listener);
    }
  }

  /** Every step's sums of an epoch (copies: an engine may reuse what it returned). */
  private static List<GradientSum> epoch(SparkEngine engine, double[] params, int epoch) {
    List<GradientSum> sums = new java.util.ArrayList<>();
    for (int k = 0; k < SCHEDULE.stepsPerEpoch(); k++) {
      GradientSum g = engine.gradient(params, epoch, k);
      sums.add(new GradientSum(g.lossSum(), g.count(), g.grad().clone()));
    }
    return sums;
  }

  @Test
  void anIdleSessionGivesItsSlotsBackToASecondEngine() throws Exception {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 6);
    // each takes all 3 slots of local[3]: the second's session can start only once the first's
    // has ended on its own, idle
    try (SparkEngine first = engine(3); SparkEngine second = engine(3)) {
      first.sessionIdle(SHORT_IDLE);
      second.sessionIdle(SHORT_IDLE); // the first takes the slots back after it, too
      GradientSum a = first.gradient(params, 0, 0);
      double[] grad = a.grad().clone();
      long start = System.nanoTime();
      GradientSum b = second.gradient(params, 0, 0);
      double waited = (System.nanoTime() - start) / 1e9;
      assertArrayEquals(grad, b.grad());
      System.out.printf("second engine's first step after %.2f s%n", waited);
      assertTrue(waited >= SHORT_IDLE / 1e9 * 0.5, "waited " + waited + " s");
      // and the first starts a new session when it steps again
      assertArrayEquals(grad, first.gradient(params, 0, 0).grad());
    }
    assertEquals(0, StepSession.open());
  }

  /** Which thread computed each partition's steps (ThreadRecorder): "partition step thread". */
  private static final java.util.List<String> COMPUTED =
      java.util.Collections.synchronizedList(new java.util.ArrayList<>());
  /**
   * Where partition 1's task waits once, getting its own next rows after its first step (null:
   * it does not).
   */
  private static final java.util.concurrent.atomic.AtomicReference<
      java.util.concurrent.CountDownLatch> HOLD = new java.util.concurrent.atomic.AtomicReference<>();

  /** A partition's work that sums one row of value 1 and notes the thread it ran on. */
  private record ThreadRecorder(int index) implements io.gradspark.spark.session.SessionWork,
      java.io.Serializable {
    @Override
    public GradientSum compute(double[] params, int epoch, int step) {
      COMPUTED.add(index + " " + step + " " + Thread.currentThread().getName());
      return new GradientSum(index, 1, new double[] {1, index});
    }

    @Override
    public void helpedAhead() {
      HELPED.add(index);
    }

    /** Notes what partition 0's is asked to get ready; partition 1's task is held once here. */
    @Override
    public void prepareAfter(int epoch, int step) {
      if (index == 0) {
        PREPARED_AFTER.add("0 after step " + step + " on " + Thread.currentThread().getName());
      }
      java.util.concurrent.CountDownLatch hold = index == 1 ? HOLD.getAndSet(null) : null;
      if (hold != null) {
        try {
          hold.await(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** The partitions told another thread fills their rows, and what that thread did (in order). */
  private static final java.util.Set<Integer> HELPED =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static final java.util.List<String> PREPARED_AFTER =
      java.util.Collections.synchronizedList(new java.util.ArrayList<>());

  /**
   * A local master's session: the driver's thread computes partition 0, and then any partition
   * whose task has not started the step (here partition 1's step 1, its task held up after step
   * 0); every other step of a partition on that partition's task's thread or the driver's, each
   * exactly once; partition 1's task gets partition 0's next rows ready on its own thread.
   */
  @Test
  void anInJvmSessionComputesPartitionZeroAndLateTasksStepsOnTheDriversThread()
      throws InterruptedException {
    COMPUTED.clear();
    HELPED.clear();
    PREPARED_AFTER.clear();
    java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
    HOLD.set(hold);
    JavaSparkContext sc = SharedSpark.get();
    List<io.gradspark.spark.session.SessionWork> parts =
        List.of(new ThreadRecorder(0), new ThreadRecorder(1), new ThreadRecorder(2));
    StepSession s = StepSession.inJvm(sc, sc.parallelize(parts, 3).rdd(), 60_000_000_000L);
    String driver = Thread.currentThread().getName();
    int steps = 4;
    try {
      for (int k = 0; k < steps; k++) {
        GradientSum merged = s.step(new double[2], 0, k).merged();
        assertEquals(3, merged.count());
        assertArrayEquals(new double[] {3, 3}, merged.grad());
        if (k == 0) { // partition 1's task has seen step 0 and is held up getting its next rows
          long until = System.nanoTime() + 30_000_000_000L;
          while (HOLD.get() != null && System.nanoTime() < until) {
            Thread.sleep(1);
          }
          assertEquals(null, HOLD.get(), "partition 1's task reached its own prepareAfter");
          assertEquals(1, PREPARED_AFTER.size(), "after step 0: " + PREPARED_AFTER);
          assertTrue(PREPARED_AFTER.get(0).startsWith("0 after step 0 on "), PREPARED_AFTER.get(0));
        }
        if (k == 1) {
          assertTrue(COMPUTED.contains("1 1 " + driver),
              "partition 1's step 1, its task held up, on the driver's thread: " + COMPUTED);
          hold.countDown();
        }
      }
    } finally {
      hold.countDown();
      s.end();
    }
    System.out.println("computed (partition step thread): " + COMPUTED);
    java.util.Map<Integer, java.util.Set<String>> threads = new java.util.HashMap<>();
    for (int p = 0; p < 3; p++) {
      for (int k = 0; k < steps; k++) {
        String prefix = p + " " + k + " ";
        List<String> of = COMPUTED.stream().filter(c -> c.startsWith(prefix)).toList();
        assertEquals(1, of.size(), "partition " + p + " step " + k + " computed once: " + of);
        String thread = of.get(0).substring(prefix.length());
        if (p == 0) {
          assertEquals(driver, thread, "partition 0 on the driver's thread");
        } else if (!thread.equals(driver)) {
          threads.computeIfAbsent(p, x -> new java.util.HashSet<>()).add(thread);
        }
      }
    }
    for (java.util.Set<String> t : threads.values()) {
      assertEquals(1, t.size(), "a partition's other steps on its own task's thread: " + threads);
    }
    assertFalse(threads.containsKey(1) && threads.containsKey(2)
        && threads.get(1).equals(threads.get(2)), "two partitions on one task's thread");
    // partition 1's task gets partition 0's next rows ready after the steps it saw
    System.out.println("ahead of the driver's partition: " + PREPARED_AFTER);
    assertEquals(java.util.Set.of(0), HELPED);
    String task1 = PREPARED_AFTER.get(0).substring(PREPARED_AFTER.get(0).indexOf(" on ") + 4);
    assertFalse(task1.equals(driver));
    for (String e : PREPARED_AFTER) {
      assertTrue(e.startsWith("0 after step ") && e.endsWith(" on " + task1), e);
    }
    assertEquals(0, StepSession.open());
  }

  @ParameterizedTest(name = "in this JVM: {0}")
  @ValueSource(booleans = {true, false})
  void aFailingTaskFailsTheStepAndTheNextStepStartsAFreshSession(boolean inJvm) {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 7);
    try (SparkEngine engine = engine(2)) {
      engine.sameJvmHandoff(inJvm);
      GradientSum good = engine.gradient(params, 0, 1);
      double[] grad = good.grad().clone();
      // too few parameters: the tasks' matrix products read past the end of the array
      double[] cut = java.util.Arrays.copyOf(params, 10);
      Exception e = assertThrows(Exception.class, () -> engine.gradient(cut, 0, 1));
      System.out.println("the failed step threw: " + e);
      assertEquals(0, StepSession.open(), "the failed session is closed");
      assertArrayEquals(grad, engine.gradient(params, 0, 1).grad());
    }
  }

  @Test
  void aTaskWithoutTheTokenIsRefused() throws Exception {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 8);
    try (SparkEngine engine = engine(2)) {
      StepSession s =
          StepSession.overTcp(SharedSpark.get(), engine.sessionWork(), NET, SCHEDULE, false, true);
      GradientSum merged;
      try {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.port())) {
          java.io.DataOutputStream out = new java.io.DataOutputStream(socket.getOutputStream());
          out.write(new byte[32]); // not the hash of the session's secret
          out.writeInt(0);
          out.write(new byte[Frames.NONCE_BYTES]);
          out.flush();
          socket.setSoTimeout(10_000);
          assertEquals(-1, socket.getInputStream().read(), "the driver hangs up");
        }
        merged = ThreadedTasks.merged(s.step(params, 0, 2));
      } finally {
        s.end();
      }
      engine.stepSessions(false);
      GradientSum viaJobs = engine.gradient(params, 0, 2);
      assertArrayEquals(viaJobs.grad(), merged.grad(), "the real tasks' sums still came");
    }
  }

  @Test
  void encryptedFramesCarryTheSameSumsAndRefuseATamperedOne() throws Exception {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 9);
    try (SparkEngine engine = engine(2)) {
      engine.stepSessions(false);
      GradientSum viaJobs = engine.gradient(params, 1, 3);
      double[] expected = viaJobs.grad().clone();
      for (boolean star : new boolean[] {true, false}) {
        for (boolean encrypt : new boolean[] {false, true}) {
          StepSession s = StepSession.overTcp(SharedSpark.get(), engine.sessionWork(), NET,
              SCHEDULE, encrypt, star);
          try {
            assertArrayEquals(expected, ThreadedTasks.merged(s.step(params, 1, 3)).grad(),
                "encrypt " + encrypt + ", star " + star);
          } finally {
            s.end();
          }
        }
      }
    }
    byte[] secret = new byte[Frames.SECRET_BYTES];
    new java.security.SecureRandom().nextBytes(secret);
    byte[] nonce = new byte[Frames.NONCE_BYTES];
    byte[] key = Frames.connectionKey(secret, 0, nonce);
    assertFalse(java.util.Arrays.equals(key, Frames.connectionKey(secret, 1, nonce)),
        "each partition's connection has its own key");
    double[] values = {Math.PI, -1.5, 1e-300, 42};
    byte[] plain = wire(null, values);
    byte[] sealed = wire(key, values);
    System.out.printf("a frame of %d values: %d bytes plain, %d sealed%n", values.length,
        plain.length, sealed.length);
    assertEquals(plain.length + 16, sealed.length, "a sealed frame carries its 16-byte tag");
    byte[] plainBody = java.util.Arrays.copyOfRange(plain, 4, plain.length);
    byte[] sealedBody = java.util.Arrays.copyOfRange(sealed, 4, 4 + plainBody.length);
    assertFalse(java.util.Arrays.equals(plainBody, sealedBody), "sealed bytes are not plain");
    for (int i = 0; i + 8 <= sealed.length; i++) {
      assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(plain, 4, 12),
          java.util.Arrays.copyOfRange(sealed, i, i + 8)), "a plain value in the sealed frame");
    }
    // the sealed frame as sent opens to the values; with any one of its bytes flipped (body or
    // tag) it is refused, and so is the right frame under another connection's key
    assertArrayEquals(values, open(key, sealed));
    for (int at : new int[] {4, 4 + plainBody.length / 2, sealed.length - 1}) {
      byte[] tampered = sealed.clone();
      tampered[at] ^= 0x01;
      java.io.IOException e = assertThrows(java.io.IOException.class, () -> open(key, tampered),
          "byte " + at + " flipped");
      assertTrue(e.getMessage().contains("authentication tag"), e.getMessage());
    }
    assertThrows(java.io.IOException.class,
        () -> open(Frames.connectionKey(secret, 1, nonce), sealed));
    // a replay: the same sealed frame twice on one connection; the counter has moved on
    java.io.IOException replay = assertThrows(java.io.IOException.class, () -> {
      byte[] twice = new byte[2 * sealed.length];
      System.arraycopy(sealed, 0, twice, 0, sealed.length);
      System.arraycopy(sealed, 0, twice, sealed.length, sealed.length);
      openTwo(key, twice);
    });
    System.out.println("a replayed frame: " + replay.getMessage());
  }

  /** The bytes one frame of values takes on the wire (key null: plain). */
  private static byte[] wire(byte[] key, double[] values) throws Exception {
    try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress());
        java.net.Socket a = new java.net.Socket(server.getInetAddress(), server.getLocalPort());
        java.net.Socket b = server.accept()) {
      new Frames(a, key, true).sendDoubles(values, 0, values.length);
      a.shutdownOutput();
      return b.getInputStream().readAllBytes();
    }
  }

  /** The values of a frame's wire bytes as the other end opens them. */
  private static double[] open(byte[] key, byte[] wire) throws Exception {
    try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress());
        java.net.Socket a = new java.net.Socket(server.getInetAddress(), server.getLocalPort());
        java.net.Socket b = server.accept()) {
      a.getOutputStream().write(wire);
      a.getOutputStream().flush();
      double[] values = new double[(wire.length - 4 - (key == null ? 0 : 16)) / 8];
      new Frames(b, key, false).receiveDoubles(values, 0, values.length);
      return values;
    }
  }

  /** Opens two frames of 4 values from wire on one connection. */
  private static void openTwo(byte[] key, byte[] wire) throws Exception {
    try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress());
        java.net.Socket a = new java.net.Socket(server.getInetAddress(), server.getLocalPort());
        java.net.Socket b = server.accept()) {
      a.getOutputStream().write(wire);
      a.getOutputStream().flush();
      Frames f = new Frames(b, key, false);
      f.receiveDoubles(new double[4], 0, 4);
      f.receiveDoubles(new double[4], 0, 4);
    }
  }

  /**
   * Strangers cost a session nothing: 200 silent connections and 50 that send garbage, held open
   * on the driver's step server, and the session's step still comes at once (the server reads
   * hellos without a thread per connection; the old acceptor waited 10 s for each in turn).
   */
  @Test
  void silentStrangersDoNotDelayASession() throws Exception {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 12);
    try (SparkEngine engine = engine(2)) {
      engine.stepSessions(false);
      double[] expected = engine.gradient(params, 0, 1).grad().clone();
      StepSession s =
          StepSession.overTcp(SharedSpark.get(), engine.sessionWork(), NET, SCHEDULE, false, false);
      List<java.net.Socket> strangers = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 250; i++) {
          java.net.Socket stranger = new java.net.Socket("127.0.0.1", s.port());
          if (i >= 200) {
            stranger.getOutputStream().write(new byte[] {1, 2, 3});
          }
          strangers.add(stranger);
        }
        long start = System.nanoTime();
        GradientSum g = ThreadedTasks.merged(s.step(params, 0, 1));
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("a step with 250 strangers connected: %.2f s%n", seconds);
        assertArrayEquals(expected, g.grad());
        assertTrue(seconds < HelloServer.HELLO_MILLIS / 1000.0 / 2,
            "the step waited for the strangers: " + seconds + " s");
      } finally {
        for (java.net.Socket x : strangers) {
          x.close();
        }
        s.end();
      }
    }
  }

  @Test
  void tasksThatCannotReachTheDriverLeaveTheStepsToJobs() {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 10);
    try (SparkEngine jobs = engine(2); SparkEngine engine = engine(2)) {
      jobs.stepSessions(false);
      double[] expected = jobs.gradient(params, 0, 4).grad().clone();
      io.gradspark.eval.Evaluation evaluated = jobs.evaluate(params, DataSplit.VALIDATION);
      jobs.close();
      engine.sameJvmHandoff(false);
      // the step server listens on 127.0.0.1 only: 127.0.0.2 refuses the tasks' connections
      engine.stepHost("127.0.0.2");
      assertTrue(engine.stepSessions());
      assertArrayEquals(expected, engine.gradient(params, 0, 4).grad(), "the step as a job");
      assertFalse(engine.stepSessions(), "sessions are off for this engine from here on");
      assertTrue(engine.describe().endsWith("a job per step"), engine.describe());
      assertArrayEquals(expected, engine.gradient(params, 0, 4).grad());
      // and the evaluations, which a session would run, run as jobs too
      assertEquals(evaluated, engine.evaluate(params, DataSplit.VALIDATION));
    }
    assertEquals(0, StepSession.open());
  }

  /**
   * training.sessions.port is the run's from its first session to the engine's close: between two
   * sessions (the first ended idle) no other process can take it, and the second session uses it.
   */
  @Test
  void aFixedPortIsHeldFromSessionToSession() throws Exception {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 13);
    int port;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    try (SparkEngine engine = engine(2)) {
      engine.sameJvmHandoff(false);
      engine.sessionSettings(new RunSpec.Sessions(true, RunSpec.Exchange.TREE, port, 4));
      engine.sessionIdle(SHORT_IDLE);
      double[] first = engine.gradient(params, 0, 3).grad().clone();
      Thread.sleep(SHORT_IDLE / 1_000_000 * 3); // the session's tasks end, idle
      assertThrows(java.net.BindException.class, () -> bind(port), "the port is still the run's");
      assertArrayEquals(first, engine.gradient(params, 0, 3).grad(), "a second session");
      assertEquals("tree", engine.exchange());
    }
    bind(port); // given back when the engine closes
  }

  private static void bind(int port) throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(port, 1,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      assertEquals(port, s.getLocalPort());
    }
  }

  @Test
  void theContextHasASlotPerCore() {
    assertEquals(3, StepSession.slots(SharedSpark.get()), "SharedSpark is local[3]");
  }
}
