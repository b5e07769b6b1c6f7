package io.gradspark.optim;

import io.gradspark.GradsparkException;
import io.gradspark.Span;
import java.io.Serializable;
import java.util.List;

/**
 * The learning rate as a pure function of the step's position in the run ({@link Position}), so a
 * resumed run gets the same rates, bit for bit, as one that was never interrupted.
 *
 * <p>Schedules compose: {@link Warmup} puts a linear ramp in front of any schedule, and
 * {@link Scaled} multiplies one by a constant (the linear scaling rule, {@link #linearScaling}).
 *
 * <p>One schedule, {@link Plateau}, also depends on the validation losses seen so far; what it
 * needs of them is a count of reductions, kept by {@link ReduceOnPlateau} in the optimizer's
 * state, so the rate stays a pure function of (position, reductions).
 */
public sealed interface LearningRateSchedule extends Serializable {

  /** The rate for the step at position p (with no plateau reductions). */
  double at(Position p);

  /**
   * The rate for the step at position p after {@code reductions} plateau reductions (see
   * {@link Plateau}); schedules without a plateau ignore the count.
   */
  default double at(Position p, int reductions) {
    return at(p);
  }

  /** The plateau schedule inside this one (under a warmup or a scaling), or null for none. */
  default Plateau plateau() {
    return null;
  }

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
   * Exponential decay per epoch, as {@code torch.optim.lr_scheduler.ExponentialLR} stepped once
   * per epoch: rate * gamma^epoch.
   */
  record Exponential(double rate, double gamma) implements LearningRateSchedule {
    public Exponential {
      checkRate(rate);
      checkGamma(gamma, "exponential");
    }

    @Override
    public double at(Position p) {
      return rate * Math.pow(gamma, p.epoch());
    }
  }

  /**
   * Decay at given epochs, as {@code torch.optim.lr_scheduler.MultiStepLR} stepped once per
   * epoch: rate * gamma^m, m = the number of milestones <= the 0-based epoch. With milestones
   * [1, 3], epoch 0 runs at rate, epochs 1 and 2 at rate * gamma, epochs 3 on at rate * gamma^2.
   * Milestones are strictly increasing epochs >= 1.
   */
  record MultiStep(double rate, List<Integer> milestones, double gamma)
      implements LearningRateSchedule {
    public MultiStep {
      checkRate(rate);
      checkGamma(gamma, "multistep");
      milestones = List.copyOf(milestones);
      for (int i = 0; i < milestones.size(); i++) {
        if (milestones.get(i) < 1 || i > 0 && milestones.get(i) <= milestones.get(i - 1)) {
          throw new GradsparkException("The milestones must be strictly increasing epochs >= 1 "
              + "but were " + milestones, "e.g. [30, 60, 80]");
        }
      }
    }

    @Override
    public double at(Position p) {
      int m = 0;
      while (m < milestones.size() && milestones.get(m) <= p.epoch()) {
        m++;
      }
      return rate * Math.pow(gamma, m);
    }
  }

  /**
   * {@code torch.optim.lr_scheduler.ReduceLROnPlateau} (mode min, threshold mode rel, no
   * cooldown) on the validation loss: {@link ReduceOnPlateau} watches the losses and counts
   * reductions k; the rate is r_k, with r_0 = rate and r_(i+1) = max(r_i * factor, min), kept at
   * r_i when that lowers it by 1e-8 or less (torch's eps). See {@link ReduceOnPlateau} for when
   * a reduction happens (patience, threshold).
   */
  record Plateau(double rate, double factor, int patience, double threshold, double min)
      implements LearningRateSchedule {
    /** torch's eps: a reduction smaller than this is not made. */
    public static final double EPS = 1e-8;

    public Plateau {
      checkRate(rate);
      if (!(factor > 0 && factor < 1)) {
        throw new GradsparkException("The plateau factor must be in (0, 1) but was " + factor,
            "e.g. 0.1 (torch's default) or 0.5");
      }
      if (patience < 0) {
        throw new GradsparkException("The plateau patience must be >= 0 epochs but was "
            + patience, "e.g. 10 (torch's default) or 2");
      }
      if (!(threshold >= 0 && threshold < 1)) {
        throw new GradsparkException("The plateau threshold must be in [0, 1) but was "
            + threshold, "e.g. 1e-4 (torch's default): a relative improvement");
      }
      if (!(min >= 0 && min <= rate)) {
        throw new GradsparkException("The minimum learning rate must be in [0, " + rate
            + "] (0 to the learning rate) but was " + min);
      }
    }

    @Override
    public double at(Position p) {
      return rate;
    }

    @Override
    public double at(Position p, int reductions) {
      double r = rate;
      for (int i = 0; i < reductions; i++) {
        double next = Math.max(r * factor, min);
        if (r - next > EPS) {
          r = next;
        }
      }
      return r;
    }

    @Override
    public Plateau plateau() {
      return this;
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
      return at(p, 0);
    }

    @Override
    public double at(Position p, int reductions) {
      long t = length(p);
      if (p.step() < t) {
        double peak = schedule.at(new Position(0, p.stepsPerEpoch(), Math.max(1, p.steps() - t)),
            reductions);
        return peak * (p.step() + 1) / t;
      }
      return schedule.at(new Position(p.step() - t, p.stepsPerEpoch(), p.steps() - t),
          reductions);
    }

    @Override
    public Plateau plateau() {
      return schedule.plateau();
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

    @Override
    public double at(Position p, int reductions) {
      return factor * schedule.at(p, reductions);
    }

    @Override
    public Plateau plateau() {
      return schedule.plateau();
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

  private static void checkGamma(double gamma, String schedule) {
    if (!(gamma > 0 && gamma <= 1)) {
      throw new GradsparkException("The " + schedule + " decay factor gamma must be in (0, 1] but "
          + "was " + gamma, "e.g. 0.95 per epoch (exponential) or 0.1 (multistep)");
    }
  }

  private static void checkRate(double rate) {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new GradsparkException(
          "The learning rate must be a positive number but was " + rate, "typical values are 0.01 to 0.5");
    }
  }
}
