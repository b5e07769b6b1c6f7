package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.api.RunSpec;
import io.gradspark.config.RunSpecs;
import io.gradspark.experiment.Experiments;
import io.gradspark.experiment.Format;
import io.gradspark.experiment.Report;
import io.gradspark.experiment.Grid;
import io.gradspark.experiment.Sweep;
import io.gradspark.experiment.Trials;
import io.gradspark.api.Engines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "report", mixinStandardHelpOptions = true,
    description = {
        "Reproduce the from-scratch experiments (every conf of conf/experiments/ with a "
            + "published figure: single neurons, 784-64-1, 784-64-10, the deep ReLU network with "
            + "and without momentum, full batch with and without momentum, 784-1000-10, two "
            + "moons; the two-moons sweep of the hidden layer's width h = 3..40; the single "
            + "neurons and 784-64-1 for the published 500 epochs and one neuron for 10,000), R "
            + "trials each with seeds training.seed + i as in repeat, and write one markdown "
            + "report: per experiment the published figure, ours as mean +- std over the trials, "
            + "epochs, engine and why, wall time, per-trial figures, loss/accuracy curves (train "
            + "vs validation loss with the epoch where it turns; momentum vs none on one chart), "
            + "the sweep's chart with error bars, and every difference from a published figure "
            + "beyond two standard deviations with what the run shows about it.",
        "--engine auto runs on Spark the experiments that fit the report's budget at Spark's cost "
            + "per step (every one of a few thousand steps, its trials side by side, one per "
            + "task slot) and the others (the sweep, the 500- and 10,000-epoch runs) on the local "
            + "engine (equal to round-off), both lanes at the same time; before them it measures "
            + "what running trials side by side on the one SparkContext saves. --quick runs a "
            + "reduced version (1 epoch, 1,200 training rows, 2 trials) to check the pipeline.",
        "",
        "Example: submit/gradspark report --out src/site/markdown/experiments",
        "         submit/gradspark report --quick --only moons,neuron-0 --out /tmp/report"},
    footer = {"", "Outputs (in --out): report.md, <id>.png per experiment (mean curves over the "
        + "trials), momentum-<id>.png (with vs without momentum), moons-sweep.png, .csv and .json "
        + "(the sweep's points). With --runs DIR, every trial's files (history, model, summary) "
        + "under DIR/<id>/trial-<i>/ (a sweep's under DIR/<id>/point-<k>/trial-<i>/). The "
        + "command line that produced the report is written at its top. Exit codes: 0 done "
        + "(failed experiments are marked in the report), 2 bad input or settings (nothing "
        + "written), 1 internal error."})
final class ReportCommand extends SharedOptions.Trials implements Callable<Integer> {

  @Spec
  CommandSpec commandSpec;

  @Option(names = "--trials", paramLabel = "R",
      description = "Trials per experiment, per point of a sweep (default: 3; moons 10, "
          + "hidden64-7-long 2, neuron-0-10k 1; 2 with --quick).")
  Integer trials;

  @Mixin
  SharedOptions.OutDir outDir;

  @Option(names = "--runs", paramLabel = "DIR",
      description = "Also keep every trial's files here (default: not kept); a local path or a "
          + "Hadoop one.")
  String runs;

  @Option(names = "--quick", description = "A reduced run: 1 epoch, 1,200 training rows (200 "
      + "held out where the experiment holds out), 300 test rows, 2 trials.")
  boolean quick;

  @Option(names = "--only", paramLabel = "IDS", split = ",",
      description = "Run only these experiments, e.g. --only moons,neuron-0.")
  List<String> only;

