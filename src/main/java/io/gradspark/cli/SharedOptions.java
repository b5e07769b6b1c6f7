package io.gradspark.cli;

import io.gradspark.GradsparkException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Options several commands share, declared once: picocli takes a command's options from its
 * superclasses too, so a command extends the level it needs.
 */
final class SharedOptions {
  private SharedOptions() {}

  /** Commands that read settings: --set. */
  abstract static class Settings {
    @Option(names = "--set", paramLabel = "KEY=VALUE",
        description = "Override a setting, e.g. --set training.epochs=2 (repeatable).")
    List<String> sets = new ArrayList<>();
  }

  /** Commands that may run on Spark: --set and --master. */
  abstract static class OnSpark extends Settings {
    @Option(names = "--master", paramLabel = "URL",
        description = "Spark master, e.g. local[4] or spark://host:7077 (default: what "
            + "spark-submit set, else local[*]).")
    String master;
  }

  /** Commands that run trials: --set, --master and --parallel. */
  abstract static class Trials extends OnSpark {
    @Option(names = "--parallel", paramLabel = "N", defaultValue = "0",
        description = "Trials at a time; 1 = one after another. Default (0): as many as the "
            + "cluster has room for (its cores / training.partitions; one per core for the local "
            + "engine).")
    int parallel;

    /** Refuses a negative --parallel and a --trials below 1 (trials may be null: not given). */
    void checkCounts(Integer trials) {
      if (parallel < 0) {
        throw new GradsparkException("--parallel must be >= 0 but was " + parallel,
            "e.g. --parallel 2, or leave it out (0) to fit the cluster");
      }
      if (trials != null && trials < 1) {
        throw new GradsparkException("--trials must be >= 1 but was " + trials,
            "e.g. --trials 3");
      }
    }
  }
}
