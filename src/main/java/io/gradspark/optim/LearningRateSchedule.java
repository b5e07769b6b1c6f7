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
      checkRate(rate, "optimizer.learning-rate");
    }

    @Override
    public double at(int epoch, double progress) {
      return rate;
    }
  }

  /** Step decay: rate * gamma^floor(epoch / every), e.g. halve every 10 epochs. */
  record StepDecay(double rate, int every, double gamma) implements LearningRateSchedule {
    public StepDecay {
      checkRate(rate, "optimizer.learning-rate");
      if (every < 1) {
        throw new GradsparkException(
            "optimizer.step-every must be >= 1 epoch but was " + every, "e.g. 10");
      }
      if (!(gamma > 0 && gamma <= 1)) {
        throw new GradsparkException(
            "optimizer.step-gamma must be in (0, 1] but was " + gamma, "e.g. 0.5 halves the rate");
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
      checkRate(rate, "optimizer.learning-rate");
      if (!(min >= 0 && min <= rate)) {
        throw new GradsparkException(
            "optimizer.min-learning-rate must be in [0, learning-rate] but was " + min);
      }
    }

    @Override
    public double at(int epoch, double progress) {
      return min + (rate - min) * (1 + Math.cos(Math.PI * progress)) / 2;
    }
  }

  private static void checkRate(double rate, String key) {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new GradsparkException(
          key + " must be a positive number but was " + rate, "typical values are 0.01 to 0.5");
    }
  }
}
