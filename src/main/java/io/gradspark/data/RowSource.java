package io.gradspark.data;

import java.io.Serializable;

/**
 * A dataset of {@link #rows()} rows, any contiguous range of which can be loaded on any JVM (the driver
 * or a Spark executor) without loading the rest into memory. Implementations are small serializable
 * descriptions (paths, parameters, counts), never the data itself: Spark ships them to executors,
 * which load their own partitions.
 *
 * <p>Rows are numbered 0..rows()-1 in file order; that number is the row's dense id, the key the batch
 * schedule permutes.
 */
public interface RowSource extends Serializable {

  /** Number of rows. */
  int rows();

  /** Number of features per row. */
  int cols();

  /**
   * Rows {@code [from, to)}. Throws {@link io.gradspark.GradsparkException} naming the file and the
   * line or record when the data is bad.
   */
  RowBlock load(int from, int to);

  /**
   * Whether {@link #load} gives blocks of compressed sparse rows ({@link RowBlock#sparse()}), as
   * sparse sources do when their measured density is low (see {@link SparseRows.Storage}).
   */
  default boolean sparse() {
    return false;
  }

  /** One line for logs and errors, e.g. "MNIST IDX data/mnist/train-images-idx3-ubyte.gz (60000 rows)". */
  String describe();
}
