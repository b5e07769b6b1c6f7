package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.eval.ClassReport;
import io.gradspark.eval.EpochStats;
import io.gradspark.eval.Evaluation;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.CheckpointFile;
import io.gradspark.io.ModelFile;
import io.gradspark.io.Plots;
import io.gradspark.io.RunFiles;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DivergedException;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
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
        + "curves.png, confusion.png, report.txt, config.conf, checkpoints/. Exit codes: 0 done, "
        + "2 bad input or settings (nothing written), 3 training diverged (last good model "
        + "written), 1 internal error."})
final class TrainCommand implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE",
      description = "The run's settings (HOCON), e.g. conf/mnist.conf.")
  Path config;

  @Option(names = "--resume", paramLabel = "DIR",
      description = "Continue the interrupted run in DIR (instead of --config).")
  Path resume;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override a setting, e.g. --set training.epochs=2 (repeatable).")
  List<String> sets = new ArrayList<>();

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master, e.g. local[4] or spark://host:7077 (default: what "
          + "spark-submit set, else local[*]).")
  String master;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output directory (default: runs/<name>-<timestamp>); must not exist or be "
          + "empty.")
  Path out;

  @Override
  public Integer call() {
    long started = System.nanoTime();
    if ((config == null) == (resume == null)) {
      throw new GradsparkException("train needs either --config FILE or --resume DIR",
          "start a run with --config conf/mnist.conf, or continue one with --resume runs/...");
    }
    Path target;
    RunSpec spec;
    if (resume != null) {
      if (!sets.isEmpty() || out != null) {
        throw new GradsparkException("--resume continues a run with its own settings and "
            + "directory, so --set and --out cannot go with it",
            "start a new run with --config to change settings");
      }
      Path saved = resume.resolve("config.conf");
      if (!Files.isRegularFile(saved)) {
        throw new GradsparkException(resume + " is not a run directory (no config.conf)",
            "pass the directory a train run wrote, e.g. runs/mnist-20261122-101500");
      }
      target = resume.toAbsolutePath().normalize();
      spec = new RunSpec(ConfigLoader.load(saved, List.of()), target.getFileName().toString());
    } else {
      spec = new RunSpec(ConfigLoader.load(config, sets), baseName(config));
      target = RunDirectory.choose(out, spec.name);
    }
    int patience = spec.config.integer("training.early-stopping.patience", 0, Integer.MAX_VALUE);
    if (patience > 0 && spec.validation == null) {
      throw spec.config.bad("training.early-stopping.patience",
          "0 when there is no validation set (set data.validation.holdout)");
    }
    CheckpointStore checkpoints = CheckpointStore.of(spec.config,
        target.resolve("checkpoints").toString());
    MomentumSgd optimizer = spec.optimizer();
    double[] params;
    TrainingState position;
    if (resume != null) {
      CheckpointFile.Loaded loaded = checkpoints.newest(spec.net.numParams());
      params = loaded.params();
      position = loaded.state();
    } else {
      params = Engines.initialParameters(spec);
      position = TrainingState.START;
    }
    BatchSchedule schedule = spec.schedule();
    Progress progress = Progress.forConsole(spec.epochs);
    Trainer trainer = new Trainer(optimizer, spec.epochs, progress, patience);
    SparkSupport.Session session = null;
    JavaSparkContext sc = null;
    GradientEngine engine = null;
    try {
      if (spec.engine.equals("spark")) {
        session = SparkSupport.session(master, spec.name);
        sc = session.sc();
        engine = Engines.spark(sc, spec, schedule, spec.partitions, true);
      } else {
        engine = Engines.local(spec, schedule);
      }
      // inputs are good and the engine is up: from here on the run has a directory
      RunDirectory.ensure(target);
      if (resume == null) {
        AtomicFiles.write(target.resolve("config.conf"), "settings", os -> os.write(
            ("# Settings of this run, merged\n" + spec.config.render())
                .getBytes(StandardCharsets.UTF_8)));
      }
      System.out.printf(Locale.ROOT,
          "Training %s (%,d parameters) on %,d rows, %s; %d epoch%s x %d steps of %d%n",
          spec.net.describe(), spec.net.numParams(), schedule.rows(), engine.describe(),
          spec.epochs, spec.epochs == 1 ? "" : "s", schedule.stepsPerEpoch(),
          schedule.batchSize());
      System.out.printf(Locale.ROOT, "Run directory %s (checkpoints: %s)%n", target,
          checkpoints.location());
      Trainer.Result result;
      try {
        result = trainer.fit(engine, params, position, checkpoints);
      } catch (DivergedException e) {
        ModelFile.save(target.resolve("model-last-good.npz"), spec.net, e.lastGoodParams(),
            spec.scale, spec.oneVsAll, Map.of("diverged", e.getMessage()));
        System.err.println("The last finite parameters are in "
            + target.resolve("model-last-good.npz"));
        throw e;
      }
      Map<String, Object> summary = summary(spec, result, engine, sc, started);
      summary.put("seconds_to_first_step", progress.secondsToFirstStep());
      writeOutputs(target, spec, params, result, summary);
      printResult(result, target);
      return 0;
    } finally {
      if (engine != null) {
        engine.close();
      }
      if (session != null) {
        session.close();
      }
    }
  }

  static String baseName(Path file) {
    String n = file.getFileName().toString();
    return n.endsWith(".conf") ? n.substring(0, n.length() - 5) : n;
  }

  private static Map<String, Object> summary(RunSpec spec, Trainer.Result r,
      GradientEngine engine, JavaSparkContext sc, long started) {
    List<EpochStats> h = r.history();
    EpochStats kept = h.get(r.keptEpoch() - 1);
    long rows = 0;
    for (EpochStats s : h) {
      rows += Math.round(s.samplesPerSecond() * s.seconds());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("test_accuracy", kept.testAccuracy());
    m.put("test_loss", kept.testLoss());
    m.put("val_accuracy", kept.valAccuracy());
    m.put("val_loss", kept.valLoss());
    m.put("train_loss", kept.trainLoss());
    m.put("epochs", h.size());
    m.put("kept_epoch", r.keptEpoch());
    m.put("steps", r.steps());
    m.put("train_seconds", r.trainSeconds());
    m.put("samples_per_second", rows / r.trainSeconds());
    m.put("total_seconds", (System.nanoTime() - started) / 1e9);
    m.put("engine", spec.engine);
    m.put("partitions", engine instanceof io.gradspark.spark.SparkEngine s ? s.partitions() : 1);
    m.put("master", sc != null ? sc.master() : "none (local engine)");
    m.put("network", spec.net.describe());
    m.put("parameters", spec.net.numParams());
    m.put("train_rows", spec.train.rows());
    m.put("validation_rows", spec.validation == null ? 0 : spec.validation.rows());
    m.put("test_rows", spec.test == null ? 0 : spec.test.rows());
    m.put("blas", Engines.blasName());
    m.put("finished_at", Instant.now().toString());
    // the settings fill in only what was not measured: "epochs" is the epochs run (fewer than
    // training.epochs when training stopped early)
    spec.trainingSettings().forEach(m::putIfAbsent);
    return m;
  }

  /** Each output is written atomically into the run directory. */
  private static void writeOutputs(Path target, RunSpec spec, double[] params, Trainer.Result r,
      Map<String, Object> summary) {
    ModelFile.save(target.resolve("model.npz"), spec.net, params, spec.scale, spec.oneVsAll,
        Map.of("training", spec.trainingSettings()));
    RunFiles.writeHistoryCsv(target.resolve("history.csv"), r.history());
    RunFiles.writeHistoryJson(target.resolve("history.json"), r.history());
    RunFiles.writeJson(target.resolve("summary.json"), summary);
    Plots.curves(target.resolve("curves.png"), r.history(),
        spec.name + ": " + spec.net.describe());
    Evaluation ev = r.test() != null ? r.test() : r.validation();
    if (ev != null && ev.classes() > 0) {
      Plots.confusion(target.resolve("confusion.png"), ev.confusionCounts(), ev.classes(),
          spec.name + ": confusion on the " + (r.test() != null ? "test" : "validation")
              + " set");
      byte[] report = ClassReport.of(ev).format().getBytes(StandardCharsets.UTF_8);
      AtomicFiles.write(target.resolve("report.txt"), "report", os -> os.write(report));
    }
  }

  private static void printResult(Trainer.Result r, Path target) {
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
