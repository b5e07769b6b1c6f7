package io.gradspark.spark;

import io.gradspark.data.InMemorySource;
import java.util.SplittableRandom;

/** Seeded random test data, held in memory (small sets only: the arrays travel with the source). */
final class ArraySource {
  private ArraySource() {}

  /** Gaussian features; labels uniform over classes (0 = Gaussian regression targets). */
  static InMemorySource random(int rows, int cols, int classes, long seed, boolean asBytes) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] labels = new double[rows];
    for (int r = 0; r < rows; r++) {
      labels[r] = classes == 0 ? rng.nextGaussian() : rng.nextInt(classes);
    }
    if (asBytes) {
      byte[] b = new byte[rows * cols];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) rng.nextInt(256);
      }
      return InMemorySource.ofBytes(b, rows, cols, 1.0 / 255, labels, "test arrays");
    }
    double[] v = new double[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = rng.nextGaussian();
    }
    return InMemorySource.ofDoubles(v, rows, cols, labels, "test arrays");
  }
}
