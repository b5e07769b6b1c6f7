package io.gradspark.api;

import io.gradspark.eval.ClassReport;
import io.gradspark.eval.Evaluation;
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
 * evaluation set, confusion.png and report.txt. Each file is written atomically.
 */
public final class RunOutputs {
  private RunOutputs() {}

  /** settings: the merged config as HOCON text, or null for a run built in code. */
  public static void write(Path dir, String title, TrainedModel model, String settings,
      boolean confusion) {
    model.save(dir.resolve("model.npz"));
    Trainer.Result r = model.result();
    RunFiles.writeHistoryCsv(dir.resolve("history.csv"), r.history());
    RunFiles.writeHistoryJson(dir.resolve("history.json"), r.history());
    RunFiles.writeJson(dir.resolve("summary.json"), model.summary());
    Plots.curves(dir.resolve("curves.png"), r.history(),
        title + ": " + model.network().describe());
    if (settings != null) {
      writeSettings(dir, settings);
    }
    Evaluation ev = r.test() != null ? r.test() : r.validation();
    if (confusion && ev != null && ev.classes() > 0) {
      Plots.confusion(dir.resolve("confusion.png"), ev.confusionCounts(), ev.classes(),
          title + ": confusion on the " + (r.test() != null ? "test" : "validation") + " set");
      byte[] report = ClassReport.of(ev).format().getBytes(StandardCharsets.UTF_8);
      AtomicFiles.write(dir.resolve("report.txt"), "report", os -> os.write(report));
    }
  }

  /** config.conf: the run's merged settings, from which --resume rebuilds it. */
  public static void writeSettings(Path dir, String settings) {
    byte[] conf = ("# Settings of this run, merged\n" + settings).getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(dir.resolve("config.conf"), "settings", os -> os.write(conf));
  }

  /** model-last-good.npz: the last finite parameters of a run that diverged. */
  public static Path writeLastGood(Path dir, RunSpec spec, DivergedException e) {
    Path file = dir.resolve("model-last-good.npz");
    ModelFile.save(file, spec.network(), e.lastGoodParams(), spec.data().scale(),
        spec.data().oneVsAll(), Map.of("diverged", e.getMessage()));
    return file;
  }
}
