package io.gradspark.optim;

import io.gradspark.GradsparkException;

/**
 * Adam (Kingma and Ba 2015) and AdamW (Loshchilov and Hutter 2019) as {@code torch.optim.Adam}
 * and {@code torch.optim.AdamW} define them (amsgrad off). With g the batch-mean gradient after
 * clipping, lr the scheduled rate, t the 1-based step count and m, v starting at 0, per parameter:
 * <pre>
 *   adam:   g = g + wd * w                       (weights only)
 *   adamw:  w = w * (1 - lr * wd)                (weights only; = w - lr * wd * w)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   w = w - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * epsilon is added to the square root of the bias-corrected second moment, as torch does. State:
 * m ({@code exp_avg}), v ({@code exp_avg_sq}) and t.
 */
public final class Adam extends BaseOptimizer {
  private final boolean decoupled;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double[] m;
  private final double[] v;

  /**
   * decoupled: AdamW's decay instead of Adam's. decayed: per parameter, whether weight decay
   * applies (weights, not biases); its length is the parameter count. Refuses betas outside
   * [0, 1) and a negative or infinite epsilon.
   */
  public Adam(boolean decoupled, double beta1, double beta2, double eps, double weightDecay,
      double clipNorm, LearningRateSchedule schedule, boolean[] decayed) {
    super(checked(decoupled, beta1, beta2, eps), schedule, weightDecay, clipNorm, decayed);
    this.decoupled = decoupled;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.m = buffers[0];
    this.v = buffers[1];
  }

  /** Adam's own settings are refused before the shared ones, as they always were. */
  private static Method checked(boolean decoupled, double beta1, double beta2, double eps) {
    checkBeta("beta1", beta1, "0.9");
    checkBeta("beta2", beta2, "0.999");
    checkEpsilon(eps, "1e-8");
    return decoupled ? Method.ADAMW : Method.ADAM;
  }

  static void checkBeta(String name, double beta, String usual) {
    if (!(beta >= 0 && beta < 1)) {
      throw new GradsparkException("Adam's " + name + " must be in [0, 1) but was " + beta,
          "torch's default is " + usual);
    }
  }

  static void checkEpsilon(double eps, String usual) {
    if (!(eps >= 0) || Double.isInfinite(eps)) {
      throw new GradsparkException("The optimizer's epsilon must be a finite number >= 0 but was "
          + eps, "torch's default is " + usual);
    }
  }

  @Override
  void update(double[] from, double[] to, double[] gradSum, double scale, double clip, double lr,
      boolean decay, int lo, int hi) {
    long t = steps;
    double stepSize = lr / (1 - Math.pow(beta1, t));
    double correction2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
    // AdamW's decay multiplies the weight (w * 1 is w, exactly); Adam's adds to the gradient
    double shrink = decay && decoupled ? 1 - lr * weightDecay : 1.0;
    boolean coupled = decay && !decoupled;
    for (int i = lo; i < hi; i++) {
      double w = from[i] * shrink;
      double g = decayedGradient(gradSum, i, scale, clip, coupled, from[i]);
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      to[i] = w - stepSize * (m[i] / (Math.sqrt(v[i]) / correction2Sqrt + eps));
    }
  }

  @Override
  public String toString() {
    return (decoupled ? "AdamW" : "Adam") + "{beta1=" + beta1 + ", beta2=" + beta2 + ", epsilon="
        + eps + ", " + describe() + "}";
  }
}
