package io.gradspark.api;

import io.gradspark.eval.ClassReport;
import io.gradspark.eval.Evaluation;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.ModelFile;
import io.gradspark.io.Plots;
import io.gradspark.io.RunFiles;
import io.gradspark.train.DivergedException;
import io.gradspark.train.Trainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * The files of a finished run, one writer for train, repeat, sweep and report: model.npz,
 * history.csv, history.json, summary.json, curves.png, config.conf and, for a classifier with an
 * evaluation set, confusion.png and report.txt. Each file is written atomically, into a local
 * directory or one on any Hadoop file system (a directory given as a URI: hdfs://, file:, ...).
 */
public final class RunOutputs {
  private RunOutputs() {}

  /** settings: the merged config as HOCON text, or null for a run built in code. */
  public static void write(Path dir, String title, TrainedModel model, String settings,
      boolean confusion) {
    write(HadoopFiles.of(dir), title, model, settings, confusion);
  }

  /** {@link #write(Path, String, TrainedModel, String, boolean)} into a local or Hadoop path. */
  public static void write(String dir, String title, TrainedModel model, String settings,
      boolean confusion) {
    model.save(HadoopFiles.resolve(dir, "model.npz"));
    Trainer.Result r = model.result();
    RunFiles.writeHistoryCsv(HadoopFiles.resolve(dir, "history.csv"), r.history());
    RunFiles.writeHistoryJson(HadoopFiles.resolve(dir, "history.json"), r.history());
    RunFiles.writeJson(HadoopFiles.resolve(dir, "summary.json"), model.summary());
    Plots.curves(HadoopFiles.resolve(dir, "curves.png"), r.history(),
        title + ": " + model.network().describe());
    if (settings != null) {
      writeSettings(dir, settings);
    }
    Evaluation ev = r.test() != null ? r.test() : r.validation();
    if (confusion && ev != null && ev.classes() > 0) {
      Plots.confusion(HadoopFiles.resolve(dir, "confusion.png"), ev.confusionCounts(),
          ev.classes(), title + ": confusion on the " + (r.test() != null ? "test" : "validation")
              + " set");
      byte[] report = ClassReport.of(ev).format().getBytes(StandardCharsets.UTF_8);
      AtomicFiles.write(HadoopFiles.resolve(dir, "report.txt"), "report",
          os -> os.write(report));
    }
  }

  /** config.conf: the run's merged settings, from which --resume rebuilds it. */
  public static void writeSettings(Path dir, String settings) {
    writeSettings(HadoopFiles.of(dir), settings);
  }

  /** {@link #writeSettings(Path, String)} into a local or Hadoop path. */
  public static void writeSettings(String dir, String settings) {
    byte[] conf = ("# Settings of this run, merged\n" + settings).getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(HadoopFiles.resolve(dir, "config.conf"), "settings",
        os -> os.write(conf));
  }

  /** model-last-good.npz: the last finite parameters of a run that diverged. */
  public static Path writeLastGood(Path dir, RunSpec spec, DivergedException e) {
    return Path.of(writeLastGood(HadoopFiles.of(dir), spec, e));
  }

  /** {@link #writeLastGood(Path, RunSpec, DivergedException)} into a local or Hadoop path. */
  public static String writeLastGood(String dir, RunSpec spec, DivergedException e) {
    String file = HadoopFiles.resolve(dir, "model-last-good.npz");
    ModelFile.save(file, spec.network(), e.lastGoodParams(), spec.data().scale(),
        spec.data().oneVsAll(), Map.of("diverged", e.getMessage()));
    return file;
  }
}
