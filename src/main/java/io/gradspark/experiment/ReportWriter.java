package io.gradspark.experiment;

import io.gradspark.api.Datasets;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainingJob;
import io.gradspark.eval.EpochStats;
import io.gradspark.nn.Head;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The markdown of a {@link Report}: its prose from the snippets of report-template.md, its tables
 * and figures from the run.
 */
final class ReportWriter {
  static final Template TEMPLATE = Template.load("report-template.md");

  private ReportWriter() {}

  static String markdown(Report report) {
    List<String> sections = new ArrayList<>();
    for (Report.Entry e : report.entries()) {
      sections.add(section(report, e));
    }
    String master = report.master().isEmpty() ? "" : " (`" + report.master() + "`)";
    String engines = report.engine().equals("auto")
        ? TEMPLATE.render("engines-auto", Map.of("master", master))
        : TEMPLATE.render("engines-one", Map.of("engine", report.engine(), "master", master));
    return TEMPLATE.render("report", Map.of(
        "command", report.commandLine(),
        "date", ZonedDateTime.now(ZoneOffset.UTC).format(
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
        "cores", Integer.toString(Runtime.getRuntime().availableProcessors()),
        "blas", TrainingJob.blasName(),
        "duration", Format.duration(report.seconds()),
        "quick", report.quick() ? " " + TEMPLATE.render("quick") : "",
        "summary", summary(report),
        "engines", engines,
        "sections", String.join("\n\n", sections))) + "\n";
  }

  /** The summary table: one row per experiment. */
  private static String summary(Report report) {
    StringBuilder b = new StringBuilder();
    b.append("| experiment | network | published | ours: test accuracy | min – max | ours − "
        + "published | trials | epochs | engine | wall time |\n");
    b.append("|---|---|---|---|---|---|---|---|---|---|");
    for (Report.Entry p : report.entries()) {
      Trials.Outcome o = p.outcome();
      Stats acc = o.stats("test_accuracy");
      b.append("\n| [").append(p.id()).append("](#").append(p.id()).append(") | ")
          .append(p.spec().network().describe()).append(" | ")
          .append(p.experiment().published()).append(" | **").append(Format.meanStd(acc))
          .append("**").append(o.failed() > 0 ? " (" + escape(o.status()) + ")" : "")
          .append(" | ").append(Format.metric(acc.min(), true)).append(" – ")
          .append(Format.metric(acc.max(), true)).append(" | ")
          .append(difference(acc.mean(), p.experiment().target())).append(" | ")
          .append(o.results().size()).append(" | ").append(epochsText(p)).append(" | ")
          .append(engineText(o)).append(" | ").append(Format.duration(o.wallSeconds()))
          .append(" (").append(Format.metric(secondsPerEpoch(o), false)).append(" s/epoch) |");
    }
    return b.toString();
  }

  /** An experiment's section: figures, settings, per-trial table, curves, comparison. */
  private static String section(Report report, Report.Entry p) {
    Experiments.Experiment e = p.experiment();
    Trials.Outcome o = p.outcome();
    Stats acc = o.stats("test_accuracy");
    String text = TEMPLATE.render("section", Map.of(
        "id", e.id(),
        "published", e.published(),
        "ours", Format.meanStd(acc),
        "trials", p.okTrials() + (p.okTrials() == 1 ? " trial" : " trials"),
        "difference", difference(acc.mean(), e.target()),
        "target", Format.metric(e.target(), true),
        "status", o.failed() > 0 ? " " + escape(o.status()) + "." : "",
        "settings", settings(p),
        "trial_table", trialTable(o)));
    List<EpochStats> mean = Report.meanHistory(o);
    if (mean.isEmpty()) {
      return text;
    }
    text += "\n\n" + TEMPLATE.render("curves", Map.of("id", e.id(),
        "overfitting", overfittingText(mean)));
    Report.Entry base = report.baseline(p);
    if (base != null) {
      RunSpec.Optimizer momentum = base.spec().optimizer();
      String ema = momentum.form().configName().equals("ema")
          ? " " + TEMPLATE.render("ema", Map.of("growth",
              Format.metric(1 / (1 - momentum.momentum()), false)))
          : "";
      text += "\n\n" + TEMPLATE.render("momentum", Map.ofEntries(
          Map.entry("base", base.id()),
          Map.entry("base_momentum", momentumText(base.spec())),
          Map.entry("base_ours", Format.meanStd(base.outcome().stats("test_accuracy"))),
          Map.entry("id", e.id()),
          Map.entry("momentum", momentumText(p.spec())),
          Map.entry("ours", Format.meanStd(acc)),
          Map.entry("base_published", base.experiment().published()),
          Map.entry("published", e.published()),
          Map.entry("ema", ema),
          Map.entry("chart", Report.comparisonPng(base))));
    }
    return text;
  }

  private static String settings(Report.Entry p) {
    RunSpec s = p.spec();
    Trials.Outcome o = p.outcome();
    Stats train = o.stats("train_seconds");
    return "| setting | value |\n|---|---|\n"
        + "| conf | `conf/experiments/" + p.id() + ".conf` |\n"
        + String.format(Locale.ROOT, "| network | %s (%,d parameters), %s initialisation |%n",
            s.network().describe(), s.network().numParams(), s.init().configName())
        + "| data | " + dataText(p.plan()) + " |\n"
        + "| optimizer | " + optimizerText(p.plan()) + " |\n"
        + "| epochs | " + epochsText(p) + " |\n"
        + "| engine | " + engineText(o) + ", " + o.parallel() + " trial"
        + (o.parallel() == 1 ? "" : "s") + " at a time |\n"
        + String.format(Locale.ROOT, "| wall time | %s (training %.1f s per trial, %s s per "
            + "epoch) |", Format.duration(o.wallSeconds()), train.mean(),
            Format.metric(secondsPerEpoch(o), false));
  }

  private static String trialTable(Trials.Outcome o) {
    StringBuilder b = new StringBuilder("| trial | seed | test accuracy | test loss | val accuracy "
        + "| epochs kept / run | train s |\n|---|---|---|---|---|---|---|");
    for (Trials.TrialResult r : o.results()) {
      b.append("\n| ").append(r.trial()).append(" | ").append(r.seed()).append(" | ")
          .append(r.ok() ? Format.metric(r.metric("test_accuracy"), true) : escape(r.status()))
          .append(" | ").append(Format.metric(r.metric("test_loss"), false)).append(" | ")
          .append(Format.metric(r.metric("val_accuracy"), true)).append(" | ")
          .append(r.ok() ? r.keptEpoch() + " / " + r.history().size() : "-").append(" | ")
          .append(Format.metric(r.metric("train_seconds"), false)).append(" |");
    }
    return b.toString();
  }

  /** Mean training seconds per epoch of the finished trials. */
  private static double secondsPerEpoch(Trials.Outcome o) {
    double seconds = 0;
    double epochs = 0;
    for (Trials.TrialResult r : o.results()) {
      if (r.ok()) {
        seconds += r.metric("train_seconds");
        epochs += r.history().size();
      }
    }
    return epochs == 0 ? Double.NaN : seconds / epochs;
  }

  /** Where the mean validation loss bottoms out, and whether the run overfits after it. */
  static String overfittingText(List<EpochStats> mean) {
    int best = Report.bestEpoch(mean);
    EpochStats last = mean.get(mean.size() - 1);
    if (best == 0) {
      return TEMPLATE.render("overfitting-no-validation", Map.of(
          "epochs", Integer.toString(last.epoch()),
          "train_loss", loss(last.trainLoss()),
          "test_loss", loss(last.testLoss())));
    }
    EpochStats b = mean.get(best - 1);
    if (best == last.epoch() || last.valLoss() <= b.valLoss() * 1.02) {
      return TEMPLATE.render("overfitting-none", Map.of(
          "best", Integer.toString(best),
          "epochs", Integer.toString(last.epoch()),
          "val_loss", loss(b.valLoss())));
    }
    return TEMPLATE.render("overfitting-starts", Map.of(
        "best", Integer.toString(best),
        "val_loss", loss(b.valLoss()),
        "last_val_loss", loss(last.valLoss()),
        "epochs", Integer.toString(last.epoch()),
        "train_loss", loss(b.trainLoss()),
        "last_train_loss", loss(last.trainLoss())));
  }

  private static String loss(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  private static String dataText(Trials.Plan plan) {
    RunSpec s = plan.first();
    Datasets d = plan.data();
    StringBuilder b = new StringBuilder();
    if (d.train().describe().startsWith("two moons")) {
      b.append("two moons: ");
    }
    b.append(String.format(Locale.ROOT, "%,d training rows", d.train().rows()));
    if (d.validation() != null) {
      b.append(String.format(Locale.ROOT, ", %,d validation", d.validation().rows()));
    }
    if (d.test() != null) {
      b.append(String.format(Locale.ROOT, ", %,d test", d.test().rows()));
    }
    if (s.data().oneVsAll() >= 0) {
      b.append("; digit ").append(s.data().oneVsAll()).append(" vs all");
    } else if (s.network().head() == Head.SOFTMAX_CROSS_ENTROPY) {
      b.append("; ").append(s.network().outputSize()).append(" classes");
    }
    return b.toString();
  }

  static String momentumText(RunSpec s) {
    double mu = s.optimizer().momentum();
    return mu == 0 ? "no momentum" : s.optimizer().form().configName() + " momentum "
        + Format.metric(mu, false);
  }

  static String optimizerText(Trials.Plan plan) {
    RunSpec s = plan.first();
    int rows = plan.data().train().rows();
    RunSpec.Optimizer o = s.optimizer();
    StringBuilder b = new StringBuilder("lr ")
        .append(Format.metric(o.schedule().peak(), false))
        .append(", ").append(momentumText(s)).append(", batch ")
        .append(Math.min(s.batchSize(), rows));
    if (s.batchSize() >= rows) {
      b.append(" (full batch)");
    }
    String schedule = o.schedule().getClass().getSimpleName().toLowerCase(Locale.ROOT)
        .replace("stepdecay", "step");
    if (!schedule.equals("constant")) {
      b.append(", ").append(schedule).append(" schedule");
    }
    if (o.weightDecay() > 0) {
      b.append(", weight decay ").append(Format.metric(o.weightDecay(), false));
    }
    return b.toString();
  }

  private static String epochsText(Report.Entry p) {
    RunSpec s = p.spec();
    int patience = s.patience();
    if (patience == 0) {
      return Integer.toString(s.epochs());
    }
    Stats ran = Stats.of(p.outcome().results().stream().mapToDouble(r -> r.metric("epochs"))
        .toArray());
    Stats kept = p.outcome().stats("kept_epoch");
    if (ran.n() == 0) {
      return "up to " + s.epochs();
    }
    return String.format(Locale.ROOT, "up to %d, early stopping (patience %d): ran %s, kept %s",
        s.epochs(), patience, range(ran), range(kept));
  }

  private static String range(Stats s) {
    return s.min() == s.max() ? Format.metric(s.min(), false)
        : Format.metric(s.min(), false) + "–" + Format.metric(s.max(), false);
  }

  private static String engineText(Trials.Outcome o) {
    return o.engine().startsWith("spark") ? "spark" : "local";
  }

  private static String difference(double ours, double published) {
    if (!Double.isFinite(ours) || !Double.isFinite(published)) {
      return "-";
    }
    return String.format(Locale.ROOT, "%+.2f pp", 100 * (ours - published));
  }

  private static String escape(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
