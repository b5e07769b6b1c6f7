package io.gradspark.spark;

import io.gradspark.train.CanonicalSum;
import io.gradspark.DoubleArrays;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.eval.Evaluation;
import io.gradspark.fs.HadoopPaths;
import io.gradspark.nn.Blas;
import io.gradspark.nn.Network;
import io.gradspark.spark.session.StepSession;
import io.gradspark.spark.session.SessionWork;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.Batches;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.GradientSum;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.storage.StorageLevel;

/**
 * The data-parallel engine. Each dataset is an RDD of P {@link Part}s, one per partition, built on the
 * executors from the (small, serializable) {@link RowSource} and cached; partition p holds the dense
 * ids [p N / P, (p+1) N / P). The driver never holds the training rows.
 *
 * <p>One step: broadcast the parameters; every partition asks the {@link BatchSchedule} for the ids of
 * batch k that fall in its range (O(B), no shuffle, no pass over the data), fills one batch matrix
 * and computes the loss and gradient SUMS with the same core code as the {@code LocalEngine}; the
 * sums come back and are combined in a fixed order ({@link CanonicalSum}) so the result does not
 * depend on which task finishes first; the broadcast is destroyed. Partitions without rows in the
 * batch contribute an empty sum (no array at all). On a local master, whose executor is this JVM,
 * a step hands the parameters (and a DIRECT step's sums) over in memory instead ({@link
 * JobStep.SameJvm}): no broadcast, and no W-sized task results; bit-identical.
 *
 * <p>How the sums come back ({@link Aggregation}, planned by {@link AggregationPlan} from the bytes
 * they would bring to the driver, against {@code spark.driver.maxResultSize} and the driver's
 * heap): {@code DIRECT} runs one job with a prepared function object ({@code SparkContext.runJob})
 * whose P per-partition sums the driver merges along the canonical tree, the cheapest step while
 * P sums fit comfortably. Else {@code TREE}: executors merge groups of consecutive partitions (the
 * canonical tree's own subtrees, so each group's sum is one array) in shuffle stages, and only the
 * last level's few sums reach the driver, whatever P. Both give bit-identical results;
 * {@code bench} compares them. Where not even one sum fits the limit, the engine refuses before it
 * caches any data.
 *
 * <p>The paths a step can take sit behind {@link StepPath}, chosen when the engine is configured:
 * {@link JobStep.Direct} (a job per step), {@link JobStep.Tree} (a tree job) and {@link
 * SessionStep} (a step session, star or tree, falling back to a job path). What every path runs on
 * each partition is {@link PartitionSum}; the figures they measure are kept in {@link
 * StepFigures}; the tree jobs (a tree job's steps, evaluations as jobs) are {@link TreeSum}.
 */
public final class SparkEngine implements GradientEngine {
  private final JavaSparkContext sc;
  private final Network net;
  /** A float32 step's parameters rounded to float, for executors in other JVMs. */
  private double[] rounded;
  private final BatchSchedule schedule;
  /**
   * The driver's BLAS when the engine was built, which every task installs before its
   * arithmetic: an executor's own pick (netlib's default) may differ, and runs are bit-identical
   * only on the same BLAS.
   */
  private final Blas.Choice blas;
  private final int partitions;
  private final Map<DataSplit, JavaRDD<Part>> data = new EnumMap<>(DataSplit.class);
  private final AggregationPlan plan;
  private final AggregationPlan evaluationPlan;
  private final scala.collection.immutable.Seq<Object> allPartitions;
  /** What the steps measured, whatever path they took. */
  private final StepFigures figures = new StepFigures();
  // how steps run: the path is chosen from these when the engine is built, and again only when a
  // setting below changes (the factory's session settings; bench's and tests' switches), before
  // the first step
  /** Whether a step hands parameters and sums over in this JVM ({@link JobStep.SameJvm}). */
  private boolean sameJvm;
  /** Whether DIRECT steps may run in a step session (where the cluster has the slots). */
  private boolean sessions;
  /** Where a TCP session's tasks connect (null: spark.driver.host); for tests. */
  private String stepHost;
  /** How long a step session waits for a step before it ends and frees its slots. */
  private long sessionIdleNanos = StepSession.IDLE_NANOS;
  /** The run's step-session settings (training.sessions, training.exchange). */
  private io.gradspark.api.RunSpec.Sessions sessionSettings =
      io.gradspark.api.RunSpec.Sessions.DEFAULT;
  /** Whether evaluations run in the step session (else as jobs, ending it); for tests. */
  private boolean sessionEvaluation = true;
  /** How the steps' sums reach the driver ({@link #choosePath}). */
  private StepPath path;
  /** Bytes the counting pass of this engine's data read (0: none, or not through Spark). */
  private long countingBytes;
  /** Bytes the executors read from files to build this engine's cached datasets. */
  private final AtomicLong loadBytes = new AtomicLong();

