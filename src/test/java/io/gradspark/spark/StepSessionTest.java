package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.data.InMemorySource;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
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
 * the same sums bit for bit, sessions only where every partition has a slot, and the slots given
 * back (evaluation, idle, a second engine, a failed task) so that nothing waits forever.
 */
class StepSessionTest {
  private static final int ROWS = 50;
  private static final Network NET = new Network(new int[] {6, 40, 3},
      List.of(Activation.TANH), Head.SOFTMAX_CROSS_ENTROPY);
  private static final InMemorySource SRC = ArraySource.random(ROWS, 6, 3, 29, false);
  private static final BatchSchedule SCHEDULE = new BatchSchedule(ROWS, 8, 17, true, false);

  private static SparkEngine engine(int partitions) {
    return new SparkEngine(SharedSpark.get(), NET, SCHEDULE, SRC, SRC, null, partitions,
        StorageLevel.MEMORY_ONLY(), SparkEngine.Aggregation.DIRECT);
  }

  /** inJvm: the step handed over in this JVM; else the tasks connect to the driver over TCP. */
  @ParameterizedTest(name = "in this JVM: {0}")
  @ValueSource(booleans = {true, false})
  void sessionStepsAreBitIdenticalToAJobPerStep(boolean inJvm) {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 5);
    // SharedSpark is local[3]: 7 partitions do not fit a barrier stage, so steps stay jobs
    for (int partitions : new int[] {1, 2, 3, 7}) {
      try (SparkEngine session = engine(partitions); SparkEngine jobs = engine(partitions)) {
        session.sameJvmHandoff(inJvm); // off: the tasks connect to the driver over TCP
        jobs.stepSessions(false);
        assertEquals(partitions <= 3, session.stepSessions(), "P=" + partitions);
        assertFalse(jobs.stepSessions());
        double maxDiff = 0;
        for (int epoch = 0; epoch < 2; epoch++) {
          // one engine's epoch, then the other's: stepping them in turn would have each wait for
          // the other's idle session to give the slots back
          List<GradientSum> bySession = epoch(session, params, epoch);
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
          // an evaluation between epochs ends the session (its job needs the slots)
          assertEquals(jobs.evaluate(params, DataSplit.VALIDATION).meanLoss(),
              session.evaluate(params, DataSplit.VALIDATION).meanLoss(), 0.0);
          assertEquals(0, StepSession.open(), "P=" + partitions);
        }
        System.out.printf("P=%d sessions %s (%s): max |difference| of the gradient sums %.1e%n",
            partitions, session.stepSessions(), inJvm ? "in this JVM" : "over TCP", maxDiff);
      }
      assertEquals(0, StepSession.open(), "no session stays open after close");
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
      GradientSum a = first.gradient(params, 0, 0);
      double[] grad = a.grad().clone();
      long start = System.nanoTime();
      GradientSum b = second.gradient(params, 0, 0);
      double waited = (System.nanoTime() - start) / 1e9;
      assertArrayEquals(grad, b.grad());
      System.out.printf("second engine's first step after %.2f s%n", waited);
      assertTrue(waited >= StepSession.IDLE_NANOS / 1e9 * 0.5, "waited " + waited + " s");
      // and the first starts a new session when it steps again
      assertArrayEquals(grad, first.gradient(params, 0, 0).grad());
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
          StepSession.overTcp(SharedSpark.get(), engine.trainRdd(), NET, SCHEDULE, false);
      GradientSum[] parts;
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
        parts = s.step(params, 0, 2).sums();
      } finally {
        s.end();
      }
      engine.stepSessions(false);
      GradientSum viaJobs = engine.gradient(params, 0, 2);
      GradientSum merged = new CanonicalSum<GradientSum>(2, GradientSum::merge)
          .add(0, parts[0]).add(1, parts[1]).result();
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
      for (boolean encrypt : new boolean[] {false, true}) {
        StepSession s =
            StepSession.overTcp(SharedSpark.get(), engine.trainRdd(), NET, SCHEDULE, encrypt);
        try {
          GradientSum[] parts = s.step(params, 1, 3).sums();
          GradientSum merged = new CanonicalSum<GradientSum>(2, GradientSum::merge)
              .add(0, parts[0]).add(1, parts[1]).result();
          assertArrayEquals(expected, merged.grad(), "encrypt " + encrypt);
        } finally {
          s.end();
        }
      }
    }
    // a frame sealed under one connection's key does not open under another's, nor altered
    byte[] secret = new byte[Frames.SECRET_BYTES];
    byte[] nonce = new byte[Frames.NONCE_BYTES];
    assertFalse(java.util.Arrays.equals(Frames.connectionKey(secret, 0, nonce),
        Frames.connectionKey(secret, 1, nonce)), "each partition's connection has its own key");
    try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress());
        java.net.Socket a = new java.net.Socket(server.getInetAddress(), server.getLocalPort());
        java.net.Socket b = server.accept()) {
      byte[] key = Frames.connectionKey(secret, 0, nonce);
      Frames driver = new Frames(a, key, true);
      Frames task = new Frames(b, key, false);
      driver.message().writeLong(42);
      driver.send();
      assertEquals(42, task.receive().readLong(), "sealed and opened");
      // the same frame again (a replay: the same key, counter and bytes); the task's counter has
      // moved on, so the tag fails
      Frames replayer = new Frames(a, key, true);
      replayer.message().writeLong(42);
      replayer.send();
      java.io.IOException e = assertThrows(java.io.IOException.class, task::receive);
      System.out.println("a replayed frame: " + e.getMessage());
    }
  }

  @Test
  void tasksThatCannotReachTheDriverLeaveTheStepsToJobs() {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 10);
    try (SparkEngine jobs = engine(2); SparkEngine engine = engine(2)) {
      jobs.stepSessions(false);
      double[] expected = jobs.gradient(params, 0, 4).grad().clone();
      jobs.close();
      engine.sameJvmHandoff(false);
      // the step server listens on 127.0.0.1 only: 127.0.0.2 refuses the tasks' connections
      engine.stepHost("127.0.0.2");
      assertTrue(engine.stepSessions());
      assertArrayEquals(expected, engine.gradient(params, 0, 4).grad(), "the step as a job");
      assertFalse(engine.stepSessions(), "sessions are off for this engine from here on");
      assertTrue(engine.describe().endsWith("a job per step"), engine.describe());
      assertArrayEquals(expected, engine.gradient(params, 0, 4).grad());
    }
    assertEquals(0, StepSession.open());
  }

  @Test
  void theContextHasASlotPerCore() {
    assertEquals(3, StepSession.slots(SharedSpark.get()), "SharedSpark is local[3]");
  }
}
