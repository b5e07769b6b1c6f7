package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.api.RunSpec;
import io.gradspark.config.RunSpecs;
import io.gradspark.experiment.Experiments;
import io.gradspark.experiment.Format;
import io.gradspark.experiment.Report;
import io.gradspark.experiment.Trials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
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
final class ReportCommand extends SharedOptions.Trials implements Callable<Integer> {

  @Spec
  CommandSpec commandSpec;

  @Option(names = "--trials", paramLabel = "R",
      description = "Trials per experiment (default: 3, moons 10; 2 with --quick).")
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
      description = "auto (Spark for full batch, local for mini-batch), spark or local "
          + "(default: ${DEFAULT-VALUE}).")
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
      Path conf = confDir.resolve(e.id() + ".conf");
      if (!Files.isRegularFile(conf)) {
        throw new GradsparkException("No conf for experiment " + e.id() + ": " + conf
            + " is missing", "restore it from git, or leave the experiment out with --only");
      }
      List<String> all = new ArrayList<>(quick ? quickSets(conf) : List.of());
      all.add("training.engine=" + (engine.equals("auto") ? e.engine() : engine));
      all.addAll(sets);
      int r = trials != null ? trials : quick ? 2 : e.trials();
      planned.add(new Report.Entry(e, conf, Trials.plan(conf, all, r, e.id()), null));
    }
    String target = RunDirectory.choose(outDir.path, "report");
    String runsTarget = runs == null ? null : RunDirectory.choose(runs, "report-runs");
    RunDirectory dir = RunDirectory.create(target);
    RunDirectory runsDir = runsTarget == null ? null : RunDirectory.create(runsTarget);
    try (SparkHolder spark = new SparkHolder(this.master, "report")) {
      for (int k = 0; k < planned.size(); k++) {
        Report.Entry p = planned.get(k);
        String label = String.format(Locale.ROOT, "[%d/%d %s] ", k + 1, planned.size(), p.id());
        Trials.Outcome o = Trials.run(p.plan(), TrainCommand.engines(p.plan().first(), spark),
            parallel, runsDir == null ? null : runsDir.file(p.id()), label);
        planned.set(k, p.withOutcome(o));
        System.out.println(label + planned.get(k).summaryLine());
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      new Report(planned, commandLine, quick, engine, seconds).write(dir.file(""));
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