  /** How per-partition sums come back to the driver (see the class comment). */
  public enum Aggregation {
    /** One job with a prepared function; the driver merges the P sums in canonical order. */
    DIRECT,
    /** Executors merge groups of consecutive partitions level by level; few sums reach the driver. */
    TREE;

    /**
     * The aggregation for P gradient sums of the given parameters, from the bytes they would
     * bring to the driver (maxResultSize: spark.driver.maxResultSize in bytes, 0 = no limit;
     * driverHeap: the driver's maximum heap): see {@link AggregationPlan#choose}, which also
     * refuses when not even one sum fits.
     */
    public static AggregationPlan choose(int partitions, long parameters, long maxResultSize,
        long driverHeap) {
      return AggregationPlan.choose(partitions, parameters, maxResultSize, driverHeap);
    }
  }

  /** spark.driver.maxResultSize of the context in bytes (Spark's default 1g; 0 = no limit). */
  public static long maxResultSize(JavaSparkContext sc) {
    return sc.getConf().getSizeAsBytes("spark.driver.maxResultSize", "1g");
  }

  /**
   * The plan for a network's gradient sums over P partitions on this context and driver: forced
   * null chooses from the bytes ({@link AggregationPlan#choose}), else {@link
   * AggregationPlan#forced}. Refuses (GradsparkException) when not even one sum fits
   * spark.driver.maxResultSize. Cheap: call it before any data is read.
   */
  public static AggregationPlan plan(JavaSparkContext sc, Network net, int partitions,
      Aggregation forced) {
    long limit = maxResultSize(sc);
    long heap = Runtime.getRuntime().maxMemory();
    return forced == null
        ? AggregationPlan.choose(partitions, net.numParams(), limit, heap)
        : AggregationPlan.forced(forced, partitions, net.numParams(), limit, heap);
  }

  /** The plan for P evaluations of the network's classes (a confusion matrix each). */
  private static AggregationPlan evaluationPlan(JavaSparkContext sc, Network net,
      int partitions) {
    long classes = net.classes();
    return AggregationPlan.plan(partitions,
        8 * (classes * classes + 4) + AggregationPlan.RESULT_OVERHEAD, maxResultSize(sc),
        Runtime.getRuntime().maxMemory(), null, "evaluation of " + classes + " classes");
  }

  /**
   * Where one step's time went, in nanoseconds: creating the broadcast, the Spark job (scheduling,
   * task (de)serialisation, the slowest partition's compute, result transfer), the slowest
   * partition's compute alone, and the driver's merge of the partition sums.
   */
  public record StepTimes(long broadcast, long job, long compute, long merge, long destroy) {}

  /**
   * Builds and caches the datasets (val and test may be null) and materialises them, so that bad
   * data fails here, before training. partitions >= 1.
   */
  public SparkEngine(
      JavaSparkContext sc, Network net, BatchSchedule schedule, RowSource train, RowSource val,
      RowSource test, int partitions, StorageLevel storage) {
    this(sc, net, schedule, train, val, test, partitions, storage, (Aggregation) null);
  }

  /**
   * As above, with the aggregation chosen by the caller (null: from the bytes, as above); refuses
   * before reading any data when not even one gradient sum fits spark.driver.maxResultSize.
   */
  public SparkEngine(
      JavaSparkContext sc, Network net, BatchSchedule schedule, RowSource train, RowSource val,
      RowSource test, int partitions, StorageLevel storage, Aggregation aggregation) {
    this(sc, net, schedule, train, val, test, partitions, storage,
        plan(sc, net, partitions, aggregation));
  }

