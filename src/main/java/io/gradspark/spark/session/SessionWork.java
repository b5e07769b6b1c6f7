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

  /**
   * The answer to step (epoch, step) at params; params: not modified. In a local master's
   * session the driver's thread computes a step of a partition whose task is late: calls come
   * from more than one thread, one at a time.
   */
  GradientSum compute(double[] params, int epoch, int step);

  /**
   * Gets ready for the training step after (epoch, step), in time the task would otherwise wait
   * (the driver's merge and update): what does not depend on the parameters, such as copying the
   * batch's rows. Called by the partition's task after each message, and on a local master by
   * partition 1's task for partition 0; another thread may still be computing (epoch, step) (see
   * {@link #compute}), and it waits at most for a copy under way. A no-op where there is nothing
   * to do, for an evaluation (step < 0) and by default.
   */
  default void prepareAfter(int epoch, int step) {}

  /**
   * Does a small part of {@link #prepareAfter} (a claim of the next step's rows, about 10 us
   * here), as a local master's driver does while it waits for the other partitions' sums; a
   * later prepareAfter does the rest. Returns whether there is more to do; false by default.
   */
  default boolean prepareSomeAfter(int epoch, int step) {
    return false;
  }

  /**
   * Says, before the first step, that another thread will call {@link #prepareAfter} while the
   * partition computes: a local master's driver computes partition 0 and another task gets its
   * rows ready. A no-op by default.
   */
  default void helpedAhead() {}
}
