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
import java.util.Comparator;
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
    String engines = (report.engine().equals("auto")
        ? TEMPLATE.render("engines-auto", Map.of("master", master, "longest",
            longestLocal(report)))
        : TEMPLATE.render("engines-one", Map.of("engine", report.engine(), "master", master)))
        + "\n\n" + TEMPLATE.render("engines-lanes", Map.of("table", engineTable(report)));
    if (report.concurrency() != null) {
      engines += "\n\n" + concurrencyText(report.concurrency());
    }
    return TEMPLATE.render("report", Map.of(
        "command", report.commandLine(),
        "date", ZonedDateTime.now(ZoneOffset.UTC).format(
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
        "cores", Integer.toString(Runtime.getRuntime().availableProcessors()),
        "blas", TrainingJob.blasName(),
        "duration", Format.duration(report.seconds()),
        "quick", report.quick() ? " " + TEMPLATE.render("quick") : "",
        "summary", summary(report),
        "differences", differences(report),
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
      if (p.sweep() != null) {
        b.append("\n").append(sweepRow(p));
        continue;
      }
      Trials.Outcome o = p.outcome();
      Stats acc = o.stats("test_accuracy");
      Experiments.Turn turn = p.experiment().turn();
      List<EpochStats> mean = Report.meanHistory(o);
      String ours = Double.isFinite(p.experiment().target()) || !Double.isFinite(acc.mean())
          ? "**" + Format.meanStd(acc) + "**" : Format.meanStd(acc);
      if (turn != null && !mean.isEmpty()) {
        ours += "; " + turn.loss() + " loss lowest at epoch **" + turnEpoch(turn, mean) + "**";
      }
      b.append("\n| [").append(p.id()).append("](#").append(p.id()).append(") | ")
          .append(p.spec().network().describe()).append(" | ")
          .append(p.experiment().published())
          .append(turn != null && !p.experiment().published().equals(turn.published())
              ? "; " + turn.published() : "")
          .append(" | ").append(ours)
          .append(o.failed() > 0 ? " (" + escape(o.status()) + ")" : "")
          .append(" | ").append(Format.metric(acc.min(), true)).append(" – ")
          .append(Format.metric(acc.max(), true)).append(" | ")
          .append(difference(acc.mean(), p.experiment().target())).append(" | ")
          .append(o.results().size()).append(" | ").append(epochsText(p)).append(" | ")
          .append(engineText(p)).append(" | ").append(Format.duration(o.wallSeconds()))
          .append(" (").append(Format.metric(secondsPerEpoch(o), false)).append(" s/epoch) |");
    }
    return b.toString();
  }

  /** An experiment's section: figures, settings, per-trial table, curves, comparison. */
  private static String section(Report report, Report.Entry p) {
    if (p.sweep() != null) {
      return sweepSection(p);
    }
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
    List<Trials.TrialResult> collapsed = collapsed(o);
    for (Trials.TrialResult r : collapsed) {
      text += "\n\n" + collapsedText(p, r, collapsed);
    }
    if (e.turn() != null) {
      text += "\n\n" + turnText(e.turn(), mean);
      // without an accuracy to compare, what was found about the turn goes with it
      if (!Double.isFinite(e.target()) && Experiments.reason(e.id()) != null) {
        text += " " + Experiments.reason(e.id());
      }
    }
    Report.Entry base = report.baseline(p);
    if (base != null) {
      RunSpec.Optimizer momentum = isEma(base.spec()) ? base.spec().optimizer()
          : p.spec().optimizer();
      String ema = isEma(base.spec()) || isEma(p.spec())
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
          Map.entry("published", base.experiment().published().equals(e.published())
              ? "Published: " + e.published() + ", one figure, its momentum form not stated."
              : "Published: " + base.experiment().published() + " against " + e.published()
                  + "."),
          Map.entry("ema", ema),
          Map.entry("chart", Report.comparisonPng(base))));
    }
    return text;
  }

  /**
   * ", and the local lane's longest experiment (id, its wall time) sets most of the report's
   * length", or "" when no experiment ran on the local engine.
   */
  static String longestLocal(Report report) {
    return report.entries().stream()
        .filter(p -> p.outcome() != null && p.sweep() == null && !p.onSpark())
        .max(Comparator.comparingDouble(p -> p.outcome().wallSeconds()))
        .map(p -> String.format(Locale.ROOT, ", and the local lane's longest experiment (%s, %s "
            + "of the %s in all) sets most of the report's length", p.id(),
            Format.duration(p.outcome().wallSeconds()), Format.duration(report.seconds())))
        .orElse("");
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
        + "| engine | " + engineText(p) + ", " + o.parallel() + " trial"
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
    // the same figures either way; a training loss that rose too is a failed trial, not overfitting
    return TEMPLATE.render(last.trainLoss() > b.trainLoss() ? "training-rises"
        : "overfitting-starts", Map.of(
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

  private static boolean isEma(RunSpec s) {
    return s.optimizer().momentum() > 0 && s.optimizer().form().configName().equals("ema");
  }

  static String momentumText(RunSpec s) {
    if (!s.optimizer().method().configName().equals("sgd")) {
      return s.optimizer().method().configName(); // momentum is sgd's only
    }
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

  private static String engineText(Report.Entry p) {
    return p.onSpark() ? "spark" : "local";
  }

  private static String difference(double ours, double published) {
    if (!Double.isFinite(ours) || !Double.isFinite(published)) {
      return "-";
    }
    return String.format(Locale.ROOT, "%+.2f pp", 100 * (ours - published));
  }

  /**
   * The trials whose training failed: a training loss that ends at least twice its lowest and
   * within 10% of what a constant output scores (ln K for softmax over K classes, ln 2 for one
   * sigmoid output).
   */
  static List<Trials.TrialResult> collapsed(Trials.Outcome o) {
    List<Trials.TrialResult> out = new ArrayList<>();
    double chance = chanceLoss(o.plan().first());
    for (Trials.TrialResult r : o.results()) {
      if (!r.ok() || r.history().isEmpty() || !Double.isFinite(chance)) {
        continue;
      }
      double lowest = r.history().stream().mapToDouble(EpochStats::trainLoss).min().orElse(0);
      double last = r.history().get(r.history().size() - 1).trainLoss();
      if (last >= 2 * lowest && last >= 0.9 * chance) {
        out.add(r);
      }
    }
    return out;
  }

  /** The loss of an output that ignores its input, at best: ln K (softmax), ln 2 (sigmoid). */
  private static double chanceLoss(RunSpec s) {
    return switch (s.network().head()) {
      case SOFTMAX_CROSS_ENTROPY -> Math.log(s.network().outputSize());
      case SIGMOID_BINARY_CROSS_ENTROPY -> Math.log(2);
      default -> Double.NaN;
    };
  }

  private static String collapsedText(Report.Entry p, Trials.TrialResult r,
      List<Trials.TrialResult> collapsed) {
    EpochStats low = r.history().stream()
        .min(java.util.Comparator.comparingDouble(EpochStats::trainLoss)).orElseThrow();
    EpochStats last = r.history().get(r.history().size() - 1);
    Stats without = Stats.of(p.outcome().results().stream().filter(x -> !collapsed.contains(x))
        .mapToDouble(x -> x.metric("test_accuracy")).toArray());
    return TEMPLATE.render("collapsed", Map.of(
        "trial", Integer.toString(r.trial()),
        "seed", Long.toString(r.seed()),
        "lowest", loss(low.trainLoss()),
        "at", Integer.toString(low.epoch()),
        "last", loss(last.trainLoss()),
        "epochs", Integer.toString(last.epoch()),
        "chance", "ln " + (p.spec().network().head() == Head.SOFTMAX_CROSS_ENTROPY
            ? p.spec().network().outputSize() : 2) + " = " + loss(chanceLoss(p.spec())),
        "accuracy", Format.metric(r.metric("test_accuracy"), true),
        "without", Format.meanStd(without) + " over " + without.n() + " trial"
            + (without.n() == 1 ? "" : "s")));
  }

  /** The epoch where the turn's loss is lowest in the mean curve. */
  static int turnEpoch(Experiments.Turn turn, List<EpochStats> mean) {
    return turn.loss().equals("test") ? Report.lowestTestLoss(mean) : Report.bestEpoch(mean);
  }

  /** Where the long run's loss turned, against where the study saw it turn. */
  static String turnText(Experiments.Turn turn, List<EpochStats> mean) {
    int epoch = turnEpoch(turn, mean);
    if (epoch == 0) {
      return "";
    }
    boolean test = turn.loss().equals("test");
    EpochStats at = mean.get(epoch - 1);
    EpochStats last = mean.get(mean.size() - 1);
    double lowest = test ? at.testLoss() : at.valLoss();
    double end = test ? last.testLoss() : last.valLoss();
    int best = Report.bestEpoch(mean);
    return TEMPLATE.render("turn", Map.ofEntries(
        Map.entry("published", turn.published()),
        Map.entry("loss", turn.loss()),
        Map.entry("epoch", Integer.toString(epoch)),
        Map.entry("epochs", Integer.toString(last.epoch())),
        Map.entry("lowest", loss(lowest)),
        Map.entry("after", end > lowest ? String.format(Locale.ROOT, "rises to %s (+%.0f%%)",
            loss(end), 100 * (end / lowest - 1)) : "has not risen"),
        Map.entry("train_then", loss(at.trainLoss())),
        Map.entry("train_last", loss(last.trainLoss())),
        Map.entry("acc_last", Format.metric(last.testAccuracy(), true)),
        Map.entry("acc_best", best == 0 ? "-" : Format.metric(mean.get(best - 1).testAccuracy(),
            true))));
  }

  /** The summary row of a sweep: its best point and the accuracies at the ends of the grid. */
  private static String sweepRow(Report.Entry p) {
    Sweep sw = p.sweep();
    Sweep.Point best = sw.best();
    Stats means = Stats.of(sw.points().stream()
        .mapToDouble(pt -> pt.stats("test_accuracy").mean()).filter(Double::isFinite).toArray());
    int trials = 0;
    for (Sweep.Point pt : sw.points()) {
      trials += pt.outcome() == null ? 0 : pt.outcome().results().size();
    }
    return "| [" + p.id() + "](#" + p.id() + ") | " + sweepNetwork(p) + " | "
        + p.experiment().published() + " | best " + (best == null ? "-" : "**" + width(best)
        + ": " + Format.meanStd(best.stats("test_accuracy")) + "**") + " | "
        + Format.metric(means.min(), true) + " – " + Format.metric(means.max(), true)
        + " (means over h) | - | " + sw.trials() + " per h (" + trials + ") | "
        + p.spec().epochs() + " | " + engineText(p) + " | "
        + Format.duration(sw.seconds()) + " |";
  }

  private static String sweepNetwork(Report.Entry p) {
    List<Sweep.Point> pts = p.sweep().points();
    String first = width(pts.get(0));
    String last = width(pts.get(pts.size() - 1));
    String net = p.spec().network().describe();
    return "2-h-2" + net.substring(net.indexOf(' ')) + ", " + first + " to "
        + last.replace("h = ", "");
  }

  /** "h = 17" for a point whose model.layers is [2,17,2]. */
  static String width(Sweep.Point pt) {
    String v = pt.values().get(0).replaceAll("[\\[\\] ]", "");
    String[] parts = v.split(",");
    return parts.length == 3 ? "h = " + parts[1] : v;
  }

  private static String sweepSection(Report.Entry p) {
    Sweep sw = p.sweep();
    Sweep.Point best = sw.best();
    Sweep.Point first = sw.points().get(0);
    Sweep.Point last = sw.points().get(sw.points().size() - 1);
    StringBuilder table = new StringBuilder();
    for (Sweep.Point pt : sw.points()) {
      Stats acc = pt.stats("test_accuracy");
      table.append(table.length() == 0 ? "" : "\n").append("| ")
          .append(width(pt).replace("h = ", "")).append(" | ")
          .append(pt.outcome() == null || pt.outcome().failed() > 0 ? escape(pt.status()) + " "
              : "").append(Format.meanStd(acc)).append(" | ")
          .append(Format.metric(acc.min(), true)).append(" – ")
          .append(Format.metric(acc.max(), true)).append(" | ")
          .append(Format.metric(pt.stats("test_loss").mean(), false)).append(" | ")
          .append(Format.metric(pt.stats("train_seconds").mean(), false)).append(" |");
    }
    return TEMPLATE.render("sweep", Map.ofEntries(
        Map.entry("id", p.id()),
        Map.entry("published", p.experiment().published()),
        Map.entry("best", best == null ? "-" : width(best)),
        Map.entry("best_acc", best == null ? "-" : Format.meanStd(best.stats("test_accuracy"))),
        Map.entry("trials", sw.trials() + (sw.trials() == 1 ? " trial" : " trials")),
        Map.entry("first", width(first)),
        Map.entry("first_acc", Format.meanStd(first.stats("test_accuracy"))),
        Map.entry("last", width(last)),
        Map.entry("last_acc", Format.meanStd(last.stats("test_accuracy"))),
        Map.entry("shape", sweepShape(sw)),
        Map.entry("settings", "| setting | value |\n|---|---|\n"
            + "| conf | `conf/experiments/" + p.id() + ".conf`, model.layers = [2, h, 2] per "
            + "point |\n"
            + "| data | " + dataText(p.plan()) + " |\n"
            + "| optimizer | " + optimizerText(p.plan()) + " |\n"
            + "| epochs | " + p.spec().epochs() + " |\n"
            + "| engine | " + engineText(p) + " |\n"
            + "| wall time | " + Format.duration(sw.seconds()) + " for " + sw.points().size()
            + " points |"),
        Map.entry("table", table.toString())));
  }

  /**
   * Whether the mean accuracy falls after its best point by more than the noise: the largest
   * drop below the best mean, in standard errors of the difference of the two means.
   */
  static String sweepShape(Sweep sw) {
    Sweep.Point best = sw.best();
    if (best == null) {
      return "";
    }
    Stats b = best.stats("test_accuracy");
    Sweep.Point worst = null;
    double drop = 0;
    for (Sweep.Point pt : sw.points()) {
      Stats s = pt.stats("test_accuracy");
      if (pt.index() > best.index() && Double.isFinite(s.mean()) && b.mean() - s.mean() > drop) {
        drop = b.mean() - s.mean();
        worst = pt;
      }
    }
    if (worst == null) {
      return "No wider network does better or worse: the best is the widest.";
    }
    Stats w = worst.stats("test_accuracy");
    double se = Math.sqrt(b.std() * b.std() / b.n() + w.std() * w.std() / w.n());
    double z = se > 0 ? (b.mean() - w.mean()) / se : Double.POSITIVE_INFINITY;
    return String.format(Locale.ROOT, "Past the best, the lowest mean is %s at %s, %.2f pp below "
            + "it (%s standard errors of the difference): %s.", Format.meanStd(w), width(worst),
        100 * drop, Double.isFinite(z) ? String.format(Locale.ROOT, "%.1f", z) : "many",
        z > 2 ? "accuracy falls again past the best width, as the study saw"
            : "within the trials' noise, so no fall past the best width shows at this noise level "
                + "and data size");
  }

  /** One row per experiment: its engine, steps, trials at a time and why. */
  private static String engineTable(Report report) {
    // the Spark lane's experiments run one after another: its time is theirs added up
    double lane = 0;
    for (Report.Entry e : report.entries()) {
      if (e.onSpark() && e.outcome() != null) {
        lane += e.outcome().wallSeconds();
      }
    }
    StringBuilder b = new StringBuilder();
    for (Report.Entry p : report.entries()) {
      b.append(b.length() == 0 ? "" : "\n").append("| ").append(p.id()).append(" | ");
      if (p.sweep() != null) {
        long steps = 0;
        int trials = 0;
        for (Sweep.Point pt : p.sweep().points()) {
          for (Trials.TrialResult r : pt.outcome() == null ? List.<Trials.TrialResult>of()
              : pt.outcome().results()) {
            steps += (long) r.metric("steps");
            trials++;
          }
        }
        b.append(engineText(p)).append(" | ")
            .append(String.format(Locale.ROOT, "%,d", trials == 0 ? 0 : steps / trials))
            .append(" | ").append(p.sweep().points().isEmpty() ? 0
                : p.sweep().points().get(0).outcome().parallel())
            .append(" (pool) | ").append(why(report, p, steps, 1, lane)).append(" |");
        continue;
      }
      Trials.Outcome o = p.outcome();
      long steps = Math.round(o.stats("steps").mean());
      b.append(engineText(p)).append(" | ").append(String.format(Locale.ROOT, "%,d", steps))
          .append(" | ").append(o.parallel()).append(p.onSpark() ? "" : " (pool)").append(" | ")
          .append(why(report, p, steps, o.results().size(), lane)).append(" |");
    }
    return b.toString();
  }

  /**
   * Why an experiment ran on its engine, from its steps, Spark's measured cost per step and the
   * Spark lane's seconds (lane).
   */
  private static String why(Report report, Report.Entry p, long stepsPerTrial, int trials,
      double lane) {
    Report.Concurrency c = report.concurrency();
    RunSpec s = p.spec();
    boolean fullBatch = s.batchSize() >= p.plan().data().train().rows();
    if (p.onSpark() && fullBatch) {
      return "full batch: one step per epoch, a job whose arithmetic dwarfs its fixed cost";
    }
    long total = stepsPerTrial * trials;
    if (p.onSpark()) {
      return String.format(Locale.ROOT, "%,d steps in all, in step sessions: fits the budget",
          total);
    }
    String estimate = c == null ? " at ~0.1 ms or more a step"
        : " ≈ " + Format.duration(total * c.msPerStepShared() / 1000) + " at the "
            + Format.metric(c.msPerStepShared(), false) + " ms of wall time a shared Spark step of "
            + c.id() + " took (measured below)";
    return String.format(Locale.ROOT, "%,d steps in all%s, a lower bound for this network, on "
        + "top of the Spark lane's %s (they run one after another; the budget is 45 min), "
        + "against %s on the local engine beside it", total, estimate, Format.duration(lane),
        p.sweep() != null ? Format.duration(p.sweep().seconds())
            : Format.duration(p.outcome().wallSeconds()));
  }

  private static String concurrencyText(Report.Concurrency c) {
    return TEMPLATE.render("concurrency", Map.of(
        "id", c.id(),
        "steps", String.format(Locale.ROOT, "%,d", c.stepsPerTrial()),
        "trials", Integer.toString(c.trials()),
        "alone", String.format(Locale.ROOT, "%.1f", c.sequentialSeconds()),
        "ms_alone", Format.metric(c.msPerStepAlone(), false),
        "parallel", Integer.toString(c.parallel()),
        "shared", String.format(Locale.ROOT, "%.1f", c.concurrentSeconds()),
        "ms_shared", Format.metric(c.msPerStepShared(), false),
        "speedup", String.format(Locale.ROOT, "%.2f", c.speedUp()),
        "identical", c.identical() ? "every trial's parameters bit-identical both ways"
            : "**different parameters between the two ways (a determinism bug)**"));
  }

  /**
   * The experiments whose mean is more than two standard deviations from the published figure
   * (below it, for a bound), each with the reason found.
   */
  static String differences(Report report) {
    StringBuilder b = new StringBuilder();
    for (Report.Entry p : report.entries()) {
      Experiments.Experiment e = p.experiment();
      if (p.sweep() != null || !Double.isFinite(e.target())) {
        continue;
      }
      Stats acc = p.outcome().stats("test_accuracy");
      double diff = acc.mean() - e.target();
      List<Trials.TrialResult> failed = collapsed(p.outcome());
      if (!failed.isEmpty()) {
        Trials.TrialResult r = failed.get(0);
        b.append(String.format(Locale.ROOT, "- **%s**: ours %s against %s: %d of %d trials "
                + "collapsed (trial %d, seed %d: %s test accuracy, its training loss at that of "
                + "a constant output), see [its section](#%s). %s%n", e.id(), Format.meanStd(acc),
            e.published(), failed.size(), acc.n(), r.trial(), r.seed(),
            Format.metric(r.metric("test_accuracy"), true), e.id(),
            Experiments.reason(e.id()) == null ? "" : Experiments.reason(e.id())));
        continue;
      }
      if (acc.n() < 2 || !Double.isFinite(diff) || within(diff, acc.std(), e.atLeast())) {
        continue;
      }
      b.append(String.format(Locale.ROOT, "- **%s**: ours %s against %s, %s (%s). %s%n",
          e.id(), Format.meanStd(acc), e.published(), difference(acc.mean(), e.target()),
          sigmas(diff, acc.std()), reason(report, p)));
    }
    return b.length() == 0 ? TEMPLATE.render("differences-none")
        : TEMPLATE.render("differences-intro") + "\n\n" + b.toString().stripTrailing();
  }

  /**
   * The reason for an experiment's difference: what its long (or short) twin in this run shows
   * about the training length, then what was found by hand (Experiments.reason).
   */
  private static String reason(Report report, Report.Entry p) {
    Experiments.Experiment e = p.experiment();
    StringBuilder b = new StringBuilder();
    Report.Entry longer = report.entries().stream()
        .filter(x -> p.id().equals(x.experiment().longOf()) && x.outcome() != null
            && x.spec().epochs() == 500).findFirst().orElse(null);
    Report.Entry shorter = e.longOf() == null ? null : report.entry(e.longOf());
    boolean explained = false;
    if (longer != null) {
      Stats l = longer.outcome().stats("test_accuracy");
      boolean explains = within(l.mean() - e.target(), l.std(), false);
      explained = explains;
      b.append(String.format(Locale.ROOT, "Training length: after the published %d epochs "
              + "without early stopping (%s) ours is %s, %s from the published figure: %s",
          longer.spec().epochs(), longer.id(), Format.meanStd(l), difference(l.mean(),
              e.target()), explains ? "within two of its standard deviations, so the difference "
              + "is the epochs trained (the published run trained 500, early stopping keeps the "
              + "epoch of lowest validation loss)." : "the epochs trained do not explain it."));
    } else if (shorter != null && shorter.outcome() != null) {
      Stats sh = shorter.outcome().stats("test_accuracy");
      b.append(String.format(Locale.ROOT, "Training length: stopped early at the lowest "
          + "validation loss (%s) ours is %s, %s from the published figure.", shorter.id(),
          Format.meanStd(sh), difference(sh.mean(), e.target())));
    }
    List<EpochStats> mean = Report.meanHistory(p.outcome());
    double ours = p.outcome().stats("test_accuracy").mean();
    for (EpochStats at : mean) {
      if (ours > e.target() && at.testAccuracy() >= e.target() && at.epoch() < mean.size()) {
        sentence(b, String.format(Locale.ROOT, "Our mean test "
            + "accuracy first reaches the published figure at epoch %d of %d (%s).", at.epoch(),
            mean.size(), Format.metric(at.testAccuracy(), true)));
        break;
      }
    }
    for (Report.Entry c : report.entries()) {
      Experiments.Check check = Experiments.checkOf(c.id());
      if (check != null && check.of().equals(e.id()) && c.outcome() != null) {
        explained |= appendCheck(b, e, ours, c, check);
      }
    }
    Experiments.Check isCheck = Experiments.checkOf(e.id());
    if (isCheck != null) {
      sentence(b, String.format(Locale.ROOT, "This is %s with "
          + "%s, run to test it as the cause of %s's difference: see %s.", isCheck.of(),
          isCheck.change(), isCheck.of(), isCheck.of()));
      explained = true;
    }
    String found = Experiments.reason(e.id());
    if (found != null) {
      sentence(b, found);
    } else if (!explained) {
      sentence(b, "No other cause found: the conf follows the "
          + "published settings as far as they are stated.");
    }
    return b.toString();
  }

  /**
   * What a check run in this report shows about e's difference: whether e with the check's change
   * comes within two standard deviations of the published figure (ours: e's mean without it).
   * Returns whether it does.
   */
  private static boolean appendCheck(StringBuilder b, Experiments.Experiment e, double ours,
      Report.Entry c, Experiments.Check check) {
    Stats s = c.outcome().stats("test_accuracy");
    double diff = s.mean() - e.target();
    boolean explains = within(diff, s.std(), e.atLeast());
    sentence(b, String.format(Locale.ROOT, "Tested by a run in "
            + "this report, [%s](#%s): with %s ours is %s, %s from the published figure: %s",
        c.id(), c.id(), check.change(), Format.meanStd(s), difference(s.mean(), e.target()),
        explains ? "within two of its standard deviations, so the published figure is what "
            + "that change gives."
            : String.format(Locale.ROOT, "it moves the difference from %s to %s, still "
                + "beyond two of its standard deviations (%s).",
                difference(ours, e.target()), difference(s.mean(), e.target()),
                sigmas(diff, s.std()))));
    return explains;
  }

  /**
   * Whether a mean diff from the published figure is within two standard deviations of it (for
   * a bound, short of it by no more). Trials that all agree (std 0) are within only at diff 0.
   */
  static boolean within(double diff, double std, boolean atLeast) {
    return (atLeast ? -diff : Math.abs(diff)) <= 2 * std;
  }

  /** diff in standard deviations ("2.6 σ"), or that the trials agree and std is 0. */
  static String sigmas(double diff, double std) {
    return std > 0 ? String.format(Locale.ROOT, "%.1f σ", Math.abs(diff) / std)
        : "every trial gives the same figure, std 0";
  }

  /** Appends sentence to b, after a space when b has text already. */
  private static void sentence(StringBuilder b, String sentence) {
    b.append(b.length() == 0 ? "" : " ").append(sentence);
  }

  private static String escape(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
