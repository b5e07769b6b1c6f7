package io.gradspark.spark;

import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainingJob;
import io.gradspark.eval.EpochStats;
import io.gradspark.nn.Blas;
import io.gradspark.nn.DgemmThroughput;
import io.gradspark.nn.Network;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.Batches;
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
    return DgemmThroughput.flops(net, rowsPerEpoch(schedule));
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
      long steps = 0;
      Double reached = null;
      Long reachedSteps = null;
      for (EpochStats s : r.history()) {
        seconds += s.seconds();
        steps += s.steps();
        double acc = Double.isNaN(s.testAccuracy()) ? s.valAccuracy() : s.testAccuracy();
        if (acc >= targetAccuracy) {
          reached = seconds;
          reachedSteps = steps;
          break;
        }
      }
      m.put("seconds_to_target", reached);
      m.put("steps_to_target", reachedSteps);
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
      m.put("tree_levels", s.plan().levels());
      m.put("driver_results", s.plan().driverResults());
      m.put("aggregation_plan", s.plan().describe());
      m.put("cache_bytes_per_train_row",
          (double) s.cachedBytes(DataSplit.TRAIN) / schedule.rows());
      m.put("partitions", s.partitions());
      m.put("exchange", s.exchange());
      m.put("executor_blas", s.executorBlas()); // what the tasks installed: the driver's BLAS
      m.put("driver_bytes_per_step", s.driverBytesPerStep());
      m.put("busiest_link_bytes_per_step", s.busiestLinkBytesPerStep());
    }
    return m;
  }

  /**
   * Adds Spark's floor to a Spark engine's figures: the median of bare jobs over its cached
   * partitions ({@link SparkEngine#bareJobs}), and the step's overhead as a multiple of it.
   */
  public static void addFloor(Map<String, Object> m, long[] bareJobNanos) {
    double[] ms = new double[bareJobNanos.length];
    for (int i = 0; i < ms.length; i++) {
      ms[i] = bareJobNanos[i] / 1e6;
    }
    double floor = median(ms);
    m.put("floor_ms", floor);
    m.put("floor_jobs", ms.length);
    if (m.get("overhead_ms") instanceof Double overhead && !overhead.isNaN()) {
      m.put("overhead_vs_floor", overhead / floor);
    }
  }

  /**
   * The machine's limit for the network's matrix products ({@link DgemmThroughput}): threads
   * threads, each on its share of a batch (batch / threads rows, in passes of at most
   * {@link Batches#CHUNK} as the engines compute them), for the given seconds.
   */
  public static Map<String, Object> dgemm(Network net, BatchSchedule schedule, int threads,
      double seconds) {
    int rows = Batches.matrixRows((schedule.batchSize() + threads - 1) / threads);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("threads", threads);
    // the product the training runs: sgemm for float32 (the limit of float arithmetic)
    m.put("routine", net.precision() == io.gradspark.nn.Precision.FLOAT32 ? "sgemm" : "dgemm");
    m.put("rows_per_thread", rows);
    m.put("network", net.describe());
    m.put("blas", TrainingJob.blasName());
    m.put("gflops", DgemmThroughput.gflops(net, rows, threads, seconds));
    if (threads > 1) {
      // one thread on the whole batch, as the local engine computes it: the threads' rate over
      // it is the most a data-parallel step on them can gain over one thread, whatever the
      // engine does around the products
      int whole = Batches.matrixRows(schedule.batchSize());
      double one = DgemmThroughput.gflops(net, whole, 1, seconds);
      m.put("one_thread_rows", whole);
      m.put("one_thread_gflops", one);
      m.put("thread_scaling", (Double) m.get("gflops") / one);
    }
    return m;
  }

  /**
   * The lines under the table: each Spark step's overhead against the floor, each engine's time
   * to the target against the baseline's (the row named "baseline"), and GFLOP/s against the
   * dgemm limit (dgemm may be null).
   */
  public static String ratios(List<Map<String, Object>> rows, Map<String, Object> dgemm,
      Double target) {
    StringBuilder b = new StringBuilder();
    Map<String, Object> base = rows.stream().filter(r -> r.get("engine").equals("baseline"))
        .findFirst().orElse(null);
    for (Map<String, Object> r : rows) {
      String name = (String) r.get("engine");
      if (r.get("overhead_vs_floor") instanceof Double x) {
        b.append(String.format(Locale.ROOT, "%s: step overhead %.2f ms = %.2f x Spark's floor "
            + "here (median of %d bare jobs over the same partitions: %.2f ms)%n", name,
            (Double) r.get("overhead_ms"), x, (Integer) r.get("floor_jobs"),
            (Double) r.get("floor_ms")));
      }
      if (base != null && r != base && r.get("seconds_to_target") instanceof Double t) {
        b.append(base.get("seconds_to_target") instanceof Double bt
            ? String.format(Locale.ROOT, "%s: %.2f s (%d steps) to %.2f%% = %.2f x the "
                + "baseline's %.2f s (%d steps; local engine, %s)%n", name, t,
                (Long) r.get("steps_to_target"), 100 * target, t / bt, bt,
                (Long) base.get("steps_to_target"), base.get("config"))
            : String.format(Locale.ROOT, "%s: %.2f s to %.2f%%; the baseline never got there%n",
                name, t, 100 * target));
      }
    }
    if (dgemm != null) {
      double limit = (Double) dgemm.get("gflops");
      b.append(String.format(Locale.ROOT, "%s limit: %d threads x %d rows of %s, the matrix "
              + "products only, %s: %.1f GFLOP/s", dgemm.get("routine"),
          (Integer) dgemm.get("threads"),
          (Integer) dgemm.get("rows_per_thread"), dgemm.get("network"), dgemm.get("blas"),
          limit));
      if (dgemm.get("one_thread_gflops") instanceof Double one) {
        b.append(String.format(Locale.ROOT, " (1 thread x %d rows: %.1f GFLOP/s; %d threads are "
                + "%.2f x one)", (Integer) dgemm.get("one_thread_rows"), one,
            (Integer) dgemm.get("threads"), (Double) dgemm.get("thread_scaling")));
      }
      for (Map<String, Object> r : rows) {
        if (r.get("network").equals(dgemm.get("network"))) {
          double g = (Double) r.get("gflops");
          r.put("dgemm_fraction", g / limit);
          b.append(String.format(Locale.ROOT, "; %s %.1f = %.0f%%", r.get("engine"), g,
              100 * g / limit));
        }
      }
      b.append('\n');
    }
    return b.toString();
  }

  /**
   * The line bench prints of its {@link CoreHandoff} figures, measured before the runs and after
   * them (h: "before" and "after", each a {@link CoreHandoff#measure} map).
   */
  public static String handoffLine(Map<?, ?> h) {
    Map<?, ?> before = (Map<?, ?>) h.get("before");
    Map<?, ?> after = (Map<?, ?>) h.get("after");
    return String.format(Locale.ROOT, "hand-off between cores: %,d doubles (%,d KB) written by one "
            + "thread and read by another take %.0f us before the runs and %.0f us after (%.1fx "
            + "and %.1fx the %.0f and %.0f us of one thread writing and reading them; far above 2x, "
            + "the cores do not share a cache and a step's hand-offs cost that much more)%n",
        (Integer) before.get("values"), (Long) before.get("bytes") / 1024,
        (Double) before.get("cross_us"), (Double) after.get("cross_us"),
        (Double) before.get("ratio"), (Double) after.get("ratio"),
        (Double) before.get("same_us"), (Double) after.get("same_us"));
  }

  /** Rows one epoch trains on: the sum of its batches. */
  private static long rowsPerEpoch(BatchSchedule schedule) {
    long rows = 0;
    for (int k = 0; k < schedule.stepsPerEpoch(); k++) {
      rows += schedule.batchRows(k);
    }
    return rows;
  }

  /** The median (of an even count, the mean of the middle two), NaN of none. */
  public static double median(double[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /**
   * The wall time of every timed step (the engine's sums and the driver's update, from one step's
   * end to the next one's within an epoch; an epoch's first step, which follows its evaluation
   * or the engine's start, is left out): its median, 90th and 99th percentile and mean tell a
   * step that is slow now and then from one that is slow throughout. Driver thread only.
   */
  public static final class StepClock implements io.gradspark.train.TrainingListener {
    private double[] ms = new double[1024];
    private int n;
    private long last;
    private int lastEpoch = -1;

    @Override
    public void onStep(int epoch, int step, int steps, double batchLoss, long rows) {
      long now = System.nanoTime();
      if (epoch == lastEpoch) {
        if (n == ms.length) {
          ms = Arrays.copyOf(ms, 2 * n);
        }
        ms[n++] = (now - last) / 1e6;
      }
      lastEpoch = epoch;
      last = now;
    }

    /** The q-quantile of sorted s, the nearest rank's; NaN for none. */
    private static double percentile(double[] s, double q) {
      return s.length == 0 ? Double.NaN
          : s[(int) Math.min(s.length - 1, Math.round(q * s.length))];
    }

    /** wall_step_ms_p50, _p90, _p99 and _mean of the steps timed (NaN without any). */
    public Map<String, Object> figures() {
      double[] s = Arrays.copyOf(ms, n);
      Arrays.sort(s);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("wall_step_ms_p50", median(s));
      m.put("wall_step_ms_p90", percentile(s, 0.9));
      m.put("wall_step_ms_p99", percentile(s, 0.99));
      m.put("wall_step_ms_mean", n == 0 ? Double.NaN : Arrays.stream(s).sum() / n);
      return m;
    }
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
    report.put("precision", spec.precision().configName());
    report.put("blas", TrainingJob.blasName());
    report.put("blas_library", TrainingJob.blasLibrary());
    report.put("blas_setting", spec.blas().configName());
    // what the choice measured at start (auto: every kind this JVM can run; forced: that one)
    report.put("blas_gflops", Blas.measured()
        .map(Blas.Measured::chosenGflops).orElse(Double.NaN));
    report.put("blas_measured", Blas.measured()
        .map(Blas.Measured::rates).orElse(""));
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
            + "epoch), %s, BLAS %s, %d cores%n%n", spec.network().describe(),
        spec.network().numParams(), schedule.rows(), schedule.batchSize(),
        schedule.stepsPerEpoch(), spec.precision().configName(), TrainingJob.blasName(),
        Runtime.getRuntime().availableProcessors()));
    String[] cols = {"engine", "s/epoch", "samples/s", "GFLOP/s", "step ms", "broadcast",
        "job", "compute", "merge", "destroy", "update", "overhead", "floor", "to target s",
        "steps", "test acc"};
    String[] keys = {"engine", "epoch_seconds_median", "samples_per_second", "gflops",
        "step_ms_median", "broadcast_ms", "job_ms", "compute_ms", "merge_ms", "destroy_ms",
        "update_ms_mean", "overhead_ms", "floor_ms", "seconds_to_target", "steps_to_target",
        "final_test_accuracy"};
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
        } else if (v instanceof Long n) {
          cell = Long.toString(n);
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
      if (r.get("wall_step_ms_p50") instanceof Double p50 && !p50.isNaN()) {
        b.append(String.format(Locale.ROOT, "%s: each step (sums and update) p50 %.3f ms, p90 "
            + "%.3f, p99 %.3f, mean %.3f%n", r.get("engine"), p50,
            (Double) r.get("wall_step_ms_p90"), (Double) r.get("wall_step_ms_p99"),
            (Double) r.get("wall_step_ms_mean")));
      }
    }
    for (Map<String, Object> r : rows) {
      if (r.get("exchange") instanceof String x) {
        b.append(String.format(Locale.ROOT, "%s: exchange %s, driver_bytes_per_step %.0f, "
            + "busiest_link_bytes_per_step %.0f%n", r.get("engine"), x,
            (Double) r.get("driver_bytes_per_step"),
            (Double) r.get("busiest_link_bytes_per_step")));
      }
    }
    for (Map<String, Object> r : rows) {
      if (r.get("cache_bytes_per_train_row") instanceof Double bytes) {
        b.append(String.format(Locale.ROOT, "%s: Spark cache %.0f bytes per training row%n",
            r.get("engine"), bytes));
      }
    }
    return b.toString();
  }
}
