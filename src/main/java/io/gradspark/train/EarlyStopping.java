package io.gradspark.train;

import io.gradspark.eval.Evaluation;

/**
 * Stops training when the validation loss has not improved for {@code patience} epochs and keeps a
 * copy of the best epoch's parameters to restore. A patience of 0 never stops. When no epoch had a
 * finite validation loss there is no best epoch: stopping then keeps the current parameters.
 */
final class EarlyStopping {
  private final int patience;
  private TrainingState.Best best;

  EarlyStopping(int patience, TrainingState.Best from) {
    this.patience = patience;
    this.best = from;
  }

  /**
   * Records the validation result of finished epoch {@code epoch} (1-based) reached with params
   * (not modified; copied when best). Returns whether training should stop now.
   */
  boolean shouldStop(int epoch, Evaluation validation, double[] params) {
    if (patience == 0 || validation == null) {
      return false;
    }
    if (validation.meanLoss() < best.valLoss()) {
      best = new TrainingState.Best(validation.meanLoss(), epoch, 0, params.clone());
      return false;
    }
    best = new TrainingState.Best(best.valLoss(), best.epoch(), best.sinceBest() + 1, best.params());
    return best.sinceBest() >= patience;
  }

  /** The record to save in a checkpoint. */
  TrainingState.Best best() {
    return best;
  }
}
