package io.gradspark.train;

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
 */
public final class Trainer {
  private final MomentumSgd optimizer;
  private final int epochs;
  private final TrainingListener listener;

  public Trainer(MomentumSgd optimizer, int epochs, TrainingListener listener) {
    if (epochs < 1) {
      throw new io.gradspark.GradsparkException(
          "training.epochs must be >= 1 but was " + epochs, "e.g. 10");
    }
    this.optimizer = optimizer;
    this.epochs = epochs;
    this.listener = listener;
  }

  /**
   * What a run produced: the per-epoch history, total steps, training seconds, and the last epoch's
   * validation and test evaluations (null when the engine has no such set).
   */
  public record Result(List<EpochStats> history, long steps, double trainSeconds,
      Evaluation validation, Evaluation test) {}

  /** Trains params in place (modified) with the engine's data, from epoch 0. */
  public Result fit(GradientEngine engine, double[] params) {
    BatchSchedule schedule = engine.schedule();
    int steps = schedule.stepsPerEpoch();
    long totalSteps = (long) steps * epochs;
    double[] meanGrad = new double[params.length];
    double[] before = new double[params.length];
    List<EpochStats> history = new ArrayList<>();
    double trainSeconds = 0;
    long done = 0;
    Evaluation val = null;
    Evaluation test = null;
    for (int e = 0; e < epochs; e++) {
      long start = System.nanoTime();
      double lossSum = 0;
      long rows = 0;
      for (int k = 0; k < steps; k++) {
        GradientSum g = engine.gradient(params, e, k);
        if (g.count() != schedule.batchRows(k)) {
          throw new IllegalStateException(
              "Engine " + engine.describe() + " returned " + g.count() + " rows for batch " + k
                  + " of " + schedule.batchRows(k));
        }
        double lr = optimizer.schedule().at(e, (double) done / totalSteps);
        double[] sum = g.grad();
        double scale = 1.0 / g.count();
        boolean finite = Double.isFinite(g.lossSum());
        for (int i = 0; i < meanGrad.length; i++) {
          meanGrad[i] = sum[i] * scale;
          finite &= Double.isFinite(meanGrad[i]);
        }
        if (!finite) {
          String what = Double.isFinite(g.lossSum()) ? "the gradient is not finite"
              : "the loss is " + g.lossSum();
          throw new DivergedException(what, e + 1, k + 1, lr, params.clone());
        }
        System.arraycopy(params, 0, before, 0, params.length);
        optimizer.step(params, meanGrad, e, (double) done / totalSteps);
        if (!allFinite(params)) {
          throw new DivergedException(
              "an updated parameter is not finite", e + 1, k + 1, lr, before.clone());
        }
        done++;
        lossSum += g.lossSum();
        rows += g.count();
        listener.onStep(e + 1, k + 1, steps, g.lossSum() / g.count(), g.count());
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      trainSeconds += seconds;
      val = engine.has(DataSplit.VALIDATION)
          ? engine.evaluate(params, DataSplit.VALIDATION) : null;
      test = engine.has(DataSplit.TEST) ? engine.evaluate(params, DataSplit.TEST) : null;
      EpochStats stats = new EpochStats(
          e + 1, steps, lossSum / rows,
          val == null ? Double.NaN : val.meanLoss(), val == null ? Double.NaN : val.accuracy(),
          test == null ? Double.NaN : test.meanLoss(), test == null ? Double.NaN : test.accuracy(),
          seconds, rows / seconds);
      history.add(stats);
      listener.onEpoch(stats);
    }
    return new Result(List.copyOf(history), done, trainSeconds, val, test);
  }

  private static boolean allFinite(double[] v) {
    for (double d : v) {
      if (!Double.isFinite(d)) {
        return false;
      }
    }
    return true;
  }
}
