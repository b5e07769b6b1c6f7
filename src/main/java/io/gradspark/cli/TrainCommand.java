package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.RunOutputs;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainedModel;
import io.gradspark.api.TrainingJob;
import io.gradspark.config.RunSpecs;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.io.CheckpointFile;
import io.gradspark.nn.Blas;
import io.gradspark.spark.HadoopCheckpointStore;
import io.gradspark.spark.SparkEngines;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DivergedException;
import io.gradspark.train.Trainer;
import io.gradspark.eval.EpochStats;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
    description = {
        "Train a network as a config file describes, on Spark (training.engine = spark, the "
            + "default) or in this JVM (local), and write the model, history, summary and plots.",
        "Checkpoints go to DIR/checkpoints every training.checkpoint-every; --resume DIR "
            + "continues an interrupted run from its newest good checkpoint, with the run's own "
            + "settings, and ends bit-identical to an uninterrupted run.",
        "",
        "Example: submit/gradspark train --config conf/mnist.conf --set training.epochs=2",
        "         submit/gradspark train --resume runs/mnist-20261122-101500"},
    footer = {"", "Outputs (in --out): model.npz, history.csv, history.json, summary.json, "
        + "curves.png, confusion.png, report.txt, config.conf, checkpoints/. A run that does not "
        + "finish keeps only config.conf and checkpoints/ (to --resume), or nothing before its "
        + "first checkpoint. Exit codes: 0 done, 2 bad input or settings (nothing written), 3 "
        + "training diverged (last good model written), 130 Ctrl-C, 143 SIGTERM (the message "
        + "gives the resume command), 1 internal error."})
