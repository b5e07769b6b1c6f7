package io.gradspark.spark;

import io.gradspark.train.CanonicalSum;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainedModel;
import io.gradspark.data.DataChecks;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.eval.Evaluation;
import io.gradspark.nn.Network;
import io.gradspark.train.Batches;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;

/**
 * A {@link TrainedModel} that scores on the executors: a distributed forward pass, each partition
 * its own rows, nothing collected on the driver but the evaluation's counts. The rows are an
 * application's RDD, or a {@link RowSource} (a data path on any Hadoop file system), which each
 * task reads itself: partition p of P loads rows [p N / P, (p+1) N / P), as training partitions
 * them, so the outputs come in input order, partition by partition. The parameters travel in one
 * broadcast per call.
 */
public final class SparkModel {
  private final JavaSparkContext sc;
  private final TrainedModel model;

  SparkModel(JavaSparkContext sc, TrainedModel model) {
    this.sc = sc;
    this.model = model;
  }

  /** The model itself: parameters, history, summary. */
  public TrainedModel model() {
    return model;
  }

  /** Writes model.npz. */
  public void save(Path file) {
    model.save(file);
  }

  /**
   * The head's outputs for every row, in the input's order and partitioning: softmax
   * probabilities, the sigmoid probability of class 1, or the raw MSE outputs. Lazy, as Spark
   * transformations are; the weights travel in one broadcast. A row that is null, of another
   * size, or holds NaN or an infinity fails the job that computes it, its cause a
   * {@link io.gradspark.GradsparkException} naming the partition and row
   * ({@link io.gradspark.GradsparkException#find} finds it in Spark's exception).
   */
  public JavaRDD<Vector> predict(JavaRDD<Vector> features) {
    Broadcast<double[]> params = sc.broadcast(model.parameters());
    if (features == null) {
      throw new io.gradspark.GradsparkException("The RDD to predict is null",
          "pass an RDD of feature vectors");
    }
    return features.mapPartitionsWithIndex(new Predict(model.network(), params, model.scale()),
        true);
  }

  /**
   * Loss, accuracy and confusion counts on labelled rows, prepared as in training (one-vs-all,
   * scale, labels checked); partition results are merged in a fixed order.
   */
  public Evaluation evaluate(JavaRDD<LabeledVector> rows) {
    RunSpec spec = RunSpec.builder(model.network())
        .prepare(RunSpec.DataPrep.scaledBy(model.scale()).withOneVsAll(model.oneVsAll()))
        .storage(RunSpec.Storage.MEMORY_AND_DISK)
        .build();
    return Gradspark.userErrors(() -> {
      RddSource data = new RddSource(sc, spec, rows, null, null, "evaluation RDD");
      try (GradientEngine engine = data.create(spec.schedule(data.rows(DataSplit.TRAIN)))) {
        return engine.evaluate(model.parameters(), DataSplit.TRAIN);
      }
    });
  }

  /**
   * The outputs of one partition of a {@link RowSource}: rows [firstId, firstId + rows) of the
   * input, rows x outputSize values, row-major (as {@link TrainedModel#predict} returns them).
   */
  public record Scores(int partition, int firstId, int rows, double[] values)
      implements java.io.Serializable {}

  /**
   * The head's outputs for every row of input (raw features, scaled here as in training), one
   * {@link Scores} per partition, in input order: the executors read their own rows. partitions:
   * 0 for the context's default parallelism; at most one per row. Lazy, as Spark transformations
   * are; the outputs are bit-identical to {@link TrainedModel#predict} on the whole input.
   */
  public JavaRDD<Scores> predict(RowSource input, int partitions) {
    DataChecks.checkModelInput(input, model.network().inputSize(), "input");
    int p = partitions(input, partitions);
    Broadcast<SparkEngine.Params> params = sc.broadcast(new SparkEngine.Params(
        model.parameters()));
    return SparkEngine.parts(sc, input, p, "predict")
        .map(new ScorePart(model.network(), params, model.scale()));
  }

  /**
   * Loss, accuracy and confusion counts on a labelled {@link RowSource}, prepared as in training
   * ({@link TrainedModel#prepare}: features and labels checked, one-vs-all, scale), each
   * partition's rows read and scored by its task; the partitions' results are merged in a fixed
   * order ({@link CanonicalSum}), so the figures do not depend on which task finishes first.
   * Counts and accuracy equal {@link TrainedModel#evaluate}'s exactly; the loss sum is added in
   * another order, so it may differ in the last bits. partitions: 0 for the context's default
   * parallelism; at most one per row.
   */
  public Evaluation evaluate(RowSource raw, int partitions) {
    RowSource s = model.prepare(raw, "evaluation");
    int p = partitions(s, partitions);
    HadoopConf.driver(sc);
    sc.setJobDescription("evaluate " + s.describe());
    Broadcast<SparkEngine.Params> bc = sc.broadcast(new SparkEngine.Params(model.parameters()));
    try {
      return Gradspark.userErrors(() -> SparkEngine.evaluateParts(sc,
          SparkEngine.parts(sc, s, p, "evaluate"), model.network(), bc));
    } finally {
      bc.destroy();
      sc.setJobDescription(null);
    }
  }

  /**
   * Predicts every row of input on the executors and writes the predictions CSV under target (a
   * path on any Hadoop file system): see {@link PredictionFiles}. Returns what was written.
   */
  public PredictionFiles.Written writePredictions(RowSource input, int partitions, String target,
      boolean singleFile) {
    PredictionFiles.checkTarget(target, singleFile);
    PredictionFiles out = PredictionFiles.create(target, singleFile);
    return out.write(this, input, partitions);
  }

  /**
   * The partitions {@link #predict(RowSource, int)} and {@link #evaluate(RowSource, int)} score
   * input in: partitions, or the context's default parallelism for 0; at most one per row.
   */
  public int partitions(RowSource input, int partitions) {
    if (partitions < 0) {
      throw new io.gradspark.GradsparkException("partitions must be >= 0 but was " + partitions,
          "e.g. 8, or 0 for the Spark context's default parallelism");
    }
    int p = partitions > 0 ? partitions : sc.defaultParallelism();
    return Math.max(1, Math.min(p, input.rows()));
  }

  JavaSparkContext sc() {
    return sc;
  }

  /** One partition's outputs, as {@link TrainedModel#predict} computes them in one JVM. */
  private record ScorePart(Network net, Broadcast<SparkEngine.Params> params, double scale)
      implements org.apache.spark.api.java.function.Function<Part, Scores> {
    @Override
    public Scores call(Part part) {
      RowBlock block = part.block();
      double[] out = TrainedModel.predict(net, params.value().values(),
          scale == 1.0 ? block : block.scaled(scale));
      return new Scores(part.index(), part.firstId(), block.rows(), out);
    }
  }

  /** One partition's outputs, computed Batches.CHUNK rows at a time as predict does locally. */
  private record Predict(Network net, Broadcast<double[]> params, double scale)
      implements Function2<Integer, Iterator<Vector>, Iterator<Vector>> {
    @Override
    public Iterator<Vector> call(Integer partition, Iterator<Vector> rows) {
      RowBlock block = RddSource.block(rows, net.inputSize(), partition);
      if (scale != 1.0) {
        block = block.scaled(scale);
      }
      double[] out = TrainedModel.predict(net, params.value(), block);
      int k = net.outputSize();
      List<Vector> result = new ArrayList<>(block.rows());
      for (int r = 0; r < block.rows(); r++) {
        result.add(Vectors.dense(java.util.Arrays.copyOfRange(out, r * k, (r + 1) * k)));
      }
      return result.iterator();
    }
  }
}
