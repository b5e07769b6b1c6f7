package io.gradspark.train;

import io.gradspark.eval.Evaluation;

/**
 * Computes, for given parameters, the loss and gradient SUMS of one training batch and forward-only
 * evaluations of whole datasets. The {@link Trainer} loop is the same for every engine; engines
 * differ only in where the rows live (one JVM, or Spark partitions). Every engine picks batch rows
 * with the same {@link BatchSchedule}, so for the same seed they see the same batches and differ only
 * by floating-point summation order.
 */
public interface GradientEngine extends AutoCloseable {

  /** The schedule the engine's batches follow. */
  BatchSchedule schedule();

  /**
   * Sums over the rows of batch {@code step} of epoch {@code epoch} (0-based) at params. params: not
   * modified. The returned object may be reused by the engine on the next call.
   */
  GradientSum gradient(double[] params, int epoch, int step);

  /**
   * The precision of the engine's gradient passes: for FLOAT32 {@link #gradient} computes at its
   * parameters rounded to float (the {@link Trainer}'s master weights, which stay double): each
   * pass rounds them as it converts them to its float buffer, and what sends them to another JVM
   * sends them rounded, 4 bytes a value.
   */
  default io.gradspark.nn.Precision precision() {
    return io.gradspark.nn.Precision.FLOAT64;
  }

  /** Whether the engine holds that dataset. */
  boolean has(DataSplit split);

  /** Forward-only pass over a whole dataset; refuses a split the engine does not hold. */
  Evaluation evaluate(double[] params, DataSplit split);

  /** One line for logs, e.g. "local" or "spark local[2], 4 partitions". */
  String describe();

  /** How many parts the training rows are split into (1 for a single JVM). */
  default int partitions() {
    return 1;
  }

  @Override
  default void close() {}

  /**
   * What the engine measured of its data, for summary.json (e.g. bytes read to build its cache,
   * cache bytes per row); empty by default.
   */
  default java.util.Map<String, Object> dataFigures() {
    return java.util.Map.of();
  }
}
