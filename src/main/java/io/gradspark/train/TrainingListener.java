package io.gradspark.train;

import io.gradspark.eval.EpochStats;

/** Progress callbacks from the {@link Trainer} loop, on the driver thread. */
public interface TrainingListener {
  /** After each optimizer step; epoch and step are 1-based, batchLoss is the batch's mean loss. */
  default void onStep(int epoch, int step, int steps, double batchLoss, long rows) {}

  /** After each epoch's training and evaluation. */
  default void onEpoch(EpochStats stats) {}

  TrainingListener NONE = new TrainingListener() {};
}
