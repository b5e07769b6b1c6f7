package io.gradspark.cli;

import io.gradspark.GradsparkException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Options several commands share, declared once: picocli takes a command's options from its
 * superclasses too, so a command extends the level it needs.
 */
final class SharedOptions {
  private SharedOptions() {}

  /** --config FILE, required. */
  static final class ConfigFile {
    @Option(names = "--config", required = true, paramLabel = "FILE",
        description = "The settings (HOCON), e.g. conf/mnist.conf; every key and its default is "
            + "in reference.conf.")
    Path path;
  }

  /** --model FILE, required. */
  static final class ModelFile {
    @Option(names = "--model", required = true, paramLabel = "FILE",
        description = "A model.npz that train wrote: a local path or a Hadoop one "
            + "(hdfs://namenode:8020/runs/x/model.npz, file:, s3a:// with its connector).")
    String path;
  }

  /** --out DIR of a command that writes a run directory. */
  static final class OutDir {
    @Option(names = "--out", paramLabel = "DIR",
        description = "Output directory (default: runs/<name>-<timestamp>, named after the "
            + "config or the command); must not exist or be empty. A local path or a Hadoop one "
            + "(hdfs://namenode:8020/runs/x, file:, s3a:// with its connector).")
    String path;
  }

  /** --output FILE, required: one file, written whole or not at all. */
  static final class OutputFile {
    @Option(names = "--output", required = true, paramLabel = "FILE",
        description = "Where to write it (whole or not at all: a temporary name, then a rename); "
            + "a local path or a Hadoop one (hdfs://..., file:, s3a:// with its connector).")
    String path;
  }

  /** --partitions P of a command that overrides training.partitions. */
  static final class Partitions {
    @Option(names = "--partitions", paramLabel = "P", defaultValue = "0",
        description = "Spark partitions (default: training.partitions, else the context's "
            + "default parallelism).")
    int count;

    /** Refuses a negative --partitions. */
    void check() {
      if (count < 0) {
        throw new GradsparkException("--partitions must be >= 0 but was " + count,
            "e.g. --partitions 4, or leave it out (0) for training.partitions or the context's"
                + " default parallelism");
      }
    }
  }

  /**
   * --master and --partitions of a command that scores rows (predict, evaluate): in this JVM, or
   * with --master on Spark, where each executor reads and scores its own rows.
   */
  static final class Scoring {
    @Option(names = "--master", paramLabel = "URL",
        description = "Score on Spark: the data is cut into --partitions row ranges, and each "
            + "task reads and scores its own (e.g. local[4], spark://host:7077, yarn). Default: "
            + "in this JVM, without Spark (fine for small files).")
    String master;

    @Option(names = "--partitions", paramLabel = "P", defaultValue = "0",
        description = "With --master: score in P tasks, each a range of rows in input order "
            + "(default: the context's default parallelism; at most one per row). More "
            + "partitions: less memory per task.")
    int partitions;

    /** Refuses a negative --partitions, and --partitions without --master. */
    void check() {
      if (partitions < 0) {
        throw new GradsparkException("--partitions must be >= 0 but was " + partitions,
            "e.g. --partitions 8, or leave it out for the Spark context's default parallelism");
      }
      if (partitions > 0 && master == null) {
        throw new GradsparkException("--partitions " + partitions + " needs --master: without "
            + "it the rows are scored in this JVM", "add --master URL, e.g. --master local[4]");
      }
    }

    boolean onSpark() {
      return master != null;
    }
  }

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
      if (trials != null) {
        io.gradspark.experiment.Trials.checkTrials(trials);
      }
    }
  }

  /** Commands that run trials of one config: --config, --set, --master and --parallel. */
  abstract static class TrialsOfAConfig extends Trials {
    @Mixin
    ConfigFile configFile;
  }
}
