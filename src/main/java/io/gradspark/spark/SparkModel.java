package io.gradspark.spark;

import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainedModel;
import io.gradspark.data.RowBlock;
import io.gradspark.eval.Evaluation;
import io.gradspark.nn.Network;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;

/**
 * A {@link TrainedModel} that scores RDDs on the executors: a distributed forward pass, each
 * partition its own rows, nothing collected on the driver but the evaluation's counts.
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
   * transformations are; the weights travel in one broadcast.
   */
  public JavaRDD<Vector> predict(JavaRDD<Vector> features) {
    Broadcast<double[]> params = sc.broadcast(model.parameters());
    return features.mapPartitions(new Predict(model.network(), params, model.scale()), true);
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
      RddSource data = new RddSource(sc, spec, rows, null, null);
      try (GradientEngine engine = data.create(spec.schedule(data.rows(DataSplit.TRAIN)))) {
        return engine.evaluate(model.parameters(), DataSplit.TRAIN);
      }
    });
  }

  /** One partition's outputs, computed Batches.CHUNK rows at a time as predict does locally. */
  private record Predict(Network net, Broadcast<double[]> params, double scale)
      implements FlatMapFunction<Iterator<Vector>, Vector> {
    @Override
    public Iterator<Vector> call(Iterator<Vector> rows) {
      RowBlock block = RddSource.block(rows, net.inputSize());
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
