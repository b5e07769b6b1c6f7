package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Weighted rows and dropout in the network's math: gradients against finite differences (dropout
 * under a fixed mask), the hash's documented test vectors (computed by an independent Python
 * replay of the formula), masks that depend on the row id and not on where the row sits, weight 1
 * giving the unweighted bits, and no dropout outside training.
 */
class WeightsAndDropoutTest {
  private static final long SEED = 42;

  /** A random net with non-zero biases, a batch x (n, nIn), labels and weights (some 0). */
  private record Case(Network net, double[] params, double[] x, double[] y, double[] w) {}

  private static Case randomCase(Network net, int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] params = net.initialParameters(Initializer.XAVIER_NORMAL, seed);
    for (int i = 0; i < params.length; i++) {
      params[i] += 0.1 * rng.nextGaussian();
    }
    double[] x = new double[n * net.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    double[] y = new double[n];
    double[] w = new double[n];
    for (int r = 0; r < n; r++) {
      y[r] = net.classes() == 0 ? rng.nextGaussian() : rng.nextInt(net.classes());
      w[r] = r % 4 == 3 ? 0.0 : 0.25 + 3 * rng.nextDouble();
    }
    return new Case(net, params, x, y, w);
  }

  private static int[] all(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    return a;
  }

  private static Network net(Head head, Activation act) {
    int out = head == Head.SIGMOID_BINARY_CROSS_ENTROPY ? 1 : 3;
    return new Network(new int[] {4, 6, 5, out}, List.of(act), head);
  }

  @Test
  void weightedRowsMatchFiniteDifferencesForEveryHead() {
    double worst = 0;
    for (Head head : Head.values()) {
      for (Activation act : List.of(Activation.TANH, Activation.SIGMOID)) {
        Case c = randomCase(net(head, act), 8, 5 + head.ordinal());
        GradientCheck.Result r = GradientCheck.compare(c.net(), c.params(), c.x(), c.y(), c.w(),
            null, 8, all(c.params().length), GradientCheck.DEFAULT_STEP,
            GradientCheck.DEFAULT_FLOOR);
        worst = Math.max(worst, r.maxRelativeError());
        assertTrue(r.maxRelativeError() <= 1e-6, c.net().describe() + " weighted: "
            + r.maxRelativeError() + " at " + r.worstIndex());
      }
    }
    System.out.printf("gradcheck weighted rows, every head: max relative error %.3e%n", worst);
  }

  @Test
  void dropoutUnderAFixedMaskMatchesFiniteDifferences() {
    double worst = 0;
    int[] ids = {17, 3, 250, 9, 4, 1000, 33, 2};
    for (Head head : Head.values()) {
      Network net = net(head, Activation.TANH).withDropout(0.5, 0.25);
      Case c = randomCase(net, 8, 31 + head.ordinal());
      for (double[] w : new double[][] {null, c.w()}) {
        Dropout.Keys keys = new Dropout.Keys(SEED, 2, ids, 0);
        GradientCheck.Result r = GradientCheck.compare(net, c.params(), c.x(), c.y(), w, keys,
            8, all(c.params().length), GradientCheck.DEFAULT_STEP, GradientCheck.DEFAULT_FLOOR);
        worst = Math.max(worst, r.maxRelativeError());
        assertTrue(r.maxRelativeError() <= 1e-6, net.describe() + " dropout: "
            + r.maxRelativeError() + " at " + r.worstIndex());
      }
      // the mask is really on: the loss differs from the one without dropout
      double[] g = new double[net.numParams()];
      double with = net.lossAndGradient(c.params(), c.x(), c.y(), null,
          new Dropout.Keys(SEED, 2, ids, 0), 8, g, net.workspace(8));
      double without = net.lossAndGradient(c.params(), c.x(), c.y(), 8, g, net.workspace(8));
      assertNotEquals(without, with, net.describe());
    }
    System.out.printf("gradcheck dropout [0.5, 0.25] under a fixed mask: max relative error "
        + "%.3e%n", worst);
  }

  @Test
  void theHashGivesTheDocumentedTestVectors() {
    // from an independent replay of the formula in Python (weights-and-dropout.md)
    assertEquals(0.5030647491372586, Dropout.uniform(42, 3, 12345, 1, 7), 0.0);
    assertEquals(0.1038130382329252, Dropout.uniform(42, 0, 0, 0, 0), 0.0);
    assertEquals(0.008511444817079328, Dropout.uniform(-1, 2, 5, 0, 3), 0.0);
    assertTrue(!Dropout.dropped(42, 3, 12345, 1, 7, 0.5));
    assertTrue(Dropout.dropped(42, 0, 0, 0, 0, 0.5));
  }

