package io.gradspark.cli;

import io.gradspark.experiment.Trials;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.RunFiles;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "repeat", mixinStandardHelpOptions = true,
    description = {
        "Train a config R times with different seeds and print the mean, standard deviation, "
            + "minimum and maximum of the final metrics (test accuracy, test loss, validation "
            + "accuracy, training seconds, epochs kept): a result over seeds, not one lucky run.",
        "Trial i (0-based) trains with training.seed + i; nothing else changes (data, split, "
            + "partitions). Trials run at the same time when there is room (--parallel), each in "
            + "its own driver thread and Spark scheduler pool trial-i on one shared SparkContext "
            + "(or as plain threads with training.engine = local); the results are bit-identical "
            + "to running them one after another.",
        "",
        "Example: submit/gradspark repeat --config conf/experiments/moons.conf --trials 10 "
            + "--set training.engine=local"},
    footer = {"", "Outputs (in --out): repeat.csv (one row per trial: trial, seed, status, "
        + "metrics), repeat.json (settings, statistics, per-trial summaries), trial-<i>/ "
        + "(history.csv, history.json, summary.json, curves.png, model.npz, config.conf). "
        + "Statistics: std is the sample standard deviation (n - 1). Checkpoints are not written. "
        + "Exit codes: 0 done, 2 bad input or settings (nothing written), 3 some trials diverged "
        + "(outputs written, the status column says which), 130 Ctrl-C and 143 SIGTERM (nothing "
        + "written), 1 internal error."})
final class RepeatCommand extends SharedOptions.TrialsOfAConfig implements Callable<Integer> {

  @Option(names = "--trials", required = true, paramLabel = "R",
      description = "Number of trainings (seeds training.seed .. training.seed + R - 1), "
          + "1 to 10000.")
  int trials;

  @Mixin
  SharedOptions.OutDir outDir;


  @Override
  public Integer call() {
    checkCounts(trials);
    Trials.Plan plan = Trials.plan(configFile.path, sets, trials,
        TrainCommand.baseName(configFile.path));
    String target = RunDirectory.choose(outDir.path, plan.name() + "-repeat");
    Trials.Outcome o;
    RunDirectory dir = RunDirectory.create(target);
    try (SparkHolder spark = new SparkHolder(master, plan.name() + " repeat")) {
      o = Trials.run(plan, TrainCommand.engines(plan.first(), spark), parallel, dir.file(""), "");
      if (o.failed() == o.results().size()) {
        throw o.results().get(0).failure();
      }
      write(dir, o);
      dir.publish();
    } catch (RuntimeException | Error e) {
      dir.discard();
      throw e;
    }
    System.out.print(Trials.table(o));
    System.out.printf(java.util.Locale.ROOT, "%d trials in %.1f s (%d at a time). Outputs in %s%n",
        o.results().size(), o.wallSeconds(), o.parallel(), target);
    if (o.failed() > 0) {
      System.err.println("warning: " + o.status() + " (see the status column of "
          + HadoopFiles.resolve(target, "repeat.csv") + ")");
      return o.anyDiverged() ? Main.DIVERGED : Main.BAD_INPUT;
    }
    return 0;
  }

  static void write(RunDirectory dir, Trials.Outcome o) {
    RunFiles.writeJson(dir.file("repeat.json"), o.toJson());
    byte[] csv = o.csv().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(dir.file("repeat.csv"), "trial table", os -> os.write(csv));
  }
}
