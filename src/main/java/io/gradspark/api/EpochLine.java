package io.gradspark.api;

import io.gradspark.eval.EpochStats;
import java.util.Locale;

/** The one-line account of an epoch that train, repeat, sweep and report print. */
public final class EpochLine {
  private EpochLine() {}

  /** e.g. "epoch 3/4: train loss 0.0931, test loss 0.0950 acc 97.21%, 1.2 s, 50,000 samples/s". */
  public static String of(EpochStats s, int epochs) {
    return of(s, epochs, false);
  }

  /**
   * As above; weighted: the training loss is a weighted mean (class or row weights), said as
   * "train loss (weighted) 0.0931"; validation and test losses are per row either way.
   */
  public static String of(EpochStats s, int epochs, boolean weighted) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
        "epoch %d/%d: train loss %s%s", s.epoch(), epochs, weighted ? "(weighted) " : "",
        loss(s.trainLoss())));
    if (!Double.isNaN(s.valLoss())) {
      b.append(", val loss ").append(loss(s.valLoss()));
      if (!Double.isNaN(s.valAccuracy())) {
        b.append(String.format(Locale.ROOT, " acc %.2f%%", 100 * s.valAccuracy()));
      }
    }
    if (!Double.isNaN(s.testLoss())) {
      b.append(", test loss ").append(loss(s.testLoss()));
      if (!Double.isNaN(s.testAccuracy())) {
        b.append(String.format(Locale.ROOT, " acc %.2f%%", 100 * s.testAccuracy()));
      }
    }
    b.append(String.format(Locale.ROOT, ", %.1f s, %,.0f samples/s", s.seconds(),
        s.samplesPerSecond()));
    return b.toString();
  }

  /** A loss with 4 decimals; one that exploded (>= 1e4) in 4 significant digits, not 100. */
  public static String loss(double v) {
    return Math.abs(v) >= 1e4 ? String.format(Locale.ROOT, "%.4g", v)
        : String.format(Locale.ROOT, "%.4f", v);
  }
}
