package io.gradspark.spark;

import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.eval.Evaluation;
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
 * and computes the loss and gradient SUMS with the same core code as the {@code LocalEngine}; a
 * {@code treeAggregate} brings the sums back, combined in a fixed order ({@link CanonicalSum}) so the
 * result does not depend on which task finishes first; the broadcast is destroyed. Partitions without
 * rows in the batch contribute an empty sum (no array at all).
 */
public final class SparkEngine implements GradientEngine {
  private final JavaSparkContext sc;
  private final Network net;
  private final BatchSchedule schedule;
  private final int partitions;
  private final Map<DataSplit, JavaRDD<Part>> data = new EnumMap<>(DataSplit.class);

  /**
   * Builds and caches the datasets (val and test may be null) and materialises them, so that bad
   * data fails here, before training. partitions >= 1.
   */
  public SparkEngine(
      JavaSparkContext sc, Network net, BatchSchedule schedule, RowSource train, RowSource val,
      RowSource test, int partitions, StorageLevel storage) {
    if (train.rows() != schedule.rows()) {
      throw new IllegalArgumentException(
          "Expected " + schedule.rows() + " training rows but found " + train.rows());
    }
    this.sc = sc;
    this.net = net;
    this.schedule = schedule;
    this.partitions = partitions;
    sc.setJobDescription("load and cache data");
    data.put(DataSplit.TRAIN, cache(sc, train, partitions, storage, "train"));
    if (val != null) {
      data.put(DataSplit.VALIDATION, cache(sc, val, partitions, storage, "validation"));
    }
    if (test != null) {
      data.put(DataSplit.TEST, cache(sc, test, partitions, storage, "test"));
    }
  }

  /** An RDD of P parts of source, cached with the given storage level and materialised. */
  static JavaRDD<Part> cache(
      JavaSparkContext sc, RowSource source, int partitions, StorageLevel storage, String name) {
    List<Integer> indices = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      indices.add(p);
    }
    int n = source.rows();
    JavaRDD<Part> rdd = sc.parallelize(indices, partitions)
        .map(p -> {
          int lo = (int) ((long) p * n / partitions);
          int hi = (int) ((long) (p + 1) * n / partitions);
          return new Part(p, lo, source.load(lo, hi));
        })
        .setName(name + ": " + source.describe())
        .persist(storage);
    long rows = rdd.map(part -> part.block().rows()).reduce(Integer::sum);
    if (rows != n) {
      throw new IllegalStateException("Expected " + n + " " + name + " rows but cached " + rows);
    }
    return rdd;
  }

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
    Broadcast<double[]> bc = sc.broadcast(params);
    try {
      StepFunction seq = new StepFunction(bc, net, schedule, epoch, step);
      Function2<CanonicalSum<GradientSum>, CanonicalSum<GradientSum>, CanonicalSum<GradientSum>>
          comb = CanonicalSum::merge;
      CanonicalSum<GradientSum> zero = new CanonicalSum<>(partitions, GradientSum::merge);
      CanonicalSum<GradientSum> sum =
          data.get(DataSplit.TRAIN).treeAggregate(zero, seq, comb, treeDepth(partitions));
      return sum.result();
    } finally {
      bc.destroy();
    }
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
    Broadcast<double[]> bc = sc.broadcast(params);
    try {
      Network network = net;
      int classes = net.classes();
      CanonicalSum<Evaluation> zero = new CanonicalSum<>(partitions, Evaluation::merge);
      CanonicalSum<Evaluation> sum = rdd.treeAggregate(zero,
          (acc, part) -> {
            Evaluation ev = new Evaluation(classes);
            Batches.evaluate(network, bc.value(), part.block(), ev);
            return acc.add(part.index(), ev);
          },
          CanonicalSum::merge, treeDepth(partitions));
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

  /** The per-partition work of one step, as a serializable function object. */
  static final class StepFunction
      implements Function2<CanonicalSum<GradientSum>, Part, CanonicalSum<GradientSum>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<double[]> params;
    private final Network net;
    private final BatchSchedule schedule;
    private final int epoch;
    private final int step;

    StepFunction(
        Broadcast<double[]> params, Network net, BatchSchedule schedule, int epoch, int step) {
      this.params = params;
      this.net = net;
      this.schedule = schedule;
      this.epoch = epoch;
      this.step = step;
    }

    @Override
    public CanonicalSum<GradientSum> call(CanonicalSum<GradientSum> acc, Part part) {
      return acc.add(part.index(), partitionSum(net, schedule, params.value(), part, epoch, step));
    }
  }

  /** Loss and gradient sums of the rows of batch (epoch, step) that this part holds. */
  static GradientSum partitionSum(
      Network net, BatchSchedule schedule, double[] params, Part part, int epoch, int step) {
    RowBlock block = part.block();
    int lo = part.firstId();
    int[] ids = new int[schedule.batchSize()];
    int n = schedule.batch(epoch, step, lo, lo + block.rows(), ids);
    if (n == 0) {
      return new GradientSum();
    }
    double[] x = new double[n * net.inputSize()];
    double[] y = new double[n];
    double[] grad = new double[net.numParams()];
    double loss =
        Batches.gradient(net, params, block, lo, ids, n, x, y, grad, net.workspace(n));
    return new GradientSum(loss, n, grad);
  }
}
