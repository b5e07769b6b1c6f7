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
}
