package io.gradspark.spark;

import io.gradspark.GradsparkException;
import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.RunSpec;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientEngine;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;

/**
 * Spark engines on one SparkContext: each dataset cached as spec.partitions() partitions (0: the
 * context's default parallelism) at spec.storage(). Trials running at once each submit their jobs
 * in a scheduler pool of their own, so that with {@code spark.scheduler.mode=FAIR} they share the
 * executors instead of queueing behind each other.
 */
public final class SparkEngines implements Engines {
  /** The Spark scheduler pool property, set per trial thread. */
  public static final String POOL = "spark.scheduler.pool";

  private final Supplier<JavaSparkContext> sc;
  private final boolean evaluationSets;
  /** The counting passes of this factory's data (their bytes go into its engines' figures). */
  private SparkSplitTasks tasks;

  /**
   * sc is asked for only when an engine is made (a command that fails earlier starts no Spark);
   * without evaluation sets only the training rows are cached.
   */
  public SparkEngines(Supplier<JavaSparkContext> sc, boolean evaluationSets) {
    this.sc = sc;
    this.evaluationSets = evaluationSets;
  }

  public SparkEngines(JavaSparkContext sc) {
    this(() -> sc, true);
  }

  @Override
  public GradientEngine create(RunSpec spec, BatchSchedule schedule, Datasets data) {
    return create(spec, schedule, data, null);
  }

  /**
   * As above with a given aggregation (bench compares them; null: chosen from the bytes the sums
   * bring to the driver, {@link AggregationPlan}). Refuses before caching any data when not even
   * one gradient sum fits spark.driver.maxResultSize.
   */
  public SparkEngine create(RunSpec spec, BatchSchedule schedule, Datasets data,
      SparkEngine.Aggregation aggregation) {
    int rows = data.train().rows();
    if (spec.partitions() > rows) {
      // every step would be a job of mostly empty tasks: refuse rather than crawl
      throw new GradsparkException("training.partitions is " + spec.partitions()
          + " but the training data has " + rows + " rows: a partition needs at least one row",
          "set training.partitions to at most " + rows + " (one per executor core is best)");
    }
    JavaSparkContext c = sc.get();
    int p = partitions(spec);
    String many = tooManyPartitions(p, rows, schedule.batchSize());
    if (many != null) {
      System.err.println("warning: " + many);
    }
    SparkEngine e = new SparkEngine(c, spec.network(), schedule, data.train(),
        evaluationSets ? data.validation() : null, evaluationSets ? data.test() : null, p,
        StorageLevel.fromString(spec.storage().name()),
        SparkEngine.plan(c, spec.network(), p, aggregation));
    e.sessionSettings(spec.sessions());
    e.countingBytes(tasks == null ? 0 : tasks.bytesRead());
    return e;
  }

  /**
   * Why p partitions are far too many for rows training rows in batches of batch (null when they
   * are not): every step is a job of p tasks, and beyond the rows of a batch most of them have
   * nothing to do but still cost a task's scheduling; beyond the rows, some hold no row at all
   * (the context's default parallelism, used for training.partitions = 0, can be that many).
   */
  static String tooManyPartitions(int p, int rows, int batch) {
    int useful = Math.min(rows, batch);
    if (p <= useful) {
      return null;
    }
    return String.format(java.util.Locale.ROOT, "%,d partitions for %,d training rows in "
        + "batches of %,d: most tasks of every step have no row of its batch, and each still "
        + "costs a task; at most %,d partitions (one per executor core is best) is faster "
        + "(training.partitions, or --partitions)", p, rows, batch, useful);
  }

  /** spec.partitions(), or the context's default parallelism for 0. */
  public int partitions(RunSpec spec) {
    return spec.partitions() > 0 ? spec.partitions() : sc.get().defaultParallelism();
  }

  /** The counting pass of text data as a Spark job: the executors read the splits. */
  @Override
  public synchronized SparkSplitTasks splitTasks() {
    if (tasks == null) {
      tasks = new SparkSplitTasks(sc.get());
    }
    return tasks;
  }

  @Override
  public String master() {
    return sc.get().master();
  }

  @Override
  public <T> T asTrial(String name, Supplier<T> work) {
    JavaSparkContext c = sc.get();
    String old = c.getLocalProperty(POOL);
    c.setLocalProperty(POOL, name);
    try {
      return work.get();
    } finally {
      c.setLocalProperty(POOL, old);
      c.setJobDescription(null);
    }
  }

  /**
   * A step of at most this many multiply-adds (rows of the batch times parameters) is
   * latency-bound: its arithmetic takes well under a millisecond, far less than the fixed cost of
   * the Spark job that runs it (about 10 ms on a 2-core machine), so a trial spends most of its
   * time waiting on the scheduler.
   */
  static final double LATENCY_BOUND_MACS = 2e7;

  /**
   * As many trials as fit side by side in the cluster's cores at spec.partitions() each (with the
   * default of one partition per core, one: the cluster has no room for a second). Latency-bound
   * trials ({@link #LATENCY_BOUND_MACS}) whose steps are jobs (step sessions off, or more
   * partitions than slots) run two per core: while one waits for its job to be scheduled,
   * another's task computes. In a step session there is no such wait, and a session holds its
   * slots: one trial per slot.
   */
  @Override
  public int concurrentTrials(RunSpec spec) {
    JavaSparkContext c = sc.get();
    return concurrentTrials(spec, c.defaultParallelism(), spec.sessions().enabled());
  }

  /** As above, for a cluster of the given slots, with step sessions allowed or not. */
  static int concurrentTrials(RunSpec spec, int slots, boolean sessions) {
    int partitions = spec.partitions() > 0 ? spec.partitions() : slots;
    boolean jobs = !sessions || partitions > slots;
    if (jobs && latencyBound(spec)) {
      return Math.max(1, 2 * slots / partitions);
    }
    return Math.max(1, slots / partitions);
  }

  static boolean latencyBound(RunSpec spec) {
    return (double) spec.batchSize() * spec.network().numParams() <= LATENCY_BOUND_MACS;
  }
}
