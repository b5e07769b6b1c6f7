package io.gradspark.cli;

import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainingJob;
import io.gradspark.config.RunSpecs;
import io.gradspark.spark.SparkEngines;
import io.gradspark.GradsparkException;
import io.gradspark.eval.EpochStats;
import io.gradspark.io.RunFiles;
import io.gradspark.nn.Network;
import io.gradspark.spark.SparkEngine;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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
final class BenchCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "Settings.")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a setting.")
  List<String> sets = new ArrayList<>();

  @Option(names = "--epochs", paramLabel = "E",
      description = "Epochs per engine (default: the config's training.epochs, so that bench "
          + "trains the schedule train does).")
  Integer epochs;

  @Option(names = "--partitions", paramLabel = "P", defaultValue = "0",
      description = "Spark partitions (default: training.partitions, else the context's default "
          + "parallelism).")
  int partitions;

  @Option(names = "--engines", paramLabel = "LIST", split = ",",
      defaultValue = "local,spark,spark-tree",
      description = "Engines to run, in order (default: ${DEFAULT-VALUE}).")
  List<String> engines;

  @Option(names = "--target-accuracy", paramLabel = "A",
      description = "Also report the training seconds until the test (else validation) "
          + "accuracy first reaches A, e.g. 0.97.")
  Double targetAccuracy;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master (default local[*]).")
  String master;

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
    RunSpecs.Run run = RunSpecs.load(config, sets, TrainCommand.baseName(config));
    if (epochs != null && epochs < 1) {
      throw new GradsparkException("--epochs must be >= 1 but was " + epochs, "e.g. --epochs 3");
    }
    RunSpec spec = epochs == null ? run.spec() : run.spec().withEpochs(epochs);
    RunSpec onSpark = partitions > 0 ? spec.withPartitions(partitions) : spec;
    Datasets data = run.datasets();
    BatchSchedule schedule = spec.schedule(data.train().rows());
    double flopsPerEpoch = flopsPerEpoch(spec.network(), schedule);
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
        try (TrainingJob job = TrainingJob.start(s, factory.over(s, data), config.toString())) {
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
          rows.add(figures(name, e, r, flopsPerEpoch, schedule, setupSeconds));
        }
      }
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("config", config.toString());
    report.put("network", spec.network().describe());
    report.put("parameters", spec.network().numParams());
    report.put("train_rows", schedule.rows());
    report.put("batch_size", schedule.batchSize());
    report.put("steps_per_epoch", schedule.stepsPerEpoch());
    report.put("epochs", spec.epochs());
    report.put("blas", TrainingJob.blasName());
    report.put("cores", Runtime.getRuntime().availableProcessors());
    report.put("engines", rows);
    report.put("total_seconds", (System.nanoTime() - started) / 1e9);
    RunFiles.writeJson(json, report);
    System.out.print(table(spec, schedule, rows));
    System.out.println("Figures written to " + json);
    return 0;
  }

  /** Multiply-adds x 2 of the forward and backward matrix products of one epoch. */
  static double flopsPerEpoch(Network net, BatchSchedule schedule) {
    int[] sizes = net.sizes();
    double perRow = 0;
    for (int l = 0; l < net.layers(); l++) {
      double mac = (double) sizes[l] * sizes[l + 1];
      perRow += 2 * mac * (l == 0 ? 2 : 3); // forward, dW, and dX except for the first layer
    }
    long rows = 0;
    for (int k = 0; k < schedule.stepsPerEpoch(); k++) {
      rows += schedule.batchRows(k);
    }
    return perRow * rows;
  }

  private Map<String, Object> figures(String name, GradientEngine e, Trainer.Result r,
      double flopsPerEpoch, BatchSchedule schedule, double setupSeconds) {
    double[] epochSeconds = r.history().stream().mapToDouble(EpochStats::seconds).toArray();
    double median = median(epochSeconds);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("engine", name);
    m.put("describe", e.describe());
    m.put("setup_seconds", setupSeconds);
    m.put("epoch_seconds_median", median);
    m.put("epoch_seconds", epochSeconds);
    m.put("samples_per_second", (flopsPerEpoch > 0 ? rowsPerEpoch(schedule) : 0) / median);
    m.put("gflops", flopsPerEpoch / median / 1e9);
    m.put("step_ms_median", 1000 * median / schedule.stepsPerEpoch());
    m.put("update_ms_mean", 1000 * r.updateSeconds() / r.steps());
    EpochStats last = r.history().get(r.history().size() - 1);
    m.put("final_test_accuracy", last.testAccuracy());
    m.put("final_val_accuracy", last.valAccuracy());
    if (targetAccuracy != null) {
      double seconds = 0;
      Double reached = null;
      for (EpochStats s : r.history()) {
        seconds += s.seconds();
        double acc = Double.isNaN(s.testAccuracy()) ? s.valAccuracy() : s.testAccuracy();
        if (acc >= targetAccuracy) {
          reached = seconds;
          break;
        }
      }
      m.put("seconds_to_target", reached);
    }
    if (e instanceof SparkEngine s) {
      List<SparkEngine.StepTimes> t = s.stepTimes();
      double[] bc = new double[t.size()];
      double[] job = new double[t.size()];
      double[] compute = new double[t.size()];
      double[] merge = new double[t.size()];
      double[] destroy = new double[t.size()];
      double[] overhead = new double[t.size()];
      for (int i = 0; i < t.size(); i++) {
        SparkEngine.StepTimes x = t.get(i);
        bc[i] = x.broadcast() / 1e6;
        job[i] = x.job() / 1e6;
        compute[i] = x.compute() / 1e6;
        merge[i] = x.merge() / 1e6;
        destroy[i] = x.destroy() / 1e6;
        overhead[i] = (x.broadcast() + x.job() + x.merge() + x.destroy() - x.compute()) / 1e6;
      }
      m.put("broadcast_ms", median(bc));
      m.put("job_ms", median(job));
      m.put("compute_ms", s.aggregation() == SparkEngine.Aggregation.DIRECT ? median(compute)
          : Double.NaN);
      m.put("merge_ms", median(merge));
      m.put("destroy_ms", median(destroy));
      m.put("overhead_ms", s.aggregation() == SparkEngine.Aggregation.DIRECT ? median(overhead)
          : Double.NaN);
      m.put("aggregation", s.aggregation().name().toLowerCase(Locale.ROOT));
      m.put("cache_bytes_per_train_row",
          (double) s.cachedBytes(io.gradspark.train.DataSplit.TRAIN) / schedule.rows());
      m.put("partitions", s.partitions());
    }
    return m;
  }

  private static long rowsPerEpoch(BatchSchedule schedule) {
    long rows = 0;
    for (int k = 0; k < schedule.stepsPerEpoch(); k++) {
      rows += schedule.batchRows(k);
    }
    return rows;
  }

  static double median(double[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static String table(RunSpec spec, BatchSchedule schedule,
      List<Map<String, Object>> rows) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%n%s, %,d parameters, %,d rows, batch %d (%d steps per "
            + "epoch), BLAS %s, %d cores%n%n", spec.network().describe(), spec.network().numParams(),
        schedule.rows(), schedule.batchSize(), schedule.stepsPerEpoch(), TrainingJob.blasName(),
        Runtime.getRuntime().availableProcessors()));
    String[] cols = {"engine", "s/epoch", "samples/s", "GFLOP/s", "step ms", "broadcast",
        "job", "compute", "merge", "destroy", "update", "overhead", "to target s", "test acc"};
    String[] keys = {"engine", "epoch_seconds_median", "samples_per_second", "gflops",
        "step_ms_median", "broadcast_ms", "job_ms", "compute_ms", "merge_ms", "destroy_ms", "update_ms_mean",
        "overhead_ms", "seconds_to_target", "final_test_accuracy"};
    for (String c : cols) {
      b.append(String.format(Locale.ROOT, c.equals("engine") ? "%-11s" : "%12s", c));
    }
    b.append('\n');
    for (Map<String, Object> r : rows) {
      for (String k : keys) {
        Object v = r.get(k);
        String cell;
        if (v instanceof String str) {
          cell = str;
        } else if (v instanceof Double d && !d.isNaN()) {
          cell = k.equals("samples_per_second") ? String.format(Locale.ROOT, "%,.0f", d)
              : k.equals("final_test_accuracy") ? String.format(Locale.ROOT, "%.2f%%", 100 * d)
              : String.format(Locale.ROOT, Math.abs(d) < 10 ? "%.3f" : "%.1f", d);
        } else {
          cell = "-";
        }
        b.append(String.format(Locale.ROOT, k.equals("engine") ? "%-11s" : "%12s", cell));
      }
      b.append('\n');
    }
    b.append("(ms columns: median per step; overhead = step minus the partitions' compute)\n");
    for (Map<String, Object> r : rows) {
      if (r.get("cache_bytes_per_train_row") instanceof Double bytes) {
        b.append(String.format(Locale.ROOT, "%s: Spark cache %.0f bytes per training row%n",
            r.get("engine"), bytes));
      }
    }
    return b.toString();
  }
}
