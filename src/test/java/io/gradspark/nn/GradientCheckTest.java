package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Backprop against central finite differences for every hidden activation with every head on small
 * multi-layer nets. The five-point central stencil
 * (L(w-2h) - 8 L(w-h) + 8 L(w+h) - L(w+2h)) / 12h has truncation error O(h^4), so h can stay large
 * enough (1e-3) that round-off in the loss differences stays ~1e-12 while truncation is ~1e-13.
 *
 * <p>ReLU and leaky ReLU have a kink at 0 where the loss has no derivative; a difference quotient whose
 * stencil straddles a kink measures nothing. Such parameters (a hidden pre-activation changes sign
 * between w - 2h and w + 2h) are counted, printed and left out; the test requires them to be rare. Relative error per parameter is
 * |fd - bp| / max(|fd|, |bp|, 1e-6): the floor keeps parameters whose gradient is 0 (where the
 * difference quotient is pure round-off, ~1e-13) from dominating; below it the check is absolute.
 */
class GradientCheckTest {
  private static final double H = 1e-3;
  /** Denominator floor: a gradient that is exactly 0 (a dead ReLU) must come out under 1e-12. */
  private static final double FLOOR = 1e-6;

  static List<Activation> activations() {
    return List.of(Activation.SIGMOID, Activation.TANH, Activation.RELU,
        Activation.leakyRelu(0.1), Activation.IDENTITY);
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
          double err = maxRelativeError(net, 7, 11L * sizes.length + head.ordinal());
          if (Double.isNaN(err)) {
            throw new AssertionError(net.describe() + ": too many parameters at a kink");
          }
          System.out.printf("gradcheck %-28s %-16s max rel err %.3e%n",
              net.describe(), head, err);
          assertTrue(err <= 1e-6, net.describe() + " " + head + ": max relative error " + err);
          worst = Math.max(worst, err);
        }
      }
    }
    System.out.printf("gradcheck: worst max relative error over all nets %.3e%n", worst);
  }

  @Test
  void mseHeadWithOneOutputChecksAsRegression() {
    Network net = new Network(new int[] {3, 4, 1}, List.of(Activation.TANH), Head.IDENTITY_MSE);
    double err = maxRelativeError(net, 5, 99);
    System.out.printf("gradcheck regression 3-4-1 max rel err %.3e%n", err);
    assertTrue(err <= 1e-6, "max relative error " + err);
  }

  /** Max relative error over all parameters of a random net on a random batch of n rows. */
  static double maxRelativeError(Network net, int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] params = net.initialParameters(Initializer.XAVIER_NORMAL, seed);
    for (int i = 0; i < params.length; i++) {
      params[i] += 0.1 * rng.nextGaussian(); // non-zero biases, so every path is exercised
    }
    double[] x = new double[n * net.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    double[] y = labels(net, n, rng);
    Network.Workspace ws = net.workspace(n);
    double[] grad = new double[net.numParams()];
    net.lossAndGradient(params, x, y, n, grad, ws);
    double[] scratch = new double[net.numParams()];
    double worst = 0;
    int atKink = 0;
    for (int i = 0; i < params.length; i++) {
      double keep = params[i];
      if (straddlesKink(net, params, i, x, y, n, scratch, ws)) {
        atKink++;
        continue;
      }
      double fd = (loss(net, params, i, keep - 2 * H, x, y, n, scratch, ws)
          - 8 * loss(net, params, i, keep - H, x, y, n, scratch, ws)
          + 8 * loss(net, params, i, keep + H, x, y, n, scratch, ws)
          - loss(net, params, i, keep + 2 * H, x, y, n, scratch, ws)) / (12 * H);
      params[i] = keep;
      double rel = Math.abs(fd - grad[i]) / Math.max(Math.max(Math.abs(fd), Math.abs(grad[i])), FLOOR);
      worst = Math.max(worst, rel);
    }
    if (atKink > 0) {
      System.out.printf("gradcheck %s: %d of %d parameters straddle a ReLU kink, left out%n",
          net.describe(), atKink, params.length);
    }
    return atKink * 20 > params.length ? Double.NaN : worst;
  }

  /** Whether any hidden ReLU pre-activation changes sign as parameter i moves over [-2h, 2h]. */
  private static boolean straddlesKink(Network net, double[] params, int i, double[] x, double[] y,
      int n, double[] scratch, Network.Workspace ws) {
    boolean piecewise = false;
    for (Activation a : net.activations()) {
      piecewise |= a.kind() == Activation.Kind.RELU || a.kind() == Activation.Kind.LEAKY_RELU;
    }
    if (!piecewise) {
      return false;
    }
    double keep = params[i];
    boolean[][] low = signs(net, loss(net, params, i, keep - 2 * H, x, y, n, scratch, ws), ws, n);
    boolean[][] high = signs(net, loss(net, params, i, keep + 2 * H, x, y, n, scratch, ws), ws, n);
    params[i] = keep;
    return !java.util.Arrays.deepEquals(low, high);
  }

  private static boolean[][] signs(Network net, double ignoredLoss, Network.Workspace ws, int n) {
    boolean[][] s = new boolean[net.layers() - 1][];
    for (int l = 0; l < s.length; l++) {
      int cells = n * net.sizes()[l + 1];
      s[l] = new boolean[cells];
      for (int c = 0; c < cells; c++) {
        s[l][c] = ws.z[l][c] > 0;
      }
    }
    return s;
  }

  private static double loss(Network net, double[] params, int i, double value, double[] x,
      double[] y, int n, double[] scratch, Network.Workspace ws) {
    params[i] = value;
    return net.lossAndGradient(params, x, y, n, scratch, ws);
  }

  static double[] labels(Network net, int n, SplittableRandom rng) {
    double[] y = new double[n];
    int classes = net.classes();
    for (int r = 0; r < n; r++) {
      y[r] = classes == 0 ? rng.nextGaussian() : rng.nextInt(classes);
    }
    return y;
  }

}
