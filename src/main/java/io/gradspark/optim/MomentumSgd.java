package io.gradspark.optim;

import io.gradspark.GradsparkException;
import io.gradspark.Named;

/**
 * Stochastic gradient descent with momentum, on one flat parameter vector. Lives on the driver only
 * and owns its state, the velocity v (same layout as the parameters).
 *
 * <p>With g = the batch-MEAN gradient (clipped, see {@link Optimizer}) plus weight decay
 * (g += decay * w, for weights only, never for biases: L2 on biases only shifts the decision
 * surface without limiting capacity), mu = momentum and lr = the scheduled learning rate, one
 * step is:
 * <ul>
 *   <li>{@link Form#HEAVY_BALL} (Polyak; PyTorch's and TensorFlow's SGD): v = mu v + g; w -= lr v
 *   <li>{@link Form#EMA} (the exponential moving average of many from-scratch tutorials):
 *       v = mu v + (1 - mu) g; w -= lr v
 *   <li>{@link Form#NESTEROV} (Sutskever et al. 2013, in PyTorch's form with nesterov=True):
 *       v = mu v + g; w -= lr (g + mu v)
 * </ul>
 * mu = 0 makes all three plain SGD: w -= lr g.
 *
 * <p>Lifecycle: construct with the parameter count (v = 0); {@link #step} once per batch;
 * {@link #velocity} and {@link #restore} (or {@link #state} and {@link #restore(OptimizerState)})
 * to checkpoint and resume; {@link #reset} to start over. The {@code sgd} {@link Optimizer}.
 */
public final class MomentumSgd implements Optimizer {

  /** The momentum formulas, by config name. */
  public enum Form implements Named {
    HEAVY_BALL("heavy-ball"),
    EMA("ema"),
    NESTEROV("nesterov");

    private final String configName;

    Form(String configName) {
      this.configName = configName;
    }

    @Override
    public String configName() {
      return configName;
    }

    /** By config name: heavy-ball, ema or nesterov. */
    public static Form parse(String name) {
      return Named.parse(values(), name, "momentum form");
    }
  }

  private final Form form;
  private final double momentum;
  private final Common common;
  private final double[] v;

  /**
   * decayed: for each parameter, whether weight decay applies (true for weights, false for biases);
   * its length is the parameter count. Refuses momentum outside [0, 1) and negative decay.
   */
  public MomentumSgd(
      Form form, double momentum, double weightDecay, LearningRateSchedule schedule,
      boolean[] decayed) {
    this(form, momentum, weightDecay, 0, schedule, decayed);
  }

  /** As above, with the mean gradient's norm clipped to clipNorm (0: off). */
  public MomentumSgd(Form form, double momentum, double weightDecay, double clipNorm,
      LearningRateSchedule schedule, boolean[] decayed) {
    if (!(momentum >= 0 && momentum < 1)) {
      throw new GradsparkException(
          "Momentum must be in [0, 1) but was " + momentum,
          "0 is plain SGD; 0.9 is the common choice");
    }
    this.form = form;
    this.momentum = momentum;
    this.common = new Common(Method.SGD, schedule, weightDecay, clipNorm, decayed);
    this.v = common.buffers[0];
  }

  @Override
  public Method method() {
    return Method.SGD;
  }

  /**
   * {@inheritDoc} The trainer keeps the last good parameters by writing to another array,
   * without copying them.
   */
  @Override
  public boolean step(double[] from, double[] to, double[] gradSum, double scale,
      LearningRateSchedule.Position at) {
    common.checkLengths(from, to, gradSum);
    double lr = common.rate(at);
    double clip = common.clipFactor(gradSum, scale); // exactly 1 when off: g * 1 is g
    double mu = momentum;
    double weightDecay = common.weightDecay;
    boolean[] decayed = common.decayed;
    boolean finite = true;
    for (int i = 0; i < v.length; i++) {
      double w = from[i];
      double g = decayed[i] ? gradSum[i] * scale * clip + weightDecay * w
          : gradSum[i] * scale * clip;
      double next = switch (form) {
        case HEAVY_BALL -> {
          v[i] = mu * v[i] + g;
          yield w - lr * v[i];
        }
        case EMA -> {
          v[i] = mu * v[i] + (1 - mu) * g;
          yield w - lr * v[i];
        }
        case NESTEROV -> {
          v[i] = mu * v[i] + g;
          yield w - lr * (g + mu * v[i]);
        }
      };
      to[i] = next;
      finite &= Double.isFinite(next);
    }
    common.steps++;
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

  /** A copy of the velocity, for checkpoints. */
  public double[] velocity() {
    return v.clone();
  }

  /** Sets the velocity from a checkpoint. velocity: not modified. */
  public void restore(double[] velocity) {
    if (velocity.length != v.length) {
      throw new GradsparkException(
          "Expected an optimizer state of " + v.length + " values but found " + velocity.length);
    }
    System.arraycopy(velocity, 0, v, 0, v.length);
  }

  /** Back to v = 0 (and step 0, no plateau record). */
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
    String clip = common.clipNorm == 0 ? "" : ", clipNorm=" + common.clipNorm;
    return "MomentumSgd{form=" + form.configName + ", momentum=" + momentum + ", weightDecay="
        + common.weightDecay + clip + ", schedule=" + common.schedule + "}";
  }
}
