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
public final class RmsProp implements Optimizer {
  private final double alpha;
  private final double eps;
  private final Common common;
  private final double[] s;

  /** Refuses alpha outside [0, 1) and a negative or infinite epsilon. */
  public RmsProp(double alpha, double eps, double weightDecay, double clipNorm,
      LearningRateSchedule schedule, boolean[] decayed) {
    if (!(alpha >= 0 && alpha < 1)) {
      throw new GradsparkException("RMSprop's alpha must be in [0, 1) but was "
          + alpha, "torch's default is 0.99");
    }
    Adam.checkEpsilon(eps, "1e-8");
    this.alpha = alpha;
    this.eps = eps;
    this.common = new Common(Method.RMSPROP, schedule, weightDecay, clipNorm, decayed);
    this.s = common.buffers[0];
  }

  @Override
  public Method method() {
    return Method.RMSPROP;
  }

  @Override
  public boolean step(double[] from, double[] to, double[] gradSum, double scale,
      LearningRateSchedule.Position at) {
    common.checkLengths(from, to, gradSum);
    double lr = common.rate(at);
    double clip = common.clipFactor(gradSum, scale);
    common.steps++;
    double wd = common.weightDecay;
    boolean[] decayed = common.decayed;
    boolean finite = true;
    for (int i = 0; i < s.length; i++) {
      double w = from[i];
      double g = gradSum[i] * scale * clip;
      if (decayed[i]) {
        g = g + wd * w;
      }
      s[i] = alpha * s[i] + (1 - alpha) * g * g;
      double next = w - lr * (g / (Math.sqrt(s[i]) + eps));
      to[i] = next;
      finite &= Double.isFinite(next);
    }
    return finite;
  }

  @Override
  public double rate(LearningRateSchedule.Position at) {
    return common.rate(at);
  }

  @Override
  public void endEpoch(double validationLoss) {
    common.endEpoch(validationLoss);
  }

  @Override
  public OptimizerState state() {
    return common.state();
  }

  @Override
  public void restore(OptimizerState state) {
    common.restore(state);
  }

  @Override
  public void reset() {
    common.reset();
  }

  @Override
  public LearningRateSchedule schedule() {
    return common.schedule;
  }

  @Override
  public String toString() {
    return "RmsProp{alpha=" + alpha + ", epsilon=" + eps + ", " + common.describe() + "}";
  }
}
