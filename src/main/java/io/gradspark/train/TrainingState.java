package io.gradspark.train;

import io.gradspark.eval.EpochStats;
import io.gradspark.optim.OptimizerState;
import java.util.List;

/**
 * Where training stands, all a checkpoint needs besides the parameters: batches and learning rates
 * are functions of (seed, epoch, step), so resuming from a state ends bit-identical to the
 * uninterrupted run. Build one with {@link #builder()}; {@link #START} is before the first step.
 *
 * @param epoch the next step to take is (epoch, step), both 0-based
 * @param step see epoch
 * @param epochLossSum training loss SUM of the steps of the epoch in progress
 * @param epochRows rows of those steps
 * @param epochSeconds seconds spent on them
 * @param history the finished epochs
 * @param trainSeconds seconds spent on the finished epochs
 * @param steps steps taken in all
 * @param optimizer the optimizer's whole state (buffers, step count, plateau record), or null
 *     for the initial one
 * @param best the early-stopping record
 * @param epochWeightSum the weight sum of the epoch's rows so far, what its loss sum is divided
 *     by (epochRows when the rows are unweighted)
 */
public record TrainingState(int epoch, int step, double epochLossSum, long epochRows,
    double epochSeconds, List<EpochStats> history, double trainSeconds, long steps,
    OptimizerState optimizer, Best best, double epochWeightSum) {

  /** Before the first step: no history, zero velocity, no best epoch yet. */
  public static final TrainingState START = builder().build();

  /**
   * The early-stopping record: the best validation loss so far (+infinity before the first), the
   * 1-based epoch that reached it (0 for none), the epochs since, and a copy of that epoch's
   * parameters (null for none).
   */
  public record Best(double valLoss, int epoch, int sinceBest, double[] params) {
    public static final Best NONE = new Best(Double.POSITIVE_INFINITY, 0, 0, null);
  }

  public TrainingState {
    history = List.copyOf(history);
  }

  /** Momentum SGD's velocity in the optimizer state, or null (none saved, or another method). */
  public double[] velocity() {
    return optimizer == null ? null : optimizer.buffer("velocity");
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder of a state; every field starts as in {@link #START}. */
  public static final class Builder {
    private int epoch;
    private int step;
    private double epochLossSum;
    private long epochRows;
    private double epochSeconds;
    private List<EpochStats> history = List.of();
    private double trainSeconds;
    private long steps;
    private OptimizerState optimizer;
    private Best best = Best.NONE;
    private double epochWeightSum;

    private Builder() {}

    /** The next step to take, both 0-based. */
    public Builder at(int epoch, int step) {
      this.epoch = epoch;
      this.step = step;
      return this;
    }

    /**
     * The sums of the epoch in progress: training loss SUM, rows and seconds so far; the weight
     * sum is set to the rows (unweighted) until {@link #epochWeightSum} says otherwise.
     */
    public Builder epochSoFar(double lossSum, long rows, double seconds) {
      this.epochLossSum = lossSum;
      this.epochRows = rows;
      this.epochSeconds = seconds;
      this.epochWeightSum = rows;
      return this;
    }

    /** The weight sum of the epoch's rows so far (call after {@link #epochSoFar}). */
    public Builder epochWeightSum(double weightSum) {
      this.epochWeightSum = weightSum;
      return this;
    }

    /** The finished epochs, the seconds they took and the steps taken in all. */
    public Builder done(List<EpochStats> history, double trainSeconds, long steps) {
      this.history = history;
      this.trainSeconds = trainSeconds;
      this.steps = steps;
      return this;
    }

    /** Momentum SGD's state with this velocity (step count 0, no plateau record). */
    public Builder velocity(double[] velocity) {
      this.optimizer = velocity == null ? null : OptimizerState.sgd(velocity);
      return this;
    }

    public Builder optimizer(OptimizerState state) {
      this.optimizer = state;
      return this;
    }

    public Builder best(Best best) {
      this.best = best;
      return this;
    }

    public TrainingState build() {
      return new TrainingState(epoch, step, epochLossSum, epochRows, epochSeconds, history,
          trainSeconds, steps, optimizer, best, epochWeightSum);
    }
  }
}
