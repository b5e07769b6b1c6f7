package io.gradspark.spark.session;

import io.gradspark.DoubleArrays;
import io.gradspark.nn.Network;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientSum;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;

/**
 * Steps without a Spark job each: one barrier job whose P tasks, one per cached training partition
 * and all started together, stay up and compute their partition's sums for step after step, as a
 * DIRECT step's tasks would ({@link SessionWork}). The driver posts a step, each task
 * computes its sum and hands it back, and the driver merges the P sums in the canonical order:
 * bit-identical to a job per step, without a job's fixed cost (its task binary, scheduling,
 * (de)serialisation and result path: ~10 ms on a 2-core machine) at every step. This is how
 * training libraries on Spark avoid a job per step (XGBoost's and Horovod's barrier stages).
 *
 * <p>Over TCP the sums reach the driver as a star (every task sends its sum; the driver merges
 * the P sums in the canonical order) or as a tree ({@link ExchangeTree}: the canonical tree's
 * merges run on the tasks, a segment of the vector each, and the driver receives the P merged
 * segments): the same additions in the same order.
 * The driver's server ({@link Server}, an engine's for its whole life) reads hellos without
 * blocking ({@link HelloServer}); the tasks' side is {@link ExchangeTask}.
 *
 * <p>How a step travels: on a local master, whose executor is this JVM, in memory ({@link #inJvm}:
 * the tasks read the driver's parameter array, not copied, as the trainer does not change it until
 * the step returns, and leave their sums in the session; the driver's thread computes partition 0
 * itself, see {@link InJvm}). Elsewhere
 * over one TCP connection per task to a server socket of the driver ({@link #overTcp}), bound to
 * {@code spark.driver.bindAddress} and reached at {@code spark.driver.host}: the parameters go
 * out as bytes, each task's sum comes back ({@link Frames}). A task proves it belongs to the
 * session with a random 256-bit secret that reaches it inside the task itself (Spark's own
 * channel, authenticated with {@code spark.authenticate}); with {@code
 * spark.network.crypto.enabled}, as Spark's own traffic, every frame is sealed with AES-GCM under
 * a key of the connection's own.
 *
 * <p>Slots: the barrier stage is Spark's gang scheduling, so a session's tasks start only when all
 * P can, never holding some slots while waiting for others; a session starts only when the cluster
 * has P slots at all. A session lives as long as the training: the engine posts its evaluations
 * (validation, test) to the session's tasks as it posts steps ({@link SessionWork#compute}). It
 * holds its slots while it is up, so it ends before anything else needs them: before an
 * evaluation that runs as a job, at the engine's close, and on its own after {@link #IDLE_NANOS}
 * without a step (a driver busy elsewhere, or a second engine on the same context, then finds
 * them free; the next step starts a new session). Failures: a task that throws, or
 * whose executor is lost, fails the session's job (Spark does not rerun a failed barrier result
 * stage), and the step with it; the engine then computes the step again in a new session
 * (or as a job while the cluster lacks the slots): the same sums, as a job per step's retried
 * task gives.
 */
public abstract class StepSession {
  /** A session whose tasks get no step for this long ends and frees its slots (by default). */
  public static final long IDLE_NANOS = 1_000_000_000L;

  /** How long this session's tasks wait for a step before the session ends. */
  final long idleNanos;

  /** Sessions of this JVM by id, for the in-JVM tasks to find theirs (and tests to count). */
  private static final ConcurrentHashMap<Long, StepSession> OPEN = new ConcurrentHashMap<>();
  private static final AtomicLong NEXT = new AtomicLong();

  public final long id = NEXT.incrementAndGet();
  final int partitions;
  /** The replies a step waits for: one a partition (its sum, or its segment of the merged sum). */
  private final int replies;
  final ReentrantLock lock = new ReentrantLock();
  /** Signalled when the last sum of a step arrives or a task fails (the driver waits on it). */
  private final Condition done = lock.newCondition();
  private java.util.concurrent.Future<?> job;

  // guarded by lock
  long seq;
  double[] params;
  int epoch;
  int step;
  final GradientSum[] sums;
  private final long[] nanos;
  private final long[] busiestBelow;
  volatile int pending; // written under the lock; an in-JVM driver spins on it without
  long idleSince = System.nanoTime();
  volatile boolean closed; // written under the lock; in-JVM tasks read it without
  private Throwable failure;

