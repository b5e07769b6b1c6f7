package io.gradspark.optim;

import io.gradspark.GradsparkException;
import io.gradspark.Named;
import java.util.Arrays;

/**
 * Stochastic gradient descent with momentum, on one flat parameter vector. Lives on the driver only
 * and owns its state, the velocity v (same layout as the parameters).
 *
 * <p>With g = the batch-MEAN gradient plus weight decay (g += decay * w, for weights only, never for
 * biases: L2 on biases only shifts the decision surface without limiting capacity), mu = momentum and
 * lr = the scheduled learning rate, one step is:
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
 * {@link #velocity} and {@link #restore} to checkpoint and resume; {@link #reset} to start over.
 */
public final class MomentumSgd {

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
  private final double weightDecay;
  private final LearningRateSchedule schedule;
  private final boolean[] decayed; // per parameter: is it a weight (decayed) or a bias
  private final double[] v;

  /**
   * decayed: for each parameter, whether weight decay applies (true for weights, false for biases);
   * its length is the parameter count. Refuses momentum outside [0, 1) and negative decay.
   */
  public MomentumSgd(
      Form form, double momentum, double weightDecay, LearningRateSchedule schedule,
      boolean[] decayed) {
    if (!(momentum >= 0 && momentum < 1)) {
      throw new GradsparkException(
          "Momentum must be in [0, 1) but was " + momentum,
          "0 is plain SGD; 0.9 is the common choice");
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new GradsparkException(
          "Weight decay must be a finite number >= 0 but was " + weightDecay, "e.g. 0 or 1e-4");
    }
    this.form = form;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.schedule = schedule;
    this.decayed = decayed.clone();
    this.v = new double[decayed.length];
  }

  /**
   * One update in place. params: modified; grad: the batch-mean gradient, not modified. at: the
   * step's position in the run (for the schedule). Returns the learning rate used.
   */
  public double step(double[] params, double[] grad, LearningRateSchedule.Position at) {
    step(params, params, grad, 1.0, at);
    return schedule.at(at);
  }

  /**
   * One update from a gradient SUM, in one pass: g = gradSum * scale (scale = 1 / rows makes it the
   * batch mean) plus weight decay; the velocity is updated and the new parameters are written to
   * {@code to}, which may be {@code from} (in place) or another array, which leaves {@code from}
   * untouched: the trainer keeps the last good parameters that way without copying them. Returns
   * whether every new parameter is finite. from, gradSum: not modified (unless from == to); to and
   * the velocity: modified.
   */
  public boolean step(double[] from, double[] to, double[] gradSum, double scale,
      LearningRateSchedule.Position at) {
    if (from.length != v.length || to.length != v.length || gradSum.length != v.length) {
      throw new IllegalArgumentException(
          "Expected " + v.length + " parameters but found " + from.length + ", " + to.length
              + " and " + gradSum.length + " gradient values");
    }
    double lr = schedule.at(at);
    double mu = momentum;
    boolean finite = true;
    for (int i = 0; i < v.length; i++) {
      double w = from[i];
      double g = decayed[i] ? gradSum[i] * scale + weightDecay * w : gradSum[i] * scale;
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
    return finite;
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

  /** Back to v = 0. */
  public void reset() {
    Arrays.fill(v, 0.0);
  }

  public LearningRateSchedule schedule() {
    return schedule;
  }

  @Override
  public String toString() {
    return "MomentumSgd{form=" + form.configName + ", momentum=" + momentum + ", weightDecay="
        + weightDecay + ", schedule=" + schedule + "}";
  }
}
