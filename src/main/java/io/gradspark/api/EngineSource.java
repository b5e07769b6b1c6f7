package io.gradspark.api;

import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientEngine;

/**
 * What a {@link TrainingJob} trains on: datasets bound to the engine that will hold them. Made by
 * {@link Engines#over} for datasets described by row sources, or by the Spark API for RDDs an
 * application already holds.
 */
public interface EngineSource {
  /** Rows of a dataset; 0 when there is no such set. */
  int rows(DataSplit split);

  /** The engine, with its data loaded (bad data is refused here, before the first step). */
  GradientEngine create(BatchSchedule schedule);

  /** Where the engine runs, for summaries: a Spark master URL, or "none (local engine)". */
  String master();

  /**
   * Whether the training rows are held as compressed sparse rows (no dense batch matrix of
   * batch x features is then allocated); false when not known.
   */
  default boolean sparse() {
    return false;
  }
}
