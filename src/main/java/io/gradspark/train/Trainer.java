package io.gradspark.train;

import io.gradspark.GradsparkException;
import io.gradspark.eval.EpochStats;
import io.gradspark.eval.Evaluation;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.Optimizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The training loop, the same for every engine: for each epoch and step, ask the engine for the
 * batch's loss and gradient SUMS, divide once by the weight sum (the row count when rows are
 * unweighted; see {@link GradientSum}), and let the optimizer step. After
 * each epoch, evaluate the validation and test sets the engine holds and record an
 * {@link EpochStats}.
 *
 * <p>A NaN or infinite loss, gradient or updated parameter stops training with a
 * {@link DivergedException} naming epoch and step; the parameters are then those before that step.
 *
 * <p>Training can stop early: with a patience p > 0, when the validation loss has not improved for p
 * epochs, training ends and the parameters of the best epoch are restored.
 *
 * <p>Where training stands is a {@link TrainingState}: together with the parameters it is all a
 * checkpoint needs, since batches and learning rates are functions of (seed, epoch, step).
 * {@link #fit(GradientEngine, double[], TrainingState, Checkpoints)} resumes from one and ends
 * bit-identical to the uninterrupted run. Each fit owns the optimizer's state: it starts from the
 * state's optimizer record (moments, step count, plateau record), never from what an earlier fit
 * left. After each epoch the optimizer gets the epoch's validation loss (a plateau schedule's
 * input).
 *
 * <p>Checkpoints and early stopping are collaborators: {@link Checkpoints} says when to save and
 * saves; {@link EarlyStopping} keeps the best epoch.
 */
public final class Trainer {
  private final Optimizer optimizer;
  private final int epochs;
  private final TrainingListener listener;
  private final int patience;

  public Trainer(Optimizer optimizer, int epochs, TrainingListener listener) {
    this(optimizer, epochs, listener, 0);
  }

  /** patience: epochs without a better validation loss before stopping; 0 = never stop early. */
  public Trainer(Optimizer optimizer, int epochs, TrainingListener listener, int patience) {
    if (epochs < 1) {
      throw new GradsparkException("The number of epochs must be >= 1 but was " + epochs, "e.g. 10");
    }
    this.optimizer = optimizer;
    this.epochs = epochs;
    this.listener = listener;
    if (patience < 0) {
      throw new GradsparkException(
          "Early-stopping patience must be >= 0 epochs but was " + patience, "0 turns it off");
    }
    this.patience = patience;
  }

  /**
   * What a run produced: the per-epoch history, total steps, training seconds, the last epoch's
   * validation and test evaluations (null when the engine has no such set), the seconds the driver
   * spent turning sums into updates (dividing, checking, the optimizer step), and the epoch whose
   * parameters were kept (the last one, or the best one when training stopped early).
   */
  public record Result(List<EpochStats> history, long steps, double trainSeconds,
      Evaluation validation, Evaluation test, double updateSeconds, int keptEpoch) {}

  /** When and how to save checkpoints; called on the driver thread. */
  public interface Checkpoints {
    /** Whether to save after step (1-based) `stepsDone` of 0-based epoch `epoch`. */
    default boolean dueAfterStep(int epoch, int stepsDone) {
      return false;
    }

    /** Whether to save after epoch `epochsDone` (1-based count of finished epochs). */
    default boolean dueAfterEpoch(int epochsDone) {
      return false;
    }

    /** Saves: at (with the optimizer's state) and params are copies the callee may keep. */
    default void save(TrainingState at, double[] params) {}

    Checkpoints NONE = new Checkpoints() {};
  }

  /** Trains params in place (modified) with the engine's data, from the start. */
  public Result fit(GradientEngine engine, double[] params) {
    return fit(engine, params, TrainingState.START, Checkpoints.NONE);
  }

