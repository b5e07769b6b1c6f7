package io.gradspark.spark;

import io.gradspark.DoubleArrays;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.eval.Evaluation;
import io.gradspark.fs.HadoopPaths;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.api.java.function.PairFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

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
 * SameJvm}): no broadcast, and no W-sized task results; bit-identical.
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
 */
public final class SparkEngine implements GradientEngine {
  private static final org.slf4j.Logger SESSION_LOG =
      org.slf4j.LoggerFactory.getLogger(StepSession.class);
  private final JavaSparkContext sc;
  private final Network net;
  private final BatchSchedule schedule;
  private final int partitions;
  private final Map<DataSplit, JavaRDD<Part>> data = new EnumMap<>(DataSplit.class);
  private final AggregationPlan plan;
  private final AggregationPlan evaluationPlan;
  private final scala.collection.immutable.Seq<Object> allPartitions;
  /** The latest steps' times, at most {@link #MAX_TIMES} (a long training keeps no more). */
  private final java.util.ArrayDeque<StepTimes> times = new java.util.ArrayDeque<>();
  static final int MAX_TIMES = 100_000;
  /** The last DIRECT job's results (for its bytes). */
  private PartResult[] lastResults;
  /** Whether a step hands parameters and sums over in this JVM ({@link SameJvm}). */
  private boolean sameJvm;
  /** Whether DIRECT steps may run in a {@link StepSession} (where the cluster has the slots). */
  private boolean sessions;
  /** The session under way, if any. */
  private StepSession session;
  /** Where a TCP session's tasks connect (null: spark.driver.host); for tests. */
  private String stepHost;
  /** The run's step-session settings (training.sessions, training.exchange). */
  private io.gradspark.api.RunSpec.Sessions sessionSettings =
      io.gradspark.api.RunSpec.Sessions.DEFAULT;
  /** The driver's step server, held from the first TCP session to the engine's close. */
  private StepSession.Server server;
  /** The step sessions this engine started (one a training, unless one failed or idled out). */
  private int sessionsStarted;
  /** Whether evaluations run in the step session (else as jobs, ending it); for tests. */
  private boolean sessionEvaluation = true;
  /** Bytes through the driver's side of the exchange, and the steps they were counted over. */
  private long exchangeBytes;
  private long exchangeSteps;
  private long busiestLinkBytes;
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
    this.partitions = cached.get(DataSplit.TRAIN).getNumPartitions();
    if (plan.partitions() != partitions) {
      throw new IllegalArgumentException("A plan for " + plan.partitions()
          + " partitions, but the training data has " + partitions);
    }
    this.plan = plan;
    this.evaluationPlan = evaluationPlan(sc, net, partitions);
    List<Object> indices = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      indices.add(p);
    }
    this.allPartitions = scala.jdk.javaapi.CollectionConverters.asScala(indices).toList();
    this.sameJvm = sc.isLocal();
    this.sessions = plan.aggregation() == Aggregation.DIRECT;
    data.putAll(cached);
  }

  /**
   * Whether steps may run in a {@link StepSession}, tasks that stay up from step to step (the
   * default for the DIRECT aggregation; a step still runs as a job when the cluster has fewer task
   * slots than partitions, see {@link StepSession#fits}), or as a job each (false). Both give
   * bit-identical sums; bench compares them.
   */
  public void stepSessions(boolean on) {
    endSession();
    sessions = on && plan.aggregation() == Aggregation.DIRECT;
  }

  /**
   * Whether steps run in a {@link StepSession} now: allowed ({@link #stepSessions(boolean)}) and
   * fitting the context (its task slots, see {@link StepSession#fits}).
   */
  public boolean stepSessions() {
    return sessions && StepSession.fits(sc, partitions);
  }

  /**
   * The run's step-session settings: whether steps may run in sessions, star or tree, the
   * driver's port, the attempts a step gets. Call before the first step.
   */
  public void sessionSettings(io.gradspark.api.RunSpec.Sessions settings) {
    endSession();
    sessionSettings = settings;
    sessions = settings.enabled() && plan.aggregation() == Aggregation.DIRECT;
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
    return stepSessions() ? (treeExchange() ? "tree" : "star") : "jobs";
  }

  /** Tells a TCP session's tasks to connect to host (for tests of an unreachable driver). */
  void stepHost(String host) {
    endSession();
    stepHost = host;
  }

  /** Ends the step session under way, freeing its task slots for other jobs. */
  private void endSession() {
    if (session != null) {
      StepSession s = session;
      session = null;
      s.end();
    }
  }

  /**
   * Whether a step hands the parameters (and a DIRECT step's sums) over in this JVM (the default
   * on a local master, where the executor is this JVM; see {@link SameJvm}) or through Spark (a
   * broadcast and the tasks' results, as on a cluster). For tests of the cluster path on local.
   */
  void sameJvmHandoff(boolean on) {
    if (on && !sc.isLocal()) {
      throw new IllegalArgumentException("the same-JVM hand-off needs a local master");
    }
    endSession();
    sameJvm = on;
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
    if (sessions) {
      long t1 = System.nanoTime();
      StepSession.Sums r = inSession(params, epoch, step);
      if (r != null) {
        long t2 = System.nanoTime();
        GradientSum result = merged(r);
        recordTimes(new StepTimes(0, t2 - t1, r.computeNanos(), System.nanoTime() - t2, 0));
        return result;
      }
    }
    sc.setJobDescription(
        "epoch " + (epoch + 1) + " step " + (step + 1) + "/" + schedule.stepsPerEpoch());
    long t0 = System.nanoTime();
    // on a local master the executor is this JVM: the parameters (and a DIRECT step's sums) are
    // handed over in memory, see SameJvm; elsewhere, a broadcast
    long slot = sameJvm ? SameJvm.open(params, partitions) : 0;
    Broadcast<Params> bc = sameJvm ? null : sc.broadcast(new Params(params));
    long t1 = System.nanoTime();
    try {
      StepFunction f = new StepFunction(bc, slot, net, schedule, epoch, step);
      CanonicalSum<GradientSum> sum = new CanonicalSum<>(partitions, GradientSum::merge);
      long compute = 0;
      long t2;
      if (plan.aggregation() == Aggregation.DIRECT) {
        PartResult[] results = new PartResult[partitions];
        lastResults = results;
        sc.sc().runJob(data.get(DataSplit.TRAIN).rdd(), f, allPartitions,
            new Collect(results), scala.reflect.ClassTag$.MODULE$.apply(PartResult.class));
        t2 = System.nanoTime();
        for (int p = 0; p < partitions; p++) {
          sum.add(p, slot != 0 ? SameJvm.sum(slot, p) : results[p].sum());
          compute = Math.max(compute, results[p].nanos());
        }
      } else {
        sum = treeSum(sc, data.get(DataSplit.TRAIN), plan, f, GradientSum::merge);
        t2 = System.nanoTime();
      }
      GradientSum result = sum.result();
      long t3 = System.nanoTime();
      if (bc != null) {
        // what Spark moved for the step: the broadcast to each executor, the W-sized results
        long w = 8L * net.numParams();
        int executors = Math.max(1, sc.sc().getExecutorIds().size());
        long results = 0;
        if (plan.aggregation() == Aggregation.DIRECT) {
          for (int p = 0; p < partitions; p++) {
            results += results(p, slot) ? w : 0;
          }
        }
        exchangeBytes += w * Math.min(executors, partitions) + results;
      }
      exchangeSteps++;
      if (bc != null) {
        bc.destroy();
      }
      recordTimes(new StepTimes(t1 - t0, t2 - t1, compute, t3 - t2, System.nanoTime() - t3));
      return result;
    } catch (RuntimeException e) {
      if (bc != null) {
        bc.destroy();
      }
      throw e;
    } finally {
      if (slot != 0) {
        SameJvm.close(slot);
      }
    }
  }

  /**
   * A step (step >= 0) or an evaluation ({@link PartitionSum#evaluationStep}) in the step session,
   * started if none is up (or the last one ended idle): the tasks' sums merged in the canonical
   * order, as a DIRECT job's are; null when a new session was needed and the cluster has fewer
   * task slots than partitions now (an executor lost and not yet replaced), or sessions fell
   * back: the step then runs as a job. A step's bytes count into the exchange's figures; an
   * evaluation's do not.
   */
  private StepSession.Sums inSession(double[] params, int epoch, int step) {
    StepSession.Sums r = null;
    // Spark does not rerun a failed barrier result stage: a session whose task failed (its
    // executor lost, say) is replaced by a new one that computes the same step, up to
    // training.sessions.attempts sessions in all; a session that ended idle since the last step
    // returns null once and is replaced too
    int failures = 0;
    int allowed = sessionSettings.attempts();
    int ended = 0;
    long before = 0;
    while (r == null) {
      try {
        if (session == null || !session.live()) {
          if (!StepSession.fits(sc, partitions)) {
            return null;
          }
          sc.setJobDescription("steps from epoch " + (epoch + 1) + (step >= 0 ? " step "
              + (step + 1) + "/" + schedule.stepsPerEpoch() : " (evaluation)"));
          session = sameJvm ? StepSession.inJvm(sc, sessionWork())
              : StepSession.overTcp(sc, sessionWork(), net, schedule,
                  sc.getConf().getBoolean("spark.network.crypto.enabled", false),
                  !treeExchange(), server(), false, stepHost);
          sessionsStarted++;
        }
        before = session.traffic();
        r = session.step(params, epoch, step);
        if (r == null && ++ended > 2) {
          // sessions that end before their first step (a start slower than the tasks' wait on
          // a busy cluster): the steps run as jobs, as where sessions do not fit
          return fallBack("sessions ended before their first step, " + ended + " times");
        }
      } catch (io.gradspark.GradsparkException e) {
        endSession();
        throw e; // a setting to fix (the step server's port), not a task to retry
      } catch (Exception e) {
        StepSession failed = session;
        endSession();
        if (failed != null && !failed.reached()) {
          // no task ever reached the driver's step server: a network that lets executors reach
          // only some of the driver's ports, or a session that could not start
          return fallBack("no task reached the driver's step server at port " + failed.port()
              + " (" + firstLine(e) + "); open a port of the driver to the executors and set "
              + StepSession.PORT + " to it, or set training.sessions.enabled = false");
        }
        if (++failures >= allowed || Thread.currentThread().isInterrupted()) {
          throw SparkEngine.<RuntimeException>rethrow(e);
        }
        SESSION_LOG.warn("Step {} of epoch {}: its step session failed ({}); computing it again "
            + "in a new session ({} of {} attempts)", step + 1, epoch + 1, firstLine(e),
            failures + 1, allowed);
      }
    }
    if (step >= 0) {
      exchangeBytes += session.traffic() - before;
      busiestLinkBytes += r.busiestLink();
      exchangeSteps++;
    }
    return r;
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
    return parts.map(new ToPartitionSum(net, schedule)).rdd();
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

  /** A session's sums merged in the canonical order (a tree's root as it is). */
  private static GradientSum merged(StepSession.Sums r) {
    return CanonicalSum.merged(r.sums(), GradientSum::merge);
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
  private record ToPartitionSum(Network net, BatchSchedule schedule)
      implements org.apache.spark.api.java.function.Function<Part[], SessionWork> {
    @Override
    public SessionWork call(Part[] slots) {
      return new PartitionSum(net, schedule, slots[0], slots[1], slots[2]);
    }
  }

  /**
   * Whether evaluations run in the step session (the default) or as jobs that end it, a session
   * an epoch, as before sessions spanned the training; for tests that compare the two.
   */
  void sessionEvaluation(boolean on) {
    endSession();
    sessionEvaluation = on;
  }

  /** The step sessions this engine started so far. */
  int sessionsStarted() {
    return sessionsStarted;
  }

  private boolean results(int p, long slot) {
    return slot == 0 && lastResults != null && lastResults[p] != null
        && lastResults[p].sum() != null && lastResults[p].sum().count() > 0;
  }

  /** Steps run as jobs from here on, said in one warning line; null (the caller's job step). */
  private StepSession.Sums fallBack(String why) {
    sessions = false;
    endSession();
    SESSION_LOG.warn("Step sessions: {}; steps run as Spark jobs from here on", why);
    return null;
  }

  /** An exception's class and message, one line, no stack. */
  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
  }

  /** The driver's step server for TCP sessions, opened once on the settings' port. */
  private StepSession.Server server() {
    if (server == null) {
      org.apache.spark.SparkConf conf = sc.getConf();
      String host = conf.get("spark.driver.host", "127.0.0.1");
      server = new StepSession.Server(conf.get("spark.driver.bindAddress", host),
          sessionSettings.port());
    }
    return server;
  }

  /**
   * Bytes through the driver's side of the exchange per step, both ways, measured on its
   * sockets in a TCP session (0 in a local master's JVM, where nothing moves); for a job per step
   * on a cluster, the broadcast (8 W per executor) and the results (8 W per non-empty sum).
   */
  public double driverBytesPerStep() {
    return exchangeSteps == 0 ? 0 : (double) exchangeBytes / exchangeSteps;
  }

  /**
   * The bytes of the exchange's busiest link per step (one TCP connection, both ways: driver to
   * task or task to task, as each end measures it), averaged over the steps; 0 in this JVM and
   * for a job per step (Spark's own transfers are not measured per link).
   */
  public double busiestLinkBytesPerStep() {
    return exchangeSteps == 0 ? 0 : (double) busiestLinkBytes / exchangeSteps;
  }

  /**
   * The slots of the steps under way on a local master, whose executor is this JVM: each holds
   * the step's parameters (the driver's array, not copied: it is not changed while the job runs,
   * as a broadcast's value is not) and, for a DIRECT step, its partitions' sums. So a step there
   * creates and destroys no broadcast (its serialisation, checksum and block manager round trips:
   * ~4.7 ms a step for 152,650 parameters here) and a DIRECT step's W-sized sums skip Spark's
   * result path (serialised, copied about five times, deserialised on the driver): the tasks
   * return only their times. The same arrays, merged in the same canonical order: bit-identical
   * to the path through Spark. A step opens its slot before its job and closes it after, also
   * when the job fails; a task that finds no slot (its job was already given up) fails.
   */
  static final class SameJvm {
    private SameJvm() {}

    private record Slot(double[] params,
        AtomicReferenceArray<GradientSum> sums) {}

    private static final AtomicLong NEXT =
        new AtomicLong();
    private static final ConcurrentHashMap<Long, Slot> SLOTS =
        new ConcurrentHashMap<>();

    static long open(double[] params, int partitions) {
      long key = NEXT.incrementAndGet();
      SLOTS.put(key, new Slot(params,
          new AtomicReferenceArray<>(partitions)));
      return key;
    }

    private static Slot slot(long key) {
      Slot s = SLOTS.get(key);
      if (s == null) {
        throw new IllegalStateException("step " + key + " is not under way in this JVM");
      }
      return s;
    }

    static double[] params(long key) {
      return slot(key).params();
    }

    /** A task's sum (a retried task's attempt replaces the earlier one's). */
    static void put(long key, int partition, GradientSum sum) {
      slot(key).sums().set(partition, sum);
    }

    static GradientSum sum(long key, int partition) {
      GradientSum sum = slot(key).sums().get(partition);
      if (sum == null) {
        throw new IllegalStateException("no sum of partition " + partition + " in step " + key);
      }
      return sum;
    }

    static void close(long key) {
      SLOTS.remove(key);
    }

    /** Steps under way (for tests: none once a step has returned or failed). */
    static int open() {
      return SLOTS.size();
    }
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
    endSession();
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

  /** The cached training RDD (for measurements over the same partitions). */
  org.apache.spark.rdd.RDD<Part> trainRdd() {
    return data.get(DataSplit.TRAIN).rdd();
  }

  /** The per-step times recorded since the engine was built or last reset (the latest 100k). */
  public List<StepTimes> stepTimes() {
    return List.copyOf(times);
  }

  private void recordTimes(StepTimes t) {
    if (times.size() >= MAX_TIMES) {
      times.removeFirst();
    }
    times.addLast(t);
  }

  /** The bytes the counting pass of this engine's data read, for its figures. */
  void countingBytes(long bytes) {
    countingBytes = bytes;
  }

  /** Forgets the step times and exchange bytes so far (bench: after the warm-up steps). */
  public void resetStepTimes() {
    times.clear();
    exchangeBytes = 0;
    busiestLinkBytes = 0;
    exchangeSteps = 0;
  }

  public Aggregation aggregation() {
    return plan.aggregation();
  }

  /** How the gradient sums reach the driver, and why. */
  public AggregationPlan plan() {
    return plan;
  }

  /**
   * The partition results of rdd (leaf computes partition p's) merged along the plan's tree: each
   * level's tasks merge groups of 2^shift consecutive, aligned results (canonical subtrees, so a
   * group's CanonicalSum holds one node: one array), in a shuffle stage; the last level's results
   * (all P for a plan without levels) come to the driver, which merges them. Each level's shuffle
   * is removed right after: a step's map outputs are W-sized arrays, and left to the context
   * cleaner (which waits for the garbage collector) they would pile up on the executors' disks.
   */
  private static <T> CanonicalSum<T> treeSum(JavaSparkContext sc, JavaRDD<Part> rdd,
      AggregationPlan how, PartFunction<T> leaf, CanonicalSum.Merge<T> merge) {
    int p = rdd.getNumPartitions();
    List<Integer> shifts = how.shifts();
    JavaPairRDD<Integer, CanonicalSum<T>> level =
        rdd.mapPartitionsToPair(new Leaves<>(leaf, merge, p, shifts.isEmpty() ? 0 : shifts.get(0)));
    List<Integer> shuffles = new ArrayList<>();
    try {
      int covered = 0;
      for (int l = 0; l < shifts.size(); l++) {
        if (l > 0) {
          level = level.mapToPair(new Regroup<>(shifts.get(l)));
        }
        covered += shifts.get(l);
        Function2<CanonicalSum<T>, CanonicalSum<T>, CanonicalSum<T>> comb = CanonicalSum::merge;
        level = level.reduceByKey(
            new org.apache.spark.HashPartitioner((int) AggregationPlan.groups(p, covered)), comb);
        if (level.rdd().dependencies().head() instanceof ShuffleDependency<?, ?, ?> d) {
          shuffles.add(d.shuffleId());
        }
      }
      CanonicalSum<T> sum = new CanonicalSum<>(p, merge);
      for (CanonicalSum<T> s : level.values().collect()) {
        sum.merge(s);
      }
      return sum;
    } finally {
      scala.Option<org.apache.spark.ContextCleaner> cleaner = sc.sc().cleaner();
      if (cleaner.isDefined()) {
        shuffles.forEach(id -> cleaner.get().doCleanupShuffle(id, false));
      }
    }
  }

  /** Partition p's result, computed on its executor: a gradient sum, an evaluation. */
  interface PartFunction<T> extends java.io.Serializable {
    T apply(Part part);
  }

  /** A tree's leaves: each partition's result as a CanonicalSum, keyed by its first group. */
  private record Leaves<T>(PartFunction<T> leaf, CanonicalSum.Merge<T> merge, int partitions,
      int shift) implements PairFlatMapFunction<java.util.Iterator<Part>, Integer, CanonicalSum<T>> {
    @Override
    public java.util.Iterator<Tuple2<Integer, CanonicalSum<T>>> call(
        java.util.Iterator<Part> parts) {
      Part part = parts.next();
      CanonicalSum<T> s = new CanonicalSum<>(partitions, merge).add(part.index(), leaf.apply(part));
      return List.of(new Tuple2<>(part.index() >> shift, s)).iterator();
    }
  }

  /** The next level's key of a group: its index shifted by the level's shift. */
  private record Regroup<T>(int shift)
      implements PairFunction<Tuple2<Integer, CanonicalSum<T>>, Integer, CanonicalSum<T>> {
    @Override
    public Tuple2<Integer, CanonicalSum<T>> call(Tuple2<Integer, CanonicalSum<T>> group) {
      return new Tuple2<>(group._1() >> shift, group._2());
    }
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
    if (sessions && evaluatesInSession(split)) {
      StepSession.Sums r = inSession(params, 0, PartitionSum.evaluationStep(split));
      if (r != null) {
        return PartitionSum.evaluation(merged(r), net.classes());
      }
    }
    endSession(); // an evaluation job needs the slots a session holds
    sc.setJobDescription("evaluate " + split.name().toLowerCase(java.util.Locale.ROOT));
    Broadcast<Params> bc = sc.broadcast(new Params(params));
    try {
      AggregationPlan how = rdd.getNumPartitions() == partitions ? evaluationPlan
          : evaluationPlan(sc, net, rdd.getNumPartitions());
      return treeSum(sc, rdd, how, new EvaluateFunction(bc, net), Evaluation::merge).result();
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
    return treeSum(sc, rdd, evaluationPlan(sc, net, rdd.getNumPartitions()),
        new EvaluateFunction(bc, net), Evaluation::merge).result();
  }

  /** A partition's evaluation (on its executor). */
  private record EvaluateFunction(Broadcast<Params> params, Network net)
      implements PartFunction<Evaluation> {
    @Override
    public Evaluation apply(Part part) {
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
    m.put("step_sessions_started", sessionsStarted);
    m.put("exchange", exchange());
    m.put("driver_bytes_per_step", driverBytesPerStep());
    m.put("busiest_link_bytes_per_step", busiestLinkBytesPerStep());
    return m;
  }

  /**
   * E.g. "spark local[2], 2 partitions, steps in a session (tasks kept from step to step)"; with a
   * job per step, the tree's plan when the sums go through one.
   */
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
    endSession();
    if (server != null) {
      server.close();
      server = null;
    }
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

  /** One partition's sum and how long computing it took. */
  record PartResult(GradientSum sum, long nanos) implements java.io.Serializable {}

  /**
   * The per-partition work of one step, as a serializable function object: not a closure, so
   * Spark's closure cleaner has nothing to do, and usable both as runJob's function and as a
   * tree's leaf. The parameters come from a broadcast, or on a local master from the step's
   * {@link SameJvm} slot (slot != 0), where runJob's tasks also leave their sums (their results
   * are then only their times).
   */
  static final class StepFunction
      extends scala.runtime.AbstractFunction2<TaskContext, scala.collection.Iterator<Part>, PartResult>
      implements PartFunction<GradientSum> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<Params> params;
    private final long slot;
    private final Network net;
    private final BatchSchedule schedule;
    private final int epoch;
    private final int step;

    StepFunction(Broadcast<Params> params, long slot, Network net, BatchSchedule schedule,
        int epoch, int step) {
      this.params = params;
      this.slot = slot;
      this.net = net;
      this.schedule = schedule;
      this.epoch = epoch;
      this.step = step;
    }

    private double[] values() {
      return slot != 0 ? SameJvm.params(slot) : params.value().values();
    }

    /** runJob: the partition holds exactly one Part. */
    @Override
    public PartResult apply(TaskContext context, scala.collection.Iterator<Part> parts) {
      Part part = parts.next();
      long start = System.nanoTime();
      GradientSum sum = PartitionSum.of(net, schedule, values(), part, epoch, step);
      long nanos = System.nanoTime() - start;
      if (slot != 0) {
        SameJvm.put(slot, part.index(), sum);
        return new PartResult(null, nanos);
      }
      return new PartResult(sum, nanos);
    }

    /** A tree's leaf: the partition's sum. */
    @Override
    public GradientSum apply(Part part) {
      return PartitionSum.of(net, schedule, values(), part, epoch, step);
    }
  }

  /** Stores each partition's result at its index, as it arrives (on the driver). */
  private static final class Collect
      extends scala.runtime.AbstractFunction2<Object, PartResult, scala.runtime.BoxedUnit>
      implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final transient PartResult[] results;

    Collect(PartResult[] results) {
      this.results = results;
    }

    @Override
    public scala.runtime.BoxedUnit apply(Object index, PartResult r) {
      results[(Integer) index] = r;
      return scala.runtime.BoxedUnit.UNIT;
    }
  }
}
