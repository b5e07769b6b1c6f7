package io.gradspark.spark;

import io.gradspark.DoubleArrays;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.eval.Evaluation;
import io.gradspark.fs.HadoopPaths;
import io.gradspark.nn.Network;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.Batches;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.GradientSum;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
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
 * batch contribute an empty sum (no array at all).
 *
 * <p>How the sums come back ({@link Aggregation}): {@code TREE} is {@code treeAggregate}, which can
 * merge on the executors in a second stage, the right tool for many partitions. With few partitions
 * that stage only adds cost, and treeAggregate's fixed per-call work (cleaning and serialising
 * closures, cloning zero values) dominates a ~1 ms step, so {@code DIRECT} runs one job with a
 * prepared function object ({@code SparkContext.runJob}) whose per-partition sums the driver merges
 * along the same canonical tree. Both give bit-identical results; {@code bench} compares them.
 */
public final class SparkEngine implements GradientEngine {
  private final JavaSparkContext sc;
  private final Network net;
  private final BatchSchedule schedule;
  private final int partitions;
  private final Map<DataSplit, JavaRDD<Part>> data = new EnumMap<>(DataSplit.class);
  private final Aggregation aggregation;
  private final scala.collection.immutable.Seq<Object> allPartitions;
  private final List<StepTimes> times = new ArrayList<>();

  /** How per-partition sums come back to the driver (see the class comment). */
  public enum Aggregation {
    /** One job with a prepared function; the driver merges the P sums in canonical order. */
    DIRECT,
    /** {@code treeAggregate}, with a second merge stage on executors for many partitions. */
    TREE;

    /** DIRECT up to 32 partitions (P sums of W doubles reach the driver), TREE above. */
    public static Aggregation auto(int partitions) {
      return partitions <= 32 ? DIRECT : TREE;
    }
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
    this(sc, net, schedule, train, val, test, partitions, storage, Aggregation.auto(partitions));
  }

  /** As above, with the aggregation chosen by the caller. */
  public SparkEngine(
      JavaSparkContext sc, Network net, BatchSchedule schedule, RowSource train, RowSource val,
      RowSource test, int partitions, StorageLevel storage, Aggregation aggregation) {
    this(sc, net, schedule, cacheAll(sc, schedule, train, val, test, partitions, storage),
        aggregation);
  }