  @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "auto",
      description = "auto (each experiment's engine as the report's Engines table says), spark "
          + "or local (default: ${DEFAULT-VALUE}).")
  String engine;

  @Option(names = "--experiments", paramLabel = "DIR", defaultValue = "conf/experiments",
      description = "Where the experiment confs are (default: ${DEFAULT-VALUE}).")
  Path experimentsDir;

  @Override
  public Integer call() {
    long started = System.nanoTime();
    String commandLine = commandLine();
    if (!List.of("auto", "spark", "local").contains(engine)) {
      throw new GradsparkException("--engine must be auto, spark or local but was " + engine,
          "e.g. --engine local");
    }
    checkCounts(trials);
    Path confDir = confDir(experimentsDir);
    List<Report.Entry> planned = new ArrayList<>();
    for (Experiments.Experiment e : chosen()) {
      planned.add(plan(e, confDir));
    }
    String target = RunDirectory.choose(outDir.path, "report");
    String runsTarget = runs == null ? null : RunDirectory.choose(runs, "report-runs");
    RunDirectory dir = RunDirectory.create(target);
    RunDirectory runsDir = runsTarget == null ? null : RunDirectory.create(runsTarget);
    try (SparkHolder spark = new SparkHolder(this.master, "report")) {
      Report.Concurrency concurrency = measureConcurrency(planned, spark);
      List<Report.Entry> done = runLanes(planned, spark, runsDir);
      double seconds = (System.nanoTime() - started) / 1e9;
      new Report(done, commandLine, quick, engine, seconds, concurrency).write(dir.file(""));
      planned = done;
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
    for (Report.Entry p : planned) {
      System.out.println(p.id() + ": " + p.summaryLine());
    }
    System.out.printf(Locale.ROOT, "Report in %s (%s)%n", HadoopFiles.resolve(target, "report.md"),
        Format.duration((System.nanoTime() - started) / 1e9));
    return 0;
  }

  /** An experiment's plan (a sweep's: one per point), its settings read and checked. */
  private Report.Entry plan(Experiments.Experiment e, Path confDir) {
    Path conf = confDir.resolve(e.id() + ".conf");
    if (!Files.isRegularFile(conf)) {
      throw new GradsparkException("No conf for experiment " + e.id() + ": " + conf
          + " is missing", "restore it from git, or leave the experiment out with --only");
    }
    String chosenEngine = engine.equals("auto") ? e.engine() : engine;
    List<String> all = new ArrayList<>(quick ? quickSets(conf) : List.of());
    all.add("training.engine=" + chosenEngine);
    if (chosenEngine.equals("spark")) {
      all.addAll(e.sparkSets());
    }
    all.addAll(sets);
    int r = trials != null ? trials : quick ? 2 : e.trials();
    if (!e.isSweep()) {
      return new Report.Entry(e, conf, Trials.plan(conf, all, r, e.id()), null);
    }
    Grid grid = Grid.parse(e.grid());
    List<Sweep.Point> points = new ArrayList<>();
    for (int k = 0; k < grid.size(); k++) {
      List<String> s = new ArrayList<>(all);
      s.addAll(grid.sets(k));
      points.add(new Sweep.Point(k, grid.point(k), Trials.plan(conf, s, r, e.id()), null, null));
    }
    Sweep sweep = new Sweep(e.id(), conf.toString(), all, grid, r, points, 0);
    return new Report.Entry(e, conf, points.get(0).plan(), null, sweep);
  }

  /**
   * Runs the experiments in two lanes at the same time: those on Spark one after another (their
   * trials side by side in FAIR pools, one per task slot), and every trial of those on the local
   * engine, sweep points included, in one pool of threads, one per core, the costliest first.
   * Returns the entries with their outcomes, in table order.
   */
  private List<Report.Entry> runLanes(List<Report.Entry> planned, SparkHolder spark,
      RunDirectory runsDir) {
    List<Trials.Plan> localPlans = new ArrayList<>();
    List<Engines> localEngines = new ArrayList<>();
    List<Path> localDirs = new ArrayList<>();
    List<String> localLabels = new ArrayList<>();
    int n = planned.size();
    for (int k = 0; k < n; k++) {
      Report.Entry p = planned.get(k);
      String label = label(k, n, p.id());
      Path runDir = runsDir == null ? null : runsDir.file(p.id());
      if (p.sweep() != null) {
        for (Sweep.Point pt : p.sweep().points()) {
          localPlans.add(pt.plan());
          localEngines.add(TrainCommand.engines(pt.plan().first(), spark));
          localDirs.add(runDir == null ? null : runDir.resolve("point-" + pt.index()));
          localLabels.add(label + String.join(" ", p.sweep().grid().sets(pt.index())) + " ");
        }
      } else if (!p.onSpark()) {
        localPlans.add(p.plan());
        localEngines.add(TrainCommand.engines(p.plan().first(), spark));
        localDirs.add(runDir);
        localLabels.add(label);
      }
    }
    Report.Entry[] done = planned.toArray(new Report.Entry[0]);
    CompletableFuture<Void> sparkLane = CompletableFuture.runAsync(() -> {
      for (int k = 0; k < n; k++) {
        Report.Entry p = planned.get(k);
        if (p.sweep() == null && p.onSpark()) {
          String label = label(k, n, p.id());
          Trials.Outcome o = Trials.run(p.plan(), TrainCommand.engines(p.plan().first(), spark),
              parallel, runsDir == null ? null : runsDir.file(p.id()), label);
          done[k] = p.withOutcome(o);
          System.out.println(label + done[k].summaryLine());
        }
      }
    }, command -> {
      Thread t = new Thread(command, "gradspark-report-spark");
      t.setDaemon(true);
      t.start();
    });
    int threads = parallel > 0 ? parallel : Runtime.getRuntime().availableProcessors();
    List<Trials.Outcome> outcomes = localPlans.isEmpty() ? List.of()
        : Trials.runAll(localPlans, localEngines, threads, localDirs, localLabels);
    try {
      sparkLane.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e.getCause() instanceof RuntimeException re ? re : e;
    }
    int next = 0;
    for (int k = 0; k < n; k++) {
      Report.Entry p = planned.get(k);
      if (p.sweep() != null) {
        List<Sweep.Point> points = new ArrayList<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Sweep.Point pt : p.sweep().points()) {
          Trials.Outcome o = outcomes.get(next++);
          points.add(pt.withOutcome(o));
          first = Math.min(first, o.started());
          last = Math.max(last, o.ended());
        }
        Sweep s = p.sweep();
        done[k] = p.withSweep(new Sweep(s.name(), s.config(), s.sets(), s.grid(), s.trials(),
            points, (last - first) / 1e9));
      } else if (!p.onSpark()) {
        done[k] = p.withOutcome(outcomes.get(next++));
      } else {
        continue;
      }
      System.out.println(label(k, n, p.id()) + done[k].summaryLine());
    }
    return List.of(done);
  }

  /** "[k+1/n id] ", the prefix of an experiment's printed lines. */
  private static String label(int k, int n, String id) {
    return String.format(Locale.ROOT, "[%d/%d %s] ", k + 1, n, id);
  }

  /**
   * Runs the trials of the first experiment on Spark with room for two at once twice for one
   * epoch, after an untimed trial that warms up the JIT and Spark: one after another, then side
   * by side. How much running them at once saves, and that it changes no result. Null when no
   * such experiment is in the report.
   */
  private Report.Concurrency measureConcurrency(List<Report.Entry> planned, SparkHolder spark) {
    Report.Entry probe = planned.stream()
        .filter(p -> p.sweep() == null && p.onSpark() && p.plan().trials() > 1)
        .filter(p -> TrainCommand.engines(p.plan().first(), spark)
            .concurrentTrials(p.plan().first()) > 1)
        .findFirst().orElse(null);
    if (probe == null) {
      return null;
    }
    List<String> s = new ArrayList<>(probe.plan().sets());
    s.addAll(List.of("training.epochs=1", "training.early-stopping.patience=0"));
    Trials.Plan plan = Trials.plan(probe.conf(), s, probe.plan().trials(), probe.id());
    Engines engines = TrainCommand.engines(plan.first(), spark);
    String label = "[concurrency " + probe.id() + "] ";
    Trials.run(Trials.plan(probe.conf(), s, 1, probe.id()), engines, 1, null,
        label + "warm-up, untimed: ");
    Trials.Outcome alone = Trials.run(plan, engines, 1, null, label + "one at a time: ");
    Trials.Outcome shared = Trials.run(plan, engines, plan.trials(), null, label + "at once: ");
    boolean identical = true;
    for (int i = 0; i < plan.trials(); i++) {
      identical &= alone.results().get(i).ok() && shared.results().get(i).ok()
          && Arrays.equals(alone.results().get(i).params(), shared.results().get(i).params());
    }
    long steps = (long) alone.results().get(0).metric("steps");
    Report.Concurrency c = new Report.Concurrency(probe.id(), plan.trials(), steps,
        alone.wallSeconds(), shared.wallSeconds(), shared.parallel(), identical);
    System.out.printf(Locale.ROOT, "%s%d trials one at a time %.1f s, %d at once %.1f s: %.2fx, "
            + "results %s%n", label, c.trials(), c.sequentialSeconds(), c.parallel(),
        c.concurrentSeconds(), c.speedUp(), identical ? "bit-identical" : "DIFFERENT");
    return c;
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
}
