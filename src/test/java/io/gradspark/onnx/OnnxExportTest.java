package io.gradspark.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import io.gradspark.GradsparkException;
import io.gradspark.cli.Main;
import io.gradspark.io.ModelFile;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Heads;
import io.gradspark.nn.Network;
import io.gradspark.onnx.OnnxExport.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every activation x head exported through the {@code export} command and run by ONNX Runtime,
 * against what the {@code predict} command prints for the same rows.
 */
class OnnxExportTest {
  private static final int ROWS = 300;
  private static final int INPUTS = 6;
  /** Raw features in [-50, 50] times this scale are in [-2, 2]: a scale the graph must apply. */
  private static final double SCALE = 0.04;
  /**
   * float64: ONNX Runtime sums the same products in another order (its GEMM vs netlib's), and its
   * exp, tanh and softmax round differently in the last bits: a few ulps, ~1e-15. A real mistake
   * (a missing scale, a transposed W, a rounded slope) is off by 1e-8 or far more.
   */
  private static final double FLOAT64_TOLERANCE = 1e-12;
  /**
   * float32: inputs and weights rounded to 24 bits (relative 6e-8 each) through three layers of
   * at most 6-term sums of O(1) values and the head: a few 1e-7. Measured against max(|value|, 1),
   * so a probability near 0 is held to the same absolute bound as one near 1.
   */
  private static final double FLOAT32_TOLERANCE = 1e-5;

  @TempDir
  Path tmp;

  private static List<Activation> activations() {
    return List.of(Activation.SIGMOID, Activation.TANH, Activation.RELU,
        Activation.leakyRelu(0.01), Activation.IDENTITY, Activation.GELU, Activation.ELU,
        Activation.elu(0.7), Activation.SELU, Activation.SOFTPLUS, Activation.SILU);
  }

  /** 6-5-4-K with the activation in both hidden layers: K = 3 (softmax, mse) or 1 (sigmoid). */
  private static Network network(Activation a, Head head) {
    int k = head == Head.SIGMOID_BINARY_CROSS_ENTROPY ? 1 : 3;
    return new Network(new int[] {INPUTS, 5, 4, k}, List.of(a), head);
  }

