package io.gradspark.cli;

import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainingJob;
import io.gradspark.config.RunSpecs;
import io.gradspark.GradsparkException;
import io.gradspark.io.RunFiles;
import io.gradspark.spark.BenchFigures;
import io.gradspark.spark.SparkEngine;
import io.gradspark.spark.SparkEngines;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {
        "Benchmark: train the config with each engine in one run and print, per engine, seconds "
            + "per epoch (median), samples/s, achieved GFLOP/s of the matrix products, time to a "
            + "target accuracy, and for Spark where a step's time goes (median ms). Engines: "
            + "local (one JVM), spark (the default aggregation) and spark-tree (treeAggregate, "
            + "the baseline).",
        "",
        "Example: submit/gradspark bench --config conf/mnist.conf --epochs 3 --partitions 2 "
            + "--target-accuracy 0.97"},
    footer = {"", "Step breakdown: broadcast = creating the parameter broadcast; job = the Spark "
        + "job (scheduling, task (de)serialisation, the slowest partition's compute, result "
        + "transfer); compute = the slowest partition's forward+backward; merge = the driver's "
        + "merge of partition sums; destroy = removing the broadcast; update = the driver's optimizer step; overhead = step time "
        + "minus compute. Writes the figures as JSON to --json."})
final class BenchCommand extends SharedOptions.OnSpark implements Callable<Integer> {

  @Mixin
  SharedOptions.ConfigFile configFile;

  @Option(names = "--epochs", paramLabel = "E",
      description = "Epochs per engine (default: the config's training.epochs, so that bench "
          + "trains the schedule train does).")
  Integer epochs;

  @Mixin
  SharedOptions.Partitions partitions;

  @Option(names = "--engines", paramLabel = "LIST", split = ",",
      defaultValue = "local,spark,spark-tree",
      description = "Engines to run, in order (default: ${DEFAULT-VALUE}).")
  List<String> engines;

  @Option(names = "--target-accuracy", paramLabel = "A",
      description = "Also report the training seconds until the test (else validation) "
          + "accuracy first reaches A, e.g. 0.97.")
  Double targetAccuracy;

  @Option(names = "--warmup", paramLabel = "STEPS", defaultValue = "50",
      description = "Untimed gradient steps per engine before its run, so that the engine run "
          + "first does not also pay the JIT's warm-up (default: ${DEFAULT-VALUE}; 0 = none).")
  int warmup;

  @Option(names = "--json", paramLabel = "FILE", defaultValue = "bench.json",
      description = "Where to write the figures (default: ${DEFAULT-VALUE}).")
  Path json;

  @Override
  public Integer call() {
    long started = System.nanoTime();
    for (String e : engines) {
      if (!List.of("local", "spark", "spark-tree").contains(e)) {
        throw new GradsparkException("Unknown engine '" + e + "' in --engines",
            "use local, spark and/or spark-tree, e.g. --engines local,spark");
      }
    }
    RunSpecs.Run run = RunSpecs.load(configFile.path, sets, TrainCommand.baseName(configFile.path));
    if (epochs != null && epochs < 1) {
      throw new GradsparkException("--epochs must be >= 1 but was " + epochs, "e.g. --epochs 3");
    }
    RunSpec spec = epochs == null ? run.spec() : run.spec().withEpochs(epochs);
    RunSpec onSpark = partitions.count > 0 ? spec.withPartitions(partitions.count) : spec;
    Datasets data = run.datasets();
    BatchSchedule schedule = spec.schedule(data.train().rows());
    double flopsPerEpoch = BenchFigures.flopsPerEpoch(spec.network(), schedule);
    List<Map<String, Object>> rows = new ArrayList<>();
    try (SparkHolder spark = new SparkHolder(master, spec.name() + " bench")) {
      SparkEngines sparkEngines = new SparkEngines(spark::sc, true);
      for (String name : engines) {
        long t0 = System.nanoTime();
        Engines factory = name.equals("local") ? Engines.local()
            : name.equals("spark") ? sparkEngines
            : new Engines() { // spark-tree: the treeAggregate baseline
              @Override
              public GradientEngine create(RunSpec s, BatchSchedule b, Datasets d) {
                return sparkEngines.create(s, b, d, SparkEngine.Aggregation.TREE);
              }

              @Override
              public String master() {
                return sparkEngines.master();
              }
            };
        RunSpec s = name.equals("local") ? spec : onSpark;
        try (TrainingJob job = TrainingJob.start(s, factory.over(s, data),
            configFile.path.toString())) {
          double setupSeconds = (System.nanoTime() - t0) / 1e9;
          GradientEngine e = job.engine();
          System.out.printf(Locale.ROOT, "running %s: %s ...%n", name, e.describe());
          double[] warm = TrainingJob.initialParameters(s);
          for (int k = 0; k < warmup; k++) {
            e.gradient(warm, 0, k % schedule.stepsPerEpoch());
          }
          if (e instanceof SparkEngine se) {
            se.resetStepTimes();
          }
          Trainer.Result r = job.fit(TrainingListener.NONE, Trainer.Checkpoints.NONE).result();
          rows.add(BenchFigures.figures(name, e, r, flopsPerEpoch, schedule, setupSeconds,
              targetAccuracy));
        }
      }
    }
    Map<String, Object> report = BenchFigures.json(configFile.path.toString(), spec, schedule, rows,
        (System.nanoTime() - started) / 1e9);
    RunFiles.writeJson(json, report);
    System.out.print(BenchFigures.table(spec, schedule, rows));
    System.out.println("Figures written to " + json);
    return 0;
  }
}
