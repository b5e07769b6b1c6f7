package io.gradspark.experiment;

import io.gradspark.GradsparkException;
import io.gradspark.api.TrainingJob;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.ExperimentPlots;
import io.gradspark.io.RunFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One sweep of a config over a grid of settings: each point's plan and outcome (or why its
 * settings were refused), and what the sweep ran with. Writes sweep.csv, sweep.json and sweep.png
 * and makes the table sweep prints.
 *
 * @param name the config's name
 * @param config the config file, as given
 * @param sets the overrides of every point
 * @param trials trials per point
 * @param seconds wall time of all points
 */
public record Sweep(String name, String config, List<String> sets, Grid grid, int trials,
    List<Point> points, double seconds) {

  public Sweep {
    sets = List.copyOf(sets);
    points = List.copyOf(points);
  }

  /**
   * One grid point: its index, its values (one per axis), its plan (null when its settings were
   * refused, with why) and once run its outcome.
   */
  public record Point(int index, List<String> values, Trials.Plan plan, GradsparkException refused,
      Trials.Outcome outcome) {

    public Point withOutcome(Trials.Outcome o) {
      return new Point(index, values, plan, refused, o);
    }

    public String status() {
      if (refused != null) {
        return "failed: " + refused.getMessage();
      }
      return outcome.status();
    }

    public Stats stats(String key) {
      return outcome == null ? Stats.NONE : outcome.stats(key);
    }
  }

  /** Writes sweep.csv, sweep.json and sweep.png into dir. */
  public void write(Path dir) {
    write(dir, "sweep");
  }

  /** Writes NAME.csv, NAME.json and NAME.png into dir. */
  void write(Path dir, String name) {
    byte[] csv = csv().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(dir.resolve(name + ".csv"), "sweep table", os -> os.write(csv));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("name", name);
    json.put("config", config);
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
    RunFiles.writeJson(dir.resolve(name + ".json"), json);
    plot(dir.resolve(name + ".png"));
  }

  /** The point of the highest mean test accuracy (the first of equals), null when none ran. */
  Point best() {
    Point best = null;
    for (Point p : points) {
      double m = p.stats("test_accuracy").mean();
      if (Double.isFinite(m) && (best == null || m > best.stats("test_accuracy").mean())) {
        best = p;
      }
    }
    return best;
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

  private void plot(Path png) {
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
          Arrays.fill(row, Double.NaN);
        }
        return d;
      });
      int i = axis.values().indexOf(p.values().get(xa));
      Stats st = p.stats(metric.key());
      s[0][i] = x.x()[i];
      s[1][i] = st.mean() * scale;
      s[2][i] = st.std() * scale;
      if (p.outcome() == null || p.outcome().failed() > 0) {
        failed.add(String.join(" ", grid.sets(p.index())) + " ("
            + Format.statusWord(p.status()) + ")");
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

  /** sweep.csv: one row per point, its values, status, trials, then the statistics. */
  private String csv() {
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

  /** The table sweep prints: one row per point, then the failed points' messages. */
  public String table() {
    List<String> head = new ArrayList<>(List.of("point"));
    grid.axes().forEach(a -> head.add(a.key()));
    head.addAll(List.of("status", "test acc mean", "std", "min", "max", "test loss", "val acc",
        "train s"));
    List<List<String>> rows = new ArrayList<>();
    for (Point p : points) {
      List<String> row = new ArrayList<>();
      row.add(Integer.toString(p.index()));
      row.addAll(p.values());
      row.add(Format.statusWord(p.status()));
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
