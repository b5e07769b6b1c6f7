package io.gradspark.cli;

import io.gradspark.api.Datasets;
import io.gradspark.api.RunSpec;
import io.gradspark.config.RunSpecs;
import io.gradspark.nn.Head;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.api.TrainingJob;
import io.gradspark.experiment.Csv;
import io.gradspark.experiment.Experiments;
import io.gradspark.experiment.Grid;
import io.gradspark.experiment.Stats;
import io.gradspark.experiment.Trials;
import io.gradspark.GradsparkException;
import io.gradspark.eval.EpochStats;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.ExperimentPlots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "report", mixinStandardHelpOptions = true,
    description = {
        "Reproduce the from-scratch experiments (every conf of conf/experiments/ with a "
            + "published figure: single neurons, 784-64-1, 784-64-10, the deep ReLU network with "
            + "and without momentum, full batch with and without momentum, 784-1000-10, two "
            + "moons), R trials each with seeds training.seed + i as in repeat, and write one "
            + "markdown report: per experiment the published test accuracy, ours as mean +- std "
            + "over the trials, epochs, wall time, per-trial figures, and loss/accuracy curves "
            + "(train vs validation loss with the epoch where overfitting starts; momentum vs "
            + "none on one chart).",
        "--engine auto runs full-batch experiments on Spark and the mini-batch ones on the local "
            + "engine (equal to round-off), because thousands of small steps cost more in "
            + "Spark's per-step scheduling than in arithmetic on a small machine. --quick runs a "
            + "reduced version (1 epoch, 1,200 training rows, 2 trials) to check the pipeline.",
        "",
        "Example: submit/gradspark report --out src/site/markdown/experiments",
        "         submit/gradspark report --quick --only moons,neuron-0 --out /tmp/report"},
    footer = {"", "Outputs (in --out): report.md, <id>.png per experiment (mean curves over the "
        + "trials), momentum-<id>.png (with vs without momentum). With --runs DIR, every trial's "
        + "files (history, model, summary) under DIR/<id>/trial-<i>/. The command line that "
        + "produced the report is written at its top. Exit codes: 0 done (failed experiments "
        + "are marked in the report), 2 bad input or settings (nothing written), 1 internal "
        + "error."})
final class ReportCommand implements Callable<Integer> {

  @Spec
  CommandSpec commandSpec;

