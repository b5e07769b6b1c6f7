package io.gradspark.spark;

import io.gradspark.GradsparkException;
import io.gradspark.api.Datasets;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainedModel;
import io.gradspark.api.TrainingJob;
import io.gradspark.data.RowSource;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Training inside a Spark application, on RDDs it already holds. Each step broadcasts the weights;
 * every partition of {@code train} sums the loss and gradient of its rows of the global batch; the
 * driver applies the optimizer. The RDD's partitioning is the data-parallel split (spec.partitions()
 * is not used), and the same partitioning gives a bit-identical model.
 *
 * <pre>{@code
 * SparkModel model = Gradspark.fit(jsc, train, validation, spec);   // validation may be null
 * model.save(Path.of("model.npz"));
 * JavaRDD<Vector> probabilities = model.predict(features);
 * }</pre>
 *
 * Errors a caller can fix (a bad label, a row of the wrong size, found on an executor) are thrown
 * as {@link GradsparkException}s with the message and hint the command line prints.
 */
public final class Gradspark {
  private Gradspark() {}

  /** Trains spec's network on train (validation may be null) and returns the model. */
  public static SparkModel fit(JavaSparkContext sc, JavaRDD<LabeledVector> train,
      JavaRDD<LabeledVector> validation, RunSpec spec) {
    return fit(sc, train, validation, spec, TrainingListener.NONE);
  }

  /** As above, with progress callbacks on the driver thread. */
  public static SparkModel fit(JavaSparkContext sc, JavaRDD<LabeledVector> train,
      JavaRDD<LabeledVector> validation, RunSpec spec, TrainingListener listener) {
    if (spec.data().holdout() > 0) {
      throw new GradsparkException("spec holds out " + spec.data().holdout()
          + " validation rows, but RDD training takes its validation set as an RDD",
          "pass a validation RDD (e.g. from train.randomSplit) and a holdout of 0");
    }
    RunSpec given = validation != null ? spec.withValidationGiven() : spec;
    return userErrors(() -> {
      RddSource source = new RddSource(sc, given, train, validation, null);
      // rows with weights of their own make the reported training loss a weighted mean
      RunSpec s = source.weighted()
          ? given.toBuilder().prepare(given.data().withRowWeights()).build() : given;
      try (TrainingJob job = TrainingJob.start(s, source, "application " + sc.appName())) {
        return new SparkModel(sc, job.fit(listener, Trainer.Checkpoints.NONE));
      }
    });
  }

  /**
   * Trains spec's network on a file dataset the executors read (a {@link
   * io.gradspark.data.ParquetSource} or {@link io.gradspark.data.CsvSource} counted with {@link
   * SparkSplitTasks}), in spec.partitions() partitions, as the train command does:
   *
   * <pre>{@code
   * SparkModel model = Gradspark.fit(jsc, ParquetSource.vector("hdfs:///data/train", "label",
   *     "features", new SparkSplitTasks(jsc)), spec);
   * }</pre>
   */
  public static SparkModel fit(JavaSparkContext sc, RowSource train, RunSpec spec) {
    return userErrors(() -> {
      Datasets data = Datasets.prepare(spec, train, null, null, new SparkSplitTasks(sc));
      try (TrainingJob job = TrainingJob.start(spec, new SparkEngines(sc).over(spec, data),
          "application " + sc.appName())) {
        return new SparkModel(sc, job.fit(TrainingListener.NONE, Trainer.Checkpoints.NONE));
      }
    });
  }

  /**
   * Runs work, turning a Spark failure caused by a user's mistake into its GradsparkException.
   * Spark throws its SparkException, a checked exception, from Scala code that Java sees as not
   * throwing it, so the catch is of Exception; anything else is rethrown as it is.
   */
  static <T> T userErrors(java.util.function.Supplier<T> work) {
    try {
      return work.get();
    } catch (Exception e) {
      GradsparkException g = GradsparkException.find(e);
      if (g != null) {
        throw g;
      }
      throw Gradspark.<RuntimeException>sneaky(e);
    }
  }

  @SuppressWarnings("unchecked")
  static <E extends Exception> E sneaky(Exception e) throws E {
    throw (E) e;
  }

  /** A model trained elsewhere (e.g. model.npz), to score RDDs with. */
  public static SparkModel of(JavaSparkContext sc, TrainedModel model) {
    return new SparkModel(sc, model);
  }
}
