package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.eval.Evaluation;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkTest {

  @Test
  void layoutOfTheFlatParameterVector() {
    Network net = new Network(new int[] {784, 64, 10}, List.of(Activation.SIGMOID),
        Head.SOFTMAX_CROSS_ENTROPY);
    assertEquals(784 * 64 + 64 + 64 * 10 + 10, net.numParams());
    assertEquals(0, net.weightOffset(0));
    assertEquals(784 * 64, net.biasOffset(0));
    assertEquals(784 * 64 + 64, net.weightOffset(1));
    assertEquals("784-64-10 sigmoid/softmax", net.describe());
    boolean[] mask = net.weightMask();
    assertTrue(mask[0] && !mask[784 * 64] && mask[784 * 64 + 64] && !mask[net.numParams() - 1]);
  }

  @Test
  void perLayerActivations() {
    Network net = new Network(new int[] {4, 3, 3, 2},
        List.of(Activation.RELU, Activation.TANH), Head.SOFTMAX_CROSS_ENTROPY);
    assertEquals(Activation.RELU, net.activation(0));
    assertEquals(Activation.TANH, net.activation(1));
    Network single = new Network(new int[] {784, 1}, List.of(), Head.SIGMOID_BINARY_CROSS_ENTROPY);
    assertEquals(785, single.numParams());
  }

  @Test
  void refusesImpossibleDescriptions() {
    List<Activation> relu = List.of(Activation.RELU);
    String m1 = assertThrows(GradsparkException.class,
        () -> new Network(new int[] {784}, relu, Head.SOFTMAX_CROSS_ENTROPY)).getMessage();
    assertTrue(m1.contains("at least 2 layer sizes"), m1);
    String m2 = assertThrows(GradsparkException.class,
        () -> new Network(new int[] {784, 0, 10}, relu, Head.SOFTMAX_CROSS_ENTROPY)).getMessage();
    assertTrue(m2.contains("at least 1 unit"), m2);
    String m3 = assertThrows(GradsparkException.class,
        () -> new Network(new int[] {784, 64, 1}, relu, Head.SOFTMAX_CROSS_ENTROPY)).getMessage();
    assertTrue(m3.contains("softmax head needs at least 2 outputs"), m3);
    String m4 = assertThrows(GradsparkException.class,
        () -> new Network(new int[] {784, 64, 10}, relu, Head.SIGMOID_BINARY_CROSS_ENTROPY))
        .getMessage();
    assertTrue(m4.contains("exactly 1 output"), m4);
    assertThrows(GradsparkException.class, () -> new Network(new int[] {4, 3, 3, 2},
        List.of(Activation.RELU, Activation.RELU, Activation.RELU), Head.SOFTMAX_CROSS_ENTROPY));
    assertThrows(GradsparkException.class, () -> Activation.parse("mish", 0));
    assertThrows(GradsparkException.class, () -> Activation.leakyRelu(-0.1));
    assertThrows(GradsparkException.class, () -> Head.parse("hinge"));
    assertThrows(GradsparkException.class, () -> Initializer.parse("orthogonal"));
  }

  @Test
  void headsStayFiniteForHugeLogits() {
    double[] z = {1000, -1000, 0, 800};
    double[] dZ = new double[4];
    double loss = Heads.lossAndDelta(Head.SOFTMAX_CROSS_ENTROPY, z, new double[] {1, 0}, 2, 2, dZ);
    // row 0: logsumexp = 1000, label 1 -> 2000; row 1: logsumexp = 800, label 0 -> 800
    assertEquals(2800.0, loss, 1e-9);
    assertEquals(1.0, dZ[0], 0);
    assertEquals(-1.0, dZ[1], 0);
    double[] b = {1000, -1000};
    double[] dB = new double[2];
    double bce = Heads.lossAndDelta(Head.SIGMOID_BINARY_CROSS_ENTROPY, b, new double[] {0, 1}, 2, 1,
        dB);
    assertEquals(2000.0, bce, 1e-9); // both confidently wrong: -log(sigmoid) ~ |z|
    assertEquals(1.0, dB[0], 0);
    assertEquals(-1.0, dB[1], 0);
    assertEquals(0.0, Heads.lossAndDelta(Head.SIGMOID_BINARY_CROSS_ENTROPY,
        new double[] {1000}, new double[] {1}, 1, 1, new double[1]), 1e-300);
  }

  @Test
  void evaluationCountsPredictions() {
    Network net = new Network(new int[] {1, 2}, List.of(), Head.SOFTMAX_CROSS_ENTROPY);
    // z = [w0 x + b0, w1 x + b1] with w = (1, -1), b = 0: class 0 for x > 0, class 1 for x < 0
    double[] params = {1, -1, 0, 0};
    Evaluation ev = new Evaluation(2);
    net.evaluate(params, new double[] {2, -3, 1}, new double[] {0, 1, 1}, 3, ev,
        net.workspace(3));
    assertEquals(3, ev.count());
    assertEquals(2, ev.correct());
    assertEquals(1, ev.confusion(1, 0));
    assertEquals(1, ev.confusion(0, 0));
  }

  @Test
  void initializersHaveTheirScale() {
    for (Initializer init : Initializer.values()) {
      Network net = new Network(new int[] {400, 300, 2}, List.of(Activation.RELU),
          Head.SOFTMAX_CROSS_ENTROPY);
      double[] p = net.initialParameters(init, 1);
      double sum = 0;
      double sq = 0;
      int n = 400 * 300;
      for (int i = 0; i < n; i++) {
        sum += p[i];
        sq += p[i] * p[i];
      }
      double std = Math.sqrt(sq / n);
      double expected = switch (init) {
        case XAVIER_UNIFORM, XAVIER_NORMAL -> Math.sqrt(2.0 / 700);
        case HE_NORMAL -> Math.sqrt(2.0 / 400);
        case UNIFORM -> 1 / Math.sqrt(400) / Math.sqrt(3);
      };
      System.out.printf("init %s: std %.5f expected %.5f, mean %.2e%n", init, std, expected, sum / n);
      assertEquals(expected, std, expected * 0.02);
      assertEquals(0, sum / n, expected * 0.02);
      double bias = p[net.biasOffset(0)];
      assertTrue(init == Initializer.UNIFORM ? bias != 0 : bias == 0);
      assertEquals(p[7], net.initialParameters(init, 1)[7], 0);
    }
  }
}