  StepSession(int partitions, int replies, long idleNanos) {
    this.partitions = partitions;
    this.idleNanos = idleNanos;
    this.replies = replies;
    this.sums = new GradientSum[replies];
    this.nanos = new long[replies];
    this.busiestBelow = new long[replies];
  }

  /** The most bytes one of the driver's connections moved since the last call (0 in the JVM). */
  long driverLinks() {
    return 0;
  }

  /**
   * Whether steps over P partitions can run in a session on this context now: a DIRECT plan's
   * steps (the caller checks), P task slots in the cluster (barrier stages need them at once)
   * and no dynamic allocation (barrier stages refuse it).
   */
  public static boolean fits(JavaSparkContext sc, int partitions) {
    org.apache.spark.SparkConf conf = sc.getConf();
    if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      return false;
    }
    return partitions <= slots(sc);
  }

  /** The task slots of the context's executors now (what Spark checks a barrier stage against). */
  public static int slots(JavaSparkContext sc) {
    return sc.sc().maxNumConcurrentTasks(sc.sc().resourceProfileManager().defaultResourceProfile());
  }

  /**
   * A session whose tasks run in this JVM (a local master), the step handed over in memory; it
   * ends after idleNanos without a step.
   */
  public static StepSession inJvm(JavaSparkContext sc, RDD<SessionWork> work, long idleNanos) {
    StepSession s = new InJvm(work.getNumPartitions(), idleNanos);
    return s.submit(sc, work, new SessionTasks.InJvmTask(s.id));
  }

  /**
   * A session whose tasks reach the driver over TCP (any master) on a server of its own, star or
   * tree, its frames encrypted when encrypt (the default where Spark's own network is: {@code
   * spark.network.crypto.enabled}).
   */
  public static StepSession overTcp(JavaSparkContext sc, RDD<SessionWork> work, Network net,
      BatchSchedule schedule, boolean encrypt, boolean star) {
    org.apache.spark.SparkConf conf = sc.getConf();
    String driverHost = conf.get("spark.driver.host", "127.0.0.1");
    Server server = new Server(conf.get("spark.driver.bindAddress", driverHost), 0);
    return overTcp(sc, work, net, schedule, encrypt, star, server, true, null, IDLE_NANOS);
  }

  /**
   * As above on the engine's server (owned: closed with the session), the tasks told to connect
   * to host (null: spark.driver.host; other for tests) and to install blas before their first
   * step, the session ending after idleNanos without a step.
   */
  public static StepSession overTcp(JavaSparkContext sc, RDD<SessionWork> work, Network net,
      BatchSchedule schedule, boolean encrypt, boolean star, Server server, boolean owned,
      String connectTo, long idleNanos) {
    org.apache.spark.SparkConf conf = sc.getConf();
    String host = connectTo != null ? connectTo : conf.get("spark.driver.host", "127.0.0.1");
    int partitions = work.getNumPartitions();
    Tcp s = new Tcp(partitions, server, owned, encrypt, star, net.numParams(),
        net.precision(), idleNanos);
    try {
      return s.submit(sc, work, new SessionTasks.TcpTask(s.setup(host, net, schedule), partitions));
    } catch (RuntimeException e) {
      s.stop();
      throw e;
    }
  }

  /** How long a session's links may take to form: longer for more tasks (a busy cluster). */
  public static long startMillis(int partitions) {
    return 30_000L + 5_000L * partitions;
  }

  /**
   * The property a run's {@code training.sessions.port} is known by in messages (default 0: any
   * free port), for networks that let executors reach only given ports of the driver.
   */
  public static final String PORT = "training.sessions.port";

  /** Bytes through the driver's side of the exchange so far (0 in this JVM: nothing moves). */
  public long traffic() {
    return 0;
  }

  /** star or tree: how the tasks' sums reach the driver; "in-jvm" for memory hand-offs. */
  public String exchange() {
    return "in-jvm";
  }

  /** The driver's port that tasks connect to; -1 for a session in this JVM. */
  public int port() {
    return -1;
  }

  /**
   * Whether any task ever reached the session (always for one in this JVM): a TCP session that
   * failed before any did points at a network that does not let executors reach the driver's
   * step port.
   */
  public boolean reached() {
    return true;
  }

  /** Submits the session's barrier job of task over work's partitions; returns this. */
  final StepSession submit(JavaSparkContext sc, RDD<SessionWork> work,
      scala.Function1<scala.collection.Iterator<SessionWork>, scala.collection.Iterator<Object>>
          task) {
    OPEN.put(id, this);
    RDD<Object> tasks = work.barrier().mapPartitions(task, false,
        scala.reflect.ClassTag$.MODULE$.apply(Object.class));
    try {
      job = JavaRDD.fromRDD(tasks, scala.reflect.ClassTag$.MODULE$.apply(Object.class))
          .countAsync();
    } catch (RuntimeException e) {
      OPEN.remove(id);
      throw e;
    }
    return this;
  }

  /** Runs the session with its tasks in job, started by the caller (tests: tasks on threads). */
  public final StepSession started(java.util.concurrent.Future<?> tasks) {
    OPEN.put(id, this);
    job = tasks;
    return this;
  }

  /**
   * The merged sum of one step (the partitions' sums merged in the canonical order, on the
   * driver or, a segment each, on the tasks of a tree), the slowest partition's compute
   * nanoseconds, and the bytes of the busiest link of the exchange in the step (0 in this JVM).
   */
  public record Sums(GradientSum merged, long computeNanos, long busiestLink) {}

  /** Throws t as it is, checked or not (the compiler takes it for an E). */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E rethrow(Throwable t) throws E {
    throw (E) t;
  }

  /**
   * Runs step (epoch, step) at params on the session's tasks and returns each partition's sum;
   * null when the session had ended (idle) before or while the step was posted, so that the
   * caller starts another. Throws what a task or the job failed with.
   */
  public final Sums step(double[] params, int epoch, int step) {
    long at;
    lock.lock();
    try {
      if (closed) {
        return null;
      }
      if (!ready()) {
        return endedOrFailed();
      }
      this.params = params;
      this.epoch = epoch;
      this.step = step;
      java.util.Arrays.fill(sums, null);
      pending = replies;
      at = ++seq;
      post();
    } catch (InterruptedException e) {
      return interrupted(e);
    } finally {
      lock.unlock();
    }
    posted(at, params, epoch, step);
    lock.lock();
    try {
      while (pending > 0 && failure == null) {
        done.await(100, TimeUnit.MILLISECONDS);
        if (pending > 0 && failure == null && jobEnded()) {
          break; // failed, or every task ended (idle) as the step came: the caller starts another
        }
      }
      if (failure != null || pending > 0) {
        return endedOrFailed();
      }
      this.params = null;
      long slowest = 0;
      for (long n : nanos) {
        slowest = Math.max(slowest, n);
      }
      long busiest = driverLinks();
      for (long b : busiestBelow) {
        busiest = Math.max(busiest, b);
      }
      return new Sums(mergedOf(at), slowest, busiest);
    } catch (InterruptedException e) {
      return interrupted(e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Under the lock, before a step is posted: whether the session can take it (waits, bounded by
   * the job's life, for what the transport needs first); false once it ended or failed.
   */
  boolean ready() throws InterruptedException {
    return true;
  }

  /** After a step is posted, outside the lock (the driver's own part of the step, if any). */
  void posted(long at, double[] params, int epoch, int step) {}

  /** Under the lock: null for a session that ended (the caller starts another), else throws. */
  private Sums endedOrFailed() {
    if (failure == null) {
      close();
      return null;
    }
    close();
    throw StepSession.<RuntimeException>rethrow(failure);
  }

  /** The driver was interrupted while waiting: ends the session. */
  private Sums interrupted(InterruptedException e) {
    Thread.currentThread().interrupt();
    lock.lock();
    try {
      close();
    } finally {
      lock.unlock();
    }
    throw new IllegalStateException("interrupted while waiting for a step's sums", e);
  }

  /** Under the lock: whether the session's job has ended (failed or not), noting a failure. */
  final boolean jobEnded() {
    if (!job.isDone()) {
      return false;
    }
    if (failure == null) {
      failure = jobFailure();
    }
    return true;
  }

  /**
   * Under the lock, once step at's replies are all in: their merged sum ({@link #merged}),
   * merged here by default.
   */
  GradientSum mergedOf(long at) {
    return merged(sums);
  }

  /** The step's merged sum from the P replies: the canonical merge of the partitions' sums. */
  GradientSum merged(GradientSum[] replies) {
    return ExchangeTree.merge(replies);
  }

  /** Hands the step just posted to the tasks (under the lock). */
  abstract void post();

  /** Releases what the transport holds (under the lock or not); idempotent. */
  void stop() {}

  /** Marks the session ended (under the lock): no step is posted to it again. */
  final void close() {
    closed = true;
    OPEN.remove(id);
    stop();
  }

  /** Why the job ended while a step was under way: its failure, null when it ended normally. */
  private Throwable jobFailure() {
    try {
      job.get();
      return null;
    } catch (ExecutionException e) {
      return e.getCause() != null ? e.getCause() : e;
    } catch (InterruptedException | java.util.concurrent.CancellationException e) {
      return e;
    }
  }

  /** Whether the session can take another step (it has not ended, idle or failed). */
  public final boolean live() {
    lock.lock();
    try {
      return !closed;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Ends the session: its tasks return, and this waits (bounded) until the job has ended and its
   * slots are free; a job that does not end in time is cancelled.
   */
  public final void end() {
    lock.lock();
    try {
      close();
    } finally {
      lock.unlock();
    }
    try {
      job.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      job.cancel(true);
    } catch (TimeoutException | ExecutionException
        | java.util.concurrent.CancellationException e) {
      // a failed job failed its step already; one that hangs is given up
      job.cancel(true);
    }
  }

  /** The session of this JVM with that id, or null (ended, or never in this JVM). */
  static StepSession opened(long id) {
    return OPEN.get(id);
  }

  /** Sessions whose tasks may still look them up (for tests: none once every engine closed). */
  public static int open() {
    return OPEN.size();
  }

  /**
   * A task's sum for step number at (ignored when the session moved on, or a duplicate), with
   * the busiest link's bytes below it.
   */
  final void reply(long at, int partition, GradientSum sum, long computeNanos, long busiest) {
    lock.lock();
    try {
      if (at != seq || closed || sums[partition] != null) {
        return;
      }
      sums[partition] = sum;
      nanos[partition] = computeNanos;
      busiestBelow[partition] = busiest;
      if (--pending == 0) {
        idleSince = System.nanoTime();
        done.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Under the lock: what the session failed with, or null. */
  final Throwable failure() {
    return failure;
  }

  /** A task failed: the step under way fails with t. */
  final void fail(Throwable t) {
    lock.lock();
    try {
      if (failure == null && !closed) {
        failure = t;
      }
      done.signal();
    } finally {
      lock.unlock();
    }
  }

  /** The step a task takes: its number, parameters and batch. */
  record Posted(long seq, double[] params, int epoch, int step) {}

  /** The most an in-JVM session's thread spins for a step or its sums before it parks. */
  static final long SPIN_NANOS = 300_000L;

  /**
   * The in-JVM transport: the tasks read each step from the session itself, each woken directly
   * by the driver's thread, which computes partition 0 itself (its task lends it its work and
   * waits for the session's end) instead of waiting idle: one wake-up each way fewer a step, the
   * other tasks woken at once rather than in turn through a lock, and that partition's sums
   * already in the driver's cache for the merge. The driver's partition's next rows go into a
   * second batch matrix, copied in claims of a few rows by the driver's thread while it waits for
   * the other sums ({@link SessionWork#prepareSomeAfter}) and by partition 1's task once it has
   * sent its sums, before its own ({@link #prepareLent}): the driver's step then only computes,
   * and neither thread waits idle while the other has rows to copy. The thread whose sum comes
   * in last merges the step's sums (the canonical merge, as the driver's thread would), while
   * the driver's thread copies rows instead of merging after its wait.
   * The same work on the same rows: the same sums, bit for bit. Where the driver's thread and the
   * other tasks have a core each, a waiting thread spins a moment ({@link #SPIN_NANOS}) before it
   * parks: the sums come in about together, and a step comes right after the driver's update,
   * both sooner than a parked thread wakes on a virtual machine (~25-50 us).
   */
  static final class InJvm extends StepSession {
    /** The step under way, for the tasks to read without the lock. */
    private volatile Posted current;
    /** The waiting tasks' threads by partition, unparked when a step is posted. */
    private final java.util.concurrent.atomic.AtomicReferenceArray<Thread> waiting;
    /** Each partition's work, as its task registered it, for {@link #posted} to claim. */
    private final java.util.concurrent.atomic.AtomicReferenceArray<SessionWork> works;
    /**
     * The step number each partition was last claimed for, by its task or by the driver's
     * thread ({@link #claim}): whoever claims a step's partition computes it, once.
     */
    private final java.util.concurrent.atomic.AtomicLongArray claimed;
    /** The last step whose sums a thread claimed to merge ({@link #claimMerge}). */
    private final java.util.concurrent.atomic.AtomicLong merging =
        new java.util.concurrent.atomic.AtomicLong();
    /** The step whose sums a task merged into {@link #premerged}. */
    private volatile long mergedAt;
    private GradientSum premerged; // published by mergedAt
    private Throwable mergeError; // what that merge threw, published by mergedAt
    /** Partition 0's work, lent by its task for the driver's thread to compute. */
    private volatile SessionWork lent;
    /** That task's thread, woken only when the session ends (not at every step). */
    private volatile Thread lender;
    /** Signalled when partition 0's task lends its work. */
    private final Condition lentNow = lock.newCondition();
    /**
     * How long a waiting thread spins before it parks, where the threads that compute (the
     * driver's and P - 1 tasks') have a core each; else 0: spinning would take a core from them.
     */
    private final long spinNanos;

    InJvm(int partitions, long idleNanos) {
      super(partitions, partitions, idleNanos);
      waiting = new java.util.concurrent.atomic.AtomicReferenceArray<>(partitions);
      works = new java.util.concurrent.atomic.AtomicReferenceArray<>(partitions);
      claimed = new java.util.concurrent.atomic.AtomicLongArray(partitions);
      spinNanos = partitions <= Runtime.getRuntime().availableProcessors() ? SPIN_NANOS : 0;
    }

    @Override
    boolean ready() throws InterruptedException {
      while (lent == null && failure() == null && !closed && !jobEnded()) {
        lentNow.await(100, TimeUnit.MILLISECONDS);
      }
      return lent != null && failure() == null && !closed;
    }

    @Override
    void post() {
      current = new Posted(seq, params, epoch, step);
    }

    /**
     * Wakes the tasks, then computes partition 0 on the driver's thread (see the class), and
     * then every partition whose task has not started the step yet: a task that starts later
     * would also end later than the driver's thread would, which is free now. On two cores where
     * a third thread (the JIT compiler, the garbage collector) takes one for a moment, a task
     * woken by the step may wait that long for a core; the step need not.
     */
    @Override
    void posted(long at, double[] params, int epoch, int step) {
      wakeTasks();
      Posted posted = current;
      try {
        long end = 0;
        for (int p = 0; p < partitions; p++) { // partition 0 is lent: no task claims it
          SessionWork work = p == 0 ? lent : works.get(p);
          if (work != null && claim(p, at)) {
            end = compute(work, posted);
          }
        }
        // while the other sums come in: the driver's partition's next rows, claim by claim
        SessionWork own = lent;
        while (own != null && (pending > 0 || merging.get() == at && mergedAt != at)
            && own.prepareSomeAfter(epoch, step)) {
          end = System.nanoTime();
        }
        // the other sums come in about when these did: wait for them awake a moment
        for (long until = end + spinNanos; pending > 0 && System.nanoTime() < until; ) {
          Thread.onSpinWait();
        }
      } catch (Throwable t) {
        fail(t);
      }
    }

    /** Computes work's share of step p, which the caller claimed, and replies; returns when. */
    long compute(SessionWork work, Posted p) {
      long start = System.nanoTime();
      GradientSum sum = work.compute(p.params(), p.epoch(), p.step());
      long end = System.nanoTime();
      reply(p.seq(), work.index(), sum, end - start, 0);
      if (pending == 0 && claimMerge(p.seq())) {
        // the step's last sum: merged on this thread, while the driver's copies rows
        try {
          premerged = merged(sums);
        } catch (RuntimeException | Error e) {
          mergeError = e;
        } finally {
          mergedAt = p.seq();
        }
      }
      return end;
    }

    /**
     * Whether the caller merges step at's sums: true for the first thread to ask once they are
     * all in (the last task to reply, or the driver's thread in {@link #mergedOf}).
     */
    private boolean claimMerge(long at) {
      long c = merging.get();
      return c < at && merging.compareAndSet(c, at);
    }

    /** The merged sum, by this thread or by the task that replied last (waits for its merge). */
    @Override
    GradientSum mergedOf(long at) {
      if (claimMerge(at)) {
        return merged(sums);
      }
      while (mergedAt != at) {
        Thread.onSpinWait(); // a merge under way on the other core: tens of microseconds
      }
      GradientSum m = premerged;
      Throwable e = mergeError;
      premerged = null;
      mergeError = null;
      if (e != null) {
        throw StepSession.<RuntimeException>rethrow(e);
      }
      return m;
    }

    @Override
    void stop() {
      wakeTasks();
      Thread t = lender;
      if (t != null) {
        java.util.concurrent.locks.LockSupport.unpark(t);
      }
    }

    private void wakeTasks() {
      for (int p = 0; p < partitions; p++) {
        Thread t = waiting.get(p);
        if (t != null) {
          java.util.concurrent.locks.LockSupport.unpark(t);
        }
      }
    }

    /** A task's work, registered as it starts: the driver's thread may claim its steps. */
    void register(SessionWork work) {
      works.set(work.index(), work);
    }

    /**
     * Whether the caller computes step number at of the partition: true for the first to claim
     * it (its task, or the driver's thread once partition 0 is done), false for the other.
     */
    boolean claim(int partition, long at) {
      return claimed.getAndAccumulate(partition, at, Math::max) < at;
    }

    /**
     * A task's next step after the one numbered seen, or null when the session has ended (and
     * ends it when no step came for idleNanos). Checks for the task being killed while it waits.
     */
    Posted next(int partition, long seen, TaskContext context) throws InterruptedException {
      waiting.set(partition, Thread.currentThread());
      // the next step comes after the driver's update: wait for it awake a moment, then parked
      long spinUntil = System.nanoTime() + spinNanos;
      for (;;) {
        Posted p = current;
        if (closed) {
          return null;
        }
        if (p != null && p.seq() != seen) {
          return p;
        }
        if (System.nanoTime() < spinUntil) {
          Thread.onSpinWait();
          continue;
        }
        long wait = idleWait();
        if (wait <= 0) {
          return null;
        }
        park(wait, context);
      }
    }

    /**
     * Partition 0's task: lends its work to the driver's thread (which computes its steps from
     * then on) and waits until the session ends, as a task that holds its slot.
     */
    void lend(SessionWork work, TaskContext context) throws InterruptedException {
      lender = Thread.currentThread();
      if (partitions > 1) {
        work.helpedAhead(); // partition 1's task fills its next rows: prepareLent
      }
      lock.lock();
      try {
        lent = work;
        lentNow.signalAll();
      } finally {
        lock.unlock();
      }
      while (!closed) {
        long wait = idleWait();
        if (wait <= 0) {
          return;
        }
        park(wait, context);
      }
    }

    /**
     * Partition 1's task, after its own step p: gets the driver's partition ready for the step
     * after p (its rows into a second batch matrix, while the driver may still compute p), which
     * the driver's thread would otherwise copy on the step's critical path, a core idle meanwhile.
     */
    void prepareLent(Posted p) {
      SessionWork work = lent;
      if (work != null) {
        work.prepareAfter(p.epoch(), p.step());
      }
    }

    /** Parks for up to nanos (a step or the session's end wakes it), then checks for a kill. */
    private void park(long nanos, TaskContext context) throws InterruptedException {
      java.util.concurrent.locks.LockSupport.parkNanos(this, nanos);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      if (context != null) {
        context.killTaskIfInterrupted();
      }
    }

    /**
     * How long a waiting task may park before it looks again (at most 50 ms, for kill checks);
     * 0 once the session has ended, which it ends here after idleNanos without a step.
     */
    private long idleWait() {
      lock.lock();
      try {
        if (closed) {
          return 0;
        }
        long idle = System.nanoTime() - idleSince;
        if (pending == 0 && idle >= idleNanos) {
          close();
          return 0;
        }
        return pending > 0 ? 50_000_000L : Math.min(idleNanos - idle, 50_000_000L);
      } finally {
        lock.unlock();
      }
    }
  }

  // ---- over TCP ----

  /**
   * The driver's listening socket for TCP sessions, held by an engine for its whole life (a fixed
   * {@code training.sessions.port} stays this run's from the first session to the last), and
   * handing each task's connection to the session under way.
   */
  public static final class Server implements AutoCloseable {
    private final HelloServer hello;
    private volatile Tcp current;

    /** Listens on bindHost:port (0: any free port); refuses a port it cannot take. */
    public Server(String bindHost, int port) {
      if (port < 0 || port > 65535) {
        throw new io.gradspark.GradsparkException(PORT + " is " + port + ", not a TCP port",
            "set it to a port from 1 to 65535 that the executors can reach, or 0 for any");
      }
      try {
        hello = new HelloServer("gradspark-step-server", bindHost, port, this::take);
      } catch (IOException e) {
        throw new io.gradspark.GradsparkException("Cannot open the driver's step server on "
            + bindHost + ":" + port + " (" + e.getMessage() + ")", port == 0
            ? "check spark.driver.bindAddress / spark.driver.host"
            : "set " + PORT + " to a free port (the run holds it while it trains), or 0 for any",
            e);
      }
    }

    public int port() {
      return hello.port();
    }

    private boolean take(byte[] token, int partition, byte[] nonce, Socket socket)
        throws IOException {
      Tcp s = current;
      return s != null && s.take(token, partition, nonce, socket);
    }

    @Override
    public void close() {
      hello.close();
    }
  }

  /**
   * The TCP transport: the driver's server (an engine's, or the session's own), a connection per
   * task that sends its sums to the driver (every task in a star, the root's merger in a tree: a
   * task that connects after a step was posted is sent it; a second connection for a partition
   * replaces the first), one reader thread per connection that hands the sums to the session.
   */
  public static final class Tcp extends StepSession {
    final Server server;
    private final boolean ownServer;
    final byte[] secret = new byte[Frames.SECRET_BYTES];
    private final byte[] token;
    final boolean encrypt;
    final ExchangeTree tree;
    private final int width;
    /** The precision of the tasks' sums: the star's merges on the driver are in it. */
    private final io.gradspark.nn.Precision precision;
    private final Connection[] connections;
    /** Bytes through the driver's side of the exchange, both ways. */
    final AtomicLong traffic = new AtomicLong();
    private long lastTraffic;
    private volatile boolean reached;

    public Tcp(int partitions, Server server, boolean ownServer, boolean encrypt, boolean star,
        int width, io.gradspark.nn.Precision precision, long idleNanos) {
      super(partitions, partitions, idleNanos);
      this.encrypt = encrypt;
      this.server = server;
      this.ownServer = ownServer;
      this.tree = new ExchangeTree(partitions, star);
      this.width = width;
      this.precision = precision;
      new java.security.SecureRandom().nextBytes(secret);
      token = Frames.authToken(secret);
      connections = new Connection[partitions];
      server.current = this;
    }

    /** What the tasks get: where the driver is, the secret, the exchange, the work. */
    public ExchangeTask.Setup setup(String host, Network net, BatchSchedule schedule) {
      return new ExchangeTask.Setup(host, server.port(), secret, encrypt, tree.star(), net,
          schedule, idleNanos, startMillis(partitions));
    }

    /** A connection whose hello is read: taken when it proves membership as a driver's peer. */
    boolean take(byte[] presented, int partition, byte[] nonce, Socket socket)
        throws IOException {
      if (!java.security.MessageDigest.isEqual(token, presented) || partition < 0
          || partition >= partitions) {
        return false;
      }
      reached = true;
      Frames frames = new Frames(socket,
          encrypt ? Frames.connectionKey(secret, partition, nonce) : null, true);
      Connection c = new Connection(this, partition, frames);
      frames.countInto(traffic);
      register(c);
      return true;
    }

    /** A task connected: it replaces its partition's earlier connection and gets the step. */
    private void register(Connection c) throws IOException {
      Connection old;
      lock.lock();
      try {
        if (closed) {
          c.frames.close();
          return;
        }
        old = connections[c.partition];
        connections[c.partition] = c;
        if (pending > 0 && sums[c.partition] == null) {
          c.send(seq, epoch, step, params);
          c.sendValues(params, 0, Integer.MAX_VALUE);
        }
      } finally {
        lock.unlock();
      }
      if (old != null) {
        old.frames.close();
      }
      c.start();
    }

    @Override
    GradientSum merged(GradientSum[] replies) {
      return tree.driverSum(replies, width);
    }

    /**
     * Sends every task its part of the parameters (the whole vector in a star, one task after
     * the other; its segment in a tree, a chunk to each task in turn, so that all pass theirs on
     * to the others at once).
     */
    @Override
    void post() {
      // under the lock: a connection registering meanwhile is sent this step by register
      boolean[] gone = new boolean[partitions];
      for (Connection c : connections) {
        if (c != null) {
          try {
            c.send(seq, epoch, step, params);
            if (tree.star()) {
              c.sendValues(params, 0, Integer.MAX_VALUE);
            }
          } catch (IOException e) {
            gone[c.partition] = true;
            c.frames.close(); // its task is gone: the job fails, and a new session computes it
          }
        }
      }
      int longest = 0;
      for (int p = 0; p < partitions && !tree.star(); p++) {
        longest = Math.max(longest, tree.to(p, width) - tree.from(p, width));
      }
      for (int at = 0; at < longest; at += ExchangeTask.CHUNK) {
        for (Connection c : connections) {
          if (c != null && !gone[c.partition]) {
            try {
              c.sendValues(params, at, at + ExchangeTask.CHUNK);
            } catch (IOException e) {
              gone[c.partition] = true;
              c.frames.close();
            }
          }
        }
      }
    }

    @Override
    public int port() {
      return server.port();
    }

    @Override
    public boolean reached() {
      return reached;
    }

    @Override
    public long traffic() {
      return traffic.get();
    }

    /** The driver's link: all its connections' bytes since the last call. */
    @Override
    long driverLinks() {
      long now = traffic.get();
      long step = now - lastTraffic;
      lastTraffic = now;
      return step;
    }

    @Override
    public String exchange() {
      return tree.star() ? "star" : "tree";
    }

    @Override
    void stop() {
      if (server.current == this) {
        server.current = null;
      }
      if (ownServer) {
        server.close();
      }
      for (Connection c : connections) {
        if (c != null) {
          try {
            DataOutputStream m = c.frames.message();
            m.writeLong(ExchangeTask.STOP);
            m.writeInt(-1);
            c.frames.send();
          } catch (IOException e) {
            // gone already
          }
          c.frames.close();
        }
      }
    }
  }

  /** The driver's end of one task's connection, and its reader thread. */
  private static final class Connection implements Runnable {
    final Tcp session;
    final int partition;
    final Frames frames;
    /** The part of the vectors this connection carries (its task's segment in a tree). */
    final int from;
    final int to;

    Connection(Tcp session, int partition, Frames frames) {
      this.session = session;
      this.partition = partition;
      this.frames = frames;
      this.from = session.tree.from(partition, session.width);
      this.to = session.tree.to(partition, session.width);
    }

    /** Sends a step's header; its values follow with {@link #sendValues}. */
    void send(long seq, int epoch, int step, double[] params) throws IOException {
      DataOutputStream m = frames.message();
      m.writeLong(seq);
      m.writeInt(to - from);
      m.writeInt(epoch);
      m.writeInt(step);
      frames.send();
    }

    /** Sends params' values [from + at, from + until) of this connection's part, in chunks. */
    void sendValues(double[] params, int at, int until) throws IOException {
      int end = (int) Math.min(to, (long) from + until);
      for (int i = from + at; i < end; i += ExchangeTask.CHUNK) {
        frames.sendDoubles(params, i, Math.min(end, i + ExchangeTask.CHUNK));
      }
    }

    void start() {
      Thread t = new Thread(this, "gradspark-step-reader-" + session.id + "-" + partition);
      t.setDaemon(true);
      t.start();
    }

    /** Reads the task's sums until the connection ends. */
    @Override
    public void run() {
      try {
        while (true) {
          ExchangeTask.Header h = ExchangeTask.receiveHeader(frames, to - from, "sum");
          long seq = h.seq();
          int n = h.values();
          ExchangeTask.Summed s = ExchangeTask.readSum(h.rest());
          double[] grad = null;
          if (n >= 0) {
            grad = new double[n];
            ExchangeTask.receiveVector(frames, grad);
          }
          session.reply(seq, partition,
              grad == null ? new GradientSum()
                  : new GradientSum(s.loss(), s.count(), s.weight(), grad, session.precision),
              s.nanos(), s.busiest());
        }
      } catch (IOException e) {
        frames.close(); // the task ended (idle, the session's end, its executor lost)
      }
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing to keep
    }
  }
}
