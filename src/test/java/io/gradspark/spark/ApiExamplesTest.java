package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainedModel;
import io.gradspark.api.TrainingJob;
import io.gradspark.config.RunSpecs;
import io.gradspark.data.CsvSource;
import io.gradspark.data.IdxSource;
import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.eval.Evaluation;
import io.gradspark.io.ModelFile;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.onnx.OnnxExport;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library API's examples, run on 600 MNIST rows against the shared test SparkContext. Each
 * {@code // region NAME ... // endregion} below is shown verbatim in src/site/markdown/api.md (and
 * the first in README.md); {@code DocsSnippetsTest} fails when a page's block differs from its
 * region, so the docs show code that compiles and runs. The variables a region uses and does not
 * declare (df, jsc, testRows, dir, ...) are the fields below; the page says what they are.
 */
class ApiExamplesTest {
  private static final int ROWS = 600;
  private static final int TEST_ROWS = 200;

  @TempDir
  static Path dir;

  private static JavaSparkContext jsc;
  private static Dataset<Row> df;
  private static JavaRDD<LabeledVector> testRows;
  private static String csv;

  @BeforeAll
  static void data() throws IOException {
    jsc = SharedSpark.get();
    RowBlock train = new IdxSource(Path.of("data/mnist/train-images-idx3-ubyte.gz"),
        Path.of("data/mnist/train-labels-idx1-ubyte.gz")).load(0, ROWS);
    RowBlock test = new IdxSource(Path.of("data/mnist/t10k-images-idx3-ubyte.gz"),
        Path.of("data/mnist/t10k-labels-idx1-ubyte.gz")).load(0, TEST_ROWS);
    df = dataFrame(train);
    testRows = dataFrame(test).select("label", "features").javaRDD()
        .map(r -> new LabeledVector(r.getDouble(0), r.getAs(1)));
    // the test rows as a CSV of raw pixels, label first: a data path the executors read
    StringBuilder s = new StringBuilder();
    for (int r = 0; r < test.rows(); r++) {
      s.append((int) test.label(r));
      for (int j = 0; j < test.cols(); j++) {
        s.append(',').append((int) test.feature(r, j));  // IdxSource keeps raw pixels
      }
      s.append('\n');
    }
    csv = Files.writeString(dir.resolve("test.csv"), s).toString();
  }

