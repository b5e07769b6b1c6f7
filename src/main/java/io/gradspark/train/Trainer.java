package io.gradspark.train;

import io.gradspark.GradsparkException;
import io.gradspark.eval.EpochStats;
import io.gradspark.eval.Evaluation;
import io.gradspark.optim.MomentumSgd;
import java.util.ArrayList;
import java.util.List;

/**
 * The training loop, the same for every engine: for each epoch and step, ask the engine for the
 * batch's loss and gradient SUMS, divide once by the row count, and let the optimizer step. After
 * each epoch, evaluate the validation and test sets the engine holds and record an
 * {@link EpochStats}.
 *
 * <p>A NaN or infinite loss, gradient or updated parameter stops training with a
 * {@link DivergedException} naming epoch and step; the parameters are then those before that step.
 *
 * <p>Training can stop early: with a patience p > 0, when the validation loss has not improved for p
 * epochs, training ends and the parameters of the best epoch are restored.
 *
 * <p>Where training stands is a {@link Position}: together with the parameters and the optimizer's
 * velocity it is all a checkpoint needs, since batches and learning rates are functions of (seed,
 * epoch, step). {@link #fit(GradientEngine, double[], Position, Checkpoints)} resumes from one and
 * ends bit-identical to the uninterrupted run.
 */
public final class Trainer {
  private final MomentumSgd optimizer;
  private final int epochs;
  private final TrainingListener listener;
  private final int patience;

  public Trainer(MomentumSgd optimizer, int epochs, TrainingListener listener) {
    this(optimizer, epochs, listener, 0);
  }

  /** patience: epochs without a better validation loss before stopping; 0 = never stop early. */
  public Trainer(MomentumSgd optimizer, int epochs, TrainingListener listener, int patience) {
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

  /**
   * Where training stands: the next step to take is (epoch, step), 0-based; the running sums of the
   * epoch in progress; the history of finished epochs; and the early-stopping state (best
   * validation loss so far, its epoch, epochs since, and a copy of its parameters, or null).
   */
  public record Position(int epoch, int step, double epochLossSum, long epochRows,
      double epochSeconds, List<EpochStats> history, double trainSeconds, long steps,
      double bestValLoss, int bestEpoch, int sinceBest, double[] bestParams) {

    /** Before the first step. */
    public static final Position START =
        new Position(0, 0, 0, 0, 0, List.of(), 0, 0, Double.POSITIVE_INFINITY, 0, 0, null);
  }

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

    /** Saves: params and velocity are copies the callee may keep. */
    default void save(Position at, double[] params, double[] velocity) {}

    Checkpoints NONE = new Checkpoints() {};
  }

  /** Trains params in place (modified) with the engine's data, from the start. */
  public Result fit(GradientEngine engine, double[] params) {
    return fit(engine, params, Position.START, Checkpoints.NONE);
  }