  /**
   * Trains params (modified: on return they are the kept parameters; after a divergence the last
   * good ones) from state {@code from}, saving checkpoints as {@code checkpoints} says. The optimizer
   * starts from the state in {@code from} (the initial one for {@link TrainingState#START}),
   * whatever an earlier fit left in it.
   */
  public Result fit(GradientEngine engine, double[] params, TrainingState from,
      Checkpoints checkpoints) {
    if (optimizer.schedule().plateau() != null && !engine.has(DataSplit.VALIDATION)) {
      throw new GradsparkException("The plateau schedule follows the validation loss, but the "
          + "engine has no validation set", "hold out validation rows "
          + "(data.validation.holdout), or use another optimizer.schedule");
    }
    if (from.optimizer() == null) {
      optimizer.reset();
    } else {
      optimizer.restore(from.optimizer());
    }
    Run run = new Run(engine, params, from);
    EarlyStopping stopping = new EarlyStopping(patience, from.best());
    int steps = engine.schedule().stepsPerEpoch();
    for (int e = from.epoch(); e < epochs; e++) {
      run.startEpoch(e, from);
      for (int k = run.firstStep; k < steps; k++) {
        GradientSum g = run.gradient(k);
        run.step(k, g);
        listener.onStep(e + 1, k + 1, steps, meanLoss(g), g.count());
        if (k + 1 < steps && checkpoints.dueAfterStep(e, k + 1)) {
          checkpoints.save(run.state(k + 1, stopping.best()), run.current.clone());
        }
      }
      EpochStats stats = run.endEpoch();
      optimizer.endEpoch(stats.valLoss());
      listener.onEpoch(stats);
      if (stopping.shouldStop(e + 1, run.validation, run.current)) {
        return run.finish(stopping.best());
      }
      if (e + 1 < epochs && checkpoints.dueAfterEpoch(e + 1)) {
        checkpoints.save(run.state(0, stopping.best()), run.current.clone());
      }
    }
    return run.finish(null);
  }

  /** The bookkeeping of one fit: parameter buffers, the epoch in progress, history and timings. */
  private final class Run {
    private final GradientEngine engine;
    private final BatchSchedule schedule;
    private final double[] params;
    private final long totalSteps;
    // double buffering: the optimizer reads `current` and writes `next`, so the last good
    // parameters survive a step that turns out non-finite without a copy per step
    double[] current;
    private double[] next;
    private final List<EpochStats> history;
    private double trainSeconds;
    private long done;
    private long updateNanos;
    private int epoch;
    int firstStep;
    private long epochStart;
    private double priorSeconds;
    private double lossSum;
    private long rows;
    private double weightSum;
    Evaluation validation;
    private Evaluation test;

    Run(GradientEngine engine, double[] params, TrainingState from) {
      this.engine = engine;
      this.schedule = engine.schedule();
      this.params = params;
      this.totalSteps = (long) schedule.stepsPerEpoch() * epochs;
      this.current = params;
      this.next = new double[params.length];
      this.history = new ArrayList<>(from.history());
      this.trainSeconds = from.trainSeconds();
      this.done = from.steps();
    }

    /** Starts 0-based epoch e, mid-way when {@code from} stopped inside it. */
    void startEpoch(int e, TrainingState from) {
      boolean resumed = e == from.epoch() && from.step() > 0;
      epoch = e;
      firstStep = resumed ? from.step() : 0;
      epochStart = System.nanoTime();
      priorSeconds = resumed ? from.epochSeconds() : 0;
      lossSum = resumed ? from.epochLossSum() : 0;
      rows = resumed ? from.epochRows() : 0;
      weightSum = resumed ? from.epochWeightSum() : 0;
    }

    /**
     * The engine's sums for batch k of the epoch at the current parameters (in float32, the engine
     * computes at them rounded to float: the master weights stay double).
     */
    GradientSum gradient(int k) {
      GradientSum g = engine.gradient(current, epoch, k);
      if (g.count() != schedule.batchRows(k)) {
        throw new IllegalStateException("Engine " + engine.describe() + " returned " + g.count()
            + " rows for batch " + k + " of " + schedule.batchRows(k));
      }
      return g;
    }

