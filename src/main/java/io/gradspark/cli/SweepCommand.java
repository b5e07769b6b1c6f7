package io.gradspark.cli;

import io.gradspark.api.TrainingJob;
import io.gradspark.experiment.Csv;
import io.gradspark.experiment.Format;
import io.gradspark.experiment.Experiments;
import io.gradspark.experiment.Grid;
import io.gradspark.experiment.Stats;
import io.gradspark.experiment.Trials;
import io.gradspark.GradsparkException;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.ExperimentPlots;
import io.gradspark.io.RunFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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
final class SweepCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, paramLabel = "FILE",
      description = "The base settings (HOCON), e.g. conf/experiments/moons.conf.")
  Path config;

  @Option(names = "--grid", required = true, paramLabel = "KEY=V1,V2,...",
      description = "A setting and its values (repeatable: the grid is the product).")
  List<String> grids = new ArrayList<>();

  @Option(names = "--trials", paramLabel = "R", defaultValue = "1",
      description = "Trainings per point, seeds training.seed + 0 .. R - 1 (default: "
          + "${DEFAULT-VALUE}).")
  int trials;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override a setting at every point (repeatable).")
  List<String> sets = new ArrayList<>();

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master (default: what spark-submit set, else local[*]).")
  String master;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Output directory (default: runs/<name>-sweep-<timestamp>); must not exist "
          + "or be empty.")
  Path out;

  @Option(names = "--parallel", paramLabel = "N", defaultValue = "0",
      description = "Trials of a point at a time (default: as many as fit, see repeat).")
  int parallel;

  /** One grid point: its values, its plan (null when its settings were refused) and outcome. */
  record Point(int index, List<String> values, Trials.Plan plan, GradsparkException refused,
      Trials.Outcome outcome) {

    String status() {
      if (refused != null) {
        return "failed: " + refused.getMessage();
      }
      return outcome.status();
    }

    Stats stats(String key) {
      return outcome == null ? Stats.NONE : outcome.stats(key);
    }
  }

  @Override
  public Integer call() {
    Grid grid = Grid.parse(grids);
    if (trials < 1) {
      throw new GradsparkException("--trials must be >= 1 but was " + trials, "e.g. --trials 3");
    }
    if (parallel < 0) {
      throw new GradsparkException("--parallel must be >= 0 but was " + parallel,
          "e.g. --parallel 2, or leave it out to fit the cluster");
    }
    String base = TrainCommand.baseName(config);
    List<Point> points = new ArrayList<>();
    GradsparkException firstRefusal = null;
    String name = null;
    for (int p = 0; p < grid.size(); p++) {
      List<String> all = new ArrayList<>(sets);
      all.addAll(grid.sets(p));
      try {
        Trials.Plan plan = Trials.plan(config, all, trials, base);
        name = name == null ? plan.name() : name;
        points.add(new Point(p, grid.point(p), plan, null, null));
      } catch (GradsparkException e) {
        firstRefusal = firstRefusal == null ? e : firstRefusal;
        points.add(new Point(p, grid.point(p), null, e, null));
      }
    }
    if (name == null) {
      throw firstRefusal;
    }
    Path target = RunDirectory.choose(out, name + "-sweep");
    RunDirectory dir = RunDirectory.create(target);
    long started = System.nanoTime();
    try (SparkHolder spark = new SparkHolder(master, name + " sweep")) {
      for (int k = 0; k < points.size(); k++) {
        Point pt = points.get(k);
        String label = String.format(Locale.ROOT, "[point %d/%d %s] ", k + 1, points.size(),
            String.join(" ", grid.sets(k)));
        if (pt.plan() == null) {
          System.out.println(label + pt.status());
          continue;
        }
        Trials.Outcome o = Trials.run(pt.plan(), TrainCommand.engines(pt.plan().first(), spark), parallel, dir.file("point-" + k), label);
        points.set(k, new Point(k, pt.values(), pt.plan(), null, o));
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      write(dir, grid, points, name, seconds);
      dir.publish();
    } catch (RuntimeException | Error e) {
      dir.discard();
      throw e;
    }
    System.out.print(table(grid, points));
    System.out.printf(Locale.ROOT, "%d points x %d trials in %.1f s. Outputs in %s%n",
        points.size(), trials, (System.nanoTime() - started) / 1e9, target);
    return 0;
  }

  private void write(RunDirectory dir, Grid grid, List<Point> points, String name,
      double seconds) {
    byte[] csv = csv(grid, points).getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(dir.file("sweep.csv"), "sweep table", os -> os.write(csv));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("name", name);
    json.put("config", config.toString());
    json.put("sets", sets);
    List<Map<String, Object>> axes = new ArrayList<>();
    for (Grid.Axis a : grid.axes()) {
      axes.add(Map.of("key", a.key(), "values", a.values()));
    }
    json.put("grid", axes);
    json.put("trials", trials);
    json.put("wall_seconds", seconds);
    json.put("blas", TrainingJob.blasName());
    json.put("finished_at", Instant.now().toString());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Point p : points) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("point", p.index());
      Map<String, Object> values = new LinkedHashMap<>();
      for (int a = 0; a < grid.axes().size(); a++) {
        values.put(grid.axes().get(a).key(), p.values().get(a));
      }
      row.put("values", values);
      row.put("status", p.status());
      if (p.outcome() != null) {
        row.put("engine", p.outcome().engine());
        row.put("wall_seconds", p.outcome().wallSeconds());
        row.put("stats", p.outcome().statsMap());
        row.put("per_trial", p.outcome().results().stream().map(Trials.TrialResult::summary)
            .toList());
      }
      rows.add(row);
    }
    json.put("points", rows);
    RunFiles.writeJson(dir.file("sweep.json"), json);
    plot(dir.file("sweep.png"), grid, points, name);
  }

  /** The metric to plot: test accuracy, else validation accuracy, else test or validation loss. */
  static Trials.Metric plotted(List<Point> points) {
    for (String key : List.of("test_accuracy", "val_accuracy", "test_loss")) {
      for (Point p : points) {
        if (p.stats(key).n() > 0) {
          return Trials.METRICS.stream().filter(m -> m.key().equals(key)).findFirst()
              .orElseThrow();
        }
      }
    }
    return new Trials.Metric("val_loss", "validation loss", false);
  }

  private void plot(Path png, Grid grid, List<Point> points, String name) {
    int xa = 0;
    for (int a = 0; a < grid.axes().size(); a++) {
      if (grid.axes().get(a).values().size() > 1) {
        xa = a;
        break;
      }
    }
    Grid.Axis axis = grid.axes().get(xa);
    Grid.XAxis x = Grid.xAxis(axis);
    Trials.Metric metric = plotted(points);
    double scale = metric.percent() ? 100 : 1;
    Map<String, double[][]> series = new LinkedHashMap<>();
    List<String> failed = new ArrayList<>();
    for (Point p : points) {
      List<String> others = new ArrayList<>();
      for (int a = 0; a < grid.axes().size(); a++) {
        if (a != xa && grid.axes().get(a).values().size() > 1) {
          others.add(grid.axes().get(a).key() + "=" + p.values().get(a));
        }
      }
      String label = others.isEmpty() ? metric.label() : String.join(", ", others);
      double[][] s = series.computeIfAbsent(label, l -> {
        double[][] d = new double[3][axis.values().size()];
        for (double[] row : d) {
          java.util.Arrays.fill(row, Double.NaN);
        }
        return d;
      });
      int i = axis.values().indexOf(p.values().get(xa));
      Stats st = p.stats(metric.key());
      s[0][i] = x.x()[i];
      s[1][i] = st.mean() * scale;
      s[2][i] = st.std() * scale;
      if (p.outcome() == null || p.outcome().failed() > 0) {
        String why = p.status();
        failed.add(String.join(" ", grid.sets(p.index())) + " ("
            + why.substring(0, Math.max(0, why.indexOf(':'))) + ")");
      }
    }
    List<ExperimentPlots.Series> lines = new ArrayList<>();
    series.forEach((label, d) -> lines.add(new ExperimentPlots.Series(label, d[0], d[1], d[2])));
    String title = String.format(Locale.ROOT, "%s: %s against %s (mean \u00b1 std over %d trial%s)",
        name, metric.label(), x.title(), trials, trials == 1 ? "" : "s");
    String subtitle = failed.isEmpty() ? "" : "failed points (not drawn): "
        + String.join(", ", failed);
    ExperimentPlots.sweep(png, title, subtitle, x.title() + (x.log() ? " (log scale)" : ""),
        metric.label() + (metric.percent() ? " (%)" : ""), lines, x.log(), x.categories());
  }

  private String csv(Grid grid, List<Point> points) {
    List<String> header = new ArrayList<>(List.of("point"));
    grid.axes().forEach(a -> header.add(a.key()));
    header.addAll(List.of("status", "trials", "finished"));
    for (Trials.Metric m : Trials.METRICS) {
      for (String s : List.of("mean", "std", "min", "max")) {
        header.add(m.key() + "_" + s);
      }
    }
    header.add("wall_seconds");
    StringBuilder b = new StringBuilder();
    for (String h : header) {
      b.append(b.length() == 0 ? "" : ",").append(Csv.quote(h));
    }
    b.append('\n');
    for (Point p : points) {
      List<String> cells = new ArrayList<>();
      cells.add(Integer.toString(p.index()));
      p.values().forEach(v -> cells.add(Csv.quote(v)));
      cells.add(Csv.quote(p.status()));
      cells.add(Integer.toString(trials));
      cells.add(Integer.toString(p.outcome() == null ? 0
          : p.outcome().results().size() - p.outcome().failed()));
      for (Trials.Metric m : Trials.METRICS) {
        Stats s = p.stats(m.key());
        for (double v : new double[] {s.mean(), s.std(), s.min(), s.max()}) {
          cells.add(Double.isFinite(v) ? Double.toString(v) : "");
        }
      }
      cells.add(p.outcome() == null ? "" : Double.toString(p.outcome().wallSeconds()));
      b.append(String.join(",", cells)).append('\n');
    }
    return b.toString();
  }

  private static String table(Grid grid, List<Point> points) {
    List<String> head = new ArrayList<>(List.of("point"));
    grid.axes().forEach(a -> head.add(a.key()));
    head.addAll(List.of("status", "test acc mean", "std", "min", "max", "test loss", "val acc",
        "train s"));
    List<List<String>> rows = new ArrayList<>();
    for (Point p : points) {
      List<String> row = new ArrayList<>();
      row.add(Integer.toString(p.index()));
      row.addAll(p.values());
      String status = p.status();
      row.add(status.equals("ok") ? "ok" : status.substring(0, status.indexOf(':')));
      Stats acc = p.stats("test_accuracy");
      row.add(Format.metric(acc.mean(), true));
      row.add(Format.metric(acc.std(), true));
      row.add(Format.metric(acc.min(), true));
      row.add(Format.metric(acc.max(), true));
      row.add(Format.metric(p.stats("test_loss").mean(), false));
      row.add(Format.metric(p.stats("val_accuracy").mean(), true));
      row.add(Format.metric(p.stats("train_seconds").mean(), false));
      rows.add(row);
    }
    int[] width = new int[head.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = head.get(c).length();
      for (List<String> r : rows) {
        width[c] = Math.max(width[c], r.get(c).length());
      }
    }
    StringBuilder b = new StringBuilder("\n");
    StringBuilder line = new StringBuilder();
    for (List<String> r : prepend(head, rows)) {
      for (int c = 0; c < width.length; c++) {
        line.append(c == 0 ? "" : "  ").append(String.format(Locale.ROOT, "%-" + width[c] + "s",
            r.get(c)));
      }
      b.append(line.toString().stripTrailing()).append('\n');
      line.setLength(0);
    }
    for (Point p : points) {
      if (!p.status().equals("ok")) {
        b.append("point ").append(p.index()).append(": ").append(p.status()).append('\n');
      }
    }
    return b.toString();
  }

  private static List<List<String>> prepend(List<String> head, List<List<String>> rows) {
    List<List<String>> all = new ArrayList<>();
    all.add(head);
    all.addAll(rows);
    return all;
  }
}
