package io.gradspark.optim;

import io.gradspark.GradsparkException;
import io.gradspark.Named;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A first-order optimizer on one flat parameter vector, living on the driver and owning its state
 * (moment buffers, step count, the plateau schedule's record). Every method shares the same outer
 * steps, in this order, with g the batch-MEAN gradient and lr the scheduled rate:
 * <ol>
 *   <li>clipping ({@code clipNorm} c > 0): with n = ||g||_2 over all parameters,
 *       g = g * min(1, c / (n + 1e-6)), as {@code torch.nn.utils.clip_grad_norm_};
 *   <li>weight decay (wd) on weights, never on biases: g += wd * w for sgd, adam, rmsprop and
 *       adagrad (torch's {@code weight_decay}); for adamw, decoupled: w = w * (1 - lr * wd) before
 *       the update;
 *   <li>the method's own update, documented on its class ({@link MomentumSgd}, {@link Adam},
 *       {@link RmsProp}, {@link Adagrad}).
 * </ol>
 *
 * <p>Lifecycle: construct (state zero); {@link #step} once per batch; {@link #endEpoch} after every
 * epoch with its validation loss (the plateau schedule's input); {@link #state} and
 * {@link #restore} to checkpoint and resume bit for bit; {@link #reset} to start over.
 */
public sealed interface Optimizer permits BaseOptimizer {

  /** The optimizer methods, by config name. */
  enum Method implements Named {
    SGD("sgd", "velocity"),
    ADAM("adam", "exp_avg", "exp_avg_sq"),
    ADAMW("adamw", "exp_avg", "exp_avg_sq"),
    RMSPROP("rmsprop", "square_avg"),
    ADAGRAD("adagrad", "sum");

    private final String configName;
    private final List<String> buffers;

    Method(String configName, String... buffers) {
      this.configName = configName;
      this.buffers = List.of(buffers);
    }

    @Override
    public String configName() {
      return configName;
    }

    /** The names of the method's per-parameter state arrays (torch's names, but "velocity"). */
    public List<String> buffers() {
      return buffers;
    }

    /**
     * torch's default epsilon of the method: 1e-10 for adagrad, 1e-8 for adam, adamw and rmsprop
     * (sgd has none: 0).
     */
    public double defaultEpsilon() {
      return switch (this) {
        case SGD -> 0;
        case ADAGRAD -> 1e-10;
        default -> 1e-8;
      };
    }

    /** By config name; an unknown one is refused with the nearest name and the list. */
    public static Method parse(String name) {
      try {
        return Named.parse(values(), name, "optimizer method");
      } catch (GradsparkException e) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        List<String> names = Arrays.stream(values()).map(Method::configName).toList();
        String guess = Named.nearest(n, names, 2).map(k -> "did you mean " + k + "? ").orElse("");
        throw new GradsparkException(e.getMessage(), guess + e.hint());
      }
    }
  }

  /** Which method this is. */
  Method method();

  /**
   * One update from a gradient SUM, in one pass: g = gradSum * scale (scale = 1 / rows makes it
   * the batch mean), then clipping, decay and the method's update; the new parameters are written
   * to {@code to}, which may be {@code from} (in place) or another array, which leaves {@code from}
   * untouched. at: the step's position in the run (for the schedule). Returns whether every new
   * parameter is finite. from, gradSum: not modified (unless from == to); to and the state:
   * modified.
   */
  boolean step(double[] from, double[] to, double[] gradSum, double scale,
      LearningRateSchedule.Position at);

  /**
   * One update in place. params: modified; grad: the batch-mean gradient, not modified. Returns
   * the learning rate used.
   */
  default double step(double[] params, double[] grad, LearningRateSchedule.Position at) {
    step(params, params, grad, 1.0, at);
    return rate(at);
  }

  /** The learning rate of the step at {@code at}, given the plateau reductions made so far. */
  double rate(LearningRateSchedule.Position at);

  /** Ends an epoch whose validation loss was validationLoss (NaN: none); feeds a plateau. */
  void endEpoch(double validationLoss);

  /** A copy of the whole state, for checkpoints. */
  OptimizerState state();

  /** Sets the state from a checkpoint (not modified); refuses another method's or size's. */
  void restore(OptimizerState state);

  /** Back to the initial state: zero buffers, step 0, no plateau record. */
  void reset();

  LearningRateSchedule schedule();
}
