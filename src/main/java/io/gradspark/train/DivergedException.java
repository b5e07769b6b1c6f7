package io.gradspark.train;

import io.gradspark.GradsparkException;

/**
 * Training produced a NaN or infinite loss, gradient or parameter. Carries the last finite
 * parameters (those before the failing step) so callers can save them.
 */
public final class DivergedException extends GradsparkException {
  private static final long serialVersionUID = 1L;

  private final transient double[] lastGoodParams;
  private final int epoch;
  private final int step;

  DivergedException(String what, int epoch, int step, double learningRate, double[] lastGood) {
    super(
        "Training diverged at epoch " + epoch + ", step " + step + ": " + what,
        "lower the learning rate (it was " + learningRate
            + " at that step) or the momentum, or check the scale of the input features");
    this.lastGoodParams = lastGood;
    this.epoch = epoch;
    this.step = step;
  }

  /** The parameters before the step that diverged (all finite). */
  public double[] lastGoodParams() {
    return lastGoodParams;
  }

  /** 1-based epoch of the failing step. */
  public int epoch() {
    return epoch;
  }

  /** 1-based step within the epoch. */
  public int step() {
    return step;
  }
}
