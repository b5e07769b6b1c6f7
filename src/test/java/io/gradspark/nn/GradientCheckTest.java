package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Backprop against central finite differences ({@link GradientCheck}: five-point stencil, relative
 * error with a 1e-6 floor, kinks left out) for every hidden activation with every head, on small
 * multi-layer nets and random batches. Kinks must be rare (at most 5% of parameters).
 */
class GradientCheckTest {

  static List<Activation> activations() {
    return List.of(Activation.SIGMOID, Activation.TANH, Activation.RELU,
        Activation.leakyRelu(0.1), Activation.IDENTITY, Activation.GELU, Activation.ELU,
        Activation.elu(0.5), Activation.SELU, Activation.SOFTPLUS, Activation.SILU);
  }

  /** The softmax head's label smoothing, three values, with smooth activations, in two shapes. */
  @Test
  void labelSmoothingMatchesFiniteDifferences() {
    double worst = 0;
    for (double eps : new double[] {0.1, 0.35, 0.9}) {
      for (Activation act : List.of(Activation.TANH, Activation.GELU, Activation.SILU)) {
        for (int[] sizes : new int[][] {{4, 5, 3}, {4, 6, 4, 5}}) {
          Network net = new Network(sizes, List.of(act), Head.SOFTMAX_CROSS_ENTROPY, eps);
          worst = Math.max(worst,
              check(net, 7, 31L * sizes.length + 7L * act.kind().ordinal() + (long) (eps * 100)));
        }
      }
    }
    System.out.printf("gradcheck with label smoothing: worst max relative error %.3e%n", worst);
  }

  /**
   * Pre-activations pushed to softplus's threshold (20) and through it: the five-point stencil
   * across its 2e-9 step is left out, not failed, and everything else still checks.
   */
  @Test
  void softplusThresholdIsLeftOutNotFailed() {
    Network net = new Network(new int[] {2, 3, 2}, List.of(Activation.SOFTPLUS),
        Head.SOFTMAX_CROSS_ENTROPY);
    double[] params = {10, 0, 0, 10, 5, 5, 19.9995, 0, 20.0005, 0.1, -0.1, 0.2, 0.3, -0.2, 0.1,
        0.05, -0.05};
    double[] x = {1, 0, 0, 1, 1, 1};
    double[] y = {0, 1, 1};
    int[] all = new int[params.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    GradientCheck.Result r = GradientCheck.compare(net, params, x, y, 3, all,
        GradientCheck.DEFAULT_STEP, GradientCheck.DEFAULT_FLOOR);
    System.out.printf("softplus at its threshold: max rel err %.3e (%d checked, %d at a kink)%n",
        r.maxRelativeError(), r.checked(), r.atKink());
    assertTrue(r.atKink() > 0, "no parameter straddled the threshold");
    assertTrue(r.maxRelativeError() <= 1e-6, "max relative error " + r.maxRelativeError());
  }

  @Test
  void backpropMatchesFiniteDifferencesForEveryActivationAndHead() {
    double worst = 0;
    for (Head head : Head.values()) {
      for (Activation act : activations()) {
        for (int[] hidden : new int[][] {{5}, {6, 4}}) {
          int out = head == Head.SIGMOID_BINARY_CROSS_ENTROPY ? 1 : 3;
          int[] sizes = new int[hidden.length + 2];
          sizes[0] = 4;
          System.arraycopy(hidden, 0, sizes, 1, hidden.length);
          sizes[sizes.length - 1] = out;
          Network net = new Network(sizes, List.of(act), head);
          worst = Math.max(worst, check(net, 7, 11L * sizes.length + head.ordinal()));
        }
      }
    }
    System.out.printf("gradcheck: worst max relative error over all nets %.3e%n", worst);
  }

  @Test
  void mseHeadWithOneOutputChecksAsRegression() {
    check(new Network(new int[] {3, 4, 1}, List.of(Activation.TANH), Head.IDENTITY_MSE), 5, 99);
  }

  /** Checks every parameter of a random net on a random batch of n rows; returns the max error. */
  static double check(Network net, int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] params = net.initialParameters(Initializer.XAVIER_NORMAL, seed);
    for (int i = 0; i < params.length; i++) {
      params[i] += 0.1 * rng.nextGaussian(); // non-zero biases, so every path is exercised
    }
    double[] x = new double[n * net.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    double[] y = new double[n];
    for (int r = 0; r < n; r++) {
      y[r] = net.classes() == 0 ? rng.nextGaussian() : rng.nextInt(net.classes());
    }
    int[] all = new int[params.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    GradientCheck.Result r = GradientCheck.compare(net, params, x, y, n, all,
        GradientCheck.DEFAULT_STEP, GradientCheck.DEFAULT_FLOOR);
    System.out.printf("gradcheck %-26s max rel err %.3e (%d checked, %d at a kink)%n",
        net.describe(), r.maxRelativeError(), r.checked(), r.atKink());
    assertTrue(r.atKink() * 20 <= params.length, net.describe() + ": too many kinks " + r.atKink());
    assertTrue(r.maxRelativeError() <= 1e-6,
        net.describe() + ": max relative error " + r.maxRelativeError() + " at " + r.worstIndex());
    return r.maxRelativeError();
  }
}
