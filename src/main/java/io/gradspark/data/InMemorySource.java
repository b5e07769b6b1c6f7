package io.gradspark.data;

/**
 * Rows an application already holds, as a {@link RowSource}: a {@link RowBlock} (bytes or
 * doubles) and a description. The rows travel with the source (to Spark executors too), so this is
 * for data that fits comfortably in one JVM; data on a cluster comes in as files or as an RDD
 * ({@code io.gradspark.spark.Gradspark#fit}).
 */
public record InMemorySource(RowBlock block, String description) implements RowSource {

  /** Row-major features (rows x cols) and a label per row. The arrays are kept, not copied. */
  public static InMemorySource ofDoubles(double[] values, int rows, int cols, double[] labels,
      String description) {
    return new InMemorySource(RowBlock.ofDoubles(values, rows, cols, labels), description);
  }

  /**
   * Row-major unsigned bytes (rows x cols), each feature (b & 0xff) * scale, and a label per row.
   * The arrays are kept, not copied.
   */
  public static InMemorySource ofBytes(byte[] bytes, int rows, int cols, double scale,
      double[] labels, String description) {
    return new InMemorySource(RowBlock.ofBytes(bytes, rows, cols, scale, labels), description);
  }

  @Override
  public int rows() {
    return block.rows();
  }

  @Override
  public int cols() {
    return block.cols();
  }

  @Override
  public RowBlock load(int from, int to) {
    DataFiles.checkRange(from, to, block.rows());
    int[] keep = new int[to - from];
    for (int i = 0; i < keep.length; i++) {
      keep[i] = from + i;
    }
    return block.select(keep);
  }

  @Override
  public String describe() {
    return description + " (" + block.rows() + " rows in memory)";
  }
}
