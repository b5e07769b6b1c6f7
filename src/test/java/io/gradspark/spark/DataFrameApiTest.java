package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.GradsparkException;
import io.gradspark.api.RunSpec;
import io.gradspark.cli.Main;
import io.gradspark.data.IdxSource;
import io.gradspark.data.RowBlock;
import io.gradspark.eval.Evaluation;
import io.gradspark.io.ModelFile;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
 * The library API inside a Spark application: a real DataFrame with a {@code VectorUDT} column
 * (dense and sparse), turned into the API's RDD with the README's two lines, trains to the model
 * {@code train} makes from the same rows written to a CSV with the same partitions, bit for bit;
 * predict and evaluate on the RDD give the command line's figures.
 */
class DataFrameApiTest {
  private static final int ROWS = 900;
  private static final int TEST_ROWS = 300;
  private static final int PARTITIONS = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path tmp;

  private static RowBlock train;
  private static RowBlock test;
  private static Path trainCsv;
  private static Path testCsv;
  private static Path conf;

  @BeforeAll
  static void data() throws IOException {
    // MNIST digits: 784 pixel features, mostly zeros, so a sparse vector differs from a dense one
    train = new IdxSource(Path.of("data/mnist/train-images-idx3-ubyte.gz"),
        Path.of("data/mnist/train-labels-idx1-ubyte.gz")).load(0, ROWS);
    test = new IdxSource(Path.of("data/mnist/t10k-images-idx3-ubyte.gz"),
        Path.of("data/mnist/t10k-labels-idx1-ubyte.gz")).load(0, TEST_ROWS);
    trainCsv = writeCsv(tmp.resolve("train.csv"), train);
    testCsv = writeCsv(tmp.resolve("test.csv"), test);
    conf = tmp.resolve("api.conf");
    Files.writeString(conf, String.join("\n",
        "data.train { format = csv, path = \"" + trainCsv + "\", label-column = 0 }",
        "data.scale = 0.00392156862745098",
        "model { layers = [784, 32, 10], activation = relu, head = softmax, init = he-normal }",
        "optimizer { learning-rate = 0.2, momentum = 0.9, form = nesterov, schedule = cosine,"
            + " min-learning-rate = 0.002, weight-decay = 0.0001 }",
        "training { epochs = 2, batch-size = 64, seed = 7, partitions = " + PARTITIONS
            + ", checkpoint-every = off }", ""));
  }

