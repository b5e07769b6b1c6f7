package io.gradspark.optim;

import io.gradspark.GradsparkException;
import io.gradspark.Span;
import java.io.Serializable;

/**
 * The learning rate as a pure function of the step's position in the run ({@link Position}), so a
 * resumed run gets the same rates, bit for bit, as one that was never interrupted.
 *
 * <p>Schedules compose: {@link Warmup} puts a linear ramp in front of any schedule, and
 * {@link Scaled} multiplies one by a constant (the linear scaling rule, {@link #linearScaling}).
 */
public sealed interface LearningRateSchedule extends Serializable {

  /** The rate for the step at position p. */
  double at(Position p);

  /** The largest learning rate a run may use, scaled or not (optimizer.learning-rate's bound). */
  double MAX_RATE = 1e6;

  /**
   * This schedule for batches of {@code effective} rows where it was built for {@code configured}
   * (a batch larger than the data is capped at the data's rows): the linear scaling rule's factor
   * is then effective / base, not configured / base. Refuses a scaled rate above
   * {@link #MAX_RATE}. The schedule itself when nothing is scaled.
   */
  default LearningRateSchedule forBatch(int configured, int effective) {
    return this;
  }

  /** The rate the schedule starts from after any warmup (its rate in a run of one step). */
  default double peak() {
    return at(new Position(0, 1, 1));
  }

  /**
   * Where a step stands: {@code step} is its 0-based index in the whole run, of {@code steps}
   * steps in all, {@code stepsPerEpoch} per epoch.
   */
  record Position(long step, long stepsPerEpoch, long steps) {
    public Position {
      if (step < 0 || stepsPerEpoch < 1 || steps < 1) {
        throw new IllegalArgumentException("Bad step position: step " + step + " of " + steps
            + ", " + stepsPerEpoch + " per epoch");
      }
    }

    /** The 0-based epoch of the step. */
    public int epoch() {
      return (int) (step / stepsPerEpoch);
    }

    /** The fraction of all steps done before this one, in [0, 1). */
    public double progress() {
      return (double) step / steps;
    }
  }

  /** The same rate at every step. */
  record Constant(double rate) implements LearningRateSchedule {
    public Constant {
      checkRate(rate);
    }

    @Override
    public double at(Position p) {
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
    public double at(Position p) {
      return rate * Math.pow(gamma, p.epoch() / every);
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
    public double at(Position p) {
      return min + (rate - min) * (1 + Math.cos(Math.PI * p.progress())) / 2;
    }
  }

  /**
   * Linear warmup (Goyal et al. 2017) in front of a schedule: over the first T steps (T =
   * {@code steps}, or {@code epochs} x steps per epoch; at most the whole run) step t gets
   * peak x (t + 1) / T, where peak is the schedule's first rate; then the schedule runs on the
   * remaining steps as if they were the whole run (a cosine decays over them, a step decay
   * counts epochs from the end of the warmup). Exactly one of steps and epochs is > 0.
   */
  record Warmup(LearningRateSchedule schedule, int steps, int epochs)
      implements LearningRateSchedule {
    public Warmup {
      if (schedule == null || schedule instanceof Warmup) {
        throw new IllegalArgumentException("warmup needs a schedule without warmup");
      }
      if (steps < 0 || epochs < 0 || (steps > 0) == (epochs > 0)) {
        throw new GradsparkException("A warmup lasts N steps or N epochs (N >= 1), but was "
            + steps + " steps and " + epochs + " epochs", "e.g. \"2 epochs\" or \"100 steps\"");
      }
    }

    @Override
    public LearningRateSchedule forBatch(int configured, int effective) {
      LearningRateSchedule inner = schedule.forBatch(configured, effective);
      return inner == schedule ? this : new Warmup(inner, steps, epochs);
    }

    /** T, the warmup's length in steps within a run of p.steps() steps. */
    public long length(Position p) {
      return Math.min(steps > 0 ? steps : (long) epochs * p.stepsPerEpoch(), p.steps());
    }

    @Override
    public double at(Position p) {
      long t = length(p);
      if (p.step() < t) {
        double peak = schedule.at(new Position(0, p.stepsPerEpoch(), Math.max(1, p.steps() - t)));
        return peak * (p.step() + 1) / t;
      }
      return schedule.at(new Position(p.step() - t, p.stepsPerEpoch(), p.steps() - t));
    }
  }

  /** A schedule times a constant factor > 0 (every rate of it, minimum rates included). */
  record Scaled(LearningRateSchedule schedule, double factor) implements LearningRateSchedule {
    public Scaled {
      if (!(factor > 0) || Double.isInfinite(factor)) {
        throw new IllegalArgumentException("scale factor must be finite and > 0: " + factor);
      }
    }

    @Override
    public double at(Position p) {
      return factor * schedule.at(p);
    }

    /** Only {@link #linearScaling} makes a Scaled: its factor is configured / base. */
    @Override
    public LearningRateSchedule forBatch(int configured, int effective) {
      LearningRateSchedule s = effective == configured ? this
          : new Scaled(schedule, factor * effective / configured);
      if (s.peak() > MAX_RATE) {
        throw new GradsparkException("The linear scaling rule makes the learning rate "
            + s.peak() + " (the configured rate times " + effective + " rows per batch over the"
            + " base batch size), above the limit of " + MAX_RATE,
            "lower optimizer.learning-rate or training.batch-size, or raise"
                + " optimizer.base-batch-size");
      }
      return s;
    }
  }

  /**
   * The linear scaling rule (Goyal et al. 2017): rates tuned for batches of {@code baseBatch}
   * rows, scaled by batch / baseBatch for batches of {@code batch}. The schedule as it is when
   * the two are equal.
   */
  static LearningRateSchedule linearScaling(LearningRateSchedule schedule, int batch,
      int baseBatch) {
    if (batch < 1 || baseBatch < 1) {
      throw new GradsparkException("The linear scaling rule needs batch sizes >= 1 but got "
          + batch + " and a base of " + baseBatch);
    }
    return batch == baseBatch ? schedule : new Scaled(schedule, (double) batch / baseBatch);
  }

  /** schedule with a linear warmup over span in front of it; schedule itself when span is off. */
  static LearningRateSchedule withWarmup(LearningRateSchedule schedule, Span span) {
    return span.off() ? schedule : new Warmup(schedule, span.steps(), span.epochs());
  }

  private static void checkRate(double rate) {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new GradsparkException(
          "The learning rate must be a positive number but was " + rate, "typical values are 0.01 to 0.5");
    }
  }
}
