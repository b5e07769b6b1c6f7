package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.experiment.Grid;
import io.gradspark.experiment.Sweep;
import io.gradspark.experiment.Trials;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sweep", mixinStandardHelpOptions = true,
    description = {
        "Train a config at every point of a grid of settings (the cartesian product of the "
            + "--grid values, each point a set of --set overrides), R trials per point with seeds "
            + "training.seed + i as in repeat, and tabulate and plot the test accuracy (mean and "
            + "standard deviation over the trials) against the swept value.",
        "Values are HOCON, as for --set. Separate them with commas, or with ; when a value is a "
            + "list: --grid \"model.layers=[2,3,2];[2,10,2]\" (commas inside [...] are also "
            + "understood). A point that fails (diverges, or its settings are refused) is "
            + "reported in the status column and the other points still run.",
        "",
        "Example: submit/gradspark sweep --config conf/experiments/moons.conf --trials 3 "
            + "--set training.engine=local --grid \"model.layers=[2,3,2];[2,5,2];[2,10,2];"
            + "[2,20,2];[2,40,2]\"",
        "         submit/gradspark sweep --config conf/experiments/moons.conf "
            + "--grid optimizer.learning-rate=0.001,0.01,0.1,1"},
    footer = {"", "Outputs (in --out): sweep.csv (one row per point: the values, status, trials, "
        + "then mean/std/min/max of test_accuracy, test_loss, val_accuracy, train_seconds, "
        + "kept_epoch), sweep.json (also every trial), sweep.png (x: the first --grid with "
        + "several values; numeric, log when its values span more than two decades, the varying "
        + "element of list values, else one tick per value; one line per combination of the other "
        + "--grid values), point-<k>/trial-<i>/ (each trial's history and model). Exit codes: "
        + "0 done (failed points are in the table), 2 bad input or settings of every point "
        + "(nothing written), 1 internal error."})
final class SweepCommand extends SharedOptions.TrialsOfAConfig implements Callable<Integer> {

  @Option(names = "--grid", required = true, paramLabel = "KEY=V1,V2,...",
      description = "A setting and its values (repeatable: the grid is the product).")
  List<String> grids = new ArrayList<>();

  @Option(names = "--trials", paramLabel = "R", defaultValue = "1",
      description = "Trainings per point, seeds training.seed + 0 .. R - 1, 1 to 10000 "
          + "(default: ${DEFAULT-VALUE}).")
  int trials;

  @Mixin
  SharedOptions.OutDir outDir;

  @Override
  public Integer call() {
    Grid grid = Grid.parse(grids);
    checkCounts(trials);
    String base = TrainCommand.baseName(configFile.path);
    List<Sweep.Point> points = new ArrayList<>();
    GradsparkException firstRefusal = null;
    String name = null;
    for (int p = 0; p < grid.size(); p++) {
      List<String> all = new ArrayList<>(sets);
      all.addAll(grid.sets(p));
      try {
        Trials.Plan plan = Trials.plan(configFile.path, all, trials, base);
        name = name == null ? plan.name() : name;
        points.add(new Sweep.Point(p, grid.point(p), plan, null, null));
      } catch (GradsparkException e) {
        firstRefusal = firstRefusal == null ? e : firstRefusal;
        points.add(new Sweep.Point(p, grid.point(p), null, e, null));
      }
    }
    if (name == null) {
      throw firstRefusal;
    }
    String target = RunDirectory.choose(outDir.path, name + "-sweep");
    RunDirectory dir = RunDirectory.create(target);
    long started = System.nanoTime();
    Sweep sweep;
    try (SparkHolder spark = new SparkHolder(master, name + " sweep")) {
      for (int k = 0; k < points.size(); k++) {
        Sweep.Point pt = points.get(k);
        String label = String.format(Locale.ROOT, "[point %d/%d %s] ", k + 1, points.size(),
            String.join(" ", grid.sets(k)));
        if (pt.plan() == null) {
          System.out.println(label + pt.status());
          continue;
        }
        Trials.Outcome o = Trials.run(pt.plan(), TrainCommand.engines(pt.plan().first(), spark),
            parallel, dir.file("point-" + k), label);
        points.set(k, pt.withOutcome(o));
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      sweep = new Sweep(name, configFile.path.toString(), sets, grid, trials, points, seconds);
      sweep.write(dir.file(""));
      dir.publish();
    } catch (RuntimeException | Error e) {
      dir.discard();
      throw e;
    }
    System.out.print(sweep.table());
    System.out.printf(Locale.ROOT, "%d points x %d trials in %.1f s. Outputs in %s%n",
        points.size(), trials, (System.nanoTime() - started) / 1e9, target);
    return 0;
  }
}
