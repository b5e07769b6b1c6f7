package io.gradspark.spark.session;

import io.gradspark.train.GradientSum;

/**
 * What a session's task computes for its partition (the engine's arithmetic, given to the
 * session as the elements of its barrier job's partitions): one answer per message, a step's
 * sums for step >= 0, an evaluation's sums in a gradient sum's shape for a negative step.
 */
public interface SessionWork {
  /** The partition's index. */
  int index();

  /** The answer to step (epoch, step) at params; params: not modified. */
  GradientSum compute(double[] params, int epoch, int step);

  /**
   * Gets ready for the training step after the last one computed, in time the task would
   * otherwise wait (the driver's merge and update): what does not depend on the parameters, such
   * as copying the batch's rows. Safe to call from another thread than compute's, and at any
   * time; a no-op by default.
   */
  default void prepareNext() {}
}
