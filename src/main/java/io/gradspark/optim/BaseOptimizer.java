package io.gradspark.optim;

import io.gradspark.GradsparkException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every optimizer method shares: the schedule and its plateau record, weight decay with
 * the mask saying which parameters are weights, gradient clipping, the step count, and the
 * per-parameter buffers of its state, with their checkpoint round trip. {@link #step} does the
 * outer steps every method shares; a subclass holds only its own {@link #update}.
 */
abstract sealed class BaseOptimizer implements Optimizer
    permits MomentumSgd, Adam, RmsProp, Adagrad {
  /** torch's clip_grad_norm_ adds this to the norm before dividing. */
  static final double CLIP_EPS = 1e-6;

  final Optimizer.Method method;
  final LearningRateSchedule schedule;
  final double weightDecay;
  final double clipNorm;
  final boolean[] decayed; // per parameter: is it a weight (decayed) or a bias
  /**
   * Where decayed changes: [0, i1, i2, ..., n), each run [runs[k], runs[k + 1]) all weights or all
   * biases, so that an update loop over a run has no per-parameter branch (and HotSpot
   * vectorizes it).
   */
  final int[] runs;
  final double[][] buffers; // in the order of method.buffers()
  private final ReduceOnPlateau plateau; // null when the schedule has none
  long steps;

  BaseOptimizer(Optimizer.Method method, LearningRateSchedule schedule, double weightDecay,
      double clipNorm, boolean[] decayed) {
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new GradsparkException(
          "Weight decay must be a finite number >= 0 but was " + weightDecay, "e.g. 0 or 1e-4");
    }
    if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
      throw new GradsparkException("The gradient clipping norm must be a finite number >= 0 "
          + "but was " + clipNorm, "0 turns clipping off; e.g. 1.0");
    }
    this.method = method;
    this.schedule = schedule;
    this.weightDecay = weightDecay;
    this.clipNorm = clipNorm;
    this.decayed = decayed.clone();
    this.runs = runs(decayed);
    this.buffers = new double[method.buffers().size()][decayed.length];
    this.plateau = schedule.plateau() == null ? null : new ReduceOnPlateau(schedule.plateau());
  }

  @Override
  public final Method method() {
    return method;
  }

  /**
   * {@inheritDoc} The trainer keeps the last good parameters by writing to another array,
   * without copying them.
   */
  @Override
  public final boolean step(double[] from, double[] to, double[] gradSum, double scale,
      LearningRateSchedule.Position at) {
    checkLengths(from, to, gradSum);
    double lr = rate(at);
    double clip = clipFactor(gradSum, scale); // exactly 1 when off: g * 1 is g
    steps++;
    for (int r = 0; r + 1 < runs.length; r++) {
      update(from, to, gradSum, scale, clip, lr, decayed[runs[r]], runs[r], runs[r + 1]);
    }
    return allFinite(to);
  }

  /**
   * The method's own update of the parameters [lo, hi), all weights (decay) or all biases, the
   * step count already counting this step: g = gradSum[i] * scale * clip (in that order, for
   * bit-identical results), then decay and the formula of the subclass, writing the new
   * parameters to {@code to}. One loop over a run, with no branch per parameter, so that HotSpot
   * vectorizes it (about twice as fast as one loop over all parameters with the branches inside).
   */
  abstract void update(double[] from, double[] to, double[] gradSum, double scale, double clip,
      double lr, boolean decay, int lo, int hi);

  /** The mean gradient g = gradSum[i] * scale * clip, plus wd * w for a weight (L2 decay). */
  final double decayedGradient(double[] gradSum, int i, double scale, double clip, boolean decay,
      double w) {
    return decay ? gradSum[i] * scale * clip + weightDecay * w : gradSum[i] * scale * clip;
  }

  @Override
  public final double rate(LearningRateSchedule.Position at) {
    return plateau == null ? schedule.at(at) : schedule.at(at, plateau.reductions());
  }

  private static int[] runs(boolean[] decayed) {
    int[] starts = new int[decayed.length + 1];
    int k = 0;
    for (int i = 0; i < decayed.length; i++) {
      if (i == 0 || decayed[i] != decayed[i - 1]) {
        starts[k++] = i;
      }
    }
    starts[k++] = decayed.length;
    return java.util.Arrays.copyOf(starts, k);
  }

  /**
   * Whether every value of a is finite: a loop of its own, as in the update loop it would keep
   * HotSpot from vectorizing that.
   */
  static boolean allFinite(double[] a) {
    for (double x : a) {
      if (!Double.isFinite(x)) {
        return false;
      }
    }
    return true;
  }

  void checkLengths(double[] from, double[] to, double[] gradSum) {
    int n = decayed.length;
    if (from.length != n || to.length != n || gradSum.length != n) {
      throw new IllegalArgumentException(
          "Expected " + n + " parameters but found " + from.length + ", " + to.length
              + " and " + gradSum.length + " gradient values");
    }
  }

  /**
   * The factor clipping multiplies the mean gradient by: min(1, c / (||gradSum * scale|| + 1e-6))
   * for a clipping norm c > 0 (NaN when the gradient is not finite), exactly 1 when off.
   */
  double clipFactor(double[] gradSum, double scale) {
    if (clipNorm == 0) {
      return 1.0;
    }
    double squares = 0;
    for (double s : gradSum) {
      double g = s * scale;
      squares += g * g;
    }
    double norm = Math.sqrt(squares);
    return Math.min(1.0, clipNorm / (norm + CLIP_EPS)); // NaN stays NaN
  }

  @Override
  public final void endEpoch(double validationLoss) {
    if (plateau != null) {
      plateau.observe(validationLoss);
    }
  }

  @Override
  public final OptimizerState state() {
    Map<String, double[]> m = new LinkedHashMap<>();
    for (int b = 0; b < buffers.length; b++) {
      m.put(method.buffers().get(b), buffers[b].clone());
    }
    return new OptimizerState(method, steps, m,
        plateau == null ? ReduceOnPlateau.State.START : plateau.state());
  }

  @Override
  public final void restore(OptimizerState s) {
    if (s.method() != method) {
      throw new GradsparkException("The saved optimizer state is " + s.method().configName()
          + "'s but this run's optimizer is " + method.configName(),
          "resume with the optimizer.method the run started with");
    }
    for (int b = 0; b < buffers.length; b++) {
      double[] saved = s.buffer(method.buffers().get(b));
      if (saved.length != decayed.length) {
        throw new GradsparkException("Expected an optimizer state of " + decayed.length
            + " values but found " + saved.length);
      }
      System.arraycopy(saved, 0, buffers[b], 0, saved.length);
    }
    steps = s.steps();
    if (plateau != null) {
      plateau.restore(s.plateau());
    }
  }

  @Override
  public final void reset() {
    for (double[] b : buffers) {
      java.util.Arrays.fill(b, 0.0);
    }
    steps = 0;
    if (plateau != null) {
      plateau.restore(ReduceOnPlateau.State.START);
    }
  }

  @Override
  public final LearningRateSchedule schedule() {
    return schedule;
  }

  String describe() {
    return "weightDecay=" + weightDecay + ", clipNorm=" + clipNorm + ", schedule=" + schedule;
  }
}