  /** label (double) and features (a Spark ML vector of raw pixels 0..255), 2 partitions. */
  private static Dataset<Row> dataFrame(RowBlock b) {
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < b.rows(); r++) {
      double[] x = new double[b.cols()];
      for (int j = 0; j < b.cols(); j++) {
        x[j] = b.feature(r, j);  // raw pixels 0..255, as IdxSource gives them
      }
      rows.add(RowFactory.create(b.label(r), Vectors.dense(x)));
    }
    StructType schema = new StructType(new StructField[] {
        new StructField("label", DataTypes.DoubleType, false, Metadata.empty()),
        new StructField("features", new VectorUDT(), false, Metadata.empty())});
    return SparkSession.builder().getOrCreate()
        .createDataFrame(jsc.parallelize(rows, 2), schema);
  }

  /** The README's and the API page's first example; the builder's spec trains the same model. */
  @Test
  void trainFromADataFrameAndTheBuilderMatchesTheConfig() {
    // region dataframe
    JavaRDD<LabeledVector> rows = df.select("label", "features").javaRDD()
        .map(r -> new LabeledVector(r.getDouble(0), r.getAs(1)));
    RunSpec spec = RunSpecs.load(Path.of("conf/mnist.conf"),
        List.of("data.validation.holdout=0"), "app").spec();  // validation comes as an RDD
    SparkModel model = Gradspark.fit(jsc, rows, null /* validation RDD */, spec);
    // or from a Parquet path the executors read (a file, a directory of part files, a glob):
    // Gradspark.fit(jsc, ParquetSource.vector(path, "label", "features", new SparkSplitTasks(jsc)), spec)
    model.save(dir.resolve("model.npz"));                      // NumPy-readable
    Evaluation test = model.evaluate(testRows);                 // on the executors
    System.out.printf("test accuracy %.2f%%%n", 100 * test.accuracy());
    // endregion
    assertEquals(TEST_ROWS, test.count());
    assertTrue(test.accuracy() > 0.5, "12 steps on 600 rows learn something: " + test.accuracy());
    assertArrayEquals(model.model().parameters(),
        ModelFile.load(dir.resolve("model.npz")).params());

    // region builder
    Network net = new Network(new int[] {784, 64, 10}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY);
    RunSpec inCode = RunSpec.builder(net)
        .init(Initializer.HE_NORMAL)
        .seed(42)
        .epochs(4)
        .batchSize(256)
        .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.HEAVY_BALL, 0.9, 0.0,
            new LearningRateSchedule.Cosine(0.3, 0.0)))
        .prepare(RunSpec.DataPrep.scaledBy(1 / 255.0))
        .build();
    // endregion
    double[] fromConfig = model.model().parameters();
    double[] fromBuilder = Gradspark.fit(jsc, rows, null, inCode).model().parameters();
    double maxDiff = 0;
    for (int i = 0; i < fromConfig.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(fromConfig[i] - fromBuilder[i]));
    }
    System.out.printf("builder vs conf/mnist.conf: max |difference| %.3e%n", maxDiff);
    assertArrayEquals(fromConfig, fromBuilder, "the builder example is conf/mnist.conf in code");
  }

  @Test
  void scoreRddsAndDataPaths() throws IOException {
    // scoring needs a model, not a good one: conf/mnist.conf's network at its seeded start
    RunSpec spec = RunSpecs.load(Path.of("conf/mnist.conf"), List.of(), "app").spec();
    TrainedModel trained = new TrainedModel(spec.network(), TrainingJob.initialParameters(spec),
        spec.data().scale(), -1, java.util.Map.of(), null, java.util.Map.of());
    trained.save(dir.resolve("scored.npz"));
    String modelFile = dir.resolve("scored.npz").toString();
    String out = dir.resolve("predictions").toString();

    // region score
    SparkModel model = Gradspark.of(jsc, TrainedModel.load(modelFile));  // any Hadoop path
    JavaRDD<Vector> features = testRows.map(LabeledVector::features);
    JavaRDD<Vector> probabilities = model.predict(features);  // in input order
    Evaluation test = model.evaluate(testRows);   // accuracy(), meanLoss(), confusion
    // data the executors read themselves: CsvSource, LibsvmSource, ParquetSource, ...
    RowSource source = new CsvSource(csv, 0, false, ',', new SparkSplitTasks(jsc));
    JavaRDD<SparkModel.Scores> parts = model.predict(source, 4);  // one per partition
    model.writePredictions(source, 4, out, false);  // part files, as predict --master does
    // endregion

    List<Vector> p = probabilities.collect();
    assertEquals(TEST_ROWS, p.size());
    assertEquals(10, p.get(0).size());
    assertEquals(TEST_ROWS, test.count());
    // the CSV holds the same rows: the same accuracy from a data path as from the RDD
    assertEquals(test.correct(), model.evaluate(source, 4).correct());
    int scored = 0;
    for (SparkModel.Scores s : parts.collect()) {
      scored += s.rows();
    }
    assertEquals(TEST_ROWS, scored);
    assertTrue(Files.exists(Path.of(out, "_SUCCESS")), "predictions written under " + out);
  }

  @Test
  void trainInOneJvmWithoutSpark() {
    // region local
    RowSource data = new MoonsSource(3750, 0.1, 1);  // or CsvSource, IdxSource, InMemorySource
    RunSpec spec = RunSpecs.load(Path.of("conf/experiments/moons.conf"),
        List.of("training.epochs=2"), "moons").spec();
    TrainedModel model;
    try (TrainingJob job = TrainingJob.start(spec,
        Engines.local().over(spec, Datasets.prepare(spec, data, null)), "my-app")) {
      model = job.fit(TrainingListener.NONE, Trainer.Checkpoints.NONE);
    }
    System.out.println("train loss " + model.summary().get("train_loss"));
    // endregion
    assertEquals(2, model.history().size());
    assertTrue((double) model.summary().get("train_loss") < 0.3,
        "two moons are learnt in 2 epochs: " + model.summary().get("train_loss"));
  }

  @Test
  void exportToOnnx() throws IOException {
    TrainedModel trained = new TrainedModel(new Network(new int[] {2, 3, 2},
        List.of(Activation.RELU), Head.SOFTMAX_CROSS_ENTROPY),
        new double[] {1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0}, 1.0, -1,
        java.util.Map.of(), null, java.util.Map.of());
    SparkModel model = Gradspark.of(jsc, trained);

    // region onnx
    model.model().exportOnnx(dir.resolve("model.onnx"), OnnxExport.DType.FLOAT32);
    // endregion
    assertTrue(Files.size(dir.resolve("model.onnx")) > 0);
  }
}
