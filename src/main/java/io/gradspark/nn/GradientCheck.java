package io.gradspark.nn;

import java.util.Arrays;

/**
 * Backprop against finite differences of the loss, for the tests and for the {@code gradcheck}
 * command.
 *
 * <p>The derivative is taken with the five-point central stencil
 * (L(w-2h) - 8 L(w-h) + 8 L(w+h) - L(w+2h)) / 12h, whose truncation error is O(h^4): with h = 1e-3
 * truncation is ~1e-13 while round-off in the loss differences stays ~1e-12 (a two-point stencil
 * would need h ~ 1e-5 and lose three more digits to round-off).
 *
 * <p>Relative error per parameter is |fd - bp| / max(|fd|, |bp|, floor): the floor keeps parameters
 * whose gradient is 0 (a dead ReLU unit; there the difference quotient is pure round-off) from
 * dominating, so below it the check is absolute.
 *
 * <p>ReLU and leaky ReLU have a kink at 0 where the loss has no derivative; ELU and SELU one in
 * their first or second derivative, and softplus a step of 2e-9 at its threshold 20. A stencil that
 * straddles one measures nothing. Parameters for which some hidden pre-activation changes piece
 * ({@link Activation#piece}) between w - 2h and w + 2h are counted and left out.
 */
public final class GradientCheck {
  public static final double DEFAULT_STEP = 1e-3;
  public static final double DEFAULT_FLOOR = 1e-6;

  private GradientCheck() {}

  /**
   * @param checked parameters compared
   * @param atKink parameters left out because the stencil straddles a kink
   * @param worstIndex the parameter with the largest relative error (-1 if none checked)
   */
  public record Result(double maxRelativeError, int checked, int atKink, int worstIndex) {}

  /**
   * Compares backprop with finite differences on the given parameter indices, for the loss SUM of
   * the batch x (n, nIn), y. params is modified during the check and restored before returning.
   */
  public static Result compare(
      Network net, double[] params, double[] x, double[] y, int n, int[] indices, double h,
      double floor) {
    return compare(net, params, x, y, null, null, n, indices, h, floor);
  }

  /**
   * As above for the weighted loss sum_i w_i loss_i (w null: unweighted) under the dropout masks
   * keys name (null: none): the masks depend on the keys only, not on the parameters, so every
   * evaluation of the stencil sees the same mask and the loss is a smooth function of them.
   */
  public static Result compare(
      Network net, double[] params, double[] x, double[] y, double[] w, Dropout.Keys keys, int n,
      int[] indices, double h, double floor) {
    Batch b = new Batch(x, y, w, keys, n);
    Network.Workspace ws = net.workspace(n);
    double[] grad = new double[net.numParams()];
    net.lossAndGradient(params, x, y, w, keys, n, grad, ws);
    double[] scratch = new double[net.numParams()];
    boolean piecewise = net.activations().stream().anyMatch(Activation::piecewise);
    double worst = 0;
    int worstIndex = -1;
    int checked = 0;
    int atKink = 0;
    for (int i : indices) {
      double keep = params[i];
      try {
        if (piecewise) {
          loss(net, params, i, keep - 2 * h, b, scratch, ws);
          boolean[][] low = signs(net, ws, n);
          loss(net, params, i, keep + 2 * h, b, scratch, ws);
          if (!Arrays.deepEquals(low, signs(net, ws, n))) {
            atKink++;
            continue;
          }
        }
        double fd = (loss(net, params, i, keep - 2 * h, b, scratch, ws)
            - 8 * loss(net, params, i, keep - h, b, scratch, ws)
            + 8 * loss(net, params, i, keep + h, b, scratch, ws)
            - loss(net, params, i, keep + 2 * h, b, scratch, ws)) / (12 * h);
        double rel = Math.abs(fd - grad[i])
            / Math.max(Math.max(Math.abs(fd), Math.abs(grad[i])), floor);
        checked++;
        if (rel > worst || worstIndex < 0) {
          worst = rel;
          worstIndex = i;
        }
      } finally {
        params[i] = keep;
      }
    }
    return new Result(worst, checked, atKink, worstIndex);
  }

  /**
   * max_i |a_i - b_i| / max_i |a_i|: how far two vectors of the same quantity differ, relative to
   * the first one's scale (an elementwise ratio is meaningless where a sum cancels to ~0). The
   * absolute difference when a is all zeros. a, b: not modified.
   */
  public static double relativeDifference(double[] a, double[] b) {
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(a[i]));
    }
    return scale == 0 ? diff : diff / scale;
  }

  /**
   * The round-off to expect in a five-point difference quotient of a loss of magnitude |loss|:
   * each loss value carries ~1e-15 |loss| of error and the stencil's weights sum to 18/12h. A
   * gradient below noise / tolerance cannot be checked to that relative tolerance; use this to set
   * the floor of {@link #compare} (below it the check is absolute at the noise level).
   */
  public static double noise(double loss, double h) {
    return 1e-15 * Math.max(1, Math.abs(loss)) * 18 / (12 * h);
  }

  /** The batch a check differentiates the loss of. */
  private record Batch(double[] x, double[] y, double[] w, Dropout.Keys keys, int n) {}

  private static double loss(Network net, double[] params, int i, double value, Batch b,
      double[] scratch, Network.Workspace ws) {
    params[i] = value;
    return net.lossAndGradient(params, b.x(), b.y(), b.w(), b.keys(), b.n(), scratch, ws);
  }

  /** The piece of its activation every hidden pre-activation of the last forward pass is in. */
  private static boolean[][] signs(Network net, Network.Workspace ws, int n) {
    boolean[][] s = new boolean[net.layers() - 1][];
    for (int l = 0; l < s.length; l++) {
      int cells = n * net.sizes()[l + 1];
      Activation f = net.activation(l);
      s[l] = new boolean[cells];
      for (int c = 0; c < cells; c++) {
        s[l][c] = f.piece(ws.z[l][c]) == 1;
      }
    }
    return s;
  }
}
