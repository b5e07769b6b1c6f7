package io.gradspark.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A block of rows held compactly: 8-bit sources (MNIST pixels) stay as unsigned bytes and are scaled
 * while a batch matrix is filled; other sources are doubles. Labels are doubles: a class index
 * (0..k-1), 0/1 for a binary head, or the target value of a single-output regression.
 *
 * <p>Row-major: feature j of row r is at {@code r * cols + j}. Immutable once built.
 *
 * <p>Sparse rows (LIBSVM, sparse vectors) may be held as {@link SparseRows} instead ({@link
 * #ofSparse}): then {@link #sparse()} is not null and the dense accessors read through it.
 *
 * <p>Rows may carry weights (finite, >= 0), what the training loss multiplies each row's loss by;
 * an unweighted block holds none (null), so it costs nothing, and every weight is then 1.
 */
public final class RowBlock implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int rows;
  private final int cols;
  private final byte[] bytes; // unsigned values, or null
  private final double[] values; // or null
  private final double scale; // multiplies bytes; values are stored already scaled
  private final double[] labels;
  private final double[] weights; // or null: every weight 1
  private final SparseRows sparse; // or null: the rows are in bytes or values

  /**
   * Eight bytes of a byte row read as one long (any offset): a float32 batch fill writes a row's
   * zeros with one vectorized fill and then skips every eight bytes that are all 0, as most of an
   * MNIST image is (81% of its pixels). Only there: float32 is the precision for speed, and one
   * such loop is enough to maintain (tried in float64, where the plain loop was as fast).
   */
  private static final java.lang.invoke.VarHandle EIGHT_BYTES =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class,
          java.nio.ByteOrder.LITTLE_ENDIAN);

  private RowBlock(int rows, int cols, byte[] bytes, double[] values, double scale, double[] labels) {
    this(rows, cols, bytes, values, scale, labels, null, null);
  }

  private RowBlock(int rows, int cols, byte[] bytes, double[] values, double scale, double[] labels,
      double[] weights, SparseRows sparse) {
    if (labels.length != rows) {
      throw new IllegalArgumentException("Expected " + rows + " labels but found " + labels.length);
    }
    if (sparse == null) {
      long cells = (long) rows * cols;
      int found = bytes != null ? bytes.length : values.length;
      if (found != cells) {
        throw new IllegalArgumentException(
            "Expected " + cells + " feature cells (" + rows + " x " + cols + ") but found "
                + found);
      }
    }
    if (weights != null && weights.length != rows) {
      throw new IllegalArgumentException(
          "Expected " + rows + " weights but found " + weights.length);
    }
    this.rows = rows;
    this.cols = cols;
    this.bytes = bytes;
    this.values = values;
    this.scale = scale;
    this.labels = labels;
    this.weights = weights;
    this.sparse = sparse;
  }

  /** Rows of unsigned bytes; feature value = (byte & 0xff) * scale. Arrays are kept, not copied. */
  public static RowBlock ofBytes(byte[] bytes, int rows, int cols, double scale, double[] labels) {
    return new RowBlock(rows, cols, bytes, null, scale, labels);
  }

  /** Rows of doubles. Arrays are kept, not copied. */
  public static RowBlock ofDoubles(double[] values, int rows, int cols, double[] labels) {
    return new RowBlock(rows, cols, null, values, 1.0, labels);
  }

  /** Rows held as compressed sparse rows. The arrays are kept, not copied. */
  public static RowBlock ofSparse(SparseRows rows, double[] labels) {
    return new RowBlock(rows.rows(), rows.cols(), null, null, 1.0, labels, null, rows);
  }

  /** The compressed sparse rows, or null when the rows are dense. */
  public SparseRows sparse() {
    return sparse;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  public boolean isBytes() {
    return bytes != null;
  }

  public double scale() {
    return scale;
  }

  public double label(int r) {
    return labels[r];
  }

  /** Whether the rows carry weights (else every weight is 1). */
  public boolean isWeighted() {
    return weights != null;
  }

  /** Row r's weight: 1 in an unweighted block. */
  public double weight(int r) {
    return weights == null ? 1.0 : weights[r];
  }

  /**
   * The same rows with these weights (length = rows; kept, not copied), or unweighted for null.
   * The caller has checked them (finite, >= 0).
   */
  public RowBlock withWeights(double[] newWeights) {
    return new RowBlock(rows, cols, bytes, values, scale, labels, newWeights, sparse);
  }

  public double feature(int r, int j) {
    if (sparse != null) {
      return sparse.feature(r, j);
    }
    int i = r * cols + j;
    return bytes != null ? (bytes[i] & 0xff) * scale : values[i];
  }

  /** Writes row r's features into {@code dst[off .. off+cols)}. dst: modified. */
  public void copyRow(int r, double[] dst, int off) {
    if (sparse != null) {
      sparse.copyRow(r, dst, off);
      return;
    }
    int base = r * cols;
    if (bytes != null) {
      double[] value = ByteValues.of(scale).doubles;
      for (int j = 0; j < cols; j++) {
        dst[off + j] = value[bytes[base + j] & 0xff];
      }
    } else {
      System.arraycopy(values, base, dst, off, cols);
    }
  }

  /**
   * Rows ids[start .. start + n) - firstId into consecutive rows of dst (a batch matrix) from row
   * dstRow on: as {@link #copyRow(int, double[], int)} row by row, after one read of each 64-byte
   * line of every row. Those reads do not wait for each other, so the rows come from memory
   * together instead of one after the other, and the copy then finds them in the cache: 128
   * random MNIST rows of 50,000 as floats in 0.50-0.54x the time of a byte at a time (bench
   * FillRows). dst: modified.
   */
  public void copyRows(int[] ids, int start, int n, int firstId, double[] dst, int dstRow) {
    touch(ids, start, n, firstId);
    for (int r = 0; r < n; r++) {
      copyRow(ids[start + r] - firstId, dst, (dstRow + r) * cols);
    }
  }

  /** As {@link #copyRows(int[], int, int, int, double[], int)}, as floats. Dense rows only. */
  public void copyRows(int[] ids, int start, int n, int firstId, float[] dst, int dstRow) {
    touch(ids, start, n, firstId);
    for (int r = 0; r < n; r++) {
      copyRow(ids[start + r] - firstId, dst, (dstRow + r) * cols);
    }
  }

  /** What {@link #touch} read, kept where the JIT cannot drop the reads. */
  @SuppressWarnings("unused")
  private static long touched;

  /** Reads one value in every 64 bytes of each of the rows (dense rows; sparse: nothing). */
  private void touch(int[] ids, int start, int n, int firstId) {
    long sum = 0;
    if (bytes != null) {
      for (int r = 0; r < n; r++) {
        int base = (ids[start + r] - firstId) * cols;
        for (int j = 0; j < cols; j += 64) {
          sum += bytes[base + j];
        }
        sum += bytes[base + cols - 1];
      }
    } else if (values != null) {
      for (int r = 0; r < n; r++) {
        int base = (ids[start + r] - firstId) * cols;
        for (int j = 0; j < cols; j += 8) {
          sum += Double.doubleToRawLongBits(values[base + j]);
        }
        sum += Double.doubleToRawLongBits(values[base + cols - 1]);
      }
    }
    touched = sum;
  }

  /**
   * Row r's features into dst[off .. off + cols) as floats (a float32 training's batch matrix):
   * each the double {@link #copyRow(int, double[], int)} gives, rounded to float; a byte feature
   * goes from its byte to the float directly, with no double row in between. Dense rows only.
   * dst: modified.
   */
  public void copyRow(int r, float[] dst, int off) {
    if (sparse != null) {
      throw new UnsupportedOperationException("float rows of a sparse block");
    }
    int base = r * cols;
    if (bytes != null) {
      float[] value = ByteValues.of(scale).floats;
      // zeros first (a vectorized fill), then only the groups of eight bytes not all 0
      Arrays.fill(dst, off, off + cols, value[0]);
      int j = 0;
      for (; j + 8 <= cols; j += 8) {
        long eight = (long) EIGHT_BYTES.get(bytes, base + j);
        if (eight != 0L) {
          for (int k = 0; k < 8; k++) {
            dst[off + j + k] = value[(int) (eight >>> (8 * k)) & 0xff];
          }
        }
      }
      for (; j < cols; j++) {
        dst[off + j] = value[bytes[base + j] & 0xff];
      }
    } else {
      for (int j = 0; j < cols; j++) {
        dst[off + j] = (float) values[base + j];
      }
    }
  }

  /**
   * The 256 values a byte feature can take at one scale: (b & 0xff) * scale in double, and that
   * rounded to float, computed once by the multiplication that defines a byte feature's value (so
   * a lookup gives the same bits): filling a batch looks a byte's value up instead of converting
   * and multiplying it. The last scale's table is
   * kept for the JVM (one scale per dataset, in practice one for all: 1/255).
   */
  private static final class ByteValues {
    private static volatile ByteValues last;
    final double scale;
    final double[] doubles = new double[256];
    final float[] floats = new float[256];

    private ByteValues(double scale) {
      this.scale = scale;
      for (int b = 0; b < 256; b++) {
        doubles[b] = b * scale;
        floats[b] = (float) (b * scale);
      }
    }

    static ByteValues of(double scale) {
      ByteValues t = last;
      if (t == null || Double.doubleToRawLongBits(t.scale) != Double.doubleToRawLongBits(scale)) {
        t = new ByteValues(scale);
        last = t;
      }
      return t;
    }
  }

  /** The same rows with every byte feature multiplied by {@code factor} (doubles are multiplied now). */
  public RowBlock scaled(double factor) {
    if (sparse != null) {
      return new RowBlock(rows, cols, null, null, 1.0, labels, weights, sparse.scaled(factor));
    }
    if (bytes != null) {
      return new RowBlock(rows, cols, bytes, null, scale * factor, labels, weights, null);
    }
    double[] v = new double[values.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = values[i] * factor;
    }
    return new RowBlock(rows, cols, null, v, 1.0, labels, weights, null);
  }

  /** The same rows labelled 1.0 where the label is class k, else 0.0 (one-vs-all). */
  public RowBlock oneVsAll(int k) {
    double[] l = new double[rows];
    for (int r = 0; r < rows; r++) {
      l[r] = labels[r] == k ? 1.0 : 0.0;
    }
    return withLabels(l);
  }

  /** The same features with new labels (length = rows). */
  public RowBlock withLabels(double[] newLabels) {
    return new RowBlock(rows, cols, bytes, values, scale, newLabels, weights, sparse);
  }

  /** Rows {@code keep[0], keep[1], ...} of this block, in that order. */
  public RowBlock select(int[] keep) {
    double[] l = new double[keep.length];
    double[] w = null;
    if (weights != null) {
      w = new double[keep.length];
      for (int i = 0; i < keep.length; i++) {
        w[i] = weights[keep[i]];
      }
    }
    if (sparse != null) {
      for (int i = 0; i < keep.length; i++) {
        l[i] = labels[keep[i]];
      }
      return new RowBlock(keep.length, cols, null, null, 1.0, l, w, sparse.select(keep));
    }
    if (bytes != null) {
      byte[] b = new byte[keep.length * cols];
      for (int i = 0; i < keep.length; i++) {
        System.arraycopy(bytes, keep[i] * cols, b, i * cols, cols);
        l[i] = labels[keep[i]];
      }
      return new RowBlock(keep.length, cols, b, null, scale, l, w, null);
    }
    double[] v = new double[keep.length * cols];
    for (int i = 0; i < keep.length; i++) {
      System.arraycopy(values, keep[i] * cols, v, i * cols, cols);
      l[i] = labels[keep[i]];
    }
    return new RowBlock(keep.length, cols, null, v, 1.0, l, w, null);
  }
}
