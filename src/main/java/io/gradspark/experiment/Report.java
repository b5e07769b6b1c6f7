package io.gradspark.experiment;

import io.gradspark.api.RunSpec;
import io.gradspark.eval.EpochStats;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.ExperimentPlots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * One run of the experiments report: the experiments with their plans and outcomes, and what the
 * report says about the run as a whole. Writes report.md ({@link ReportWriter}) and the charts.
 *
 * @param entries the experiments, in table order, each once run
 * @param commandLine the command line that produced the report, as a shell would take it
 * @param quick whether this was a reduced --quick run, whose figures are not results
 * @param engine the --engine choice: auto, spark or local
 * @param seconds wall time of the whole run
 */
public record Report(List<Entry> entries, String commandLine, boolean quick, String engine,
    double seconds, Concurrency concurrency) {

  public Report {
    entries = List.copyOf(entries);
  }

  public Report(List<Entry> entries, String commandLine, boolean quick, String engine,
      double seconds) {
    this(entries, commandLine, quick, engine, seconds, null);
  }

  /**
   * An experiment, its conf, its plan and, once run, its outcome (null before). A sweep has its
   * points in sweep (each with its plan and outcome), plan is its first point's and outcome null.
   */
  public record Entry(Experiments.Experiment experiment, Path conf, Trials.Plan plan,
      Trials.Outcome outcome, Sweep sweep) {

    public Entry(Experiments.Experiment experiment, Path conf, Trials.Plan plan,
        Trials.Outcome outcome) {
      this(experiment, conf, plan, outcome, null);
    }

    public Entry withOutcome(Trials.Outcome o) {
      return new Entry(experiment, conf, plan, o, sweep);
    }

    public Entry withSweep(Sweep s) {
      return new Entry(experiment, conf, plan, outcome, s);
    }

    public String id() {
      return experiment.id();
    }

    RunSpec spec() {
      return plan.first();
    }

    int okTrials() {
      return outcome.results().size() - outcome.failed();
    }

    /** Whether it ran on the Spark engine. */
    public boolean onSpark() {
      return spec().engine() == RunSpec.Engine.SPARK;
    }

    /** "test accuracy 97.12% ± 0.10% (published ...), 3 trials, 1 min 02 s", as printed. */
    public String summaryLine() {
      if (sweep != null) {
        Sweep.Point best = sweep.best();
        return String.format(Locale.ROOT, "best %s: test accuracy %s, %d points x %d trials, %s",
            best == null ? "none" : String.join(" ", best.values()),
            best == null ? "-" : Format.meanStd(best.stats("test_accuracy")),
            sweep.points().size(), sweep.trials(), Format.duration(sweep.seconds()));
      }
      return String.format(Locale.ROOT, "test accuracy %s (published %s), %d trial%s, %s%s",
          Format.meanStd(outcome.stats("test_accuracy")), experiment.published(),
          outcome.results().size(), outcome.results().size() == 1 ? "" : "s",
          Format.duration(outcome.wallSeconds()),
          outcome.failed() > 0 ? ", " + outcome.status() : "");
    }
  }

  /**
   * The measured effect of running latency-bound Spark trials at the same time: the same trials
   * of experiment id, one after another and then parallel at a time on the one SparkContext.
   *
   * @param identical whether every trial ended with bit-identical parameters both ways
   */
  public record Concurrency(String id, int trials, long stepsPerTrial, double sequentialSeconds,
      double concurrentSeconds, int parallel, boolean identical) {

    /** Milliseconds per step of one trial running alone. */
    public double msPerStepAlone() {
      return 1000 * sequentialSeconds / (trials * (double) stepsPerTrial);
    }

    /** Milliseconds of wall time per step when the trials share the context. */
    public double msPerStepShared() {
      return 1000 * concurrentSeconds / (trials * (double) stepsPerTrial);
    }

    public double speedUp() {
      return sequentialSeconds / concurrentSeconds;
    }
  }

  /** Writes report.md and the charts into dir. */
  public void write(Path dir) {
    charts(dir);
    byte[] md = ReportWriter.markdown(this).getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(dir.resolve("report.md"), "report", os -> os.write(md));
  }

  /** The Spark master the experiments on Spark ran on, "" when none ran on Spark. */
  String master() {
    String master = "";
    for (Entry e : entries) {
      if (e.outcome() != null && e.outcome().engine().startsWith("spark")) {
        master = e.outcome().engine().replaceFirst("^spark ", "");
      }
    }
    return master;
  }

  /** The entry e is compared with on one chart, when it is in this report and has curves. */
  Entry baseline(Entry e) {
    String id = e.experiment().baseline();
    return entries.stream()
        .filter(x -> x.id().equals(id) && x.outcome() != null
            && !meanHistory(x.outcome()).isEmpty())
        .findFirst().orElse(null);
  }

  static String comparisonPng(Entry base) {
    return "momentum-" + base.id() + ".png";
  }

  /** &lt;id&gt;.png per experiment with curves, momentum-&lt;baseline&gt;.png per comparison. */
  private void charts(Path dir) {
    for (Entry p : entries) {
      if (p.sweep() != null) {
        p.sweep().write(dir, p.id());
        continue;
      }
      List<EpochStats> mean = meanHistory(p.outcome());
      if (mean.isEmpty()) {
        continue;
      }
      RunSpec s = p.spec();
      int lowestTest = p.experiment().turn() != null
          && p.experiment().turn().loss().equals("test") ? lowestTestLoss(mean) : 0;
      ExperimentPlots.overfitting(dir.resolve(p.id() + ".png"),
          p.id() + ": " + s.network().describe() + ", mean of " + p.okTrials() + " trial"
              + (p.okTrials() == 1 ? "" : "s"),
          ReportWriter.optimizerText(p.plan()) + "; dashed grey line: lowest mean validation loss"
              + (lowestTest > 0 ? ", dotted: lowest test loss" : ""),
          mean, bestEpoch(mean), lowestTest);
      Entry base = baseline(p);
      if (base != null) {
        ExperimentPlots.compare(dir.resolve(comparisonPng(base)),
            base.id() + " vs " + p.id() + ": " + ReportWriter.momentumText(base.spec())
                + " against " + ReportWriter.momentumText(s) + ", " + s.network().describe(),
            runLabel(base) + ", " + runLabel(p) + "; mean of the trials per epoch; loss: "
                + "training solid, test dashed",
            List.of(new ExperimentPlots.Run(base.id(), meanHistory(base.outcome())),
                new ExperimentPlots.Run(p.id(), mean)));
      }
    }
  }

  private static String runLabel(Entry p) {
    return p.id() + ": " + ReportWriter.momentumText(p.spec());
  }

  /**
   * Per epoch, the mean of each metric over the trials that ran that epoch (with early stopping
   * the later epochs average fewer trials).
   */
  public static List<EpochStats> meanHistory(Trials.Outcome o) {
    int epochs = 0;
    for (Trials.TrialResult r : o.results()) {
      epochs = Math.max(epochs, r.history().size());
    }
    List<EpochStats> mean = new ArrayList<>();
    for (int e = 0; e < epochs; e++) {
      List<EpochStats> at = new ArrayList<>();
      for (Trials.TrialResult r : o.results()) {
        if (r.history().size() > e) {
          at.add(r.history().get(e));
        }
      }
      mean.add(new EpochStats(e + 1, at.get(0).steps(),
          mean(at, EpochStats::trainLoss), mean(at, EpochStats::valLoss),
          mean(at, EpochStats::valAccuracy), mean(at, EpochStats::testLoss),
          mean(at, EpochStats::testAccuracy), mean(at, EpochStats::seconds),
          mean(at, EpochStats::samplesPerSecond)));
    }
    return mean;
  }

  private static double mean(List<EpochStats> at, ToDoubleFunction<EpochStats> metric) {
    return Stats.of(at.stream().mapToDouble(metric).toArray()).mean();
  }

  /** The epoch of the lowest test loss, 0 without a test set. */
  public static int lowestTestLoss(List<EpochStats> history) {
    return lowest(history, EpochStats::testLoss);
  }

  /** The entry of this id, or null. */
  Entry entry(String id) {
    return entries.stream().filter(e -> e.id().equals(id)).findFirst().orElse(null);
  }

  /** The epoch of the lowest validation loss, 0 without validation. */
  public static int bestEpoch(List<EpochStats> history) {
    return lowest(history, EpochStats::valLoss);
  }

  /** The (first) epoch where loss is lowest, 0 when it is nowhere finite. */
  private static int lowest(List<EpochStats> history, ToDoubleFunction<EpochStats> loss) {
    int best = 0;
    double lowest = Double.POSITIVE_INFINITY;
    for (EpochStats s : history) {
      double v = loss.applyAsDouble(s);
      if (Double.isFinite(v) && v < lowest) {
        lowest = v;
        best = s.epoch();
      }
    }
    return best;
  }
}
