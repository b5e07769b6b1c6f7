package io.gradspark.optim;

import io.gradspark.GradsparkException;

/**
 * The state of a {@link LearningRateSchedule.Plateau} schedule, as
 * {@code torch.optim.lr_scheduler.ReduceLROnPlateau(mode="min", threshold_mode="rel",
 * cooldown=0)} keeps it: the best validation loss so far, the epochs since it ("bad epochs") and
 * the reductions made. Fed once per epoch with that epoch's validation loss L:
 * <pre>
 *   if L &lt; best * (1 - threshold):  best = L; bad = 0      (best starts at +infinity)
 *   else:                              bad = bad + 1
 *   if bad &gt; patience:               reductions = reductions + 1; bad = 0
 * </pre>
 * The rate of the next epochs is then the schedule's r_reductions. Owned by an optimizer, whose
 * checkpointed state it is part of.
 */
public final class ReduceOnPlateau {

  /** best (+infinity before the first epoch), bad epochs since, reductions made. */
  public record State(double best, int badEpochs, int reductions) {
    public static final State START = new State(Double.POSITIVE_INFINITY, 0, 0);

    public State {
      if (badEpochs < 0 || reductions < 0 || Double.isNaN(best)) {
        throw new IllegalArgumentException("bad plateau state: best " + best + ", " + badEpochs
            + " bad epochs, " + reductions + " reductions");
      }
    }
  }

  private final LearningRateSchedule.Plateau settings;
  private State state = State.START;

  public ReduceOnPlateau(LearningRateSchedule.Plateau settings) {
    this.settings = settings;
  }

  /** Takes the validation loss of the epoch just finished; refuses a run without one. */
  public void observe(double validationLoss) {
    if (Double.isNaN(validationLoss)) {
      throw new GradsparkException("The plateau schedule follows the validation loss, but this "
          + "run has no validation set", "hold out validation rows (data.validation.holdout), "
          + "or use another optimizer.schedule");
    }
    double best = state.best();
    int bad = state.badEpochs();
    int reductions = state.reductions();
    if (validationLoss < best * (1 - settings.threshold())) {
      best = validationLoss;
      bad = 0;
    } else {
      bad++;
    }
    if (bad > settings.patience()) {
      reductions++;
      bad = 0;
    }
    state = new State(best, bad, reductions);
  }

  public State state() {
    return state;
  }

  public void restore(State s) {
    state = s;
  }

  public int reductions() {
    return state.reductions();
  }
}
