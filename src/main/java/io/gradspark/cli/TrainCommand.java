package io.gradspark.cli;

import io.gradspark.eval.ClassReport;
import io.gradspark.eval.EpochStats;
import io.gradspark.eval.Evaluation;
import io.gradspark.io.ModelFile;
import io.gradspark.io.Plots;
import io.gradspark.io.RunFiles;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DivergedException;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.Trainer;
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
        "",
        "Example: submit/gradspark train --config conf/mnist.conf --set training.epochs=2"},
    footer = {"", "Outputs (in --out): model.npz, history.csv, history.json, summary.json, "
        + "curves.png, confusion.png, config.conf. Exit codes: 0 done, 2 bad input or "
        + "settings (nothing written), 3 training diverged (last good model written), 1 "
        + "internal error."})
final class TrainCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, paramLabel = "FILE",
      description = "The run's settings (HOCON), e.g. conf/mnist.conf.")
  Path config;

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
    RunSpec spec = new RunSpec(ConfigLoader.load(config, sets), baseName(config));
    Path target = RunDirectory.choose(out, spec.name);
    double[] params = Engines.initialParameters(spec);
    BatchSchedule schedule = spec.schedule();
    Trainer trainer = new Trainer(spec.optimizer(), spec.epochs, Progress.forConsole(spec.epochs));
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
      System.out.printf(Locale.ROOT,
          "Training %s (%,d parameters) on %,d rows, %s; %d epochs x %d steps of %d%n",
          spec.net.describe(), spec.net.numParams(), schedule.rows(), engine.describe(),
          spec.epochs, schedule.stepsPerEpoch(), schedule.batchSize());
      Trainer.Result result;
      try {
        result = trainer.fit(engine, params);
      } catch (DivergedException e) {
        RunDirectory dir = RunDirectory.create(target);
        ModelFile.save(dir.file("model-last-good.npz"), spec.net, e.lastGoodParams(), spec.scale,
            spec.oneVsAll, Map.of("diverged", e.getMessage()));
        dir.publish();
        System.err.println("The last finite parameters are in " + target.resolve(
            "model-last-good.npz"));
        throw e;
      }
      Map<String, Object> summary = summary(spec, result, engine, sc, started);
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
    EpochStats last = h.get(h.size() - 1);
    long rows = 0;
    for (EpochStats s : h) {
      rows += Math.round(s.samplesPerSecond() * s.seconds());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("test_accuracy", last.testAccuracy());
    m.put("test_loss", last.testLoss());
    m.put("val_accuracy", last.valAccuracy());
    m.put("val_loss", last.valLoss());
    m.put("train_loss", last.trainLoss());
    m.put("epochs", h.size());
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
    m.putAll(spec.trainingSettings());
    return m;
  }

  private static void writeOutputs(Path target, RunSpec spec, double[] params, Trainer.Result r,
      Map<String, Object> summary) {
    RunDirectory dir = RunDirectory.create(target);
    try {
      ModelFile.save(dir.file("model.npz"), spec.net, params, spec.scale, spec.oneVsAll,
          Map.of("training", spec.trainingSettings()));
      RunFiles.writeHistoryCsv(dir.file("history.csv"), r.history());
      RunFiles.writeHistoryJson(dir.file("history.json"), r.history());
      RunFiles.writeJson(dir.file("summary.json"), summary);
      Files.writeString(dir.file("config.conf"), "# Settings of this run, merged\n"
          + spec.config.render(), StandardCharsets.UTF_8);
      Plots.curves(dir.file("curves.png"), r.history(), spec.name + ": " + spec.net.describe());
      Evaluation ev = r.test() != null ? r.test() : r.validation();
      if (ev != null && ev.classes() > 0) {
        Plots.confusion(dir.file("confusion.png"), ev.confusionCounts(), ev.classes(),
            spec.name + ": confusion on the " + (r.test() != null ? "test" : "validation")
                + " set");
        Files.writeString(dir.file("report.txt"), ClassReport.of(ev).format(),
            StandardCharsets.UTF_8);
      }
      dir.publish();
    } catch (java.io.IOException e) {
      dir.discard();
      throw new io.gradspark.GradsparkException("Cannot write outputs: " + e.getMessage());
    } catch (RuntimeException e) {
      dir.discard();
      throw e;
    }
  }

  private static void printResult(Trainer.Result r, Path target) {
    EpochStats last = r.history().get(r.history().size() - 1);
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
