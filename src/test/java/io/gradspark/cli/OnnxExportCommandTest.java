package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.data.IdxSource;
import io.gradspark.data.RowBlock;
import io.gradspark.io.ModelFile;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Heads;
import io.gradspark.nn.Network;
import io.gradspark.onnx.OnnxExport;
import io.gradspark.onnx.OnnxRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The export command: the main example scored by ONNX Runtime, its refusals and its help. */
class OnnxExportCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  @Test
  void mnistMainExampleExportedScoresTheTestSetExactlyAsTraining() throws Exception {
    // the main example's network and settings (784-64-10 ReLU/softmax, its scale and
    // optimizer) on the single-node engine, trained on 10,000 of data/mnist's rows for 2 epochs
    // and scored on 3,000 test rows: exact agreement on every row shows on a subset as on all
    Path run = tmp.resolve("mnist");
    CliRun t = CliRun.run("train", "--config", "conf/mnist.conf", "--set", "training.engine=local",
        "--set", "training.epochs=2", "--set", "data.train.limit=12000",
        "--set", "data.test.limit=3000", "--set", "data.validation.holdout=2000",
        "--out", run.toString());
    assertEquals(0, t.exitCode(), t.err());
    JsonNode summary = JSON.readTree(run.resolve("summary.json").toFile());
    int rows = summary.get("test_rows").asInt();
    assertEquals(3_000, rows);
    assertTrue(summary.get("test_accuracy").asDouble() > 0.85, summary.toString());
    long trainedCorrect = Math.round(summary.get("test_accuracy").asDouble() * rows);

    Path onnx = tmp.resolve("mnist.onnx");
    CliRun e = CliRun.run("export", "--model", run.resolve("model.npz").toString(), "--output",
        onnx.toString());
    assertEquals(0, e.exitCode(), e.err());
    assertTrue(e.out().contains("784-64-10 relu/softmax"), e.out());

    // raw pixels 0..255: the model applies the 1/255 scale itself
    RowBlock test = new IdxSource(Path.of("data/mnist/t10k-images-idx3-ubyte.gz"),
        Path.of("data/mnist/t10k-labels-idx1-ubyte.gz")).load(0, rows);
    double[] x = new double[rows * 784];
    for (int r = 0; r < rows; r++) {
      test.copyRow(r, x, r * 784);
    }
    double[] p;
    try (OnnxRun ort = new OnnxRun(onnx)) {
      p = ort.run(x, rows, 784, OnnxExport.DType.FLOAT64);
    }
    int correct = 0;
    for (int r = 0; r < rows; r++) {
      correct += Heads.predictedClass(Head.SOFTMAX_CROSS_ENTROPY, p, r * 10, 10)
          == (int) test.label(r) ? 1 : 0;
    }
    System.out.printf("MNIST test set: ONNX Runtime %d of %d correct, summary.json %d (%s)%n",
        correct, rows, trainedCorrect, summary.get("test_accuracy"));
    assertEquals(trainedCorrect, correct);
    assertEquals(summary.get("test_accuracy").asDouble(), correct / (double) rows, 0.0);
  }

  private Path smallModel() {
    Network net = new Network(new int[] {3, 4, 2}, List.of(Activation.TANH),
        Head.SOFTMAX_CROSS_ENTROPY);
    Path model = tmp.resolve("model.npz");
    ModelFile.save(model, net, new double[net.numParams()], 1.0, -1, Map.of());
    return model;
  }

  /** Exit 2, the message on stderr, and nothing written next to the intended output. */
  private void assertRefused(CliRun r, String message) throws Exception {
    assertEquals(Main.BAD_INPUT, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains(message), r.err());
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".onnx")
          || f.getFileName().toString().endsWith(".tmp")).toList());
    }
  }

  @Test
  void refusesWhatItCannotExportWithExitTwoAndAReason() throws Exception {
    String model = smallModel().toString();
    String out = tmp.resolve("out.onnx").toString();
    assertRefused(CliRun.run("export", "--model", model, "--output", out, "--dtype", "float16"),
        "Unknown --dtype 'float16'");
    assertRefused(CliRun.run("export", "--model", model, "--output", out, "--format", "pmml"),
        "Unknown --format 'pmml'");
    assertRefused(CliRun.run("export", "--model", tmp.resolve("missing.npz").toString(),
        "--output", out), "missing.npz");
    Path notModel = Files.writeString(tmp.resolve("notes.npz"), "not a zip");
    assertRefused(CliRun.run("export", "--model", notModel.toString(), "--output", out),
        "notes.npz");
    assertRefused(CliRun.run("export", "--model", model, "--output", tmp.toString()),
        "is a directory");
    assertRefused(CliRun.run("export", "--model", model, "--output", model),
        "--output is the --model file");
    Path file = Files.writeString(tmp.resolve("plain.txt"), "x");
    assertRefused(CliRun.run("export", "--model", model, "--output",
        file.resolve("out.onnx").toString()), "Could not write ONNX model");
    assertRefused(CliRun.run("export", "--model", model), "--output");
    assertFalse(Files.exists(Path.of(out)));
  }

  @Test
  void exportHelpNamesTheInputsAndOutputs() {
    CliRun r = CliRun.run("export", "--help");
    assertEquals(0, r.exitCode());
    for (String s : List.of("--model", "--output", "--dtype", "float32", "--format", "'features'",
        "'probabilities'", "'probability'", "'outputs'")) {
      assertTrue(r.out().contains(s), "help lacks " + s + ":\n" + r.out());
    }
    assertTrue(CliRun.run("--help").out().contains("export"));
  }
}
