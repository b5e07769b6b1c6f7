package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.api.TrainedModel;
import io.gradspark.config.RunSpecs;
import io.gradspark.config.Settings;
import io.gradspark.data.RowSource;
import io.gradspark.data.SplitTasks;
import io.gradspark.eval.ClassReport;
import io.gradspark.eval.Evaluation;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.io.ModelFile;
import io.gradspark.io.Plots;
import io.gradspark.io.RunFiles;
import io.gradspark.spark.Gradspark;
import io.gradspark.spark.SparkModel;
import io.gradspark.spark.SparkSplitTasks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {
        "Evaluate a trained model on the config's test set (data.test), or on --data: loss, "
            + "accuracy, per-class precision/recall/F1 and the confusion matrix.",
        "Inputs are prepared as in training (the model records its feature scale and "
            + "one-vs-all class). Runs in this JVM by default (small files); with --master on "
            + "Spark: each task reads and scores its own range of rows, and only the counts "
            + "come back, merged in a fixed order (the same counts and accuracy as in this JVM; "
            + "the loss may differ in the last digits, as sums in another order do).",
        "",
        "Example: submit/gradspark evaluate --model runs/mnist-.../model.npz "
            + "--config conf/mnist.conf",
        "         submit/gradspark evaluate --master spark://host:7077 --model model.npz "
            + "--config conf/mnist.conf --data hdfs://nn:8020/data/test/"},
    footer = {"", "With --out DIR: evaluation.json, report.txt, confusion.png."})
final class EvaluateCommand extends SharedOptions.Settings implements Callable<Integer> {

  @Mixin
  SharedOptions.ModelFile modelFile;

  @Mixin
  SharedOptions.ConfigFile configFile;

  @Option(names = "--data", paramLabel = "PATH",
      description = "Evaluate on this data instead: CSV (.csv, label column and header from "
          + "data.test), LIBSVM (.libsvm, .svm) or IDX images (with --labels). A local path or "
          + "any Hadoop path (hdfs://...); CSV and LIBSVM may be a directory of part files or a "
          + "glob.")
  String data;

  @Option(names = "--labels", paramLabel = "PATH",
      description = "IDX labels file that goes with IDX images in --data.")
  String labels;

  @Option(names = "--out", paramLabel = "DIR", description = "Also write the results here "
      + "(a local path or a Hadoop one: hdfs://..., file:, s3a:// with its connector).")
  String out;

  @Mixin
  SharedOptions.Scoring scoring;

  @Override
  public Integer call() {
    scoring.check();
    // where the results go is checked first: a scheme with no file system is refused at once
    String target = out == null ? null : RunDirectory.choose(out, "evaluate");
    TrainedModel m = TrainedModel.load(modelFile.path);
    Settings c = Settings.load(configFile.path, sets);
    RowSource source;
    Evaluation ev;
    if (scoring.onSpark()) {
      try (SparkHolder spark = new SparkHolder(scoring.master, "evaluate")) {
        // the executors count the splits (text data) and read and score their own rows
        source = source(c, m, new SparkSplitTasks(spark.sc()));
        SparkModel model = Gradspark.of(spark.sc(), m);
        ev = model.evaluate(source, scoring.partitions);
        System.out.printf(Locale.ROOT, "Scored on Spark %s in %d partitions%n",
            spark.sc().master(), model.partitions(source, scoring.partitions));
      }
    } else {
      source = source(c, m, SplitTasks.LOCAL);
      ev = m.evaluate(source);
    }

    System.out.printf(Locale.ROOT, "%s on %s%n%,d rows: mean loss %.6f", modelFile.path,
        source.describe(), ev.count(), ev.meanLoss());
    if (ev.classes() > 0) {
      System.out.printf(Locale.ROOT, ", accuracy %.2f%%%n%n%s", 100 * ev.accuracy(),
          ClassReport.of(ev).format());
    }
    System.out.println();
    if (target != null) {
      RunDirectory dir = RunDirectory.create(target);
      try {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", modelFile.path);
        json.put("data", source.describe());
        json.put("rows", ev.count());
        json.put("loss", ev.meanLoss());
        json.put("accuracy", ev.accuracy());
        if (ev.classes() > 0) {
          ClassReport report = ClassReport.of(ev);
          json.put("report", report.asMap());
          json.put("confusion", ev.confusionCounts());
          Files.writeString(dir.file("report.txt"), report.format(), StandardCharsets.UTF_8);
          Plots.confusion(dir.file("confusion.png"), ev.confusionCounts(), ev.classes(),
              "confusion: " + HadoopFiles.name(modelFile.path));
        }
        RunFiles.writeJson(dir.file("evaluation.json"), json);
        dir.publish();
      } catch (java.io.IOException | RuntimeException e) {
        dir.discard();
        throw e instanceof RuntimeException r ? r
            : new GradsparkException("Cannot write outputs: " + e.getMessage());
      }
      System.out.println("Results in " + target);
    }
    return 0;
  }

  /** --data, else the config's data.test; text data counted by tasks. */
  private RowSource source(Settings c, TrainedModel m, SplitTasks tasks) {
    RowSource source = data != null
        ? RunSpecs.file(c, "data.test", data, labels, m.network().inputSize(), false, tasks)
        : RunSpecs.source(c, "data.test", tasks);
    if (source == null) {
      throw new GradsparkException("There is nothing to evaluate on: data.test.format is none",
          "set data.test in the config, or pass --data FILE");
    }
    return source;
  }
}