  @Option(names = "--trials", paramLabel = "R",
      description = "Trials per experiment (default: 3, moons 10; 2 with --quick).")
  Integer trials;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Where report.md and its images go (default: runs/report-<timestamp>); must "
          + "not exist or be empty.")
  Path out;

  @Option(names = "--runs", paramLabel = "DIR",
      description = "Also keep every trial's files here (default: not kept).")
  Path runs;

  @Option(names = "--quick", description = "A reduced run: 1 epoch, 1,200 training rows (200 "
      + "held out where the experiment holds out), 300 test rows, 2 trials.")
  boolean quick;

  @Option(names = "--only", paramLabel = "IDS", split = ",",
      description = "Run only these experiments, e.g. --only moons,neuron-0.")
  List<String> only;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override a setting of every experiment (repeatable).")
  List<String> sets = new ArrayList<>();

  @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "auto",
      description = "auto (Spark for full batch, local for mini-batch), spark or local "
          + "(default: ${DEFAULT-VALUE}).")
  String engine;

  @Option(names = "--experiments", paramLabel = "DIR", defaultValue = "conf/experiments",
      description = "Where the experiment confs are (default: ${DEFAULT-VALUE}).")
  Path experimentsDir;

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master (default: what spark-submit set, else local[*]).")
  String master;

  @Option(names = "--parallel", paramLabel = "N", defaultValue = "0",
      description = "Trials at a time (default: as many as fit, see repeat).")
  int parallel;

  /** An experiment, its plan, and once run its outcome. */
  record Planned(Experiments.Experiment experiment, Path conf, Trials.Plan plan,
      Trials.Outcome outcome) {}

  @Override
  public Integer call() {
    long started = System.nanoTime();
    String commandLine = commandLine();
    if (!List.of("auto", "spark", "local").contains(engine)) {
      throw new GradsparkException("--engine must be auto, spark or local but was " + engine,
          "e.g. --engine local");
    }
    if (trials != null && trials < 1) {
      throw new GradsparkException("--trials must be >= 1 but was " + trials, "e.g. --trials 3");
    }
    if (parallel < 0) {
      throw new GradsparkException("--parallel must be >= 0 but was " + parallel,
          "e.g. --parallel 2, or leave it out to fit the cluster");
    }
    Path confDir = confDir(experimentsDir);
    List<Planned> planned = new ArrayList<>();
    for (Experiments.Experiment e : chosen()) {
      Path conf = confDir.resolve(e.id() + ".conf");
      if (!Files.isRegularFile(conf)) {
        throw new GradsparkException("No conf for experiment " + e.id() + ": " + conf
            + " is missing", "restore it from git, or leave the experiment out with --only");
      }
      List<String> all = new ArrayList<>(quick ? quickSets(conf) : List.of());
      all.add("training.engine=" + (engine.equals("auto") ? e.engine() : engine));
      all.addAll(sets);
      int r = trials != null ? trials : quick ? 2 : e.trials();
      planned.add(new Planned(e, conf, Trials.plan(conf, all, r, e.id()), null));
    }
    Path target = RunDirectory.choose(out, "report");
    Path runsTarget = runs == null ? null : RunDirectory.choose(runs, "report-runs");
    RunDirectory dir = RunDirectory.create(target);
    RunDirectory runsDir = runsTarget == null ? null : RunDirectory.create(runsTarget);
    String master = "";
    try (SparkHolder spark = new SparkHolder(this.master, "report")) {
      for (int k = 0; k < planned.size(); k++) {
        Planned p = planned.get(k);
        String label = String.format(Locale.ROOT, "[%d/%d %s] ", k + 1, planned.size(),
            p.experiment().id());
        Trials.Outcome o = Trials.run(p.plan(), TrainCommand.engines(p.plan().first(), spark), parallel,
            runsDir == null ? null : runsDir.file(p.experiment().id()), label);
        if (o.engine().startsWith("spark")) {
          master = o.engine();
        }
        planned.set(k, new Planned(p.experiment(), p.conf(), p.plan(), o));
        System.out.println(label + summaryLine(planned.get(k)));
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      String md = markdown(planned, commandLine, seconds, master);
      charts(dir, planned);
      byte[] bytes = md.getBytes(StandardCharsets.UTF_8);
      AtomicFiles.write(dir.file("report.md"), "report", os -> os.write(bytes));
      dir.publish();
      if (runsDir != null) {
        runsDir.publish();
      }
    } catch (RuntimeException | Error e) {
      dir.discard();
      if (runsDir != null) {
        runsDir.discard();
      }
      throw e;
    }
    System.out.println();
    for (Planned p : planned) {
      System.out.println(p.experiment().id() + ": " + summaryLine(p));
    }
    System.out.printf(Locale.ROOT, "Report in %s (%s)%n", target.resolve("report.md"),
        duration((System.nanoTime() - started) / 1e9));
    return 0;
  }

  /** The experiments to run, in table order. */
  private List<Experiments.Experiment> chosen() {
    if (only == null || only.isEmpty()) {
      return Experiments.ALL;
    }
    List<String> ids = Experiments.ALL.stream().map(Experiments.Experiment::id).toList();
    for (String id : only) {
      if (!ids.contains(id.trim())) {
        throw new GradsparkException("--only: no experiment '" + id + "'",
            "choose from " + String.join(", ", ids));
      }
    }
    return Experiments.ALL.stream()
        .filter(e -> only.stream().anyMatch(id -> id.trim().equals(e.id()))).toList();
  }

  /** The confs' directory, from the current directory or else the project's (as data paths). */
  static Path confDir(Path dir) {
    Path d = dir;
    if (!d.isAbsolute() && !Files.isDirectory(d)) {
      String home = System.getProperty("gradspark.home", System.getenv("GRADSPARK_HOME"));
      if (home != null && Files.isDirectory(Path.of(home).resolve(d))) {
        d = Path.of(home).resolve(d);
      }
    }
    if (!Files.isDirectory(d)) {
      throw new GradsparkException("Experiment directory " + dir + " not found",
          "run from the project directory, or pass --experiments DIR");
    }
    return d;
  }

  /**
   * The reduced settings of --quick for one conf: 1 epoch on the first 1,200 training rows, 300
   * test rows, 200 held out when the conf holds rows out, no early stopping.
   */
  private List<String> quickSets(Path conf) {
    RunSpec spec = RunSpecs.load(conf, sets, "quick").spec();
    List<String> s = new ArrayList<>(List.of("training.epochs=1",
        "training.early-stopping.patience=0", "data.train.limit=1200", "data.test.limit=300"));
    if (spec.data().holdout() > 0) {
      s.add("data.validation.holdout=200");
    }
    return s;
  }

  /** The command line of this run, as a shell would take it. */
  private String commandLine() {
    List<String> args = new ArrayList<>(commandSpec.commandLine().getParseResult().originalArgs());
    if (args.isEmpty() || !args.get(0).equals(commandSpec.name())) {
      args.add(0, commandSpec.name());
    }
    StringBuilder b = new StringBuilder("submit/gradspark");
    for (String a : args) {
      b.append(' ').append(a.matches("[A-Za-z0-9_./=:,+@%-]+") ? a
          : "'" + a.replace("'", "'\\''") + "'");
    }
    return b.toString();
  }

  private static String summaryLine(Planned p) {
    Trials.Outcome o = p.outcome();
    Stats acc = o.stats("test_accuracy");
    return String.format(Locale.ROOT, "test accuracy %s (published %s), %d trials, %s%s",
        meanStd(acc), p.experiment().published(), o.results().size(), duration(o.wallSeconds()),
        o.failed() > 0 ? ", " + o.status() : "");
  }

  // ---- charts

  private static void charts(RunDirectory dir, List<Planned> planned) {
    Map<String, Planned> byId = new LinkedHashMap<>();
    planned.forEach(p -> byId.put(p.experiment().id(), p));
    for (Planned p : planned) {
      List<EpochStats> mean = meanHistory(p.outcome());
      if (mean.isEmpty()) {
        continue;
      }
      RunSpec s = p.plan().first();
      ExperimentPlots.overfitting(dir.file(p.experiment().id() + ".png"),
          p.experiment().id() + ": " + s.network().describe() + ", mean of "
              + okTrials(p.outcome()) + " trials",
          optimizerText(p.plan()) + "; dashed grey line: lowest mean validation loss",
          mean, bestEpoch(mean));
      Planned base = p.experiment().baseline() == null ? null
          : byId.get(p.experiment().baseline());
      if (base != null && !meanHistory(base.outcome()).isEmpty()) {
        ExperimentPlots.compare(dir.file(comparisonPng(base)),
            base.experiment().id() + " vs " + p.experiment().id() + ": momentum against none, "
                + s.network().describe(),
            runLabel(base) + ", " + runLabel(p) + "; mean of the trials per epoch; loss: "
                + "training solid, test dashed",
            List.of(new ExperimentPlots.Run(base.experiment().id(), meanHistory(base.outcome())),
                new ExperimentPlots.Run(p.experiment().id(), meanHistory(p.outcome()))));
      }
    }
  }

  private static String comparisonPng(Planned base) {
    return "momentum-" + base.experiment().id() + ".png";
  }

  private static String runLabel(Planned p) {
    return p.experiment().id() + ": " + momentumText(p.plan().first());
  }

  private static int okTrials(Trials.Outcome o) {
    return o.results().size() - o.failed();
  }

  /**
   * Per epoch, the mean of each metric over the trials that ran that epoch (with early stopping
   * the later epochs average fewer trials).
   */
  static List<EpochStats> meanHistory(Trials.Outcome o) {
    int epochs = 0;
    for (Trials.TrialResult r : o.results()) {
      epochs = Math.max(epochs, r.history().size());
    }
    List<EpochStats> mean = new ArrayList<>();
    for (int e = 0; e < epochs; e++) {
      double[][] v = new double[7][];
      List<EpochStats> at = new ArrayList<>();
      for (Trials.TrialResult r : o.results()) {
        if (r.history().size() > e) {
          at.add(r.history().get(e));
        }
      }
      v[0] = at.stream().mapToDouble(EpochStats::trainLoss).toArray();
      v[1] = at.stream().mapToDouble(EpochStats::valLoss).toArray();
      v[2] = at.stream().mapToDouble(EpochStats::valAccuracy).toArray();
      v[3] = at.stream().mapToDouble(EpochStats::testLoss).toArray();
      v[4] = at.stream().mapToDouble(EpochStats::testAccuracy).toArray();
      v[5] = at.stream().mapToDouble(EpochStats::seconds).toArray();
      v[6] = at.stream().mapToDouble(EpochStats::samplesPerSecond).toArray();
      mean.add(new EpochStats(e + 1, at.get(0).steps(), Stats.of(v[0]).mean(),
          Stats.of(v[1]).mean(), Stats.of(v[2]).mean(), Stats.of(v[3]).mean(),
          Stats.of(v[4]).mean(), Stats.of(v[5]).mean(), Stats.of(v[6]).mean()));
    }
    return mean;
  }

  /** The epoch of the lowest validation loss, 0 without validation. */
  static int bestEpoch(List<EpochStats> history) {
    int best = 0;
    double lowest = Double.POSITIVE_INFINITY;
    for (EpochStats s : history) {
      if (Double.isFinite(s.valLoss()) && s.valLoss() < lowest) {
        lowest = s.valLoss();
        best = s.epoch();
      }
    }
    return best;
  }

  // ---- markdown

  private static String markdown(List<Planned> planned, String commandLine, double seconds,
      String master) {
    boolean quick = commandLine.contains(" --quick");
    StringBuilder b = new StringBuilder();
    b.append("# The from-scratch experiments, reproduced\n\n");
    b.append("Produced by\n\n```\n").append(commandLine).append("\n```\n\n");
    b.append(String.format(Locale.ROOT, "on %s, %d cores, BLAS %s; %s in all.%s%n%n",
        ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern(
            "yyyy-MM-dd HH:mm 'UTC'")), Runtime.getRuntime().availableProcessors(),
        TrainingJob.blasName(), duration(seconds),
        quick ? " **A --quick run (1 epoch on a data subset): it checks the pipeline, its "
            + "figures are not results.**" : ""));
    b.append("Each result is the **test accuracy as mean ± sample standard deviation over R "
        + "trials** whose seeds are `training.seed + i` (i = 0 .. R-1; the seed sets the "
        + "initialisation and the batch order, nothing else), measured after the last epoch "
        + "or, with early stopping, at the epoch of lowest validation loss, whose weights are "
        + "restored. MNIST runs train on the first 50,000 training images and validate on the "
        + "last 10,000 unless the experiment says otherwise (full batch trains on all 60,000); "
        + "accuracies are on the experiment's test set (MNIST: the 10,000 test images). The "
        + "original experiments trained for up to 500 epochs; ours train for far fewer (the "
        + "epochs column), with early stopping on the validation loss where it helps.\n\n");
    b.append("## Summary\n\n");
    b.append("| experiment | network | published | ours: test accuracy | min – max | ours − "
        + "published | trials | epochs | engine | wall time |\n");
    b.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Planned p : planned) {
      Trials.Outcome o = p.outcome();
      Stats acc = o.stats("test_accuracy");
      RunSpec s = p.plan().first();
      b.append("| [").append(p.experiment().id()).append("](#").append(p.experiment().id())
          .append(") | ").append(s.network().describe()).append(" | ")
          .append(p.experiment().published()).append(" | **").append(meanStd(acc)).append("**")
          .append(o.failed() > 0 ? " (" + escape(o.status()) + ")" : "").append(" | ")
          .append(Trials.fmt(acc.min(), true)).append(" – ").append(Trials.fmt(acc.max(), true))
          .append(" | ").append(difference(acc.mean(), p.experiment().target())).append(" | ")
          .append(o.results().size()).append(" | ").append(epochsText(p)).append(" | ")
          .append(engineText(o)).append(" | ").append(duration(o.wallSeconds())).append(" (")
          .append(Trials.fmt(secondsPerEpoch(o), false)).append(" s/epoch) |\n");
    }
    b.append("\n");
    b.append("## Engines\n\n");
    b.append("Experiments run with `training.engine` as the summary says. Full-batch "
        + "experiments take one big step per epoch, 20 Spark jobs in all, and run on Spark")
        .append(master.isEmpty() ? "" : " (`" + master.replaceFirst("^spark ", "") + "`)")
        .append(". The mini-batch experiments take hundreds of steps of 10-128 rows per epoch; "
            + "each Spark step costs a job (broadcast, scheduling, task launch, collecting the "
            + "sums), which on a small machine is far more than the arithmetic of a small "
            + "batch, so they run on the local engine: the same batches and the same math in "
            + "one JVM, equal to the Spark engine to round-off (about 1e-16 relative; "
            + "`SparkEngineTest` checks it for 1, 2, 3 and 7 partitions). Seconds per epoch on "
            + "each experiment's engine are in its section. Trials of one experiment run side "
            + "by side when there is room (one per core locally; on Spark as many as the "
            + "cluster's cores hold at `training.partitions` each), which does not change "
            + "their results.\n\n");
    for (Planned p : planned) {
      section(b, p, planned);
    }
    return b.toString();
  }

  private static void section(StringBuilder b, Planned p, List<Planned> all) {
    Experiments.Experiment e = p.experiment();
    Trials.Outcome o = p.outcome();
    RunSpec s = p.plan().first();
    Stats acc = o.stats("test_accuracy");
    b.append("## ").append(e.id()).append("\n\n");
    b.append("Published: ").append(e.published()).append(". Ours: **").append(meanStd(acc))
        .append("** test accuracy over ").append(okTrials(o)).append(" trial")
        .append(okTrials(o) == 1 ? "" : "s").append(" (").append(difference(acc.mean(),
            e.target())).append(" against ").append(Trials.fmt(e.target(), true)).append(").");
    if (o.failed() > 0) {
      b.append(" ").append(escape(o.status())).append('.');
    }
    b.append("\n\n| setting | value |\n|---|---|\n");
    b.append("| conf | `conf/experiments/").append(e.id()).append(".conf` |\n");
    b.append("| network | ").append(s.network().describe()).append(String.format(Locale.ROOT,
        " (%,d parameters), %s initialisation |%n", s.network().numParams(), s.init().configName()));
    b.append("| data | ").append(dataText(p.plan())).append(" |\n");
    b.append("| optimizer | ").append(optimizerText(p.plan())).append(" |\n");
    b.append("| epochs | ").append(epochsText(p)).append(" |\n");
    b.append("| engine | ").append(engineText(o)).append(", ").append(o.parallel())
        .append(" trial").append(o.parallel() == 1 ? "" : "s").append(" at a time |\n");
    Stats train = o.stats("train_seconds");
    b.append("| wall time | ").append(duration(o.wallSeconds())).append(String.format(Locale.ROOT,
        " (training %.1f s per trial, %s s per epoch) |%n", train.mean(),
        Trials.fmt(secondsPerEpoch(o), false)));
    b.append("\n| trial | seed | test accuracy | test loss | val accuracy | epochs kept / run "
        + "| train s |\n|---|---|---|---|---|---|---|\n");
    for (Trials.TrialResult r : o.results()) {
      b.append("| ").append(r.trial()).append(" | ").append(r.seed()).append(" | ")
          .append(r.ok() ? Trials.fmt(r.metric("test_accuracy"), true) : escape(r.status()))
          .append(" | ").append(Trials.fmt(r.metric("test_loss"), false)).append(" | ")
          .append(Trials.fmt(r.metric("val_accuracy"), true)).append(" | ")
          .append(r.ok() ? r.keptEpoch() + " / " + r.history().size() : "-").append(" | ")
          .append(Trials.fmt(r.metric("train_seconds"), false)).append(" |\n");
    }
    List<EpochStats> mean = meanHistory(o);
    if (mean.isEmpty()) {
      b.append("\n");
      return;
    }
    b.append("\n![").append(e.id()).append(": loss and accuracy per epoch](").append(e.id())
        .append(".png)\n\n");
    b.append(overfittingText(mean)).append("\n\n");
    Planned base = e.baseline() == null ? null : all.stream()
        .filter(x -> x.experiment().id().equals(e.baseline())).findFirst().orElse(null);
    if (base != null && !meanHistory(base.outcome()).isEmpty()) {
      Stats with = base.outcome().stats("test_accuracy");
      b.append("**Momentum against none.** ").append(base.experiment().id()).append(" (")
          .append(momentumText(base.plan().first())).append("): ").append(meanStd(with))
          .append("; ").append(e.id()).append(" (").append(momentumText(s)).append("): ")
          .append(meanStd(acc)).append(". Published: ").append(base.experiment().published())
          .append(" against ").append(e.published()).append(".");
      if (base.plan().first().optimizer().form() == MomentumSgd.Form.EMA) {
        b.append(" The EMA form (v = μv + (1 − μ)g, w −= lr·v) averages recent gradients "
            + "without enlarging the step, unlike heavy-ball momentum (v = μv + g), whose steps "
            + "grow up to 1/(1 − μ) = " + Trials.fmt(1 / (1 - base.plan().first().optimizer()
                .momentum()), false) + " times along a steady gradient.");
      }
      b.append("\n\n");
      b.append("![").append(base.experiment().id()).append(" vs ").append(e.id())
          .append("](").append(comparisonPng(base)).append(")\n\n");
    }
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
    int best = bestEpoch(mean);
    EpochStats last = mean.get(mean.size() - 1);
    if (best == 0) {
      return String.format(Locale.ROOT, "No validation set, so no epoch to mark: after %d "
          + "epochs the mean training loss is %.4f and the test loss %.4f.",
          last.epoch(), last.trainLoss(), last.testLoss());
    }
    EpochStats b = mean.get(best - 1);
    if (best == last.epoch() || last.valLoss() <= b.valLoss() * 1.02) {
      return String.format(Locale.ROOT, "The mean validation loss is lowest at epoch %d of %d "
          + "(%.4f) and has not risen since: no overfitting within these epochs.", best,
          last.epoch(), b.valLoss());
    }
    return String.format(Locale.ROOT, "**Overfitting starts after epoch %d**: the mean "
            + "validation loss is lowest there (%.4f) and rises to %.4f by epoch %d, while the "
            + "training loss keeps falling (%.4f to %.4f). The accuracy can still creep up "
            + "while the loss rises (the network grows more confident on the rows it gets "
            + "wrong).", best, b.valLoss(), last.valLoss(), last.epoch(), b.trainLoss(),
        last.trainLoss());
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
        + Trials.fmt(mu, false);
  }

  private static String optimizerText(Trials.Plan plan) {
    RunSpec s = plan.first();
    int rows = plan.data().train().rows();
    RunSpec.Optimizer o = s.optimizer();
    StringBuilder b = new StringBuilder("lr ")
        .append(Trials.fmt(o.schedule().at(new LearningRateSchedule.Position(0, 1, 1)), false))
        .append(", ").append(momentumText(s)).append(", batch ")
        .append(Math.min(s.batchSize(), rows));
    if (s.batchSize() >= rows) {
      b.append(" (full batch)");
    }
    if (!(o.schedule() instanceof LearningRateSchedule.Constant)) {
      b.append(", ").append(o.schedule().getClass().getSimpleName().toLowerCase(Locale.ROOT)
          .replace("stepdecay", "step")).append(" schedule");
    }
    if (o.weightDecay() > 0) {
      b.append(", weight decay ").append(Trials.fmt(o.weightDecay(), false));
    }
    return b.toString();
  }

  private static String epochsText(Planned p) {
    RunSpec s = p.plan().first();
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
    return s.min() == s.max() ? Trials.fmt(s.min(), false)
        : Trials.fmt(s.min(), false) + "–" + Trials.fmt(s.max(), false);
  }

  private static String engineText(Trials.Outcome o) {
    return o.engine().startsWith("spark") ? "spark" : "local";
  }

  static String meanStd(Stats s) {
    if (s.n() == 0) {
      return "-";
    }
    return Trials.fmt(s.mean(), true) + (Double.isFinite(s.std()) ? " ± "
        + Trials.fmt(s.std(), true) : "");
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

  static String duration(double seconds) {
    if (seconds < 60) {
      return String.format(Locale.ROOT, "%.1f s", seconds);
    }
    long s = Math.round(seconds);
    return s < 3600 ? String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60)
        : String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
  }
}
