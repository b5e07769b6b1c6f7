package io.gradspark.spark;

import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Test data held in arrays (small sets only: the arrays travel with the source). */
final class ArraySource implements RowSource {
  private static final long serialVersionUID = 1L;

  private final int rows;
  private final int cols;
  private final double[] values; // or null
  private final byte[] bytes; // or null
  private final double[] labels;

  private ArraySource(int rows, int cols, double[] values, byte[] bytes, double[] labels) {
    this.rows = rows;
    this.cols = cols;
    this.values = values;
    this.bytes = bytes;
    this.labels = labels;
  }

  /** Gaussian features; labels uniform over classes (0 = Gaussian regression targets). */
  static ArraySource random(int rows, int cols, int classes, long seed, boolean asBytes) {
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
      return new ArraySource(rows, cols, null, b, labels);
    }
    double[] v = new double[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = rng.nextGaussian();
    }
    return new ArraySource(rows, cols, v, null, labels);
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }

  @Override
  public RowBlock load(int from, int to) {
    double[] l = Arrays.copyOfRange(labels, from, to);
    if (bytes != null) {
      return RowBlock.ofBytes(Arrays.copyOfRange(bytes, from * cols, to * cols), to - from, cols,
          1.0 / 255, l);
    }
    return RowBlock.ofDoubles(Arrays.copyOfRange(values, from * cols, to * cols), to - from, cols, l);
  }

  @Override
  public String describe() {
    return "test arrays (" + rows + " rows)";
  }
}
