package io.gradspark.optim;

import io.gradspark.GradsparkException;

/**
 * RMSprop (Hinton's lecture 6e) as {@code torch.optim.RMSprop} with centered=False and momentum 0.
 * With g the batch-mean gradient after clipping, lr the scheduled rate and s starting at 0, per
 * parameter:
 * <pre>
 *   g = g + wd * w                       (weights only)
 *   s = alpha * s + (1 - alpha) * g^2
 *   w = w - lr * g / (sqrt(s) + eps)
 * </pre>
 * State: s ({@code square_avg}).
 */
public final class RmsProp extends BaseOptimizer {
  private final double alpha;
  private final double eps;
  private final double[] s;

  /** Refuses alpha outside [0, 1) and a negative or infinite epsilon. */
  public RmsProp(double alpha, double eps, double weightDecay, double clipNorm,
      LearningRateSchedule schedule, boolean[] decayed) {
    super(checked(alpha, eps), schedule, weightDecay, clipNorm, decayed);
    this.alpha = alpha;
    this.eps = eps;
    this.s = buffers[0];
  }

  /** RMSprop's own settings are refused before the shared ones, as they always were. */
  private static Method checked(double alpha, double eps) {
    if (!(alpha >= 0 && alpha < 1)) {
      throw new GradsparkException("RMSprop's alpha must be in [0, 1) but was "
          + alpha, "torch's default is 0.99");
    }
    Adam.checkEpsilon(eps, "1e-8");
    return Method.RMSPROP;
  }

  @Override
  void update(double[] from, double[] to, double[] gradSum, double scale, double clip, double lr,
      boolean decay, int lo, int hi) {
    for (int i = lo; i < hi; i++) {
      double w = from[i];
      double g = decayedGradient(gradSum, i, scale, clip, decay, w);
      s[i] = alpha * s[i] + (1 - alpha) * g * g;
      to[i] = w - lr * (g / (Math.sqrt(s[i]) + eps));
    }
  }

  @Override
  public String toString() {
    return "RmsProp{alpha=" + alpha + ", epsilon=" + eps + ", " + describe() + "}";
  }
}
