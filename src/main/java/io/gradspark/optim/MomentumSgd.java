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
public final class MomentumSgd extends BaseOptimizer {

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
    super(checked(momentum), schedule, weightDecay, clipNorm, decayed);
    this.form = form;
    this.momentum = momentum;
    this.v = buffers[0];
  }

  /** The momentum is refused before the shared settings, as it always was. */
  private static Method checked(double momentum) {
    if (!(momentum >= 0 && momentum < 1)) {
      throw new GradsparkException(
          "Momentum must be in [0, 1) but was " + momentum,
          "0 is plain SGD; 0.9 is the common choice");
    }
    return Method.SGD;
  }

  @Override
  void update(double[] from, double[] to, double[] gradSum, double scale, double clip, double lr,
      boolean decay, int lo, int hi) {
    switch (form) {
      // the EMA form scales g by 1 - mu; heavy-ball's factor 1 leaves g as it is, bit for bit
      case HEAVY_BALL -> momentum(from, to, gradSum, scale, clip, lr, 1.0, decay, lo, hi);
      case EMA -> momentum(from, to, gradSum, scale, clip, lr, 1 - momentum, decay, lo, hi);
      case NESTEROV -> nesterov(from, to, gradSum, scale, clip, lr, decay, lo, hi);
    }
  }

  /** v = mu v + factor g; w -= lr v. */
  private void momentum(double[] from, double[] to, double[] gradSum, double scale, double clip,
      double lr, double factor, boolean decay, int lo, int hi) {
    double mu = momentum;
    for (int i = lo; i < hi; i++) {
      double w = from[i];
      double vi = mu * v[i] + factor * decayedGradient(gradSum, i, scale, clip, decay, w);
      v[i] = vi;
      to[i] = w - lr * vi;
    }
  }

  private void nesterov(double[] from, double[] to, double[] gradSum, double scale, double clip,
      double lr, boolean decay, int lo, int hi) {
    double mu = momentum;
    for (int i = lo; i < hi; i++) {
      double w = from[i];
      double g = decayedGradient(gradSum, i, scale, clip, decay, w);
      double vi = mu * v[i] + g;
      v[i] = vi;
      to[i] = w - lr * (g + mu * vi);
    }
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

  @Override
  public String toString() {
    String clip = clipNorm == 0 ? "" : ", clipNorm=" + clipNorm;
    return "MomentumSgd{form=" + form.configName + ", momentum=" + momentum + ", weightDecay="
        + weightDecay + clip + ", schedule=" + schedule + "}";
  }
}
