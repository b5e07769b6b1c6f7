package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Label smoothing of the softmax head against PyTorch's definition of
 * CrossEntropyLoss(label_smoothing=eps): (1 - eps) nll + eps mean_k(-log p_k) per row, written
 * here independently of {@link Heads}; the gradient against p - q; eps = 0 against the plain head
 * bit for bit; evaluation against training; refusals.
 */
class LabelSmoothingTest {

  /** PyTorch's formula on log_softmax, computed the plain way. */
  private static double torchLoss(double[] z, int o, int k, int label, double eps) {
    double m = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) {
      m = Math.max(m, z[o + j]);
    }
    double s = 0;
    for (int j = 0; j < k; j++) {
      s += Math.exp(z[o + j] - m);
    }
    double meanNegLogP = 0;
    for (int j = 0; j < k; j++) {
      meanNegLogP -= (z[o + j] - m - Math.log(s)) / k;
    }
    double nll = -(z[o + label] - m - Math.log(s));
    return (1 - eps) * nll + eps * meanNegLogP;
  }

  @Test
  void aWorkedExampleMatchesMpmath() {
    // z = (1, 2, 3), label 0, eps = 0.1, K = 3: -sum q log p and p - q to 40 digits with mpmath
    double[] z = {1, 2, 3};
    double[] dZ = new double[3];
    double loss = Heads.lossAndDelta(Head.SOFTMAX_CROSS_ENTROPY, 0.1, z, new double[] {0}, 1, 3,
        dZ);
    double[] grad = {-0.8433027601629528753, 0.2113951377214643191, 0.6319076224414885562};
    System.out.printf(Locale.ROOT, "label smoothing worked example: loss %.17g (mpmath "
        + "2.3076059644443803045), gradient max difference %.2e%n", loss,
        GradientCheck.relativeDifference(grad, dZ));
    assertEquals(2.3076059644443803045, loss, 4e-16 * 2.31);
    assertArrayEquals(grad, dZ, 4e-16);
  }

  @Test
  void lossIsTorchsFormulaAndGradientIsPMinusQ() {
    SplittableRandom rng = new SplittableRandom(5);
    int n = 40;
    int k = 7;
    double worstLoss = 0;
    double worstGrad = 0;
    for (double eps : new double[] {0.05, 0.1, 0.5, 0.99}) {
      double[] z = new double[n * k];
      double[] y = new double[n];
      for (int i = 0; i < z.length; i++) {
        z[i] = 6 * rng.nextGaussian();
      }
      for (int r = 0; r < n; r++) {
        y[r] = rng.nextInt(k);
      }
      double[] dZ = new double[n * k];
      double loss = Heads.lossAndDelta(Head.SOFTMAX_CROSS_ENTROPY, eps, z, y, n, k, dZ);
      double expected = 0;
      double[] pq = new double[n * k];
      double[] p = new double[n * k];
      Heads.outputs(Head.SOFTMAX_CROSS_ENTROPY, z, n, k, p);
      for (int r = 0; r < n; r++) {
        expected += torchLoss(z, r * k, k, (int) y[r], eps);
        for (int j = 0; j < k; j++) {
          double q = (j == (int) y[r] ? 1 - eps : 0) + eps / k;
          pq[r * k + j] = p[r * k + j] - q;
        }
      }
      worstLoss = Math.max(worstLoss, Math.abs(loss - expected) / expected);
      worstGrad = Math.max(worstGrad, GradientCheck.relativeDifference(pq, dZ));
    }
    System.out.printf(Locale.ROOT, "label smoothing vs torch's formula: loss max relative "
        + "difference %.2e, gradient vs p - q %.2e%n", worstLoss, worstGrad);
    assertTrue(worstLoss <= 1e-14, "loss " + worstLoss);
    assertTrue(worstGrad <= 1e-15, "gradient " + worstGrad);
  }

  @Test
  void zeroIsThePlainHeadBitForBitAndEvaluationReportsTheSmoothedLoss() {
    Network plain = new Network(new int[] {5, 6, 4}, List.of(Activation.GELU),
        Head.SOFTMAX_CROSS_ENTROPY);
    Network zero = new Network(new int[] {5, 6, 4}, List.of(Activation.GELU),
        Head.SOFTMAX_CROSS_ENTROPY, 0.0);
    Network smooth = new Network(new int[] {5, 6, 4}, List.of(Activation.GELU),
        Head.SOFTMAX_CROSS_ENTROPY, 0.2);
    SplittableRandom rng = new SplittableRandom(3);
    int n = 9;
    double[] x = new double[n * 5];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    double[] y = new double[n];
    for (int r = 0; r < n; r++) {
      y[r] = rng.nextInt(4);
    }
    double[] params = plain.initialParameters(Initializer.XAVIER_NORMAL, 3);
    double[] g1 = new double[plain.numParams()];
    double[] g2 = new double[plain.numParams()];
    double[] g3 = new double[plain.numParams()];
    double l1 = plain.lossAndGradient(params, x, y, n, g1, plain.workspace(n));
    double l2 = zero.lossAndGradient(params, x, y, n, g2, zero.workspace(n));
    double l3 = smooth.lossAndGradient(params, x, y, n, g3, smooth.workspace(n));
    assertEquals(l1, l2, 0.0);
    assertArrayEquals(g1, g2, 0.0);
    assertTrue(l3 != l1, "smoothing changed nothing");

    double[] sum = {0};
    smooth.evaluate(params, x, y, n, (loss, label, predicted) -> sum[0] += loss,
        smooth.workspace(n));
    System.out.printf(Locale.ROOT, "evaluation vs training loss with eps 0.2: %.2e%n",
        Math.abs(sum[0] - l3) / l3);
    assertEquals(l3, sum[0], 1e-14 * l3);
    assertEquals("5-6-4 gelu/softmax-ls0.2", smooth.describe());
  }

  @Test
  void refusedOutsideZeroToOneAndForOtherHeads() {
    GradsparkException e = assertThrows(GradsparkException.class, () -> new Network(
        new int[] {3, 1}, List.of(), Head.SIGMOID_BINARY_CROSS_ENTROPY, 0.1));
    assertTrue(e.getMessage().contains("needs the softmax head"), e.getMessage());
    assertTrue(e.hint().contains("softmax"), e.hint());
    assertThrows(GradsparkException.class,
        () -> new Network(new int[] {3, 2}, List.of(), Head.IDENTITY_MSE, 0.1));
    for (double bad : new double[] {-0.1, 1.0, Double.NaN}) {
      e = assertThrows(GradsparkException.class,
          () -> new Network(new int[] {3, 2}, List.of(), Head.SOFTMAX_CROSS_ENTROPY, bad));
      assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
    }
  }
}