  /** As above, with a given plan (for P = partitions). */
  SparkEngine(
      JavaSparkContext sc, Network net, BatchSchedule schedule, RowSource train, RowSource val,
      RowSource test, int partitions, StorageLevel storage, AggregationPlan plan) {
    this(sc, net, schedule, train, val, test, partitions, storage, plan,
        new java.util.concurrent.atomic.AtomicLong());
  }

  private SparkEngine(
      JavaSparkContext sc, Network net, BatchSchedule schedule, RowSource train, RowSource val,
      RowSource test, int partitions, StorageLevel storage, AggregationPlan plan,
      java.util.concurrent.atomic.AtomicLong loaded) {
    this(sc, net, schedule, cacheAll(sc, schedule, train, val, test, partitions, storage,
        loaded), plan);
    loadBytes.set(loaded.get());
  }

  /**
   * An engine over datasets already cached as one {@link Part} per partition (the training set
   * must hold schedule.rows() rows with dense ids in partition order), with a plan for their
   * partitions ({@link #plan}).
   */
  SparkEngine(JavaSparkContext sc, Network net, BatchSchedule schedule,
      Map<DataSplit, JavaRDD<Part>> cached, AggregationPlan plan) {
    this.sc = sc;
    this.net = net;
    this.schedule = schedule;
    this.blas = Blas.inUse();
    this.partitions = cached.get(DataSplit.TRAIN).getNumPartitions();
    if (plan.partitions() != partitions) {
      throw new IllegalArgumentException("A plan for " + plan.partitions()
          + " partitions, but the training data has " + partitions);
    }
    this.plan = plan;
    this.evaluationPlan = evaluationPlan(sc, net, partitions);
    this.allPartitions = indices(partitions);
    this.sameJvm = sc.isLocal();
    this.sessions = plan.aggregation() == Aggregation.DIRECT;
    data.putAll(cached);
    this.path = choosePath();
  }