  /**
   * An engine over datasets already cached as one {@link Part} per partition (the training set
   * must hold schedule.rows() rows with dense ids in partition order).
   */
  SparkEngine(JavaSparkContext sc, Network net, BatchSchedule schedule,
      Map<DataSplit, JavaRDD<Part>> cached, Aggregation aggregation) {
    this.sc = sc;
    this.net = net;
    this.schedule = schedule;
    this.partitions = cached.get(DataSplit.TRAIN).getNumPartitions();
    this.aggregation = aggregation;
    List<Object> indices = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      indices.add(p);
    }
    this.allPartitions = scala.jdk.javaapi.CollectionConverters.asScala(indices).toList();
    data.putAll(cached);
  }

  private static Map<DataSplit, JavaRDD<Part>> cacheAll(JavaSparkContext sc,
      BatchSchedule schedule, RowSource train, RowSource val, RowSource test, int partitions,
      StorageLevel storage) {
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
          LOAD_BYTES.addAndGet(r[1]);
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
      throw SparkEngine.<RuntimeException>rethrow(e.getCause());
    } finally {
      counts.values().forEach(f -> f.cancel(true));
    }
    return cached;
  }

  /** Bytes read from files by the executors to build the cached datasets, in this JVM so far. */
  private static final java.util.concurrent.atomic.AtomicLong LOAD_BYTES =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Bytes the executors read from files to build every Spark engine's cached datasets since this
   * JVM started (Hadoop's file system statistics of the loading tasks): bench's figure for "the
   * data is read once, not once per partition".
   */
  public static long loadBytesRead() {
    return LOAD_BYTES.get();
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E rethrow(Throwable t) throws E {
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
    sc.setJobDescription(
        "epoch " + (epoch + 1) + " step " + (step + 1) + "/" + schedule.stepsPerEpoch());
    long t0 = System.nanoTime();
    Broadcast<Params> bc = sc.broadcast(new Params(params));
    long t1 = System.nanoTime();
    try {
      StepFunction f = new StepFunction(bc, net, schedule, epoch, step);
      CanonicalSum<GradientSum> sum = new CanonicalSum<>(partitions, GradientSum::merge);
      long compute = 0;
      long t2;
      if (aggregation == Aggregation.DIRECT) {
        PartResult[] results = new PartResult[partitions];
        sc.sc().runJob(data.get(DataSplit.TRAIN).rdd(), f, allPartitions,
            new Collect(results), scala.reflect.ClassTag$.MODULE$.apply(PartResult.class));
        t2 = System.nanoTime();
        for (int p = 0; p < partitions; p++) {
          sum.add(p, results[p].sum());
          compute = Math.max(compute, results[p].nanos());
        }
      } else {
        Function2<CanonicalSum<GradientSum>, CanonicalSum<GradientSum>, CanonicalSum<GradientSum>>
            comb = CanonicalSum::merge;
        sum = data.get(DataSplit.TRAIN).treeAggregate(sum, f, comb, treeDepth(partitions));
        t2 = System.nanoTime();
      }
      GradientSum result = sum.result();
      long t3 = System.nanoTime();
      bc.destroy();
      times.add(new StepTimes(t1 - t0, t2 - t1, compute, t3 - t2, System.nanoTime() - t3));
      return result;
    } catch (RuntimeException e) {
      bc.destroy();
      throw e;
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

  /** The per-step times recorded since the engine was built or last reset. */
  public List<StepTimes> stepTimes() {
    return List.copyOf(times);
  }

  public void resetStepTimes() {
    times.clear();
  }

  public Aggregation aggregation() {
    return aggregation;
  }

  /**
   * A second aggregation stage only pays off with many partitions; below that it adds a stage's fixed
   * cost to every step.
   */
  static int treeDepth(int partitions) {
    return partitions > 16 ? 2 : 1;
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
    sc.setJobDescription("evaluate " + split.name().toLowerCase(java.util.Locale.ROOT));
    Broadcast<Params> bc = sc.broadcast(new Params(params));
    try {
      Network network = net;
      int classes = net.classes();
      CanonicalSum<Evaluation> zero =
          new CanonicalSum<>(rdd.getNumPartitions(), Evaluation::merge);
      CanonicalSum<Evaluation> sum = rdd.treeAggregate(zero,
          (acc, part) -> {
            Evaluation ev = new Evaluation(classes);
            Batches.evaluate(network, bc.value().values(), part.block(), ev);
            return acc.add(part.index(), ev);
          },
          CanonicalSum::merge, treeDepth(rdd.getNumPartitions()));
      return sum.result();
    } finally {
      bc.destroy();
    }
  }

  @Override
  public String describe() {
    return "spark " + sc.master() + ", " + partitions + " partitions";
  }

  /** Frees the cached datasets; the SparkContext stays up (it belongs to the caller). */
  @Override
  public void close() {
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
   * Spark's closure cleaner has nothing to do, and usable both as runJob's function and as
   * treeAggregate's sequential operation.
   */
  static final class StepFunction
      extends scala.runtime.AbstractFunction2<TaskContext, scala.collection.Iterator<Part>, PartResult>
      implements Function2<CanonicalSum<GradientSum>, Part, CanonicalSum<GradientSum>>,
          java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private final Broadcast<Params> params;
    private final Network net;
    private final BatchSchedule schedule;
    private final int epoch;
    private final int step;

    StepFunction(
        Broadcast<Params> params, Network net, BatchSchedule schedule, int epoch, int step) {
      this.params = params;
      this.net = net;
      this.schedule = schedule;
      this.epoch = epoch;
      this.step = step;
    }

    /** runJob: the partition holds exactly one Part. */
    @Override
    public PartResult apply(TaskContext context, scala.collection.Iterator<Part> parts) {
      Part part = parts.next();
      long start = System.nanoTime();
      GradientSum sum = partitionSum(net, schedule, params.value().values(), part, epoch, step);
      return new PartResult(sum, System.nanoTime() - start);
    }

    /** treeAggregate's sequential operation. */
    @Override
    public CanonicalSum<GradientSum> call(CanonicalSum<GradientSum> acc, Part part) {
      return acc.add(part.index(),
          partitionSum(net, schedule, params.value().values(), part, epoch, step));
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

  /**
   * Per-thread scratch of a task: the batch matrix, labels, ids and layer buffers, reused from step
   * to step (tasks run one per thread; the gradient array is not reused: it is the task's result).
   */
  private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

  private record Scratch(String key, int[] ids, double[] x, double[] y, Network.Workspace ws) {
    /** For up to `rows` ids, computed in passes of at most Batches.CHUNK rows. */
    static Scratch of(Network net, int rows) {
      String key = net.describe() + "/" + rows;
      Scratch s = SCRATCH.get();
      if (s == null || !s.key.equals(key)) {
        int m = Batches.matrixRows(rows);
        s = new Scratch(key, new int[rows], new double[m * net.inputSize()], new double[m],
            net.workspace(m));
        SCRATCH.set(s);
      }
      return s;
    }
  }

  /** Loss and gradient sums of the rows of batch (epoch, step) that this part holds. */
  static GradientSum partitionSum(
      Network net, BatchSchedule schedule, double[] params, Part part, int epoch, int step) {
    RowBlock block = part.block();
    int lo = part.firstId();
    // a partition holds at most its own rows of a batch, computed CHUNK rows at a time: a full
    // batch of 60,000 MNIST rows would otherwise be a 376 MB matrix per task
    Scratch s = Scratch.of(net, Math.max(1, Math.min(schedule.batchSize(), block.rows())));
    int n = schedule.batch(epoch, step, lo, lo + block.rows(), s.ids());
    if (n == 0) {
      return new GradientSum();
    }
    double[] grad = new double[net.numParams()];
    double loss = Batches.gradient(net, params, block, lo, s.ids(), n, s.x(), s.y(), grad, s.ws());
    return new GradientSum(loss, n, grad);
  }
}