    /**
     * The optimizer's step from the batch sums g. On a non-finite loss, gradient or parameter,
     * restores the caller's params to the last good ones and throws a DivergedException.
     */
    void step(int k, GradientSum g) {
      long updateStart = System.nanoTime();
      LearningRateSchedule.Position at =
          new LearningRateSchedule.Position(done, schedule.stepsPerEpoch(), totalSteps);
      String diverged = !Double.isFinite(g.lossSum()) ? "the loss is " + g.lossSum()
          : !optimizer.step(current, next, g.grad(), scale(g), at)
              ? "the gradient or an updated parameter is not finite" : null;
      if (diverged != null) {
        keep(current);
        throw new DivergedException(diverged, epoch + 1, k + 1,
            optimizer.rate(at), current.clone());
      }
      double[] swap = current;
      current = next;
      next = swap;
      updateNanos += System.nanoTime() - updateStart;
      done++;
      lossSum += g.lossSum();
      rows += g.count();
      weightSum += g.weightSum();
    }

    /** Evaluates the finished epoch and records it in the history. */
    EpochStats endEpoch() {
      double seconds = priorSeconds + (System.nanoTime() - epochStart) / 1e9;
      trainSeconds += seconds;
      validation = evaluate(DataSplit.VALIDATION);
      test = evaluate(DataSplit.TEST);
      EpochStats stats = new EpochStats(epoch + 1, schedule.stepsPerEpoch(),
          weightSum > 0 ? lossSum / weightSum : 0.0,
          mean(validation), accuracy(validation), mean(test), accuracy(test), seconds,
          rows / seconds);
      history.add(stats);
      return stats;
    }

    /** The state before step nextStep of the epoch, or before the next epoch for 0. */
    TrainingState state(int nextStep, TrainingState.Best best) {
      TrainingState.Builder b = TrainingState.builder()
          .done(history, trainSeconds, done)
          .optimizer(optimizer.state())
          .best(best);
      if (nextStep == 0) {
        return b.at(epoch + 1, 0).build();
      }
      double elapsed = priorSeconds + (System.nanoTime() - epochStart) / 1e9;
      return b.at(epoch, nextStep).epochSoFar(lossSum, rows, elapsed).epochWeightSum(weightSum)
          .build();
    }

    /**
     * Ends the fit: with an early stop (best != null) that found a best epoch, its parameters,
     * evaluated again; otherwise the current ones. Copies them into the caller's params.
     */
    Result finish(TrainingState.Best best) {
      int kept = history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
      if (best != null && best.params() != null) {
        current = best.params();
        kept = best.epoch();
        validation = evaluate(DataSplit.VALIDATION);
        test = evaluate(DataSplit.TEST);
      }
      keep(current);
      return new Result(List.copyOf(history), done, trainSeconds, validation, test,
          updateNanos / 1e9, kept);
    }

    private void keep(double[] kept) {
      if (kept != params) {
        System.arraycopy(kept, 0, params, 0, params.length);
      }
    }

    private Evaluation evaluate(DataSplit split) {
      return engine.has(split) ? engine.evaluate(current, split) : null;
    }
  }

  /**
   * What the gradient sum is multiplied by: 1 / sum_i w_i, the weighted mean's divisor (1 / rows
   * when unweighted: the weight sum is then the row count exactly, so the bits are those of
   * dividing by the count). A batch whose weights are all 0 has a zero gradient (0, not 0 / 0).
   */
  static double scale(GradientSum g) {
    return g.weightSum() > 0 ? 1.0 / g.weightSum() : 0.0;
  }

  /** The batch's (weighted) mean loss; 0 for a batch whose weights are all 0. */
  static double meanLoss(GradientSum g) {
    return g.weightSum() > 0 ? g.lossSum() / g.weightSum() : 0.0;
  }

  private static double mean(Evaluation ev) {
    return ev == null ? Double.NaN : ev.meanLoss();
  }

  private static double accuracy(Evaluation ev) {
    return ev == null ? Double.NaN : ev.accuracy();
  }
}
