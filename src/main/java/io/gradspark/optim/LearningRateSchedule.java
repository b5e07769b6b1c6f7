package io.gradspark.optim;

import io.gradspark.GradsparkException;
import java.io.Serializable;

/**
 * The learning rate as a function of training progress. Epochs are 0-based here; {@code progress} is
 * the fraction of all steps done before this step, in [0, 1).
 */
public sealed interface LearningRateSchedule extends Serializable {

  /** The rate for a step taken in (0-based) epoch {@code epoch} at overall progress {@code progress}. */
  double at(int epoch, double progress);

  /** The same rate at every step. */
  record Constant(double rate) implements LearningRateSchedule {
    public Constant {
      checkRate(rate);
    }

    @Override
    public double at(int epoch, double progress) {
      return rate;
    }
  }

  /** Step decay: rate * gamma^floor(epoch / every), e.g. halve every 10 epochs. */
  record StepDecay(double rate, int every, double gamma) implements LearningRateSchedule {
    public StepDecay {
      checkRate(rate);
      if (every < 1) {
        throw new GradsparkException(
            "The step-decay interval must be >= 1 epoch but was " + every, "e.g. 10");
      }
      if (!(gamma > 0 && gamma <= 1)) {
        throw new GradsparkException(
            "The step-decay factor gamma must be in (0, 1] but was " + gamma, "e.g. 0.5 halves the rate");
      }
    }

    @Override
    public double at(int epoch, double progress) {
      return rate * Math.pow(gamma, epoch / every);
    }
  }

  /**
   * Cosine annealing (Loshchilov and Hutter, 2017, without restarts), per step:
   * min + (rate - min) * (1 + cos(pi * progress)) / 2.
   */
  record Cosine(double rate, double min) implements LearningRateSchedule {
    public Cosine {
      checkRate(rate);
      if (!(min >= 0 && min <= rate)) {
        throw new GradsparkException(
            "The minimum learning rate must be in [0, " + rate + "] (0 to the learning rate) but was "
                + min);
      }
    }

    @Override
    public double at(int epoch, double progress) {
      return min + (rate - min) * (1 + Math.cos(Math.PI * progress)) / 2;
    }
  }

  private static void checkRate(double rate) {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new GradsparkException(
          "The learning rate must be a positive number but was " + rate, "typical values are 0.01 to 0.5");
    }
  }
}
