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
public final class Adagrad implements Optimizer {
  private final double eps;
  private final Common common;
  private final double[] sum;

  /** Refuses a negative or infinite epsilon. */
  public Adagrad(double eps, double weightDecay, double clipNorm, LearningRateSchedule schedule,
      boolean[] decayed) {
    Adam.checkEpsilon(eps, "1e-10");
    this.eps = eps;
    this.common = new Common(Method.ADAGRAD, schedule, weightDecay, clipNorm, decayed);
    this.sum = common.buffers[0];
  }

  @Override
  public Method method() {
    return Method.ADAGRAD;
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
    for (int i = 0; i < sum.length; i++) {
      double w = from[i];
      double g = gradSum[i] * scale * clip;
      if (decayed[i]) {
        g = g + wd * w;
      }
      sum[i] = sum[i] + g * g;
      double next = w - lr * (g / (Math.sqrt(sum[i]) + eps));
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
    return "Adagrad{epsilon=" + eps + ", " + common.describe() + "}";
  }
}
