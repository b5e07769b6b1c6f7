package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainedModel;
import io.gradspark.api.TrainingJob;
import io.gradspark.data.LibsvmSource;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.data.SparseRows;
import io.gradspark.data.SplitTasks;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.Vectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sparse rows kept sparse, on a small case: 3,000 LIBSVM rows of 1,000 features with about 20
 * nonzeros each and a planted linear model. Cached as compressed sparse rows (chosen by density,
 * or forced) the run equals the dense run to round-off, locally and on Spark, and Spark and
 * local agree for sparse rows as they do for dense; the API's SparseVector rows train the same
 * model; predictions agree; with dropout, sparse rows drop the units dense ones do and the
 * runs agree to round-off. Max differences printed.
 */
class SparseTrainingTest {
  private static final int ROWS = 3_000;
  private static final int FEATURES = 1_000;

  @TempDir
  static Path tmp;

  private static Path file;
  private static List<double[]> values = new ArrayList<>();
  private static List<int[]> indices = new ArrayList<>();
  private static double[] labels = new double[ROWS];

  /** Rows with ~20 nonzeros (1-based indices in the file), labelled by a planted linear model. */
  @BeforeAll
  static void generate() throws IOException {
    SplittableRandom rng = new SplittableRandom(17);
    double[] w = new double[FEATURES];
    for (int i = 0; i < FEATURES; i++) {
      w[i] = rng.nextGaussian();
    }
    StringBuilder s = new StringBuilder();
    for (int r = 0; r < ROWS; r++) {
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < FEATURES; i++) {
        if (rng.nextInt(50) == 0) {
          idx.add(i);
        }
      }
      int[] ix = idx.stream().mapToInt(Integer::intValue).toArray();
      double[] v = new double[ix.length];
      double dot = 0;
      for (int k = 0; k < ix.length; k++) {
        v[k] = Math.round(rng.nextDouble() * 1000) / 1000.0;
        dot += v[k] * w[ix[k]];
      }
      labels[r] = dot > 0 ? 1 : 0;
      indices.add(ix);
      values.add(v);
      s.append((int) labels[r]);
      for (int k = 0; k < ix.length; k++) {
        s.append(' ').append(ix[k] + 1).append(':').append(v[k]);
      }
      s.append('\n');
    }
    file = Files.writeString(tmp.resolve("small.libsvm"), s);
  }

  private static RunSpec spec(RunSpec.Engine engine) {
    return spec(engine, Precision.FLOAT64, 0);
  }

  private static RunSpec spec(RunSpec.Engine engine, Precision precision) {
    return spec(engine, precision, 0);
  }

  private static RunSpec spec(RunSpec.Engine engine, double dropout) {
    return spec(engine, Precision.FLOAT64, dropout);
  }

  /** The small case's run; dropout: the hidden layer's rate (0: none). */
  private static RunSpec spec(RunSpec.Engine engine, Precision precision, double dropout) {
    Network net = new Network(new int[] {FEATURES, 16, 2}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY).withPrecision(precision);
    return RunSpec.builder(dropout > 0 ? net.withDropout(dropout) : net)
        .epochs(3).batchSize(50).seed(3).engine(engine).partitions(3)
        .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.NESTEROV, 0.9, 0,
            new LearningRateSchedule.Constant(0.1)))
        .build();
  }

  private static TrainedModel train(RowSource source, RunSpec.Engine engine) {
    return train(source, spec(engine));
  }

  private static TrainedModel train(RowSource source, RunSpec.Engine engine,
      Precision precision) {
    return train(source, spec(engine, precision));
  }

  private static TrainedModel train(RowSource source, RunSpec spec) {
    RunSpec.Engine engine = spec.engine();
    Datasets data = Datasets.prepare(spec, source, null);
    var engines = engine == RunSpec.Engine.LOCAL ? Engines.local()
        : new SparkEngines(SharedSpark.get());
    try (TrainingJob job = TrainingJob.start(spec, engines.over(spec, data), "test")) {
      return job.fit(TrainingListener.NONE, Trainer.Checkpoints.NONE);
    }
  }

  private static double maxDiff(double[] a, double[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return worst;
  }

  private static double accuracy(TrainedModel m, RowBlock block) {
    double[] p = m.predict(block);
    int right = 0;
    for (int r = 0; r < block.rows(); r++) {
      int guess = p[2 * r + 1] > p[2 * r] ? 1 : 0;
      right += guess == block.label(r) ? 1 : 0;
    }
    return (double) right / block.rows();
  }

  @Test
  void sparseRowsTrainAsDenseOnesToRoundOffLocallyAndOnSpark() {
    SplitTasks tasks = new SparkSplitTasks(SharedSpark.get());
    LibsvmSource auto = new LibsvmSource(file.toString(), FEATURES, tasks);
    LibsvmSource dense = new LibsvmSource(file.toString(), FEATURES, tasks,
        SparseRows.Storage.DENSE);
    System.out.println(auto.describe());
    assertTrue(auto.sparse(), "2% nonzero: cached sparse in auto");
    assertFalse(dense.sparse());
    assertTrue(auto.load(0, 10).sparse() != null && dense.load(0, 10).sparse() == null);

    TrainedModel localDense = train(dense, RunSpec.Engine.LOCAL);
    TrainedModel localSparse = train(auto, RunSpec.Engine.LOCAL);
    TrainedModel sparkDense = train(dense, RunSpec.Engine.SPARK);
    TrainedModel sparkSparse = train(auto, RunSpec.Engine.SPARK);
    double sparseVsDenseLocal = maxDiff(localSparse.parameters(), localDense.parameters());
    double sparseVsDenseSpark = maxDiff(sparkSparse.parameters(), sparkDense.parameters());
    double sparkVsLocalDense = maxDiff(sparkDense.parameters(), localDense.parameters());
    double sparkVsLocalSparse = maxDiff(sparkSparse.parameters(), localSparse.parameters());
    System.out.printf("max |difference| of the parameters after %d steps: sparse vs dense "
        + "%.3e (local), %.3e (Spark); Spark vs local %.3e (dense), %.3e (sparse)%n",
        3 * ROWS / 50, sparseVsDenseLocal, sparseVsDenseSpark, sparkVsLocalDense,
        sparkVsLocalSparse);
    assertTrue(sparseVsDenseLocal <= 1e-9 && sparseVsDenseSpark <= 1e-9,
        "sparse and dense agree to round-off");
    assertTrue(sparkVsLocalSparse <= Math.max(1e-9, 100 * sparkVsLocalDense),
        "Spark and local agree for sparse rows as for dense");

    RowBlock rows = dense.load(0, ROWS);
    double[] pd = localDense.predict(rows);
    double[] ps = localDense.predict(auto.load(0, ROWS));
    System.out.printf("predictions from CSR vs dense rows: max |difference| %.3e; training "
        + "accuracy %.4f%n", maxDiff(pd, ps), accuracy(localDense, rows));
    assertTrue(maxDiff(pd, ps) <= 1e-12);
    assertTrue(accuracy(localSparse, rows) > 0.8, "the planted model is learnt");
  }

  /**
   * float32 on CSR rows (the sparse first layer in float): sparse and dense rows, local and
   * Spark, agree to float round-off after the same steps.
   */
  @Test
  void float32SparseRowsTrainAsDenseOnesToFloatRoundOffLocallyAndOnSpark() {
    SplitTasks tasks = new SparkSplitTasks(SharedSpark.get());
    LibsvmSource auto = new LibsvmSource(file.toString(), FEATURES, tasks);
    LibsvmSource dense = new LibsvmSource(file.toString(), FEATURES, tasks,
        SparseRows.Storage.DENSE);
    TrainedModel localDense = train(dense, RunSpec.Engine.LOCAL, Precision.FLOAT32);
    TrainedModel localSparse = train(auto, RunSpec.Engine.LOCAL, Precision.FLOAT32);
    TrainedModel sparkSparse = train(auto, RunSpec.Engine.SPARK, Precision.FLOAT32);
    double sparseVsDense = maxDiff(localSparse.parameters(), localDense.parameters());
    double sparkVsLocal = maxDiff(sparkSparse.parameters(), localSparse.parameters());
    System.out.printf("float32, max |difference| of the parameters after %d steps: sparse vs "
        + "dense %.3e (local); Spark vs local %.3e (sparse)%n", 3 * ROWS / 50, sparseVsDense,
        sparkVsLocal);
    assertTrue(sparseVsDense <= 1e-5 && sparkVsLocal <= 1e-5, "float round-off");
    assertTrue(accuracy(localSparse, dense.load(0, ROWS)) > 0.8, "the planted model is learnt");
  }

  private static List<LabeledVector> labeledRows() {
    List<LabeledVector> rows = new ArrayList<>();
    for (int r = 0; r < ROWS; r++) {
      rows.add(new LabeledVector(labels[r],
          Vectors.sparse(FEATURES, indices.get(r), values.get(r))));
    }
    return rows;
  }

  @Test
  void sparseParquetVectorsAreCachedSparseByTheirFooterCounts() {
    List<org.apache.spark.sql.Row> rows = new ArrayList<>();
    for (LabeledVector v : labeledRows()) {
      rows.add(org.apache.spark.sql.RowFactory.create(v.label(), v.features()));
    }
    org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
        .add("label", org.apache.spark.sql.types.DataTypes.DoubleType, false)
        .add("features", new org.apache.spark.ml.linalg.VectorUDT(), false);
    String dir = tmp.resolve("small-parquet").toString();
    org.apache.spark.sql.SparkSession.builder().sparkContext(SharedSpark.get().sc())
        .getOrCreate().createDataFrame(SharedSpark.get().parallelize(rows, 2), schema)
        .write().parquet(dir);
    io.gradspark.data.ParquetSource auto = io.gradspark.data.ParquetSource.vector(dir, "label",
        "features", new SparkSplitTasks(SharedSpark.get()));
    System.out.println(auto.describe());
    assertTrue(auto.sparse(), "2% of the values stored: cached sparse");
    TrainedModel fromParquet = train(auto, RunSpec.Engine.SPARK);
    TrainedModel fromFile = train(new LibsvmSource(file.toString(), FEATURES,
        SplitTasks.LOCAL, SparseRows.Storage.DENSE), RunSpec.Engine.SPARK);
    double d = maxDiff(fromParquet.parameters(), fromFile.parameters());
    System.out.printf("Parquet sparse vectors (cached sparse) vs the LIBSVM file cached dense: "
        + "max |difference| %.3e%n", d);
    assertTrue(d <= 1e-9, "to round-off");
  }

  @Test
  void theApisSparseVectorRowsTrainTheModelTheLibsvmFileDoes() {
    List<LabeledVector> rows = labeledRows();
    SparkModel api = Gradspark.fit(SharedSpark.get(), SharedSpark.get().parallelize(rows, 3),
        null, spec(RunSpec.Engine.SPARK, Precision.FLOAT64));
    TrainedModel fromFile = train(new LibsvmSource(file.toString(), FEATURES,
        SplitTasks.LOCAL, SparseRows.Storage.DENSE), RunSpec.Engine.SPARK);
    double d = maxDiff(api.model().parameters(), fromFile.parameters());
    System.out.printf("API SparseVector rows (cached sparse) vs the LIBSVM file cached dense: "
        + "max |difference| %.3e%n", d);
    assertEquals(fromFile.parameters().length, api.model().parameters().length);
    assertTrue(d <= 1e-9, "to round-off");
  }

  @Test
  void withDropoutSparseRowsTrainAsDenseOnesToRoundOff() {
    RunSpec spec = spec(RunSpec.Engine.LOCAL, 0.3);
    TrainedModel sparse = train(new LibsvmSource(file.toString(), FEATURES, SplitTasks.LOCAL,
        SparseRows.Storage.SPARSE), spec);
    TrainedModel dense = train(new LibsvmSource(file.toString(), FEATURES, SplitTasks.LOCAL,
        SparseRows.Storage.DENSE), spec);
    TrainedModel without = train(new LibsvmSource(file.toString(), FEATURES, SplitTasks.LOCAL,
        SparseRows.Storage.DENSE), spec(RunSpec.Engine.LOCAL));
    double d = maxDiff(sparse.parameters(), dense.parameters());
    double byDropout = maxDiff(dense.parameters(), without.parameters());
    System.out.printf("dropout 0.3, %d steps: sparse vs dense rows max |difference| %.3e (the "
        + "dropout moves the model by %.3e)%n", 3 * ROWS / 50, d, byDropout);
    assertTrue(byDropout > 1e-3, "dropout changes the training");
    assertTrue(d <= 1e-9, "sparse and dense rows drop the same units: to round-off");
  }

  /**
   * The large case of data-formats.md scaled to CI: 6,000 LIBSVM rows of 100,000 features with 50
   * nonzeros each, labelled by a planted linear model, trained on Spark. Held dense the rows
   * would take 4.8 GB, more than this test JVM's heap; cached as CSR they take about 12 bytes a
   * nonzero, and the network learns them.
   */
  @Test
  void oneHundredThousandFeaturesTrainOnSparkFromACacheOfBytesPerNonzero() throws IOException {
    int rows = 6_000;
    int features = 100_000;
    int nonzeros = 50;
    SplittableRandom rng = new SplittableRandom(25);
    double[] w = new double[features];
    for (int i = 0; i < features; i++) {
      w[i] = rng.nextGaussian();
    }
    StringBuilder s = new StringBuilder();
    for (int r = 0; r < rows; r++) {
      java.util.TreeMap<Integer, Double> x = new java.util.TreeMap<>();
      while (x.size() < nonzeros) {
        x.put(rng.nextInt(features), (1 + rng.nextInt(1000)) / 1000.0);
      }
      double dot = 0;
      for (var e : x.entrySet()) {
        dot += w[e.getKey()] * e.getValue();
      }
      s.append(dot > 0 ? 1 : 0);
      x.forEach((i, v) -> s.append(' ').append(i + 1).append(':').append(v));
      s.append('\n');
    }
    Path large = Files.writeString(tmp.resolve("large.libsvm"), s);
    LibsvmSource source = new LibsvmSource(large.toString(), features,
        new SparkSplitTasks(SharedSpark.get()));
    System.out.println(source.describe());
    assertTrue(source.sparse(), "0.05% nonzero: cached sparse");
    RunSpec spec = RunSpec.builder(new Network(new int[] {features, 4, 2},
            List.of(Activation.RELU), Head.SOFTMAX_CROSS_ENTROPY))
        .epochs(4).batchSize(100).seed(5).engine(RunSpec.Engine.SPARK).partitions(2)
        .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.NESTEROV, 0.9, 0,
            new LearningRateSchedule.Constant(0.1)))
        .build();
    TrainedModel model;
    double perRow;
    try (TrainingJob job = TrainingJob.start(spec, new SparkEngines(SharedSpark.get())
        .over(spec, Datasets.prepare(spec, source, null)), "test")) {
      perRow = (Double) job.engine().dataFigures().get("cache_bytes_per_row");
      model = job.fit(TrainingListener.NONE, Trainer.Checkpoints.NONE);
    }
    double trained = accuracy(model, source.load(0, rows));
    System.out.printf("100,000 features, %d rows: cache %.0f bytes a row (dense: %,d), training "
        + "accuracy %.4f after 4 epochs%n", rows, perRow, 8 * features, trained);
    assertTrue(perRow < 20 * nonzeros, "about 12 bytes a nonzero, not 8 a feature: " + perRow);
    assertTrue(trained > 0.75, "the planted model is learnt: " + trained);
  }
}