  /**
   * Trains params in place from position `at` (the optimizer must hold the velocity saved with
   * it), saving checkpoints as `checkpoints` says.
   */
  public Result fit(GradientEngine engine, double[] params, Position at, Checkpoints checkpoints) {
    BatchSchedule schedule = engine.schedule();
    int steps = schedule.stepsPerEpoch();
    long totalSteps = (long) steps * epochs;
    // double buffering: the optimizer reads `current` and writes `next`, so the last good
    // parameters survive a step that turns out non-finite without a copy per step
    double[] current = params;
    double[] next = new double[params.length];
    List<EpochStats> history = new ArrayList<>(at.history());
    double trainSeconds = at.trainSeconds();
    long done = at.steps();
    double bestValLoss = at.bestValLoss();
    int bestEpoch = at.bestEpoch();
    int sinceBest = at.sinceBest();
    double[] bestParams = at.bestParams() == null ? null : at.bestParams().clone();
    Evaluation val = null;
    Evaluation test = null;
    long updateNanos = 0;
    boolean resumedMidEpoch = at.step() > 0;
    for (int e = at.epoch(); e < epochs; e++) {
      long start = System.nanoTime();
      boolean resumed = resumedMidEpoch && e == at.epoch();
      double lossSum = resumed ? at.epochLossSum() : 0;
      long rows = resumed ? at.epochRows() : 0;
      double priorSeconds = resumed ? at.epochSeconds() : 0;
      for (int k = resumed ? at.step() : 0; k < steps; k++) {
        GradientSum g = engine.gradient(current, e, k);
        if (g.count() != schedule.batchRows(k)) {
          throw new IllegalStateException(
              "Engine " + engine.describe() + " returned " + g.count() + " rows for batch " + k
                  + " of " + schedule.batchRows(k));
        }
        long updateStart = System.nanoTime();
        double progress = (double) done / totalSteps;
        double lr = optimizer.schedule().at(e, progress);
        String diverged = !Double.isFinite(g.lossSum()) ? "the loss is " + g.lossSum()
            : !optimizer.step(current, next, g.grad(), 1.0 / g.count(), e, progress)
                ? "the gradient or an updated parameter is not finite" : null;
        if (diverged != null) {
          if (current != params) {
            System.arraycopy(current, 0, params, 0, params.length);
          }
          throw new DivergedException(diverged, e + 1, k + 1, lr, current.clone());
        }
        double[] swap = current;
        current = next;
        next = swap;
        updateNanos += System.nanoTime() - updateStart;
        done++;
        lossSum += g.lossSum();
        rows += g.count();
        listener.onStep(e + 1, k + 1, steps, g.lossSum() / g.count(), g.count());
        if (k + 1 < steps && checkpoints.dueAfterStep(e, k + 1)) {
          double elapsed = priorSeconds + (System.nanoTime() - start) / 1e9;
          checkpoints.save(new Position(e, k + 1, lossSum, rows, elapsed, List.copyOf(history),
              trainSeconds, done, bestValLoss, bestEpoch, sinceBest, bestParams),
              current.clone(), optimizer.velocity());
        }
      }
      double seconds = priorSeconds + (System.nanoTime() - start) / 1e9;
      trainSeconds += seconds;
      val = engine.has(DataSplit.VALIDATION)
          ? engine.evaluate(current, DataSplit.VALIDATION) : null;
      test = engine.has(DataSplit.TEST) ? engine.evaluate(current, DataSplit.TEST) : null;
      EpochStats stats = new EpochStats(
          e + 1, steps, lossSum / rows,
          val == null ? Double.NaN : val.meanLoss(), val == null ? Double.NaN : val.accuracy(),
          test == null ? Double.NaN : test.meanLoss(), test == null ? Double.NaN : test.accuracy(),
          seconds, rows / seconds);
      history.add(stats);
      listener.onEpoch(stats);
      boolean stop = false;
      if (patience > 0 && val != null) {
        if (val.meanLoss() < bestValLoss) {
          bestValLoss = val.meanLoss();
          bestEpoch = e + 1;
          sinceBest = 0;
          bestParams = current.clone();
        } else if (++sinceBest >= patience) {
          stop = true;
        }
      }
      if (!stop && e + 1 < epochs && checkpoints.dueAfterEpoch(e + 1)) {
        checkpoints.save(new Position(e + 1, 0, 0, 0, 0, List.copyOf(history), trainSeconds, done,
            bestValLoss, bestEpoch, sinceBest, bestParams), current.clone(), optimizer.velocity());
      }
      if (stop) {
        current = bestParams;
        val = engine.evaluate(current, DataSplit.VALIDATION);
        test = engine.has(DataSplit.TEST) ? engine.evaluate(current, DataSplit.TEST) : null;
        System.arraycopy(current, 0, params, 0, params.length);
        return new Result(List.copyOf(history), done, trainSeconds, val, test,
            updateNanos / 1e9, bestEpoch);
      }
    }
    if (current != params) {
      System.arraycopy(current, 0, params, 0, params.length);
    }
    int kept = history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
    return new Result(List.copyOf(history), done, trainSeconds, val, test, updateNanos / 1e9,
        kept);
  }
}
