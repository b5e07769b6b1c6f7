package io.gradspark.data;

import io.gradspark.Seeds;
import java.util.SplittableRandom;

/**
 * The two-moons toy set (as scikit-learn's make_moons): two interleaved half circles in the plane.
 * Row i has label i % 2, so every range is balanced; class 0 lies on (cos t, sin t) and class 1 on
 * (1 - cos t, 0.5 - sin t) with t uniform in [0, pi], plus Gaussian noise on both coordinates.
 *
 * <p>Every row is drawn from its own generator seeded from (seed, i), so any range can be generated
 * on any machine and equals the same rows of the whole set.
 */
public final class MoonsSource implements RowSource {
  private static final long serialVersionUID = 1L;

  private final int n;
  private final double noise;
  private final long seed;

  /** Refuses n < 1 and a noise that is negative or not finite. */
  public MoonsSource(int n, double noise, long seed) {
    if (n < 1) {
      throw new DataException(
          "Moons dataset: expected at least 1 row but found " + n, "Set a positive row count.");
    }
    if (!(noise >= 0) || Double.isInfinite(noise)) {
      throw new DataException("Moons dataset: expected a finite noise >= 0 but found " + noise,
          "Noise is the standard deviation of the Gaussian added to each coordinate, e.g. 0.1.");
    }
    this.n = n;
    this.noise = noise;
    this.seed = seed;
  }

  @Override
  public int rows() {
    return n;
  }

  @Override
  public int cols() {
    return 2;
  }

  /** Refuses a range outside [0, rows()]. */
  @Override
  public RowBlock load(int from, int to) {
    DataFiles.checkRange(from, to, n);
    double[] values = new double[2 * (to - from)];
    double[] labels = new double[to - from];
    for (int i = from; i < to; i++) {
      SplittableRandom random = new SplittableRandom(Seeds.mix(Seeds.mix(seed) + i));
      double t = random.nextDouble() * Math.PI;
      int r = i - from;
      labels[r] = i % 2;
      values[2 * r] = (i % 2 == 0 ? Math.cos(t) : 1 - Math.cos(t)) + noise * random.nextGaussian();
      values[2 * r + 1] = (i % 2 == 0 ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * random.nextGaussian();
    }
    return RowBlock.ofDoubles(values, to - from, 2, labels);
  }

  @Override
  public String describe() {
    return "two moons (" + n + " rows, noise " + noise + ", seed " + seed + ")";
  }
}
