package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.io.ModelFile;
import io.gradspark.spark.SparkEngine;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.LocalEngine;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;

/** Building a run's engine and starting parameters from its settings. */
final class Engines {
  private Engines() {}

  /** The local engine, with every dataset loaded into this JVM (labels checked while loading). */
  static LocalEngine local(RunSpec spec, BatchSchedule schedule) {
    return new LocalEngine(spec.net, schedule, all(spec.train), all(spec.validation),
        all(spec.test));
  }

  /**
   * The Spark engine on sc; partitions 0 means the context's default parallelism. Without
   * evaluation sets, only the training rows are cached.
   */
  static SparkEngine spark(JavaSparkContext sc, RunSpec spec, BatchSchedule schedule,
      int partitions, boolean evaluationSets) {
    int p = partitions > 0 ? partitions : sc.defaultParallelism();
    return spark(sc, spec, schedule, p, evaluationSets, SparkEngine.Aggregation.auto(p));
  }

  /** As above with a given partition count (>= 1) and aggregation. */
  static SparkEngine spark(JavaSparkContext sc, RunSpec spec, BatchSchedule schedule,
      int partitions, boolean evaluationSets, SparkEngine.Aggregation aggregation) {
    return new SparkEngine(sc, spec.net, schedule, spec.train,
        evaluationSets ? spec.validation : null, evaluationSets ? spec.test : null, partitions,
        StorageLevel.fromString(spec.storageLevel), aggregation);
  }

  private static RowBlock all(RowSource s) {
    return s == null ? null : s.load(0, s.rows());
  }

  /** Random initialisation from the seed, or model.init-from (which must match model.layers). */
  static double[] initialParameters(RunSpec spec) {
    if (spec.initFrom.isEmpty()) {
      return spec.net.initialParameters(spec.init, spec.seed);
    }
    ModelFile.Loaded m = ModelFile.load(Path.of(spec.initFrom));
    if (!Arrays.equals(m.net().sizes(), spec.net.sizes())) {
      throw new GradsparkException("model.init-from " + spec.initFrom + " has layers "
          + Arrays.toString(m.net().sizes()) + " but model.layers is "
          + Arrays.toString(spec.net.sizes()), "make model.layers match the model file");
    }
    return m.params();
  }

  /** Which BLAS the math runs on (native OpenBLAS, Java vector API, or plain Java). */
  static String blasName() {
    return io.gradspark.nn.Dense.blas().getClass().getSimpleName();
  }
}
