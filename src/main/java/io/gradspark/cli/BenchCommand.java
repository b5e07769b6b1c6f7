package io.gradspark.cli;

import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainingJob;
import io.gradspark.config.RunSpecs;
import io.gradspark.GradsparkException;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.fs.Outputs;
import io.gradspark.io.RunFiles;
import io.gradspark.spark.BenchFigures;
import io.gradspark.spark.CoreHandoff;
import io.gradspark.spark.SparkEngine;
import io.gradspark.spark.SparkEngines;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.Trainer;
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
            + "local (one JVM); spark (as train runs: the aggregation chosen from the bytes the "
            + "sums bring to the driver and, where the cluster has a task slot per partition, "
            + "steps in a step session, tasks that stay up from step to step); spark-jobs (a "
            + "Spark job per step, for comparison) and spark-tree (a tree aggregation, forced, "
            + "one job per step).",
        "",
        "After each Spark engine's run, bench times bare jobs over the same cached partitions "
            + "(Spark's floor for a step here) and prints the step's overhead as a multiple of "
            + "it; with --baseline it trains another config on the local engine first and gives "
            + "each engine's time to the target as a multiple of the baseline's; last it "
            + "measures the machine's dgemm limit for the network and each engine's share of it.",
        "",
        "Example: submit/gradspark bench --config conf/mnist-fast.conf --partitions 2 "
            + "--target-accuracy 0.97 --baseline conf/mnist.conf"},
    footer = {"", "Step breakdown: broadcast = creating the parameter broadcast; job = the Spark "
        + "job (scheduling, task (de)serialisation, the slowest partition's compute, result "
        + "transfer); compute = the slowest partition's forward+backward; merge = the driver's "
        + "merge of partition sums; destroy = removing the broadcast; update = the driver's optimizer step; overhead = step time "
        + "minus compute; floor = the median bare job; steps = steps to the target. Writes the "
        + "figures as JSON to --json."})
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
      defaultValue = "local,spark,spark-jobs",
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

  @Option(names = "--baseline", paramLabel = "FILE",
      description = "Also train FILE (its own settings; --set and --epochs do not apply) on the "
          + "local engine first, in the same run, and give every engine's time to the target as "
          + "a multiple of its time, e.g. --baseline conf/mnist.conf.")
  Path baseline;

  @Option(names = "--floor", paramLabel = "JOBS", defaultValue = "100",
      description = "Bare Spark jobs (no broadcast, no result) over each Spark engine's cached "
          + "partitions after its run: their median is Spark's floor for a step here, printed "
          + "next to the step's overhead (default: ${DEFAULT-VALUE}; 0 = none).")
  int floorJobs;

  @Option(names = "--dgemm-seconds", paramLabel = "S", defaultValue = "3",
      description = "Measure the machine's limit for the network's matrix products for S "
          + "seconds: one thread per Spark partition (else per core), each running a step's "
          + "dgemm calls on its share of the batch, nothing else; with two cores or more, also "
          + "what handing the parameters from one core to another costs, before the runs and "
          + "after them (default: ${DEFAULT-VALUE}; 0 = none).")
  double dgemmSeconds;

  @Override
  public Integer call() {
    long started = System.nanoTime();
    for (String e : engines) {
      if (!List.of("local", "spark", "spark-jobs", "spark-tree").contains(e)) {
        throw new GradsparkException("Unknown engine '" + e + "' in --engines",
            "use local, spark, spark-jobs and/or spark-tree, e.g. --engines local,spark");
      }
    }
    checkValues();
    // the figures are written after the whole run: a --json that cannot be is refused first
    String jsonPath = HadoopFiles.of(json);
    Outputs.checkWritable(jsonPath, "--json");
    Outputs.refuseInput(jsonPath, "--json", HadoopFiles.of(configFile.path), "--config");
    RunSpecs.Run run = RunSpecs.load(configFile.path, sets, TrainCommand.baseName(configFile.path));
    if (epochs != null && epochs < 1) {
      throw new GradsparkException("--epochs must be >= 1 but was " + epochs, "e.g. --epochs 3");
    }
    RunSpec spec = epochs == null ? run.spec() : run.spec().withEpochs(epochs);
    checkWarmup(spec, spec.schedule(run.datasets().train().rows()));
    RunSpec onSpark = partitions.count > 0 ? spec.withPartitions(partitions.count) : spec;
    Datasets data = run.datasets();
    RunSpecs.Run base = baseline == null ? null
        : RunSpecs.load(baseline, List.of(), TrainCommand.baseName(baseline));
    Datasets baseData = base == null ? null : base.datasets();
    BatchSchedule schedule = spec.schedule(data.train().rows());
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<String, Object> dgemm = null;
    // what handing the parameters between two cores costs, before the runs and after them: a
    // virtual machine's host may move its vCPUs meanwhile (CoreHandoff)
    boolean handoff = dgemmSeconds > 0 && Runtime.getRuntime().availableProcessors() >= 2;
    int values = spec.network().numParams();
    double handoffSeconds = Math.min(0.5, dgemmSeconds / 4);
    Map<String, Object> handoffBefore =
        handoff ? CoreHandoff.measure(values, handoffSeconds) : null;
    try (SparkHolder spark = new SparkHolder(master, spec.name() + " bench")) {
      SparkEngines sparkEngines = new SparkEngines(spark::sc, true);
      if (base != null) {
        rows.add(train("baseline", Engines.local(), base.spec(), baseData, baseline));
      }
      for (String name : engines) {
        Engines factory = name.equals("local") ? Engines.local()
            : name.equals("spark") ? sparkEngines
            : new Engines() { // a job per step: spark-jobs as chosen, spark-tree forced
              @Override
              public GradientEngine create(RunSpec s, BatchSchedule b, Datasets d) {
                SparkEngine e = sparkEngines.create(s, b, d,
                    name.equals("spark-tree") ? SparkEngine.Aggregation.TREE : null);
                e.stepSessions(false);
                return e;
              }

              @Override
              public String master() {
                return sparkEngines.master();
              }
            };
        rows.add(train(name, factory, name.equals("local") ? spec : onSpark, data, configFile.path));
      }
      if (dgemmSeconds > 0) {
        int threads = engines.stream().anyMatch(e -> e.startsWith("spark"))
            ? sparkEngines.partitions(onSpark) : Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "measuring dgemm: %d threads ...%n", threads);
        dgemm = BenchFigures.dgemm(spec.network(), schedule, threads, dgemmSeconds);
      }
    }
    Map<String, Object> report = BenchFigures.json(configFile.path.toString(), spec, schedule, rows,
        (System.nanoTime() - started) / 1e9);
    if (base != null) {
      report.put("baseline", baseline.toString());
    }
    report.put("dgemm", dgemm);
    if (handoff) {
      Map<String, Object> h = new java.util.LinkedHashMap<>();
      h.put("before", handoffBefore);
      h.put("after", CoreHandoff.measure(values, handoffSeconds));
      report.put("handoff", h);
    }
    String ratios = BenchFigures.ratios(rows, dgemm, targetAccuracy); // adds dgemm_fraction
    RunFiles.writeJson(json, report);
    System.out.print(BenchFigures.table(spec, schedule, rows));
    if (base != null) {
      System.out.printf(Locale.ROOT, "(baseline: %s, batch %d, from %s)%n",
          base.spec().network().describe(), base.spec().batchSize(), baseline);
    }
    System.out.print(ratios);
    if (report.get("handoff") instanceof Map<?, ?> h) {
      System.out.print(BenchFigures.handoffLine(h));
    }
    System.out.println("Figures written to " + json);
    return 0;
  }

  /** Refuses option values outside their ranges, before anything runs. */
  private void checkValues() {
    partitions.check();
    if (targetAccuracy != null && !(targetAccuracy > 0 && targetAccuracy <= 1)) {
      throw new GradsparkException("--target-accuracy must be in (0, 1] but was " + targetAccuracy,
          "an accuracy is a fraction of rows, e.g. --target-accuracy 0.97 for 97%");
    }
    if (warmup < 0) {
      throw new GradsparkException("--warmup must be >= 0 but was " + warmup,
          "e.g. --warmup 50, or 0 for none");
    }
    if (floorJobs < 0) {
      throw new GradsparkException("--floor must be >= 0 but was " + floorJobs,
          "e.g. --floor 100, or 0 for none");
    }
    if (!(dgemmSeconds >= 0) || Double.isInfinite(dgemmSeconds)) {
      throw new GradsparkException("--dgemm-seconds must be a number >= 0 but was "
          + dgemmSeconds, "e.g. --dgemm-seconds 3, or 0 for none");
    }
  }

  /** Refuses more warm-up steps than the timed run has: the run would be the small part. */
  private void checkWarmup(RunSpec spec, BatchSchedule schedule) {
    long steps = (long) spec.epochs() * schedule.stepsPerEpoch();
    if (warmup > steps) {
      throw new GradsparkException("--warmup " + warmup + " is longer than the timed run ("
          + steps + " steps: " + spec.epochs() + " epochs of " + schedule.stepsPerEpoch() + ")",
          "use at most " + steps + " warm-up steps, or more --epochs");
    }
  }

  /** One engine's timed run of spec after the untimed warm-up steps; its figures. */
  private Map<String, Object> train(String name, Engines factory, RunSpec spec, Datasets data,
      Path file) {
    long t0 = System.nanoTime();
    try (TrainingJob job = TrainingJob.start(spec, factory.over(spec, data), file.toString())) {
      double setupSeconds = (System.nanoTime() - t0) / 1e9;
      GradientEngine e = job.engine();
      BatchSchedule schedule = job.schedule();
      System.out.printf(Locale.ROOT, "running %s (%s): %s ...%n", name, file, e.describe());
      double[] warm = TrainingJob.initialParameters(spec);
      for (int k = 0; k < warmup; k++) {
        e.gradient(warm, 0, k % schedule.stepsPerEpoch());
      }
      if (e instanceof SparkEngine se) {
        se.resetStepTimes();
      }
      long timedFrom = System.currentTimeMillis();
      BenchFigures.StepClock clock = new BenchFigures.StepClock();
      Trainer.Result r = job.fit(clock, Trainer.Checkpoints.NONE).result();
      long timedTo = System.currentTimeMillis();
      Map<String, Object> m = BenchFigures.figures(name, e, r,
          BenchFigures.flopsPerEpoch(spec.network(), schedule), schedule, setupSeconds,
          targetAccuracy);
      m.putAll(clock.figures());
      m.put("config", file.toString());
      m.put("network", spec.network().describe());
      m.put("batch_size", schedule.batchSize());
      // The wall-clock window of the timed steps and their number: submit/cluster-bench reads the
      // network interfaces' byte counters over exactly this window.
      m.put("timed_from_unix_ms", timedFrom);
      m.put("timed_to_unix_ms", timedTo);
      m.put("timed_steps", r.steps());
      if (e instanceof SparkEngine se) {
        m.put("step_ms_p50", stepMedianMs(se.stepTimes()));
      }
      if (e instanceof SparkEngine se && floorJobs > 0) {
        BenchFigures.addFloor(m, se.bareJobs(floorJobs));
      }
      return m;
    }
  }

  /**
   * The median over the timed steps of a Spark step's time without the driver's update
   * (broadcast, job or session exchange, merge, destroy), in ms; NaN without steps.
   */
  private static double stepMedianMs(List<SparkEngine.StepTimes> times) {
    double[] ms = times.stream()
        .mapToDouble(t -> (t.broadcast() + t.job() + t.merge() + t.destroy()) / 1e6)
        .sorted().toArray();
    int n = ms.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  }
}
