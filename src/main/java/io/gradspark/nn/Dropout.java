package io.gradspark.nn;

import io.gradspark.GradsparkException;
import io.gradspark.Seeds;
import java.util.Arrays;

/**
 * Inverted dropout on hidden activations, with masks that are a pure function of where they are
 * used, so that a row gets the same mask on any engine, in any partition, at any offset of its
 * batch matrix, and anyone can replay it.
 *
 * <p>Unit j of hidden layer l (0-based among the hidden layers) of the row with dense id r, in
 * 0-based epoch e of a run with seed s, is dropped iff u &lt; p_l, where
 *
 * <pre>
 *   mix(z) = SplitMix64's finaliser: z ^= z >>> 30; z *= 0xBF58476D1CE4E5B9;
 *                                     z ^= z >>> 27; z *= 0x94D049BB133111EB; z ^= z >>> 31
 *   h = mix(mix(mix(mix(mix(s ^ 0xD1B54A32D192ED03) + e) + r) + l) + j)   (64-bit wrap-around)
 *   u = (h >>> 11) * 2^-53                                                 (uniform in [0, 1))
 * </pre>
 *
 * A kept unit's activation is multiplied by 1 / (1 - p_l), as {@code torch.nn.Dropout} does in
 * training, so the expected activation is unchanged and evaluation needs no rescaling. The step
 * is not an input: a row is in exactly one batch per epoch, so (e, r) already names the sample.
 */
public final class Dropout {
  /** Separates the dropout stream from other uses of the run's seed. */
  static final long DOMAIN = 0xD1B54A32D192ED03L;

  private Dropout() {}

  /**
   * Where a batch's masks come from: the run's seed, the epoch, and the dense ids of the batch's
   * rows ({@code ids[offset + i]} is row i of the batch matrix; not modified).
   */
  public record Keys(long seed, int epoch, int[] ids, int offset) {}

  /** The hash h of the class comment before the unit: mix of (seed, epoch, row, layer). */
  static long rowLayerKey(long seed, int epoch, long row, int layer) {
    long h = mix(seed ^ DOMAIN);
    h = mix(h + epoch);
    h = mix(h + row);
    return mix(h + layer);
  }

  /** u of the class comment for unit j given {@link #rowLayerKey}: uniform in [0, 1). */
  static double uniform(long rowLayerKey, int unit) {
    return (mix(rowLayerKey + unit) >>> 11) * 0x1.0p-53;
  }

  /** u of the class comment: uniform in [0, 1); the unit is dropped iff u &lt; p. */
  public static double uniform(long seed, int epoch, long row, int layer, int unit) {
    return uniform(rowLayerKey(seed, epoch, row, layer), unit);
  }

  /** Whether unit j of hidden layer l of row r in epoch e is dropped at rate p. */
  public static boolean dropped(long seed, int epoch, long row, int layer, int unit, double p) {
    return uniform(seed, epoch, row, layer, unit) < p;
  }

  /**
   * Fills factor (n, units) with each unit's multiplier for the n rows keys name at hidden layer
   * l: 0 for a dropped unit, 1 / (1 - p) for a kept one. factor: modified.
   */
  static void factors(Keys keys, int n, int layer, int units, double p, double[] factor) {
    double scale = 1.0 / (1.0 - p);
    for (int r = 0; r < n; r++) {
      long key = rowLayerKey(keys.seed(), keys.epoch(), keys.ids()[keys.offset() + r], layer);
      int o = r * units;
      for (int j = 0; j < units; j++) {
        factor[o + j] = uniform(key, j) < p ? 0.0 : scale;
      }
    }
  }

  /**
   * The rate of each of `hidden` hidden layers from the configured values: one for all, or one per
   * hidden layer; each in [0, 1). Refuses other counts and values.
   */
  public static double[] rates(double[] given, int hidden) {
    double[] rates;
    if (given.length == 1) {
      rates = new double[hidden];
      Arrays.fill(rates, given[0]);
    } else if (given.length == hidden) {
      rates = given.clone();
    } else {
      throw new GradsparkException("model.dropout has " + given.length + " values but the network"
          + " has " + hidden + " hidden layers",
          "give one rate for every hidden layer, or exactly one per hidden layer");
    }
    for (double p : rates) {
      if (!(p >= 0 && p < 1)) {
        throw new GradsparkException("a dropout rate must be in [0, 1) but was " + p,
            "0 turns dropout off for a layer; 0.5 drops half of its units");
      }
    }
    return rates;
  }

  /** {@link Seeds#mix}, SplitMix64's finaliser, the mix of the class comment. */
  private static long mix(long z) {
    return Seeds.mix(z);
  }
}
