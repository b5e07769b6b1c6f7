package io.gradspark.api;

import io.gradspark.data.SplitTasks;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.LocalEngine;
import java.util.function.Supplier;

/**
 * Makes the gradient engine of a run. The local factory is here; the Spark one is
 * {@code io.gradspark.spark.SparkEngines} (this package does not see Spark).
 */
public interface Engines {

  /** An engine over the prepared datasets; the data is loaded (and bad data refused) here. */
  GradientEngine create(RunSpec spec, BatchSchedule schedule, Datasets data);

  /** Where the engines run, for summaries: a Spark master URL, or "none (local engine)". */
  String master();

  /** What a job trains on: these datasets on this factory's engines. */
  default EngineSource over(RunSpec spec, Datasets data) {
    Engines engines = this;
    return new EngineSource() {
      @Override
      public int rows(DataSplit split) {
        RowSource s = switch (split) {
          case TRAIN -> data.train();
          case VALIDATION -> data.validation();
          case TEST -> data.test();
        };
        return s == null ? 0 : s.rows();
      }

      @Override
      public GradientEngine create(BatchSchedule schedule) {
        return engines.create(spec, schedule, data);
      }

      @Override
      public String master() {
        return engines.master();
      }

      @Override
      public boolean sparse() {
        return data.train().sparse();
      }
    };
  }

  /**
   * Runs work as trial `name` of several running at once: the Spark factory gives each its own
   * scheduler pool, so that concurrent trials share the executors.
   */
  default <T> T asTrial(String name, Supplier<T> work) {
    return work.get();
  }

  /**
   * How a dataset's per-split tasks (the counting pass of text data) run: in this JVM, or on the
   * executors of the engine's cluster.
   */
  default SplitTasks splitTasks() {
    return SplitTasks.LOCAL;
  }

  /** Trials that fit side by side (at spec.partitions() each): what runs concurrently by default. */
  default int concurrentTrials(RunSpec spec) {
    return Runtime.getRuntime().availableProcessors();
  }

  /**
   * The local engine. The datasets are loaded once and shared read-only by every engine this
   * factory makes (the trials of an experiment all have the same data), so MNIST is read and
   * decompressed once and parallel trials do not hold a copy each.
   */
  static Engines local() {
    return new Engines() {
      private Datasets loadedFrom;
      private RowBlock train;
      private RowBlock validation;
      private RowBlock test;

      @Override
      public synchronized GradientEngine create(RunSpec spec, BatchSchedule schedule,
          Datasets data) {
        if (!data.equals(loadedFrom)) {
          train = load(data.train());
          validation = load(data.validation());
          test = load(data.test());
          loadedFrom = data;
        }
        return new LocalEngine(spec.network(), schedule, train, validation, test);
      }

      private RowBlock load(RowSource s) {
        return s == null ? null : s.load(0, s.rows());
      }

      @Override
      public String master() {
        return "none (local engine)";
      }
    };
  }
}
