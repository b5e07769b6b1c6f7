package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.data.CsvSource;
import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowBlock;
import io.gradspark.eval.EpochStats;
import io.gradspark.io.ModelFile;
import io.gradspark.io.RunFiles;
import io.gradspark.nn.Network;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end, through the real entry point, on shipped and generated data. */
class CommandLineTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  /** A small MNIST run on Spark: 3,000 training images (500 held out), 1,000 test images. */
  private CliRun trainMnistSubset(Path out) {
    return CliRun.run("train", "--config", "conf/mnist.conf",
        "--set", "training.epochs=2", "--set", "data.train.limit=3000",
        "--set", "data.validation.holdout=500", "--set", "data.test.limit=1000",
        "--set", "training.partitions=3", "--out", out.toString());
  }

  private static void assertOutputs(Path out, int epochs) throws IOException {
    for (String f : List.of("model.npz", "history.csv", "history.json", "summary.json",
        "curves.png", "config.conf")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing");
    }
    List<String> csv = Files.readAllLines(out.resolve("history.csv"));
    assertEquals(epochs + 1, csv.size(), "header + one line per epoch");
    List<EpochStats> history = RunFiles.readHistoryJson(out.resolve("history.json"));
    assertEquals(epochs, history.size());
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    for (String k : List.of("test_accuracy", "test_loss", "val_accuracy", "epochs", "steps",
        "train_seconds", "samples_per_second", "partitions", "master")) {
      assertTrue(summary.has(k), "summary.json lacks " + k);
    }
    assertEquals(epochs, summary.get("epochs").asInt());
    assertEquals(history.get(epochs - 1).testAccuracy(), summary.get("test_accuracy").asDouble());
    BufferedImage curves = ImageIO.read(out.resolve("curves.png").toFile());
    assertTrue(curves.getWidth() >= 800 && curves.getHeight() >= 400);
  }

  @Test
  void trainsMnistSubsetOnSparkAndEvaluatesAndPredictsWithTheModel() throws IOException {
    Path out = tmp.resolve("mnist");
    CliRun r = trainMnistSubset(out);
    assertEquals(0, r.exitCode(), r.err());
    assertOutputs(out, 2);
    assertTrue(Files.isRegularFile(out.resolve("confusion.png")));
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertEquals(3, summary.get("partitions").asInt());
    assertEquals("spark", summary.get("engine").asText());
    double testAccuracy = summary.get("test_accuracy").asDouble();
    assertTrue(testAccuracy > 0.8, "a 2-epoch model on 2,500 images still learns: " + testAccuracy);

    // evaluate on the same 1,000 test images: the same accuracy, exactly
    Path evalOut = tmp.resolve("eval");
    CliRun e = CliRun.run("evaluate", "--model", out.resolve("model.npz").toString(),
        "--config", "conf/mnist.conf", "--set", "data.test.limit=1000",
        "--out", evalOut.toString());
    assertEquals(0, e.exitCode(), e.err());
    assertTrue(e.out().contains("precision"), e.out());
    JsonNode ev = JSON.readTree(evalOut.resolve("evaluation.json").toFile());
    assertEquals(testAccuracy, ev.get("accuracy").asDouble(), 0.0);
    assertEquals(1000, ev.get("rows").asInt());
    assertTrue(Files.isRegularFile(evalOut.resolve("confusion.png")));
  }

  @Test
  void trainsMoonsLocallyAndTheModelRoundTripsToIdenticalPredictions() throws IOException {
    Path out = tmp.resolve("moons");
    CliRun r = CliRun.run("train", "--config", "conf/experiments/moons.conf",
        "--set", "training.engine=local", "--set", "training.epochs=3",
        "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertOutputs(out, 3);
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertTrue(summary.get("test_accuracy").asDouble() >= 0.97, summary.toString());

    ModelFile.Loaded m = ModelFile.load(out.resolve("model.npz"));
    Path copy = tmp.resolve("copy.npz");
    ModelFile.save(copy, m.net(), m.params(), m.inputScale(), m.oneVsAll(), java.util.Map.of());
    assertArrayEquals(m.params(), ModelFile.load(copy).params());

    // predictions through the command equal the loaded model's own forward pass
    RowBlock points = new MoonsSource(50, 0.1, 99).load(0, 50);
    Path input = tmp.resolve("points.csv");
    StringBuilder csv = new StringBuilder();
    for (int i = 0; i < points.rows(); i++) {
      csv.append(points.feature(i, 0)).append(',').append(points.feature(i, 1)).append('\n');
    }
    Files.writeString(input, csv);
    Path predictions = tmp.resolve("predictions.csv");
    CliRun p = CliRun.run("predict", "--model", out.resolve("model.npz").toString(),
        "--input", input.toString(), "--output", predictions.toString());
    assertEquals(0, p.exitCode(), p.err());
    List<String> lines = Files.readAllLines(predictions);
    assertEquals("row,predicted,p0,p1", lines.get(0));
    assertEquals(51, lines.size());
    Network net = m.net();
    RowBlock read = new CsvSource(input, CsvSource.NO_LABEL, false, ',').load(0, 50);
    double[] x = new double[50 * 2];
    for (int i = 0; i < 50; i++) {
      read.copyRow(i, x, 2 * i);
    }
    double[] probs = new double[100];
    net.predict(m.params(), x, 50, probs, net.workspace(50));
    int agree = 0;
    for (int i = 0; i < 50; i++) {
      String[] cells = lines.get(i + 1).split(",");
      assertEquals(probs[2 * i], Double.parseDouble(cells[2]), 0.0);
      assertEquals(probs[2 * i + 1], Double.parseDouble(cells[3]), 0.0);
      agree += Integer.parseInt(cells[1]) == (int) points.label(i) ? 1 : 0;
    }
    assertTrue(agree >= 45, "predicted classes match labels on " + agree + " of 50");
  }

  @Test
  void initFromStartsAtTheGivenModel() throws IOException {
    Path first = tmp.resolve("first");
    assertEquals(0, CliRun.run("train", "--config", "conf/experiments/moons.conf",
        "--set", "training.engine=local", "--set", "training.epochs=1",
        "--out", first.toString()).exitCode());
    Path model = first.resolve("model.npz");
    Path second = tmp.resolve("second");
    // a vanishing learning rate: the run must end where it started, at the given model
    CliRun r = CliRun.run("train", "--config", "conf/experiments/moons.conf",
        "--set", "training.engine=local", "--set", "training.epochs=1",
        "--set", "optimizer.learning-rate=1e-300", "--set", "model.init-from=" + model,
        "--out", second.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertArrayEquals(ModelFile.load(model).params(),
        ModelFile.load(second.resolve("model.npz")).params());
    CliRun wrong = CliRun.run("train", "--config", "conf/experiments/moons.conf",
        "--set", "model.layers=[2,32,2]", "--set", "model.init-from=" + model,
        "--out", tmp.resolve("third").toString());
    assertEquals(2, wrong.exitCode());
    assertTrue(wrong.err().contains("[2, 64, 2]"), wrong.err());
  }

  /** gradcheck in float32 is refused with one message, exit code 2 and no stack trace. */
  @Test
  void gradcheckRefusesFloat32() {
    CliRun r = CliRun.run("gradcheck", "--config", "conf/experiments/moons.conf",
        "--set", "training.precision=float32");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains("gradcheck runs in float64 only"), r.err());
    assertTrue(r.err().contains("training.precision=float64"), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void refusesUnknownKeysAndBadValuesBeforeAnyWork() {
    Path out = tmp.resolve("never");
    CliRun typo = CliRun.run("train", "--config", "conf/mnist.conf", "--set", "training.epoch=2",
        "--out", out.toString());
    assertEquals(2, typo.exitCode());
    assertTrue(typo.err().contains("Unknown setting 'training.epoch'"), typo.err());
    assertTrue(typo.err().contains("did you mean 'training.epochs'"), typo.err());
    CliRun bad = CliRun.run("train", "--config", "conf/mnist.conf", "--set",
        "optimizer.learning-rate=fast", "--out", out.toString());
    assertEquals(2, bad.exitCode());
    assertTrue(bad.err().contains("optimizer.learning-rate must be a number"), bad.err());
    CliRun layers = CliRun.run("train", "--config", "conf/mnist.conf", "--set",
        "model.layers=[784,64,1]", "--out", out.toString());
    assertEquals(2, layers.exitCode());
    assertTrue(layers.err().contains("softmax head needs at least 2 outputs"), layers.err());
    CliRun missing = CliRun.run("train", "--config", "conf/nope.conf");
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().contains("not found"));
    CliRun option = CliRun.run("train", "--config", "conf/mnist.conf", "--bogus");
    assertEquals(2, option.exitCode());
    for (CliRun r : List.of(typo, bad, layers, missing, option)) {
      assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void badDataFilesExitTwoNamingFileAndLineWithNoOutput() throws IOException {
    Path csv = tmp.resolve("ragged.csv");
    Files.writeString(csv, "0,0.1,0.2\n1,0.3,0.4\n0,0.5\n");
    Path out = tmp.resolve("out");
    CliRun ragged = CliRun.run("train", "--config", "conf/experiments/moons.conf",
        "--set", "data.train.format=csv", "--set", "data.train.path=" + csv,
        "--set", "training.engine=local", "--out", out.toString());
    assertEquals(2, ragged.exitCode());
    assertTrue(ragged.err().contains("line 3"), ragged.err());
    assertTrue(ragged.err().contains("ragged.csv"), ragged.err());

    Path labels = tmp.resolve("labels.csv");
    Files.writeString(labels, "0,0.1,0.2\n1,0.3,0.4\n5,0.5,0.6\n");
    CliRun label = CliRun.run("train", "--config", "conf/experiments/moons.conf",
        "--set", "data.train.format=csv", "--set", "data.train.path=" + labels,
        "--out", out.toString());
    assertEquals(2, label.exitCode(), "on Spark too: the executor's error reaches the user");
    assertTrue(label.err().contains("row 3 (1-based) has label 5.0 but expected a class index 0..1"
        + " (the network's last layer has 2 outputs)"), label.err());

    Path binary = tmp.resolve("binary.csv");
    Files.writeString(binary, "0,0.1,0.2\n1,0.3,0.4\n2,0.5,0.6\n");
    CliRun sigmoid = CliRun.run("train", "--config", "conf/experiments/moons.conf",
        "--set", "data.train.format=csv", "--set", "data.train.path=" + binary,
        "--set", "model.layers=[2,8,1]", "--set", "model.head=sigmoid", "--out", out.toString());
    assertEquals(2, sigmoid.exitCode(), sigmoid.err());
    assertTrue(sigmoid.err().contains("row 3 (1-based) has label 2.0 but a sigmoid head takes"
        + " labels 0 or 1"), sigmoid.err());

    Path idx = tmp.resolve("truncated-images.idx");
    byte[] header = {0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3};
    Files.write(idx, header);
    CliRun truncated = CliRun.run("train", "--config", "conf/mnist.conf",
        "--set", "data.train.images=" + idx, "--out", out.toString());
    assertEquals(2, truncated.exitCode());
    assertTrue(truncated.err().contains("truncated-images.idx"), truncated.err());

    CliRun features = CliRun.run("train", "--config", "conf/experiments/moons.conf",
        "--set", "model.layers=[3,8,2]", "--out", out.toString());
    assertEquals(2, features.exitCode());
    assertTrue(features.err().contains("rows have 2 features but the network's input size is 3"),
        features.err());
    for (CliRun r : List.of(ragged, label, sigmoid, truncated, features)) {
      assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }
    assertFalse(Files.exists(out), "no partial output");
  }

  @Test
  void interruptedRunResumesFromItsCheckpointsBitIdentical() throws IOException {
    String[] run = {"train", "--config", "conf/experiments/moons.conf", "--set",
        "training.epochs=3", "--set", "training.partitions=3", "--set", "training.batch-size=50"};
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    assertEquals(0, CliRun.run(concat(run, "--out", a.toString())).exitCode());
    assertEquals(0, CliRun.run(concat(run, "--out", b.toString())).exitCode());
    // b's driver "died" after epoch 2: keep only its settings and checkpoints (epochs 1 and 2)
    try (var files = Files.list(b)) {
      for (Path f : files.toList()) {
        if (!f.getFileName().toString().matches("config.conf|checkpoints")) {
          Files.delete(f);
        }
      }
    }
    try (var files = Files.list(b.resolve("checkpoints"))) {
      assertEquals(List.of("ckpt-e00001-s0000000.npz", "ckpt-e00002-s0000000.npz"),
          files.map(f -> f.getFileName().toString()).sorted().toList());
    }
    // and its newest checkpoint is damaged: resume must say so and use the previous one
    Path newest = b.resolve("checkpoints/ckpt-e00002-s0000000.npz");
    byte[] bytes = Files.readAllBytes(newest);
    bytes[bytes.length / 2] ^= 0x11;
    Files.write(newest, bytes);
    CliRun resumed = CliRun.run("train", "--resume", b.toString());
    assertEquals(0, resumed.exitCode(), resumed.err());
    assertTrue(resumed.err().contains("ckpt-e00002-s0000000.npz is unusable"), resumed.err());
    assertTrue(resumed.out().contains("ckpt-e00001-s0000000.npz"), resumed.out());
    assertArrayEquals(ModelFile.load(a.resolve("model.npz")).params(),
        ModelFile.load(b.resolve("model.npz")).params(), "resumed run is bit-identical");
    List<EpochStats> ha = RunFiles.readHistoryJson(a.resolve("history.json"));
    List<EpochStats> hb = RunFiles.readHistoryJson(b.resolve("history.json"));
    for (int e = 0; e < 3; e++) {
      assertEquals(ha.get(e).trainLoss(), hb.get(e).trainLoss(), 0.0);
      assertEquals(ha.get(e).testAccuracy(), hb.get(e).testAccuracy(), 0.0);
    }
    CliRun twice = CliRun.run("train", "--resume", b.toString(), "--set", "training.epochs=9");
    assertEquals(2, twice.exitCode());
  }

  @Test
  void divergenceExitsThreeAndKeepsTheLastGoodModel() throws IOException {
    Path out = tmp.resolve("diverged");
    CliRun r = CliRun.run("train", "--config", "conf/experiments/moons.conf",
        "--set", "training.engine=local", "--set", "optimizer.learning-rate=1e6",
        "--set", "model.activation=identity", "--out", out.toString());
    assertEquals(3, r.exitCode(), r.err());
    assertTrue(r.err().contains("Training diverged at epoch"), r.err());
    assertTrue(r.err().contains("lower the learning rate (it was 1000000.0 at that step)"), r.err());
    ModelFile.Loaded m = ModelFile.load(out.resolve("model-last-good.npz"));
    for (double p : m.params()) {
      assertTrue(Double.isFinite(p));
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  @Test
  void everyCommandExplainsItself() {
    for (String cmd : List.of("train", "evaluate", "predict", "gradcheck", "bench")) {
      CliRun r = CliRun.run(cmd, "--help");
      assertEquals(0, r.exitCode());
      assertTrue(r.out().contains("Usage: gradspark " + cmd), r.out());
      assertTrue(r.out().contains("Example:"), r.out());
    }
  }

  @Test
  void benchRunsEveryEngineAndWritesItsFigures() throws IOException {
    Path json = tmp.resolve("bench.json");
    // tiny warm-up, floor and dgemm time: what is checked is what bench reports, not its figures
    CliRun r = CliRun.run("bench", "--config", "conf/experiments/moons.conf", "--epochs", "2",
        "--partitions", "2", "--target-accuracy", "0.9", "--warmup", "3", "--floor", "4",
        "--dgemm-seconds", "0.05", "--set", "training.batch-size=250",
        "--json", json.toString());
    assertEquals(0, r.exitCode(), r.err());
    JsonNode b = JSON.readTree(json.toFile());
    assertEquals(3750, b.get("train_rows").asInt());
    assertEquals(15, b.get("steps_per_epoch").asInt(), "3750 rows in batches of 250");
    JsonNode engines = b.get("engines");
    assertEquals(List.of("local", "spark", "spark-jobs"), List.of(engines.get(0).get("engine")
        .asText(), engines.get(1).get("engine").asText(), engines.get(2).get("engine").asText()));
    double accuracy = engines.get(0).get("final_test_accuracy").asDouble();
    for (JsonNode e : engines) {
      // the warm-up steps train nothing: every engine trains the same model, bit for bit
      assertEquals(accuracy, e.get("final_test_accuracy").asDouble(), 0.0, e.toString());
      assertEquals(2, e.get("epoch_seconds").size(), "the timed epochs only: " + e);
      assertTrue(e.get("epoch_seconds_median").asDouble() > 0, e.toString());
      assertTrue(e.get("gflops").asDouble() > 0, e.toString());
      assertEquals(250, e.get("batch_size").asInt(), e.toString());
      // the timed window submit/cluster-bench reads the links' counters over: the 2 epochs
      assertEquals(2 * b.get("steps_per_epoch").asLong(), e.get("timed_steps").asLong());
      assertTrue(e.get("timed_to_unix_ms").asLong() >= e.get("timed_from_unix_ms").asLong());
      assertEquals(!e.get("engine").asText().equals("local"), e.has("step_ms_p50"), e.toString());
      // every timed step's wall time but each epoch's first: 2 x 14 of them
      double p50 = e.get("wall_step_ms_p50").asDouble();
      double p90 = e.get("wall_step_ms_p90").asDouble();
      double p99 = e.get("wall_step_ms_p99").asDouble();
      assertTrue(p50 > 0 && p50 <= p90 && p90 <= p99, e.toString());
      double mean = e.get("wall_step_ms_mean").asDouble();
      assertTrue(mean > 0 && 28 * mean <= 1000 * e.get("epoch_seconds").get(0).asDouble()
          + 1000 * e.get("epoch_seconds").get(1).asDouble(), "28 steps within the epochs: " + e);
    }
    assertTrue(r.out().contains("local: each step (sums and update) p50 "), r.out());
    assertTrue(accuracy > 0.5 && accuracy <= 1, "final accuracy " + accuracy);
    for (JsonNode spark : List.of(engines.get(1), engines.get(2))) {
      assertEquals(2, spark.get("partitions").asInt(), spark.toString());
      assertEquals(4, spark.get("floor_jobs").asInt(), "--floor 4: " + spark);
      assertTrue(spark.get("job_ms").asDouble() > 0, spark.toString());
      assertTrue(spark.get("step_ms_p50").asDouble() > 0, spark.toString());
      assertEquals(spark.get("overhead_ms").asDouble() / spark.get("floor_ms").asDouble(),
          spark.get("overhead_vs_floor").asDouble(), 1e-12);
    }
    assertEquals(2, b.get("dgemm").get("threads").asInt(), "a thread per partition");
    assertTrue(r.out().contains("overhead"), r.out());
    // the cores' hand-off of the network's parameters, before the runs and after them
    for (String when : List.of("before", "after")) {
      JsonNode h = b.get("handoff").get(when);
      assertEquals(b.get("parameters").asInt(), h.get("values").asInt(), h.toString());
      assertEquals(8L * h.get("values").asLong(), h.get("bytes").asLong(), h.toString());
      assertTrue(h.get("cross_us").asDouble() > 0 && h.get("same_us").asDouble() > 0,
          h.toString());
      assertEquals(h.get("cross_us").asDouble() / h.get("same_us").asDouble(),
          h.get("ratio").asDouble(), 1e-12, h.toString());
    }
    assertTrue(r.out().contains("hand-off between cores: "), r.out());
  }

  @Test
  void benchPrintsTheFloorStepsToTargetTheBaselineAndTheDgemmLimit() throws IOException {
    // the same config as its own baseline (which trains its own 20 epochs, not --epochs 2)
    Path json = tmp.resolve("bench-floor.json");
    CliRun r = CliRun.run("bench", "--config", "conf/experiments/moons.conf", "--epochs", "2",
        "--partitions", "2", "--engines", "local,spark", "--target-accuracy", "0.5",
        "--baseline", "conf/experiments/moons.conf", "--floor", "5", "--dgemm-seconds", "0.3",
        "--warmup", "2", "--json", json.toString());
    assertEquals(0, r.exitCode(), r.err());
    JsonNode b = JSON.readTree(json.toFile());
    JsonNode engines = b.get("engines");
    assertEquals(List.of("baseline", "local", "spark"), List.of(engines.get(0).get("engine")
        .asText(), engines.get(1).get("engine").asText(), engines.get(2).get("engine").asText()));
    int perEpoch = b.get("steps_per_epoch").asInt();
    for (JsonNode e : engines) {
      int steps = e.get("steps_to_target").asInt();
      assertTrue(steps > 0 && steps % perEpoch == 0, "steps counted by epochs: " + e);
      assertEquals(engines.get(0).get("steps_to_target").asInt(), steps, e.toString());
    }
    assertEquals("conf/experiments/moons.conf", engines.get(0).get("config").asText());
    assertEquals(b.get("network").asText(), engines.get(0).get("network").asText());
    JsonNode spark = engines.get(2);
    assertEquals(5, spark.get("floor_jobs").asInt());
    assertTrue(spark.get("floor_ms").asDouble() > 0, spark.toString());
    assertEquals(spark.get("overhead_ms").asDouble() / spark.get("floor_ms").asDouble(),
        spark.get("overhead_vs_floor").asDouble(), 1e-12);
    assertTrue(b.get("dgemm").get("gflops").asDouble() > 0, b.get("dgemm").toString());
    assertTrue(r.out().contains("x Spark's floor here"), r.out());
    assertTrue(r.out().contains("x the baseline's"), r.out());
    assertTrue(r.out().contains("dgemm limit: 2 threads"), r.out());
  }

  /**
   * A float32 run's limit is sgemm's, on float buffers (float arithmetic runs about twice the
   * rate of double's, so the dgemm limit would overstate a float32 engine's share), and says so.
   */
  @Test
  void aFloat32BenchMeasuresTheSgemmLimit() throws IOException {
    Path json = tmp.resolve("bench32.json");
    CliRun r = CliRun.run("bench", "--config", "conf/experiments/moons.conf", "--epochs", "1",
        "--engines", "local", "--set", "training.precision=float32", "--floor", "0",
        "--dgemm-seconds", "0.3", "--warmup", "0", "--json", json.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode limit = new ObjectMapper().readTree(json.toFile()).get("dgemm");
    assertEquals("sgemm", limit.get("routine").asText(), limit.toString());
    assertTrue(limit.get("gflops").asDouble() > 0, limit.toString());
    assertTrue(r.out().contains("sgemm limit: "), r.out());
    assertFalse(r.out().contains("dgemm limit: "), r.out());
  }

  @Test
  void gradcheckPassesOnAShippedConfig() {
    CliRun r = CliRun.run("gradcheck", "--config", "conf/experiments/moons.conf",
        "--partitions", "3", "--samples", "100");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("single-node vs distributed (3 partitions)"), r.out());
    assertTrue(r.out().contains("backprop vs finite differences"), r.out());
    // the failure path: tolerances no floating-point computation can meet
    CliRun strict = CliRun.run("gradcheck", "--config", "conf/experiments/moons.conf",
        "--partitions", "3", "--samples", "50", "--tolerance", "1e-30",
        "--engine-tolerance", "1e-30");
    assertEquals(Main.CHECK_FAILED, strict.exitCode(), strict.out());
    assertTrue(strict.out().contains("ABOVE TOLERANCE"), strict.out());
  }
}