  /** Weights and biases of about unit scale per layer, so every activation leaves its linear zone. */
  private static double[] params(Network net, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] p = new double[net.numParams()];
    int[] sizes = net.sizes();
    for (int l = 0; l < net.layers(); l++) {
      double s = 2.0 / Math.sqrt(sizes[l]);
      for (int i = net.weightOffset(l); i < net.biasOffset(l) + sizes[l + 1]; i++) {
        p[i] = s * (2 * rng.nextDouble() - 1);
      }
    }
    return p;
  }

  private static double[] rows(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[ROWS * INPUTS];
    for (int i = 0; i < x.length; i++) {
      x[i] = 100 * rng.nextDouble() - 50;
    }
    return x;
  }

  /** What 'predict' prints for these rows: the head's outputs and the predicted classes. */
  private record Predicted(double[] outputs, int[] classes) {}

  private Predicted predict(Path model, double[] x, int k, boolean hasClass) throws IOException {
    Path csv = tmp.resolve("rows.csv");
    StringBuilder b = new StringBuilder();
    for (int r = 0; r < ROWS; r++) {
      for (int j = 0; j < INPUTS; j++) {
        b.append(j == 0 ? "" : ",").append(x[r * INPUTS + j]);
      }
      b.append('\n');
    }
    Files.writeString(csv, b);
    Path out = tmp.resolve("predictions.csv");
    assertEquals(0, Main.execute("predict", "--model", model.toString(), "--input",
        csv.toString(), "--output", out.toString()));
    List<String> lines = Files.readAllLines(out);
    assertEquals(ROWS + 1, lines.size());
    double[] y = new double[ROWS * k];
    int[] classes = new int[ROWS];
    int first = hasClass ? 2 : 1;
    for (int r = 0; r < ROWS; r++) {
      String[] cells = lines.get(r + 1).split(",");
      classes[r] = hasClass ? Integer.parseInt(cells[1]) : 0;
      for (int j = 0; j < k; j++) {
        y[r * k + j] = Double.parseDouble(cells[first + j]);
      }
    }
    return new Predicted(y, classes);
  }

  private static Path export(Path model, Path onnx, DType dtype) {
    assertEquals(0, Main.execute("export", "--model", model.toString(), "--output",
        onnx.toString(), "--dtype", dtype.configName()));
    return onnx;
  }

  /** Largest |a - b| / max(|b|, floor) over all cells. */
  private static double maxDifference(double[] a, double[] b, double floor) {
    assertEquals(b.length, a.length);
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs(a[i] - b[i]);
      worst = Math.max(worst, d == 0 ? 0 : d / Math.max(Math.abs(b[i]), floor));
    }
    return worst;
  }

  private static int[] classes(Head head, double[] y, int k) {
    int[] c = new int[ROWS];
    for (int r = 0; r < ROWS; r++) {
      c[r] = Heads.predictedClass(head, y, r * k, k);
    }
    return c;
  }

  @Test
  void everyActivationAndHeadRunsInOnnxRuntimeAsPredictComputesIt() throws Exception {
    List<String> report = new ArrayList<>();
    double worst64 = 0;
    double worst32 = 0;
    long seed = 1;
    for (Head head : Head.values()) {
      for (Activation a : activations()) {
        seed++;
        Network net = network(a, head);
        int k = net.outputSize();
        Path model = tmp.resolve("model-" + seed + ".npz");
        ModelFile.save(model, net, params(net, seed), SCALE, -1,
            Map.of("training", Map.of("seed", seed)));
        double[] x = rows(seed);
        Predicted expected = predict(model, x, k, true);
        int[] expectedClasses = classes(head, expected.outputs(), k);
        assertArrayEquals(expected.classes(), expectedClasses, "predict's own class column");

        double[] y64;
        try (OnnxRun ort = new OnnxRun(export(model, tmp.resolve(seed + ".onnx"), DType.FLOAT64))) {
          y64 = ort.run(x, ROWS, INPUTS, DType.FLOAT64);
        }
        double[] y32;
        try (OnnxRun ort = new OnnxRun(export(model, tmp.resolve(seed + "-32.onnx"),
            DType.FLOAT32))) {
          y32 = ort.run(x, ROWS, INPUTS, DType.FLOAT32);
        }
        double d64 = maxDifference(y64, expected.outputs(), Double.MIN_NORMAL);
        double d32 = maxDifference(y32, expected.outputs(), 1.0);
        String name = net.describe();
        report.add(String.format(Locale.ROOT, "%-32s float64 %.2e  float32 %.2e", name, d64, d32));
        assertTrue(d64 <= FLOAT64_TOLERANCE, name + " float64: max relative difference " + d64);
        assertTrue(d32 <= FLOAT32_TOLERANCE, name + " float32: max difference " + d32);
        assertArrayEquals(expected.classes(), classes(head, y64, k), name + " float64 classes");
        assertArrayEquals(expected.classes(), classes(head, y32, k), name + " float32 classes");
        worst64 = Math.max(worst64, d64);
        worst32 = Math.max(worst32, d32);
      }
    }
    System.out.println("ONNX Runtime vs predict on " + ROWS + " rows, max relative difference:\n  "
        + String.join("\n  ", report) + String.format(Locale.ROOT,
        "%n  worst: float64 %.2e (tolerance %.0e), float32 %.2e (tolerance %.0e)",
        worst64, FLOAT64_TOLERANCE, worst32, FLOAT32_TOLERANCE));
  }

  /**
   * A 1-1-1 network whose weights are 1 and biases 0 outputs f(x) itself (MSE head): each composed
   * activation through ONNX Runtime against Activation over [-40, 40] in steps of 1/128 and at the
   * break points of its formulas (erf's 0.84375, 1.25, 1/0.35 times sqrt 2, softplus's 20), so
   * every branch of every Where is taken.
   */
  @Test
  void composedActivationsEqualTheirJavaFormsOverTheWholeRange() throws Exception {
    List<Double> zs = new ArrayList<>();
    for (int i = -40 * 128; i <= 40 * 128; i++) {
      zs.add(i / 128.0);
    }
    for (double b : new double[] {0.84375, 1.25, 2.857142686843872, 6, 20, 28}) {
      for (double z : new double[] {b, b * Math.sqrt(2), -b * Math.sqrt(2)}) {
        zs.addAll(List.of(z, Math.nextUp(z), Math.nextDown(z)));
      }
    }
    zs.addAll(List.of(1e-300, -1e-300, 1e-9, -1e-9, 3e-17, -3e-17, 0.0, -700.0, 700.0));
    int n = zs.size();
    double[] x = zs.stream().mapToDouble(Double::doubleValue).toArray();
    List<String> report = new ArrayList<>();
    for (Activation a : List.of(Activation.GELU, Activation.ELU, Activation.elu(0.7),
        Activation.SELU, Activation.SOFTPLUS, Activation.SILU)) {
      Network net = new Network(new int[] {1, 1, 1}, List.of(a), Head.IDENTITY_MSE);
      double[] p = {1, 0, 1, 0};
      double[] expected = new double[n];
      net.predict(p, x, n, expected, net.workspace(n));
      Path onnx = tmp.resolve(a + ".onnx");
      OnnxExport.write(net, p, 1.0, Map.of(), DType.FLOAT64, onnx);
      double d;
      try (OnnxRun ort = new OnnxRun(onnx)) {
        d = maxDifference(ort.run(x, n, 1, DType.FLOAT64), expected, Double.MIN_NORMAL);
      }
      report.add(String.format(Locale.ROOT, "%-9s %.2e", a, d));
      // a few ulps: ONNX Runtime's exp and log against Java's, and the rebuilt expm1 and log1p
      assertTrue(d <= 2e-15, a + ": max relative difference " + d);
    }
    System.out.println("Composed activations, ONNX Runtime vs Java on " + n + " values of z, max "
        + "relative difference:\n  " + String.join("\n  ", report));
  }

  /** A slope a float32 holds exactly is written as LeakyRelu; 0.01 is not (see OnnxExport). */
  @Test
  void leakyReluSlopeIsKeptExactlyEitherWay() throws Exception {
    for (double slope : new double[] {0.25, 0.01}) {
      Network net = network(Activation.leakyRelu(slope), Head.IDENTITY_MSE);
      double[] p = params(net, 7);
      var model = OnnxExport.model(net, p, SCALE, Map.of(), DType.FLOAT64);
      boolean leaky = model.getGraph().getNodeList().stream()
          .anyMatch(n -> n.getOpType().equals("LeakyRelu"));
      assertEquals(slope == 0.25, leaky, "LeakyRelu node for slope " + slope);
      Path onnx = tmp.resolve("leaky.onnx");
      OnnxExport.write(net, p, SCALE, Map.of(), DType.FLOAT64, onnx);
      double[] x = rows(7);
      double[] expected = new double[ROWS * 3];
      double[] scaled = x.clone();
      for (int i = 0; i < scaled.length; i++) {
        scaled[i] *= SCALE;
      }
      net.predict(p, scaled, ROWS, expected, net.workspace(ROWS));
      try (OnnxRun ort = new OnnxRun(onnx)) {
        double d = maxDifference(ort.run(x, ROWS, INPUTS, DType.FLOAT64), expected,
            Double.MIN_NORMAL);
        System.out.printf(Locale.ROOT, "leaky-relu(%s) via the API: max relative difference %.2e%n",
            slope, d);
        assertTrue(d <= FLOAT64_TOLERANCE, "slope " + slope + ": " + d);
      }
    }
  }

  @Test
  void namesShapesAndMetadataAreWhatTheReadmeSays() throws IOException, OrtException {
    Network net = network(Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    Path model = tmp.resolve("model.npz");
    ModelFile.save(model, net, params(net, 3), SCALE, 2, Map.of("training", Map.of("seed", 3)));
    try (OnnxRun ort = new OnnxRun(export(model, tmp.resolve("m.onnx"), DType.FLOAT64))) {
      assertEquals(List.of("features"), List.copyOf(ort.session().getInputNames()));
      assertEquals(List.of("probabilities"), List.copyOf(ort.session().getOutputNames()));
      TensorInfo in = (TensorInfo) ort.input().getInfo();
      assertArrayEquals(new long[] {-1, INPUTS}, in.getShape());
      assertEquals("batch", in.getDimensionNames()[0]);
      assertEquals(TensorInfo.OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, in.onnxType);
      TensorInfo out = (TensorInfo) ort.output().getInfo();
      assertArrayEquals(new long[] {-1, 3}, out.getShape());
      var meta = ort.session().getMetadata();
      assertEquals("gradspark", meta.getProducerName());
      assertTrue(meta.getGraphDescription().contains("'features'"), meta.getGraphDescription());
      Map<String, String> props = meta.getCustomMetadata();
      assertEquals(net.describe(), props.get("network"));
      assertEquals(Double.toString(SCALE), props.get("input_scale"));
      assertEquals("2", props.get("one_vs_all"));
      assertEquals("{\"seed\":3}", props.get("training"));
      assertTrue(props.get("model.json").contains("\"layers\":[6,5,4,3]"), props.get("model.json"));
    }
    try (OnnxRun ort = new OnnxRun(export(model, tmp.resolve("m32.onnx"), DType.FLOAT32))) {
      TensorInfo in = (TensorInfo) ort.input().getInfo();
      assertEquals(TensorInfo.OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, in.onnxType);
    }
  }

  /** The precision that trained a model is in its ONNX metadata (float64 when not recorded). */
  @Test
  void theTrainingPrecisionIsInTheMetadata() {
    Network net = network(Activation.RELU, Head.SOFTMAX_CROSS_ENTROPY);
    Path f32 = tmp.resolve("f32.npz");
    ModelFile.save(f32, net, params(net, 3), SCALE, 0,
        Map.of("training", Map.of("precision", "float32")));
    assertEquals("float32", OnnxExport.metadata(ModelFile.load(f32)).get("trained_precision"));
    Path old = tmp.resolve("old.npz");
    ModelFile.save(old, net, params(net, 3), SCALE, 0, Map.of("training", Map.of("seed", 3)));
    assertEquals("float64", OnnxExport.metadata(ModelFile.load(old)).get("trained_precision"));
  }

  @Test
  void refusesANetworkNoSingleOnnxFileCanHold() {
    // 16,384 x 16,384 weights: 2.1 GB as float64, over protobuf's 2 GiB; 1.1 GB as float32 fits
    Network big = new Network(new int[] {16384, 16384}, List.of(), Head.IDENTITY_MSE);
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> OnnxExport.checkExportable(big, DType.FLOAT64));
    assertTrue(e.getMessage().contains("2 GiB"), e.getMessage());
    assertTrue(e.hint().contains("--dtype float32"), e.hint());
    OnnxExport.checkExportable(big, DType.FLOAT32);
  }
}
