package io.gradspark.spark;

import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainingJob;
import io.gradspark.eval.EpochStats;
import io.gradspark.nn.Network;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.Trainer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of bench: per engine's run the median seconds per epoch and per step, samples/s,
 * achieved GFLOP/s of the matrix products, training seconds to a target accuracy and, for the
 * Spark engine, the median time of each part of a step ({@link SparkEngine#stepTimes()}); and the
 * table bench prints of them.
 */
public final class BenchFigures {
  private BenchFigures() {}

  /** Multiply-adds x 2 of the forward and backward matrix products of one epoch. */
  public static double flopsPerEpoch(Network net, BatchSchedule schedule) {
    int[] sizes = net.sizes();
    double perRow = 0;
    for (int l = 0; l < net.layers(); l++) {
      double mac = (double) sizes[l] * sizes[l + 1];
      perRow += 2 * mac * (l == 0 ? 2 : 3); // forward, dW, and dX except for the first layer
    }
    return perRow * rowsPerEpoch(schedule);
  }

  /**
   * The figures of one engine's run (name, e.g. spark-tree) as a JSON object, in bench.json's
   * order; targetAccuracy (or null) asks for the training seconds until it is first reached.
   */
  public static Map<String, Object> figures(String name, GradientEngine e, Trainer.Result r,
      double flopsPerEpoch, BatchSchedule schedule, double setupSeconds, Double targetAccuracy) {
    double[] epochSeconds = r.history().stream().mapToDouble(EpochStats::seconds).toArray();
    double median = median(epochSeconds);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("engine", name);
    m.put("describe", e.describe());
    m.put("setup_seconds", setupSeconds);
    m.put("epoch_seconds_median", median);
    m.put("epoch_seconds", epochSeconds);
    m.put("samples_per_second", (flopsPerEpoch > 0 ? rowsPerEpoch(schedule) : 0) / median);
    m.put("gflops", flopsPerEpoch / median / 1e9);
    m.put("step_ms_median", 1000 * median / schedule.stepsPerEpoch());
    m.put("update_ms_mean", 1000 * r.updateSeconds() / r.steps());
    EpochStats last = r.history().get(r.history().size() - 1);
    m.put("final_test_accuracy", last.testAccuracy());
    m.put("final_val_accuracy", last.valAccuracy());
    if (targetAccuracy != null) {
      double seconds = 0;
      Double reached = null;
      for (EpochStats s : r.history()) {
        seconds += s.seconds();
        double acc = Double.isNaN(s.testAccuracy()) ? s.valAccuracy() : s.testAccuracy();
        if (acc >= targetAccuracy) {
          reached = seconds;
          break;
        }
      }
      m.put("seconds_to_target", reached);
    }
    if (e instanceof SparkEngine s) {
      List<SparkEngine.StepTimes> t = s.stepTimes();
      double[] bc = new double[t.size()];
      double[] job = new double[t.size()];
      double[] compute = new double[t.size()];
      double[] merge = new double[t.size()];
      double[] destroy = new double[t.size()];
      double[] overhead = new double[t.size()];
      for (int i = 0; i < t.size(); i++) {
        SparkEngine.StepTimes x = t.get(i);
        bc[i] = x.broadcast() / 1e6;
        job[i] = x.job() / 1e6;
        compute[i] = x.compute() / 1e6;
        merge[i] = x.merge() / 1e6;
        destroy[i] = x.destroy() / 1e6;
        overhead[i] = (x.broadcast() + x.job() + x.merge() + x.destroy() - x.compute()) / 1e6;
      }
      m.put("broadcast_ms", median(bc));
      m.put("job_ms", median(job));
      m.put("compute_ms", s.aggregation() == SparkEngine.Aggregation.DIRECT ? median(compute)
          : Double.NaN);
      m.put("merge_ms", median(merge));
      m.put("destroy_ms", median(destroy));
      m.put("overhead_ms", s.aggregation() == SparkEngine.Aggregation.DIRECT ? median(overhead)
          : Double.NaN);
      m.put("aggregation", s.aggregation().name().toLowerCase(Locale.ROOT));
      m.put("cache_bytes_per_train_row",
          (double) s.cachedBytes(DataSplit.TRAIN) / schedule.rows());
      m.put("partitions", s.partitions());
    }
    return m;
  }

  /** Rows one epoch trains on: the sum of its batches. */
  private static long rowsPerEpoch(BatchSchedule schedule) {
    long rows = 0;
    for (int k = 0; k < schedule.stepsPerEpoch(); k++) {
      rows += schedule.batchRows(k);
    }
    return rows;
  }

  /** The median, NaN of none. */
  static double median(double[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** bench.json: the run's settings, then every engine's {@link #figures}. */
  public static Map<String, Object> json(String config, RunSpec spec, BatchSchedule schedule,
      List<Map<String, Object>> rows, double totalSeconds) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("config", config);
    report.put("network", spec.network().describe());
    report.put("parameters", spec.network().numParams());
    report.put("train_rows", schedule.rows());
    report.put("batch_size", schedule.batchSize());
    report.put("steps_per_epoch", schedule.stepsPerEpoch());
    report.put("epochs", spec.epochs());
    report.put("blas", TrainingJob.blasName());
    report.put("cores", Runtime.getRuntime().availableProcessors());
    report.put("engines", rows);
    report.put("total_seconds", totalSeconds);
    return report;
  }

  /** The table bench prints: the run's setting, then one row per engine's figures. */
  public static String table(RunSpec spec, BatchSchedule schedule,
      List<Map<String, Object>> rows) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%n%s, %,d parameters, %,d rows, batch %d (%d steps per "
            + "epoch), BLAS %s, %d cores%n%n", spec.network().describe(), spec.network().numParams(),
        schedule.rows(), schedule.batchSize(), schedule.stepsPerEpoch(), TrainingJob.blasName(),
        Runtime.getRuntime().availableProcessors()));
    String[] cols = {"engine", "s/epoch", "samples/s", "GFLOP/s", "step ms", "broadcast",
        "job", "compute", "merge", "destroy", "update", "overhead", "to target s", "test acc"};
    String[] keys = {"engine", "epoch_seconds_median", "samples_per_second", "gflops",
        "step_ms_median", "broadcast_ms", "job_ms", "compute_ms", "merge_ms", "destroy_ms", "update_ms_mean",
        "overhead_ms", "seconds_to_target", "final_test_accuracy"};
    for (String c : cols) {
      b.append(String.format(Locale.ROOT, c.equals("engine") ? "%-11s" : "%12s", c));
    }
    b.append('\n');
    for (Map<String, Object> r : rows) {
      for (String k : keys) {
        Object v = r.get(k);
        String cell;
        if (v instanceof String str) {
          cell = str;
        } else if (v instanceof Double d && !d.isNaN()) {
          cell = k.equals("samples_per_second") ? String.format(Locale.ROOT, "%,.0f", d)
              : k.equals("final_test_accuracy") ? String.format(Locale.ROOT, "%.2f%%", 100 * d)
              : String.format(Locale.ROOT, Math.abs(d) < 10 ? "%.3f" : "%.1f", d);
        } else {
          cell = "-";
        }
        b.append(String.format(Locale.ROOT, k.equals("engine") ? "%-11s" : "%12s", cell));
      }
      b.append('\n');
    }
    b.append("(ms columns: median per step; overhead = step minus the partitions' compute)\n");
    for (Map<String, Object> r : rows) {
      if (r.get("cache_bytes_per_train_row") instanceof Double bytes) {
        b.append(String.format(Locale.ROOT, "%s: Spark cache %.0f bytes per training row%n",
            r.get("engine"), bytes));
      }
    }
    return b.toString();
  }
}
