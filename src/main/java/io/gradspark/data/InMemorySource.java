package io.gradspark.data;

import java.util.Arrays;

/**
 * Rows an application already holds in arrays, as a {@link RowSource}. The arrays travel with the
 * source (to Spark executors too), so this is for data that fits comfortably in one JVM; data on a
 * cluster comes in as files or as an RDD ({@code io.gradspark.spark.Gradspark#fit}).
 */
public final class InMemorySource implements RowSource {
  private static final long serialVersionUID = 1L;

  private final int rows;
  private final int cols;
  private final double[] values; // or null
  private final byte[] bytes; // or null
  private final double byteScale;
  private final double[] labels;
  private final String description;

  private InMemorySource(int rows, int cols, double[] values, byte[] bytes, double byteScale,
      double[] labels, String description) {
    if (labels.length != rows || (long) rows * cols != (values != null ? values.length
        : bytes.length)) {
      throw new IllegalArgumentException("Expected " + rows + " labels and " + rows + " x " + cols
          + " features but found " + labels.length + " labels and "
          + (values != null ? values.length : bytes.length) + " features");
    }
    this.rows = rows;
    this.cols = cols;
    this.values = values;
    this.bytes = bytes;
    this.byteScale = byteScale;
    this.labels = labels;
    this.description = description;
  }

  /** Row-major features (rows x cols) and a label per row. The arrays are kept, not copied. */
  public static InMemorySource ofDoubles(double[] values, int rows, int cols, double[] labels,
      String description) {
    return new InMemorySource(rows, cols, values, null, 1.0, labels, description);
  }

  /**
   * Row-major unsigned bytes (rows x cols), each feature (b & 0xff) * scale, and a label per row.
   * The arrays are kept, not copied.
   */
  public static InMemorySource ofBytes(byte[] bytes, int rows, int cols, double scale,
      double[] labels, String description) {
    return new InMemorySource(rows, cols, null, bytes, scale, labels, description);
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
          byteScale, l);
    }
    return RowBlock.ofDoubles(Arrays.copyOfRange(values, from * cols, to * cols), to - from, cols,
        l);
  }

  @Override
  public String describe() {
    return description + " (" + rows + " rows in memory)";
  }
}
