package io.gradspark.spark;

import io.gradspark.eval.Evaluation;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientSum;

/**
 * How a step's sums reach the driver: a job per step ({@link JobStep.Direct}), a job whose
 * executors merge along the canonical tree ({@link JobStep.Tree}), or a step session, star or tree
 * ({@link SessionStep}, which leaves its steps to a job path when a session cannot start). An
 * engine chooses its path once, from its plan and its session settings; every path adds the same
 * {@link PartitionSum}s in the canonical order, so they give the same sums bit for bit.
 */
interface StepPath extends AutoCloseable {
  /** The sums of batch (epoch, step) at params (not modified). */
  GradientSum step(double[] params, int epoch, int step);

  /**
   * split's evaluation along this path, or null: the engine then runs it as a job (the path has
   * freed the task slots such a job needs).
   */
  default Evaluation evaluate(double[] params, DataSplit split) {
    return null;
  }

  /** "star" or "tree" while steps run in a step session, else "jobs". */
  default String exchange() {
    return "jobs";
  }

  /** Frees the task slots the path holds (a session's) until its next step. */
  default void pause() {}

  /** Frees everything the path holds (a session, the driver's step server). */
  @Override
  default void close() {
    pause();
  }
}
