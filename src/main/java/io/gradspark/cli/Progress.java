package io.gradspark.cli;

import io.gradspark.api.EpochLine;
import io.gradspark.eval.EpochStats;
import io.gradspark.train.TrainingListener;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows training progress: on a terminal, a progress bar per epoch (step, loss, samples/s, ETA);
 * otherwise (CI, a log file) one line per epoch, so logs stay readable.
 */
final class Progress implements TrainingListener {
  private static final Logger LOG = LoggerFactory.getLogger("io.gradspark.train");

  private final int epochs;
  private final boolean terminal;
  private double secondsToFirstStep = Double.NaN;
  private ProgressBar bar;
  private long epochStart;
  private long rows;
  private double lossSum;
  private boolean weighted;

  Progress(int epochs, boolean terminal) {
    this.epochs = epochs;
    this.terminal = terminal;
  }

  /** Says in each epoch line that the training loss is a weighted mean (when it is); this. */
  Progress weighted(boolean weightedLoss) {
    this.weighted = weightedLoss;
    return this;
  }

  /** A terminal bar when stdout is a console, epoch lines otherwise. */
  static Progress forConsole(int epochs) {
    return new Progress(epochs, System.console() != null);
  }

  /**
   * Seconds from the JVM's start to the end of the first training step: reading settings, starting
   * Spark and caching the data included. NaN before a step.
   */
  double secondsToFirstStep() {
    return secondsToFirstStep;
  }

  @Override
  public void onStep(int epoch, int step, int steps, double batchLoss, long batchRows) {
    Signals.check();
    if (Double.isNaN(secondsToFirstStep)) {
      long jvmStart = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
      secondsToFirstStep = (System.currentTimeMillis() - jvmStart) / 1e3;
    }
    if (step == 1) {
      epochStart = System.nanoTime();
      rows = 0;
      lossSum = 0;
      if (terminal) {
        bar = new ProgressBarBuilder()
            .setTaskName(String.format(Locale.ROOT, "epoch %d/%d", epoch, epochs))
            .setInitialMax(steps)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(200)
            .continuousUpdate()
            .build();
      }
    }
    rows += batchRows;
    lossSum += batchLoss * batchRows;
    if (bar != null) {
      double seconds = (System.nanoTime() - epochStart) / 1e9;
      bar.stepTo(step);
      bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f, %,.0f samples/s",
          lossSum / rows, rows / Math.max(seconds, 1e-9)));
    }
  }

  @Override
  public void onEpoch(EpochStats s) {
    if (bar != null) {
      bar.close();
      bar = null;
    }
    String line = EpochLine.of(s, epochs, weighted);
    if (terminal) {
      System.out.println(line);
    } else {
      LOG.info(line);
    }
  }
}