  @Test
  void aRowsMaskDependsOnItsIdNotOnItsPlaceInTheBatch() {
    int units = 16;
    double p = 0.4;
    int row = 123_456;
    // the row at offset 0 of a batch of 1, and at position 5 of a list read from offset 3
    // (a partition's ids at some offset of a longer id list, as a chunked batch reads them)
    double[] alone = new double[units];
    Dropout.factors(new Dropout.Keys(SEED, 7, new int[] {row}, 0), 1, 1, units, p, alone);
    int[] ids = {9, 9, 9, 1, 2, 3, 4, 5, row, 6};
    double[] inBatch = new double[7 * units];
    Dropout.factors(new Dropout.Keys(SEED, 7, ids, 3), 7, 1, units, p, inBatch);
    double[] atFive = java.util.Arrays.copyOfRange(inBatch, 5 * units, 6 * units);
    assertArrayEquals(alone, atFive, "the same row's mask at offset 0 and at position 5");
    // and it is the formula's: 0 where u < p, 1 / (1 - p) elsewhere
    int dropped = 0;
    for (int j = 0; j < units; j++) {
      boolean drop = Dropout.dropped(SEED, 7, row, 1, j, p);
      assertEquals(drop ? 0.0 : 1.0 / (1.0 - p), alone[j], 0.0, "unit " + j);
      dropped += drop ? 1 : 0;
    }
    // another epoch, another row, another layer: other masks
    double[] otherEpoch = new double[units];
    Dropout.factors(new Dropout.Keys(SEED, 8, new int[] {row}, 0), 1, 1, units, p, otherEpoch);
    double[] otherLayer = new double[units];
    Dropout.factors(new Dropout.Keys(SEED, 7, new int[] {row}, 0), 1, 0, units, p, otherLayer);
    assertTrue(!java.util.Arrays.equals(alone, otherEpoch)
        && !java.util.Arrays.equals(alone, otherLayer), "masks differ by epoch and layer");
    assertTrue(dropped > 0 && dropped < units, dropped + " of " + units + " dropped");
  }

  @Test
  void aboutTheRateOfUnitsIsDropped() {
    int n = 0;
    int dropped = 0;
    for (int r = 0; r < 2000; r++) {
      for (int j = 0; j < 50; j++) {
        dropped += Dropout.dropped(SEED, 1, r, 0, j, 0.3) ? 1 : 0;
        n++;
      }
    }
    double rate = (double) dropped / n;
    System.out.printf("dropout p = 0.3: %.4f of %d units dropped%n", rate, n);
    // 100,000 Bernoulli(0.3) draws: the standard deviation of the rate is 0.0014
    assertEquals(0.3, rate, 0.01);
  }

  @Test
  void weightOneEverywhereGivesTheUnweightedBits() {
    for (Head head : Head.values()) {
      Network net = net(head, Activation.SIGMOID);
      Case c = randomCase(net, 9, 77 + head.ordinal());
      double[] ones = new double[9];
      java.util.Arrays.fill(ones, 1.0);
      double[] plain = new double[net.numParams()];
      double[] weighted = new double[net.numParams()];
      double a = net.lossAndGradient(c.params(), c.x(), c.y(), 9, plain, net.workspace(9));
      double b = net.lossAndGradient(c.params(), c.x(), c.y(), ones, null, 9, weighted,
          net.workspace(9));
      assertEquals(a, b, 0.0, head + ": loss");
      assertArrayEquals(plain, weighted, head + ": gradient");
    }
  }

  @Test
  void weightsScaleEachRowsLossAndGradient() {
    // sum_i w_i loss_i and its gradient equal the sum of each row's own, times w_i
    Network net = net(Head.SOFTMAX_CROSS_ENTROPY, Activation.TANH);
    Case c = randomCase(net, 6, 3);
    double[] weighted = new double[net.numParams()];
    double loss = net.lossAndGradient(c.params(), c.x(), c.y(), c.w(), null, 6, weighted,
        net.workspace(6));
    double expected = 0;
    double[] byRow = new double[net.numParams()];
    for (int r = 0; r < 6; r++) {
      double[] g = new double[net.numParams()];
      double[] x = java.util.Arrays.copyOfRange(c.x(), r * 4, r * 4 + 4);
      expected += c.w()[r] * net.lossAndGradient(c.params(), x, new double[] {c.y()[r]}, 1, g,
          net.workspace(1));
      for (int i = 0; i < g.length; i++) {
        byRow[i] += c.w()[r] * g[i];
      }
    }
    double d = Math.max(Math.abs(loss - expected) / Math.abs(expected),
        GradientCheck.relativeDifference(byRow, weighted));
    System.out.printf("weighted sum vs rows one by one: max relative difference %.3e%n", d);
    assertTrue(d <= 1e-13, "relative difference " + d);
  }

  @Test
  void evaluationAndPredictionNeverDrop() {
    Network plain = net(Head.SOFTMAX_CROSS_ENTROPY, Activation.RELU);
    Network dropping = plain.withDropout(0.9);
    Case c = randomCase(plain, 5, 8);
    double[] a = new double[5 * 3];
    double[] b = new double[5 * 3];
    plain.predict(c.params(), c.x(), 5, a, plain.workspace(5));
    dropping.predict(c.params(), c.x(), 5, b, dropping.workspace(5));
    assertArrayEquals(a, b);
    // and without keys (gradcheck, the gradcheck command) the loss is the undropped one
    double[] g = new double[plain.numParams()];
    assertEquals(plain.lossAndGradient(c.params(), c.x(), c.y(), 5, g, plain.workspace(5)),
        dropping.lossAndGradient(c.params(), c.x(), c.y(), 5, g, dropping.workspace(5)), 0.0);
  }

  @Test
  void badRatesAreRefused() {
    Network net = net(Head.SOFTMAX_CROSS_ENTROPY, Activation.RELU);
    assertThrows(GradsparkException.class, () -> net.withDropout(1.0));
    assertThrows(GradsparkException.class, () -> net.withDropout(-0.1));
    assertThrows(GradsparkException.class, () -> net.withDropout(0.1, 0.2, 0.3));
    assertThrows(GradsparkException.class, () -> net.withDropout(Double.NaN));
    assertEquals(0.2, net.withDropout(0.1, 0.2).dropout(1), 0.0);
    assertTrue(!net.withDropout(0.0).hasDropout());
  }
}
