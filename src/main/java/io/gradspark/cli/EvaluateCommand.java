package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.data.CsvSource;
import io.gradspark.data.DataChecks;
import io.gradspark.data.IdxSource;
import io.gradspark.data.LibsvmSource;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.data.Views;
import io.gradspark.eval.ClassReport;
import io.gradspark.eval.Evaluation;
import io.gradspark.io.ModelFile;
import io.gradspark.io.Plots;
import io.gradspark.io.RunFiles;
import io.gradspark.train.Batches;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {
        "Evaluate a trained model on the config's test set (data.test), or on --data: loss, "
            + "accuracy, per-class precision/recall/F1 and the confusion matrix.",
        "Inputs are prepared as in training (the model records its feature scale and "
            + "one-vs-all class). Runs in this JVM.",
        "",
        "Example: submit/gradspark evaluate --model runs/mnist-.../model.npz "
            + "--config conf/mnist.conf"},
    footer = {"", "With --out DIR: evaluation.json, report.txt, confusion.png."})
final class EvaluateCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "FILE", description = "A model.npz.")
  Path model;

  @Option(names = "--config", required = true, paramLabel = "FILE",
      description = "Settings whose data.test section names the data (and CSV options).")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a setting.")
  List<String> sets = new ArrayList<>();

  @Option(names = "--data", paramLabel = "FILE",
      description = "Evaluate on this file instead: CSV (.csv, label column and header from "
          + "data.test), LIBSVM (.libsvm, .svm) or IDX images (with --labels).")
  Path data;

  @Option(names = "--labels", paramLabel = "FILE",
      description = "IDX labels file that goes with IDX images in --data.")
  Path labels;

  @Option(names = "--out", paramLabel = "DIR", description = "Also write the results here.")
  Path out;

  @Override
  public Integer call() {
    ModelFile.Loaded m = ModelFile.load(model);
    ConfigLoader c = ConfigLoader.load(config, sets);
    RowSource source = data != null ? fileSource(c, data, labels, m.net().inputSize())
        : RunSpec.source(c, "data.test");
    if (source == null) {
      throw new GradsparkException("There is nothing to evaluate on: data.test.format is none",
          "set data.test in the config, or pass --data FILE");
    }
    Path target = out == null ? null : RunDirectory.choose(out, "evaluate");
    RowBlock block = prepare(source, m).load(0, source.rows());
    Evaluation ev = new Evaluation(m.net().classes());
    Batches.evaluate(m.net(), m.params(), block, ev);

    System.out.printf(Locale.ROOT, "%s on %s%n%,d rows: mean loss %.6f", model,
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
        json.put("model", model.toString());
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
              "confusion: " + model.getFileName());
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

  /** The model's own input preparation: features checked, one-vs-all, scale, labels checked. */
  static RowSource prepare(RowSource s, ModelFile.Loaded m) {
    DataChecks.checkFeatures(s, m.net().inputSize(), s.describe());
    RowSource r = m.oneVsAll() >= 0 ? Views.oneVsAll(s, m.oneVsAll()) : s;
    r = m.inputScale() != 1.0 ? Views.scaled(r, m.inputScale()) : r;
    return Views.labelChecked(r, m.net().head(), m.net().outputSize(), s.describe());
  }

  /** A data file named on the command line, by its kind. */
  static RowSource fileSource(ConfigLoader c, Path file, Path labels, int features) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (labels != null) {
      return new IdxSource(file, labels);
    }
    if (name.endsWith(".libsvm") || name.endsWith(".svm") || name.endsWith(".libsvm.gz")) {
      return new LibsvmSource(file, features);
    }
    if (name.endsWith(".csv") || name.endsWith(".csv.gz") || name.endsWith(".txt")) {
      String delim = c.string("data.test.delimiter");
      return new CsvSource(file, c.integer("data.test.label-column", Integer.MIN_VALUE,
          Integer.MAX_VALUE), c.bool("data.test.header"), delim.isEmpty() ? ',' : delim.charAt(0));
    }
    throw new GradsparkException("Cannot tell the format of " + file,
        "name CSV files *.csv and LIBSVM files *.libsvm; for IDX images also pass --labels");
  }
}