  /** The same run in code, with the builder (every value as in api.conf). */
  private static RunSpec spec() {
    Network net = new Network(new int[] {784, 32, 10}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY);
    return RunSpec.builder(net)
        .name("api")
        .init(Initializer.HE_NORMAL)
        .seed(7)
        .epochs(2)
        .batchSize(64)
        .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.NESTEROV, 0.9, 0.0001,
            new LearningRateSchedule.Cosine(0.2, 0.002)))
        .prepare(RunSpec.DataPrep.scaledBy(0.00392156862745098))
        .build();
  }

  private static Path writeCsv(Path file, RowBlock b) throws IOException {
    StringBuilder s = new StringBuilder();
    for (int r = 0; r < b.rows(); r++) {
      s.append((int) b.label(r));
      for (int j = 0; j < b.cols(); j++) {
        s.append(',').append((int) Math.round(b.feature(r, j) * 255));
      }
      s.append('\n');
    }
    return Files.writeString(file, s);
  }

  /** A DataFrame of label / features rows, in PARTITIONS partitions of consecutive rows. */
  private static Dataset<Row> dataFrame(RowBlock b, boolean sparse) {
    SparkSession spark = SparkSession.builder().getOrCreate();
    List<Row> rows = new ArrayList<>();
    double[] x = new double[b.cols()];
    for (int r = 0; r < b.rows(); r++) {
      for (int j = 0; j < b.cols(); j++) {
        x[j] = Math.round(b.feature(r, j) * 255);
      }
      Vector v = Vectors.dense(x.clone());
      rows.add(RowFactory.create(b.label(r), sparse ? v.toSparse() : v));
    }
    StructType schema = new StructType(new StructField[] {
        new StructField("label", DataTypes.DoubleType, false, Metadata.empty()),
        new StructField("features", new VectorUDT(), false, Metadata.empty())});
    JavaSparkContext sc = SharedSpark.get();
    return spark.createDataFrame(sc.parallelize(rows, PARTITIONS), schema);
  }

  /** The README's two lines. */
  private static JavaRDD<LabeledVector> labeled(Dataset<Row> df) {
    return df.select("label", "features").javaRDD()
        .map(r -> new LabeledVector(r.getDouble(0), r.getAs(1)));
  }

  private static double[] trainWithCli(String name) throws IOException {
    Path out = tmp.resolve(name);
    assertEquals(0, Main.execute("train", "--config", conf.toString(), "--out", out.toString()));
    return ModelFile.load(out.resolve("model.npz")).params();
  }

  @Test
  void denseAndSparseDataFramesTrainTheModelThatTrainMakesFromTheCsv() throws IOException {
    SharedSpark.get();
    double[] cli = trainWithCli("cli");
    for (boolean sparse : new boolean[] {false, true}) {
      JavaRDD<LabeledVector> rows = labeled(dataFrame(train, sparse));
      assertEquals(PARTITIONS, rows.getNumPartitions());
      SparkModel model = Gradspark.fit(SharedSpark.get(), rows, null, spec());
      double[] api = model.model().parameters();
      double maxDiff = 0;
      for (int i = 0; i < api.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(api[i] - cli[i]));
      }
      System.out.printf("%s DataFrame vs train on the CSV: max |difference| %.3e over %d "
          + "parameters%n", sparse ? "sparse" : "dense", maxDiff, api.length);
      assertArrayEquals(cli, api, (sparse ? "sparse" : "dense") + " rows");
      assertEquals(2, model.model().history().size());
      Path saved = tmp.resolve((sparse ? "sparse" : "dense") + ".npz");
      model.save(saved);
      assertArrayEquals(cli, ModelFile.load(saved).params());
    }
  }

  @Test
  void predictAndEvaluateOnRddsGiveTheCommandLinesFigures() throws IOException {
    SharedSpark.get();
    double[] params = trainWithCli("for-scoring");
    Path modelFile = tmp.resolve("for-scoring/model.npz");
    SparkModel model = Gradspark.of(SharedSpark.get(),
        io.gradspark.api.TrainedModel.load(modelFile));
    assertArrayEquals(params, model.model().parameters());

    // predict: the command line's probabilities, written with Double.toString, bit for bit
    Path predictions = tmp.resolve("predictions.csv");
    assertEquals(0, Main.execute("predict", "--model", modelFile.toString(), "--input",
        testCsv.toString(), "--label-column", "0", "--output", predictions.toString()));
    List<String> lines = Files.readAllLines(predictions);
    JavaRDD<Vector> features = labeled(dataFrame(test, true)).map(LabeledVector::features);
    List<Vector> out = model.predict(features).collect();
    assertEquals(TEST_ROWS, out.size());
    double maxDiff = 0;
    for (int r = 0; r < TEST_ROWS; r++) {
      String[] cells = lines.get(r + 1).split(",");
      for (int k = 0; k < 10; k++) {
        double cli = Double.parseDouble(cells[2 + k]);
        maxDiff = Math.max(maxDiff, Math.abs(cli - out.get(r).apply(k)));
        assertEquals(cli, out.get(r).apply(k), 0.0, "row " + r + " output " + k);
      }
    }
    System.out.printf("predict on the RDD vs the command line: max |difference| %.3e%n",
        maxDiff);

    // evaluate: accuracy and confusion counts exact, the loss as the command line prints it
    Path evalOut = tmp.resolve("evaluation");
    Files.writeString(tmp.resolve("test.conf"), "include \"" + conf + "\"\n"
        + "data.test { format = csv, path = \"" + testCsv + "\", label-column = 0 }\n");
    PrintStream old = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
      code = Main.execute("evaluate", "--model", modelFile.toString(), "--config",
          tmp.resolve("test.conf").toString(), "--out", evalOut.toString());
    } finally {
      System.setOut(old);
    }
    assertEquals(0, code, printed.toString(StandardCharsets.UTF_8));
    JsonNode json = JSON.readTree(evalOut.resolve("evaluation.json").toFile());
    Evaluation ev = model.evaluate(labeled(dataFrame(test, false)));
    assertEquals(TEST_ROWS, ev.count());
    assertEquals(json.get("accuracy").asDouble(), ev.accuracy(), 0.0);
    long[] confusion = new long[json.get("confusion").size()];
    for (int i = 0; i < confusion.length; i++) {
      confusion[i] = json.get("confusion").get(i).asLong();
    }
    assertArrayEquals(confusion, ev.confusionCounts());
    double loss = json.get("loss").asDouble();
    System.out.printf("evaluate on the RDD vs the command line: loss %.17g vs %.17g, relative "
        + "difference %.3e%n", ev.meanLoss(), loss, Math.abs(ev.meanLoss() - loss) / loss);
    assertTrue(printed.toString(StandardCharsets.UTF_8).contains(String.format(
        java.util.Locale.ROOT, "mean loss %.6f, accuracy %.2f%%", ev.meanLoss(),
        100 * ev.accuracy())), printed.toString(StandardCharsets.UTF_8));
    assertEquals(loss, ev.meanLoss(), 1e-12 * loss);
  }

  @Test
  void aBadLabelInTheRddNamesTheRowIdAndTheLabel() {
    List<LabeledVector> rows = new ArrayList<>();
    for (int r = 0; r < 40; r++) {
      rows.add(new LabeledVector(r == 29 ? 12 : r % 10, Vectors.dense(new double[784])));
    }
    JavaRDD<LabeledVector> rdd = SharedSpark.get().parallelize(rows, 4);
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> Gradspark.fit(SharedSpark.get(), rdd, null, spec()));
    System.out.println(e.getMessage() + " / " + e.hint());
    assertTrue(e.getMessage().contains("row 30 (1-based) has label 12.0"), e.getMessage());

    List<LabeledVector> ragged = new ArrayList<>(rows.subList(0, 10));
    ragged.set(7, new LabeledVector(1, Vectors.dense(new double[783])));
    GradsparkException f = assertThrows(GradsparkException.class,
        () -> Gradspark.fit(SharedSpark.get(), SharedSpark.get().parallelize(ragged, 2), null,
            spec()));
    assertTrue(f.getMessage().contains("row 8 (1-based) has 783 features but the network's "
        + "input size is 784"), f.getMessage());
  }
}