  /** The partition indices 0..P-1 as runJob takes them. */
  static scala.collection.immutable.Seq<Object> indices(int partitions) {
    List<Object> indices = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      indices.add(p);
    }
    return scala.jdk.javaapi.CollectionConverters.asScala(indices).toList();
  }

  /**
   * The step path for the settings now: a job per step or a tree job, from the plan; in a step
   * session (star or tree, {@link #treeExchange}) where sessions are on, falling back to the job
   * path where a session cannot start.
   */
  private StepPath choosePath() {
    JavaRDD<Part> train = data.get(DataSplit.TRAIN);
    JobStep jobs = plan.aggregation() == Aggregation.TREE
        ? new JobStep.Tree(sc, net, schedule, train, sameJvm, figures, plan)
        : new JobStep.Direct(sc, net, schedule, train, sameJvm, figures);
    if (!sessions) {
      return jobs;
    }
    return new SessionStep(sc, net, schedule, partitions, this::sessionWork,
        this::evaluatesInSession, sessionSettings, sameJvm, !treeExchange(), stepHost,
        sessionIdleNanos, jobs, figures);
  }

  /** Takes a changed setting: the path under way is closed and the path chosen again. */
  private void reconfigure() {
    path.close();
    path = choosePath();
  }

  /**
   * Whether steps may run in a {@link StepSession}, tasks that stay up from step to step (the
   * default for the DIRECT aggregation; a step still runs as a job when the cluster has fewer task
   * slots than partitions, see {@link StepSession#fits}), or as a job each (false). Both give
   * bit-identical sums; bench compares them.
   */
  public void stepSessions(boolean on) {
    sessions = on && plan.aggregation() == Aggregation.DIRECT;
    reconfigure();
  }

  /**
   * Whether steps run in a {@link StepSession} now: allowed ({@link #stepSessions(boolean)}) and
   * fitting the context (its task slots, see {@link StepSession#fits}).
   */
  public boolean stepSessions() {
    return path instanceof SessionStep s && s.active();
  }

  /**
   * The run's step-session settings: whether steps may run in sessions, star or tree, the
   * driver's port, the attempts a step gets. Call before the first step.
   */
  public void sessionSettings(io.gradspark.api.RunSpec.Sessions settings) {
    sessionSettings = settings;
    sessions = settings.enabled() && plan.aggregation() == Aggregation.DIRECT;
    reconfigure();
  }

  /**
   * The exchange a TCP session uses: the setting, or for auto the tree when P >= 4 and the star
   * would move P W 8 >= 8 MiB each way through the driver (documented in reference.conf).
   */
  public boolean treeExchange() {
    return switch (sessionSettings.exchange()) {
      case TREE -> true;
      case STAR -> false;
      case AUTO -> autoTree(partitions, net.numParams());
    };
  }

  /** The auto rule: the tree when P >= 4 and P W 8 >= 8 MiB. */
  static boolean autoTree(int partitions, long parameters) {
    return partitions >= 4 && 8.0 * parameters * partitions >= 8 * 1024 * 1024;
  }

  /**
   * How the sums reach the driver: "star" or "tree" in a step session (in a local master's JVM
   * the hand-off is in memory and the driver merges in the tree's order), "jobs" for a job per
   * step.
   */
  public String exchange() {
    return path.exchange();
  }

  /** Tells a TCP session's tasks to connect to host (for tests of an unreachable driver). */
  void stepHost(String host) {
    stepHost = host;
    reconfigure();
  }

  /**
   * How long this engine's step sessions wait for a step before they end and free their slots
   * ({@link StepSession#IDLE_NANOS} unless set): for tests whose engines take turns on the same
   * task slots, where each turn waits for the other's session to end idle.
   */
  void sessionIdle(long nanos) {
    sessionIdleNanos = nanos;
    reconfigure();
  }

  /**
   * Whether a step hands the parameters (and a DIRECT step's sums) over in this JVM (the default
   * on a local master, where the executor is this JVM; see {@link JobStep.SameJvm}) or through Spark (a
   * broadcast and the tasks' results, as on a cluster). For tests of the cluster path on local.
   */
  void sameJvmHandoff(boolean on) {
    if (on && !sc.isLocal()) {
      throw new IllegalArgumentException("the same-JVM hand-off needs a local master");
    }
    sameJvm = on;
    reconfigure();
  }

  private static Map<DataSplit, JavaRDD<Part>> cacheAll(JavaSparkContext sc,
      BatchSchedule schedule, RowSource train, RowSource val, RowSource test, int partitions,
      StorageLevel storage,
      java.util.concurrent.atomic.AtomicLong loaded) {
    if (train.rows() != schedule.rows()) {
      throw new IllegalArgumentException(
          "Expected " + schedule.rows() + " training rows but found " + train.rows());
    }
    Map<DataSplit, JavaRDD<Part>> cached = new EnumMap<>(DataSplit.class);
    Map<DataSplit, RowSource> sources = new EnumMap<>(DataSplit.class);
    sources.put(DataSplit.TRAIN, train);
    if (val != null) {
      sources.put(DataSplit.VALIDATION, val);
    }
    if (test != null) {
      sources.put(DataSplit.TEST, test);
    }
    HadoopConf.driver(sc);
    sc.setJobDescription("load and cache data");
    sources.forEach((split, source) -> cached.put(split,
        persisted(sc, source, partitions, storage, split.name().toLowerCase(java.util.Locale.ROOT))));
    // materialise every dataset at once: their tasks share the cores, and the partitions of the
    // training and validation sets, which read the same file, wait for one decompression of it
    Map<DataSplit, org.apache.spark.api.java.JavaFutureAction<List<long[]>>> counts =
        new EnumMap<>(DataSplit.class);
    cached.forEach((split, rdd) -> counts.put(split, rdd.map(new PartRows()).collectAsync()));
    try {
      for (Map.Entry<DataSplit, RowSource> e : sources.entrySet()) {
        long rows = 0;
        for (long[] r : counts.get(e.getKey()).get()) {
          rows += r[0];
          loaded.addAndGet(r[1]);
        }
        if (rows != e.getValue().rows()) {
          throw new IllegalStateException("Expected " + e.getValue().rows() + " "
              + e.getKey().name().toLowerCase(java.util.Locale.ROOT) + " rows but cached " + rows);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while caching the data", e);
    } catch (java.util.concurrent.ExecutionException e) {
      // what the job failed with, as a synchronous job would have thrown it (bad data included)
      // a bad data file, as the executor found it (Spark wraps it in its job failure)
      io.gradspark.GradsparkException bad = io.gradspark.GradsparkException.find(e.getCause());
      throw SparkEngine.<RuntimeException>rethrow(bad != null ? bad : e.getCause());
    } finally {
      counts.values().forEach(f -> f.cancel(true));
    }
    return cached;
  }

  /**
   * Bytes the executors read from files to build this engine's cached datasets (Hadoop's file
   * system statistics of the loading tasks): bench's figure for "the data is read once, not once
   * per partition". Per engine: two runs in one JVM each count their own.
   */
  public long loadBytesRead() {
    return loadBytes.get();
  }

  /** Throws t as it is, checked or not (the compiler takes it for an E). */
  @SuppressWarnings("unchecked")
  static <E extends Throwable> E rethrow(Throwable t) throws E {
    throw (E) t;
  }

  /** The rows of each cached part and the bytes it read (the job that materialises a dataset). */
  private static final class PartRows
      implements org.apache.spark.api.java.function.Function<Part, long[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public long[] call(Part part) {
      return new long[] {part.block().rows(), part.bytesRead()};
    }
  }

  /** An RDD of P parts of source, to be cached with the given storage level (not yet computed). */
  static JavaRDD<Part> persisted(
      JavaSparkContext sc, RowSource source, int partitions, StorageLevel storage, String name) {
    return parts(sc, source, partitions, name).persist(storage);
  }

  /**
   * An RDD of P parts of source, not cached (one pass over the data: predict, evaluate): partition
   * p loads rows [p N / P, (p+1) N / P) on its executor, as the cached datasets do.
   */
  static JavaRDD<Part> parts(JavaSparkContext sc, RowSource source, int partitions, String name) {
    List<Integer> indices = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      indices.add(p);
    }
    return sc.parallelize(indices, partitions)
        .map(new LoadPart(source, partitions))
        .setName(name + ": " + source.describe());
  }

  @Override
  public int partitions() {
    return partitions;
  }

  @Override
  public BatchSchedule schedule() {
    return schedule;
  }

  @Override
  public GradientSum gradient(double[] params, int epoch, int step) {
    if (sameJvm) {
      return path.step(params, epoch, step); // the tasks round as they convert (float32)
    }
    // to other JVMs: rounded to float here in float32, so that they travel as 4 bytes a value
    // (DoubleArrays and the session's frames send floats where every value is one)
    rounded = net.precision().round(params, rounded);
    return path.step(rounded, epoch, step);
  }

  /**
   * What a step session's tasks work on: each training partition with the validation and test
   * parts of its index (those a session evaluates, {@link #evaluatesInSession}), zipped, not
   * copied: each task reads its cached blocks once, when the session starts.
   */
  RDD<SessionWork> sessionWork() {
    JavaRDD<Part[]> parts = data.get(DataSplit.TRAIN).map(new PartSlots());
    for (DataSplit split : List.of(DataSplit.VALIDATION, DataSplit.TEST)) {
      if (evaluatesInSession(split)) {
        parts = parts.zipPartitions(data.get(split), new AttachPart(split.ordinal()));
      }
    }
    return parts.map(new ToPartitionSum(net, schedule, blas)).rdd();
  }

  /**
   * Whether split's evaluation runs in the step session: the engine holds it in P partitions, as
   * the training set, and the network's evaluation fits a sum ({@link
   * PartitionSum#evaluatesInSession}); else it runs as a job, after the session has ended.
   */
  private boolean evaluatesInSession(DataSplit split) {
    JavaRDD<Part> rdd = data.get(split);
    return sessionEvaluation && rdd != null && rdd.getNumPartitions() == partitions
        && PartitionSum.evaluatesInSession(net);
  }

  /** A training part in the first of three slots, by DataSplit ordinal. */
  private static final class PartSlots
      implements org.apache.spark.api.java.function.Function<Part, Part[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public Part[] call(Part train) {
      return new Part[] {train, null, null};
    }
  }

  /** Puts the part of the same index of another split in its slot. */
  private record AttachPart(int slot) implements org.apache.spark.api.java.function
      .FlatMapFunction2<java.util.Iterator<Part[]>, java.util.Iterator<Part>, Part[]> {
    @Override
    public java.util.Iterator<Part[]> call(java.util.Iterator<Part[]> parts,
        java.util.Iterator<Part> other) {
      Part[] slots = parts.next();
      slots[slot] = other.next();
      return List.<Part[]>of(slots).iterator();
    }
  }

  /** A task's work over its slots. */
  private record ToPartitionSum(Network net, BatchSchedule schedule, Blas.Choice blas)
      implements org.apache.spark.api.java.function.Function<Part[], SessionWork> {
    @Override
    public SessionWork call(Part[] slots) {
      return new PartitionSum(net, schedule, blas, slots[0], slots[1], slots[2]);
    }
  }

  /**
   * Whether evaluations run in the step session (the default) or as jobs that end it, a session
   * an epoch, as before sessions spanned the training; for tests that compare the two.
   */
  void sessionEvaluation(boolean on) {
    sessionEvaluation = on;
    reconfigure();
  }

  /** The step sessions this engine started so far. */
  int sessionsStarted() {
    return path instanceof SessionStep s ? s.started() : 0;
  }

  /**
   * Bytes through the driver's side of the exchange per step, both ways, measured on its
   * sockets in a TCP session (0 in a local master's JVM, where nothing moves); for a job per step
   * on a cluster, the broadcast (8 W per executor) and the results (8 W per non-empty sum).
   */
  public double driverBytesPerStep() {
    return figures.driverBytesPerStep();
  }

  /**
   * The bytes of the exchange's busiest link per step (one TCP connection, both ways: driver to
   * task or task to task, as each end measures it), averaged over the steps; 0 in this JVM and
   * for a job per step (Spark's own transfers are not measured per link).
   */
  public double busiestLinkBytesPerStep() {
    return figures.busiestLinkBytesPerStep();
  }


  /**
   * Bytes Spark reports for the cached partitions of a dataset (memory plus disk), as estimated by
   * its block manager; 0 for a split the engine does not hold.
   */
  public long cachedBytes(DataSplit split) {
    JavaRDD<Part> rdd = data.get(split);
    if (rdd == null) {
      return 0;
    }
    // executors report their cached blocks to the driver asynchronously: right after the caching
    // job, some partitions may not be counted yet, so wait (bounded) until all of them are
    long bytes = 0;
    long deadline = System.nanoTime() + 5_000_000_000L;
    do {
      for (org.apache.spark.storage.RDDInfo info : sc.sc().getRDDStorageInfo()) {
        if (info.id() == rdd.id()) {
          bytes = info.memSize() + info.diskSize();
          if (info.numCachedPartitions() >= rdd.getNumPartitions()) {
            return bytes;
          }
        }
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return bytes;
      }
    } while (System.nanoTime() < deadline);
    return bytes;
  }

  /**
   * Spark's floor for a step here: the wall-clock nanoseconds of each of n jobs over the cached
   * training partitions that run a prepared function returning nothing (no broadcast, no result).
   * A step cannot cost less than one of them.
   */
  public long[] bareJobs(int n) {
    path.pause();
    sc.setJobDescription("bare job");
    long[] nanos = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      sc.sc().runJob(data.get(DataSplit.TRAIN).rdd(), Nothing.INSTANCE, allPartitions,
          Ignore.INSTANCE, scala.reflect.ClassTag$.MODULE$.apply(scala.runtime.BoxedUnit.class));
      nanos[i] = System.nanoTime() - t0;
    }
    return nanos;
  }

  /** A task that takes its partition (so the cached block is fetched) and returns nothing. */
  private static final class Nothing extends scala.runtime.AbstractFunction2<TaskContext,
      scala.collection.Iterator<Part>, scala.runtime.BoxedUnit> implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    static final Nothing INSTANCE = new Nothing();

    @Override
    public scala.runtime.BoxedUnit apply(TaskContext context, scala.collection.Iterator<Part> p) {
      return scala.runtime.BoxedUnit.UNIT;
    }
  }

  /** Drops what a task returned (on the driver). */
  private static final class Ignore
      extends scala.runtime.AbstractFunction2<Object, scala.runtime.BoxedUnit,
          scala.runtime.BoxedUnit> implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    static final Ignore INSTANCE = new Ignore();

    @Override
    public scala.runtime.BoxedUnit apply(Object index, scala.runtime.BoxedUnit r) {
      return scala.runtime.BoxedUnit.UNIT;
    }
  }

  /** The per-step times recorded since the engine was built or last reset (the latest 100k). */
  public List<StepTimes> stepTimes() {
    return figures.times();
  }

  /** The bytes the counting pass of this engine's data read, for its figures. */
  void countingBytes(long bytes) {
    countingBytes = bytes;
  }

  /** Forgets the step times and exchange bytes so far (bench: after the warm-up steps). */
  public void resetStepTimes() {
    figures.reset();
  }

  public Aggregation aggregation() {
    return plan.aggregation();
  }

  /** How the gradient sums reach the driver, and why. */
  public AggregationPlan plan() {
    return plan;
  }

  @Override
  public boolean has(DataSplit split) {
    return data.containsKey(split);
  }

  @Override
  public Evaluation evaluate(double[] params, DataSplit split) {
    JavaRDD<Part> rdd = data.get(split);
    if (rdd == null) {
      throw new IllegalArgumentException("No " + split + " data in this engine");
    }
    Evaluation inPath = path.evaluate(params, split);
    if (inPath != null) {
      return inPath;
    }
    sc.setJobDescription("evaluate " + split.name().toLowerCase(java.util.Locale.ROOT));
    Broadcast<Params> bc = sc.broadcast(new Params(params));
    try {
      AggregationPlan how = rdd.getNumPartitions() == partitions ? evaluationPlan
          : evaluationPlan(sc, net, rdd.getNumPartitions());
      return TreeSum.of(sc, rdd, how, new EvaluateFunction(bc, net, blas), Evaluation::merge)
          .result();
    } finally {
      bc.destroy();
    }
  }

  /**
   * The evaluation of every part of rdd (not cached: each task loads its part) with the
   * broadcast parameters, merged in the fixed order, as {@link #evaluate} does.
   */
  static Evaluation evaluateParts(JavaSparkContext sc, JavaRDD<Part> rdd, Network net,
      Broadcast<Params> bc) {
    return TreeSum.of(sc, rdd, evaluationPlan(sc, net, rdd.getNumPartitions()),
        new EvaluateFunction(bc, net, Blas.inUse()), Evaluation::merge).result();
  }

  /** A partition's evaluation (on its executor, on the driver's BLAS). */
  private record EvaluateFunction(Broadcast<Params> params, Network net, Blas.Choice blas)
      implements TreeSum.PartFunction<Evaluation> {
    @Override
    public Evaluation apply(Part part) {
      Blas.use(blas);
      Evaluation ev = new Evaluation(net.classes());
      Batches.evaluate(net, params.value().values(), part.block(), ev);
      return ev;
    }
  }

  /**
   * Bytes the executors read from files in this JVM (the counting passes of text data, and the
   * loads that built the cached datasets) and the cache's bytes per training row, as Spark's
   * block manager estimates them.
   */
  @Override
  public Map<String, Object> dataFigures() {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("data_bytes_read_counting", countingBytes);
    m.put("data_bytes_read_caching", loadBytesRead());
    m.put("cache_bytes_per_row", (double) cachedBytes(DataSplit.TRAIN) / schedule.rows());
    m.put("step_sessions", sessionSettings.enabled());
    m.put("step_sessions_started", sessionsStarted());
    m.put("exchange", exchange());
    m.put("driver_bytes_per_step", driverBytesPerStep());
    m.put("busiest_link_bytes_per_step", busiestLinkBytesPerStep());
    m.put("executor_blas", executorBlas());
    return m;
  }

  /**
   * The BLAS installed in the JVMs that hold the training partitions, as their tasks left it
   * (one job; the probe installs nothing): the driver's choice once they have run a step, "none
   * installed (netlib's default: ...)" where no task installed one. Distinct values, joined
   * with "; "; "unknown (...)" without a job when some training partition is no longer cached.
   */
  public String executorBlas() {
    // a probe over evicted partitions would load them again from the data: not for a string
    int id = data.get(DataSplit.TRAIN).id();
    boolean cached = false;
    for (org.apache.spark.storage.RDDInfo info : sc.sc().getRDDStorageInfo()) {
      cached |= info.id() == id && info.numCachedPartitions() >= partitions;
    }
    if (!cached) {
      return "unknown (the training partitions are no longer all cached)";
    }
    // the probe is a job over the training partitions: it needs the slots a session holds (else
    // it waits for the session to end idle, a second at the end of every training)
    path.pause();
    sc.setJobDescription("executor BLAS");
    String[] seen = new String[partitions];
    sc.sc().runJob(data.get(DataSplit.TRAIN).rdd(), InstalledBlas.INSTANCE, allPartitions,
        new JobStep.Collect<>(seen), scala.reflect.ClassTag$.MODULE$.apply(String.class));
    return String.join("; ", new java.util.TreeSet<>(java.util.Arrays.asList(seen)));
  }

  /** A task's JVM's installed BLAS, without installing one. */
  private static final class InstalledBlas extends scala.runtime.AbstractFunction2<TaskContext,
      scala.collection.Iterator<Part>, String> implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    static final InstalledBlas INSTANCE = new InstalledBlas();

    @Override
    public String apply(TaskContext context, scala.collection.Iterator<Part> p) {
      return Blas.installed().map(Blas.Choice::toString)
          .orElseGet(() -> "none installed (netlib's default: " + Blas.describe() + ")");
    }
  }


  /**
   * E.g. "spark local[2], 2 partitions, steps in a session (tasks kept from step to step)"; with a
   * job per step, the tree's plan when the sums go through one.
   */
  @Override
  public io.gradspark.nn.Precision precision() {
    return net.precision();
  }

  @Override
  public String describe() {
    return "spark " + sc.master() + ", " + partitions + " partitions"
        + (stepSessions() ? ", steps in a session (tasks kept from step to step"
            + (sameJvm ? ")" : ", over TCP)") + ", exchange " + exchange()
            : plan.aggregation() == Aggregation.TREE ? ", " + plan.describe() : ", a job per step");
  }

  /** Frees the cached datasets; the SparkContext stays up (it belongs to the caller). */
  @Override
  public void close() {
    path.close();
    data.values().forEach(rdd -> rdd.unpersist(false));
    data.clear();
  }

  /**
   * Builds partition p's Part on the executor. A named class rather than a lambda: it travels in
   * every step's task binary (the cached RDD's lineage), and a plain object serialises smaller and
   * skips the closure cleaner.
   */
  private record LoadPart(RowSource source, int partitions)
      implements org.apache.spark.api.java.function.Function<Integer, Part> {
    @Override
    public Part call(Integer p) {
      int n = source.rows();
      int lo = (int) ((long) p * n / partitions);
      int hi = (int) ((long) (p + 1) * n / partitions);
      HadoopConf.executor();
      long before = HadoopPaths.bytesReadOnThisThread();
      RowBlock block = source.load(lo, hi);
      return new Part(p, lo, block, HadoopPaths.bytesReadOnThisThread() - before);
    }
  }

  /**
   * The parameters as a broadcast value: serialised as bytes in bulk ({@link DoubleArrays}), where
   * a plain double[] would be written one value at a time.
   */
  static final class Params implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private transient double[] values;

    Params(double[] values) {
      this.values = values;
    }

    double[] values() {
      return values;
    }

    private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
      DoubleArrays.write(out, values);
    }

    private void readObject(java.io.ObjectInputStream in)
        throws java.io.IOException, ClassNotFoundException {
      values = DoubleArrays.read(in);
    }
  }



}