final class TrainCommand extends SharedOptions.OnSpark implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE",
      description = "The run's settings (HOCON), e.g. conf/mnist.conf; a local path or a Hadoop "
          + "one (a run's config.conf on HDFS).")
  String config;

  @Option(names = "--resume", paramLabel = "DIR",
      description = "Continue the interrupted run in DIR (instead of --config): a local path or "
          + "a Hadoop one, e.g. hdfs://namenode:8020/runs/mnist-20261122-101500.")
  String resume;

  @Mixin
  SharedOptions.OutDir outDir;

  @Override
  public Integer call() {
    if (config != null && resume != null) {
      throw new GradsparkException("train takes --config FILE or --resume DIR, not both",
          "--resume continues a run with the settings saved in its directory");
    }
    if (config == null && resume == null) {
      throw new GradsparkException("train needs --config FILE or --resume DIR",
          "start a run with --config conf/mnist.conf, or continue one with --resume runs/...");
    }
    RunSpecs.Run run;
    String target;
    if (resume != null) {
      if (!sets.isEmpty() || outDir.path != null) {
        throw new GradsparkException("--resume continues a run with its own settings and "
            + "directory, so --set and --out cannot go with it",
            "start a new run with --config to change settings");
      }
      if (HadoopFiles.viaHadoop(resume)) {
        HadoopFiles.fileSystem(resume, "--resume"); // refuses a scheme with no file system
      }
      target = HadoopFiles.location(resume);
      String saved = HadoopFiles.resolve(target, "config.conf");
      if (!HadoopFiles.isFile(saved)) {
        throw new GradsparkException(resume + " is not a run directory (no config.conf)",
            "pass the directory a train run wrote, e.g. runs/mnist-20261122-101500");
      }
      run = RunSpecs.loadFrom(saved, List.of(), HadoopFiles.name(target));
    } else {
      run = RunSpecs.loadFrom(config, sets, baseName(HadoopFiles.name(config)));
      target = RunDirectory.choose(outDir.path, run.spec().name());
    }
    RunSpec spec = run.spec();
    if (resume != null && HadoopFiles.exists(HadoopFiles.resolve(target, "summary.json"))) {
      throw new GradsparkException("The run in " + resume + " finished (summary.json exists): "
          + "there is nothing to resume", "to train on from its model, start a new run: train "
          + "--config " + HadoopFiles.resolve(resume, "config.conf") + " --set model.init-from="
          + HadoopFiles.resolve(resume, "model.npz") + " --out NEW_DIR");
    }
    HadoopCheckpointStore checkpoints = HadoopCheckpointStore.of(spec.checkpoints(), target);
    CheckpointFile.Loaded from = resume != null ? checkpoints.newest(spec.network().numParams())
        : null;
    if (!checkpoints.isInside(target)) {
      checkpoints.checkWritable(); // before Spark starts: fail in seconds
    }
    Progress progress = Progress.forConsole(spec.epochs()).weighted(spec.data().weightedLoss());
    try (SparkHolder spark = new SparkHolder(master, spec.name())) {
      Engines engines = engines(spec, spark);
      engines.master(); // Spark is up: the load time below is the data's alone
      long loadStart = System.nanoTime();
      // text data is counted where it will be read: on Spark, by the executors
      Datasets data = run.datasets(engines.splitTasks());
      return train(spec, run, data, engines, from, target, resume == null, checkpoints,
          progress, loadStart);
    }
  }

  private int train(RunSpec spec, RunSpecs.Run run, Datasets data, Engines engines,
      CheckpointFile.Loaded from, String target, boolean fresh,
      HadoopCheckpointStore checkpoints, Progress progress, long loadStart) {
    try (TrainingJob job = start(spec, data, engines, run.settings().source(), from)) {
      double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
      // inputs are good and the engine is up: from here on the run has a directory, its own
      try (TrainDirectory dir = new TrainDirectory(target, fresh, checkpoints)) {
        checkpoints.checkWritable();
        if (fresh) {
          // the BLAS auto chose is the run's: --resume runs on it again (bit-identical)
          RunOutputs.writeSettings(target, run.settings().with("training.blas",
              Blas.inUse().kind().configName()).render());
        }
        BatchSchedule schedule = job.schedule();
        System.out.printf(Locale.ROOT,
            "Training %s (%,d parameters) on %,d rows (%s), %s; %d epoch%s x %d steps of %d, %s, "
                + "%s%n",
            spec.network().describe(), spec.network().numParams(), schedule.rows(),
            data.train().sparse() ? "sparse: CSR" : "dense",
            job.engine().describe(), spec.epochs(), spec.epochs() == 1 ? "" : "s",
            schedule.stepsPerEpoch(), schedule.batchSize(), spec.optimizer().method().configName(),
            spec.precision().configName());
        System.out.printf(Locale.ROOT, "Run directory %s (checkpoints: %s)%n", target,
            spec.checkpoints().off() ? "off" : checkpoints.location());
        TrainedModel model;
        try {
          model = job.fit(progress, checkpoints);
        } catch (DivergedException e) {
          System.err.println("The last finite parameters are in "
              + RunOutputs.writeLastGood(target, spec, e));
          throw e;
        }
        model.summary().put("total_seconds", (System.nanoTime() - started) / 1e9);
        model.summary().put("seconds_to_first_step", progress.secondsToFirstStep());
        model.summary().put("driver_peak_heap_bytes", peakHeap());
        model.summary().put("data_load_seconds", loadSeconds);
        RunOutputs.write(target, spec.name(), model, null, true);
        dir.done();
        printResult(model.result(), target);
        return 0;
      }
    }
  }

  private final long started = System.nanoTime();

  /** The most heap this JVM (the driver) has held: the sum of its heap pools' peaks. */
  static long peakHeap() {
    long peak = 0;
    for (java.lang.management.MemoryPoolMXBean pool
        : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak;
  }

  private static TrainingJob start(RunSpec spec, Datasets data, Engines engines, String source,
      CheckpointFile.Loaded from) {
    return from == null ? TrainingJob.start(spec, engines.over(spec, data), source)
        : TrainingJob.resume(spec, engines.over(spec, data), source, from);
  }

  /** The engine factory of spec.engine(): Spark (started on first use) or this JVM. */
  static Engines engines(RunSpec spec, SparkHolder spark) {
    return spec.engine() == RunSpec.Engine.SPARK ? new SparkEngines(spark::sc, true)
        : Engines.local();
  }

  static String baseName(Path file) {
    return baseName(file.getFileName().toString());
  }

  static String baseName(String n) {
    return n.endsWith(".conf") ? n.substring(0, n.length() - 5) : n;
  }

  private static void printResult(Trainer.Result r, String target) {
    EpochStats last = r.history().get(r.keptEpoch() - 1);
    StringBuilder b = new StringBuilder("Done:");
    if (!Double.isNaN(last.testAccuracy())) {
      b.append(String.format(Locale.ROOT, " test accuracy %.2f%%,", 100 * last.testAccuracy()));
    } else if (!Double.isNaN(last.testLoss())) {
      b.append(String.format(Locale.ROOT, " test loss %.4f,", last.testLoss()));
    }
    b.append(String.format(Locale.ROOT, " %.1f s of training. Outputs in %s", r.trainSeconds(),
        target));
    System.out.println(b);
  }
}
