package io.gradspark.optim;

/**
 * Adagrad (Duchi et al. 2011) as {@code torch.optim.Adagrad} with lr_decay 0 and an initial
 * accumulator of 0. With g the batch-mean gradient after clipping, lr the scheduled rate and
 * the sum G starting at 0, per parameter:
 * <pre>
 *   g = g + wd * w                       (weights only)
 *   G = G + g^2
 *   w = w - lr * g / (sqrt(G) + eps)
 * </pre>
 * State: G ({@code sum}).
 */
public final class Adagrad extends BaseOptimizer {
  private final double eps;
  private final double[] sum;

  /** Refuses a negative or infinite epsilon. */
  public Adagrad(double eps, double weightDecay, double clipNorm, LearningRateSchedule schedule,
      boolean[] decayed) {
    super(checked(eps), schedule, weightDecay, clipNorm, decayed);
    this.eps = eps;
    this.sum = buffers[0];
  }

  /** Adagrad's epsilon is refused before the shared settings, as it always was. */
  private static Method checked(double eps) {
    Adam.checkEpsilon(eps, "1e-10");
    return Method.ADAGRAD;
  }

  @Override
  void update(double[] from, double[] to, double[] gradSum, double scale, double clip, double lr,
      boolean decay, int lo, int hi) {
    for (int i = lo; i < hi; i++) {
      double w = from[i];
      double g = decayedGradient(gradSum, i, scale, clip, decay, w);
      sum[i] = sum[i] + g * g;
      to[i] = w - lr * (g / (Math.sqrt(sum[i]) + eps));
    }
  }

  @Override
  public String toString() {
    return "Adagrad{epsilon=" + eps + ", " + describe() + "}";
  }
}
