package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.eval.EpochStats;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.ModelFile;
import io.gradspark.io.Plots;
import io.gradspark.io.RunFiles;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DivergedException;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.LocalEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Repeated trainings of one configuration that differ only in the seed: trial i trains with
 * {@code training.seed + i}, which changes the initialisation and the batch order and nothing else
 * (the data, its split and the partitioning stay). What repeat, sweep and report have in common.
 *
 * <p>Trials can run at the same time, one driver thread each. On Spark they share the one
 * SparkContext (Spark allows one per JVM) and each thread submits its jobs in its own scheduler pool
 * {@code trial-i}, so that with {@code spark.scheduler.mode=FAIR} concurrent trials share the
 * executors instead of queueing behind each other; with the local engine they are plain threads
 * sharing the loaded (read-only) data. A trial's result depends only on its seed and partitioning,
 * never on what runs beside it, so running in parallel or one after another gives bit-identical
 * results.
 */
final class Trials {
  /** The Spark scheduler pool property, set per trial thread. */
  static final String POOL = "spark.scheduler.pool";

  private Trials() {}

  /** A metric of the statistics tables: summary key, label, and whether it is a fraction (%). */
  record Metric(String key, String label, boolean percent) {}

  /** The final metrics summarised over trials, in table order. */
  static final List<Metric> METRICS = List.of(
      new Metric("test_accuracy", "test accuracy", true),
      new Metric("test_loss", "test loss", false),
      new Metric("val_accuracy", "val accuracy", true),
      new Metric("train_seconds", "train seconds", false),
      new Metric("kept_epoch", "epochs kept", false));

  /** The per-trial columns of repeat.csv, in order. */
  static final List<String> CSV_COLUMNS = List.of("trial", "seed", "status", "test_accuracy",
      "test_loss", "val_accuracy", "val_loss", "train_loss", "epochs", "kept_epoch", "steps",
      "train_seconds", "wall_seconds");

  /**
   * The settings of every trial, read and checked before any training: a bad setting is refused
   * before anything runs. {@code source} names the config in outputs.
   */
  record Plan(String name, String source, List<String> sets, List<RunSpec> specs) {
    int trials() {
      return specs.size();
    }

    RunSpec first() {
      return specs.get(0);
    }
  }

  /** Plans {@code trials} trainings of config with overrides sets; trial i uses seed + i. */
  static Plan plan(Path config, List<String> sets, int trials, String defaultName) {
    if (trials < 1) {
      throw new GradsparkException("--trials must be >= 1 but was " + trials, "e.g. --trials 3");
    }
    ConfigLoader base = ConfigLoader.load(config, sets);
    long seed = base.longValue("training.seed");
    List<RunSpec> specs = new ArrayList<>();
    for (int i = 0; i < trials; i++) {
      List<String> s = new ArrayList<>(sets);
      s.add("training.seed=" + (seed + i));
      RunSpec spec = new RunSpec(ConfigLoader.load(config, s), defaultName);
      if (patience(spec) > 0 && spec.validation == null) {
        throw spec.config.bad("training.early-stopping.patience",
            "0 when there is no validation set (set data.validation.holdout)");
      }
      specs.add(spec);
    }
    return new Plan(specs.get(0).name, config.toString(), List.copyOf(sets), List.copyOf(specs));
  }

  private static int patience(RunSpec spec) {
    return spec.config.integer("training.early-stopping.patience", 0, Integer.MAX_VALUE);
  }

  /**
   * What one trial produced. A trial that failed with an error the user can fix (it diverged, or
   * the data is bad) has status "diverged: ..." or "failed: ...", the failure, and an empty
   * history; the metrics of a failed trial are NaN.
   */
  record TrialResult(int trial, long seed, String status, GradsparkException failure,
      List<EpochStats> history, int keptEpoch, Map<String, Object> summary, double[] params) {

    boolean ok() {
      return failure == null;
    }

    /** A numeric summary value, NaN when absent. */
    double metric(String key) {
      return summary.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
  }

  /** All trials of a plan, in trial order, with how they ran. */
  record Outcome(Plan plan, List<TrialResult> results, int parallel, double wallSeconds,
      String engine) {

    Stats stats(String key) {
      return Stats.of(results.stream().mapToDouble(r -> r.metric(key)).toArray());
    }

    int failed() {
      return (int) results.stream().filter(r -> !r.ok()).count();
    }

    boolean anyDiverged() {
      return results.stream().anyMatch(r -> r.failure() instanceof DivergedException);
    }

    /** "ok", "failed: ..." (every trial failed) or "k of R failed: ..." (some did). */
    String status() {
      int f = failed();
      if (f == 0) {
        return "ok";
      }
      String first = results.stream().filter(r -> !r.ok()).findFirst().orElseThrow().status();
      return f == results.size() ? first : f + " of " + results.size() + " trials " + first;
    }

    /** The statistics of {@link #METRICS} as a JSON object. */
    Map<String, Object> statsMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      for (Metric metric : METRICS) {
        m.put(metric.key(), stats(metric.key()).toMap());
      }
      return m;
    }

    /** Settings, per-trial rows and statistics: the content of repeat.json. */
    Map<String, Object> toJson() {
      RunSpec s = plan.first();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", plan.name());
      m.put("config", plan.source());
      m.put("sets", plan.sets());
      m.put("network", s.net.describe());
      m.put("parameters", s.net.numParams());
      m.put("optimizer", s.optimizerDescription);
      m.put("batch_size", s.batchSize);
      m.put("max_epochs", s.epochs);
      m.put("engine", engine);
      m.put("trials", results.size());
      m.put("parallel", parallel);
      m.put("status", status());
      m.put("wall_seconds", wallSeconds);
      m.put("blas", Engines.blasName());
      m.put("finished_at", Instant.now().toString());
      m.put("stats", statsMap());
      List<Map<String, Object>> rows = new ArrayList<>();
      for (TrialResult r : results) {
        rows.add(r.summary());
      }
      m.put("per_trial", rows);
      return m;
    }

    /** repeat.csv: one row per trial, {@link #CSV_COLUMNS}; a missing value is an empty cell. */
    String csv() {
      StringBuilder b = new StringBuilder(String.join(",", CSV_COLUMNS)).append('\n');
      for (TrialResult r : results) {
        List<String> cells = new ArrayList<>();
        for (String c : CSV_COLUMNS) {
          Object v = r.summary().get(c);
          cells.add(v == null || v instanceof Double d && !Double.isFinite(d) ? ""
              : v instanceof String str ? Csv.quote(str) : String.valueOf(v));
        }
        b.append(String.join(",", cells)).append('\n');
      }
      return b.toString();
    }
  }

  /** Runs every trial of the plan; writes each trial's files to dir/trial-i when dir is not null. */
  static Outcome run(Plan plan, SparkHolder spark, int parallel, Path dir, String label) {
    long started = System.nanoTime();
    RunSpec first = plan.first();
    boolean onSpark = first.engine.equals("spark");
    JavaSparkContext sc = onSpark ? spark.sc() : null;
    int p = parallel > 0 ? Math.min(parallel, plan.trials()) : autoParallel(plan, sc);
    LocalData data = onSpark ? null : new LocalData(first);
    String engine = onSpark ? "spark " + sc.master() : "local";
    System.out.printf(Locale.ROOT, "%s%d trial%s of %s (%s, %,d parameters), seeds %d..%d, %s, "
            + "%d at a time%n", label, plan.trials(), plan.trials() == 1 ? "" : "s", plan.name(),
        first.net.describe(), first.net.numParams(), first.seed,
        plan.specs().get(plan.trials() - 1).seed, engine, p);
    List<TrialResult> results = new ArrayList<>();
    if (p == 1) {
      for (int i = 0; i < plan.trials(); i++) {
        results.add(trial(plan, i, sc, data, dir, label));
      }
    } else {
      AtomicInteger threads = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(p, r -> {
        Thread t = new Thread(r, "gradspark-trial-" + threads.getAndIncrement());
        t.setDaemon(true);
        return t;
      });
      try {
        List<Future<TrialResult>> futures = new ArrayList<>();
        for (int i = 0; i < plan.trials(); i++) {
          int trial = i;
          futures.add(pool.submit(() -> trial(plan, trial, sc, data, dir, label)));
        }
        for (Future<TrialResult> f : futures) {
          results.add(f.get());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new GradsparkException("Interrupted while trials were running");
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException re) {
          throw re;
        }
        if (cause instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException(cause);
      } finally {
        pool.shutdownNow();
      }
    }
    return new Outcome(plan, List.copyOf(results), p, (System.nanoTime() - started) / 1e9, engine);
  }

  /**
   * Trials at a time when --parallel is not given: on Spark, as many as fit side by side in the
   * cluster's cores at training.partitions each (with the default of one partition per core, one:
   * the cluster has no room for a second); locally, one per core.
   */
  static int autoParallel(Plan plan, JavaSparkContext sc) {
    RunSpec s = plan.first();
    int fit;
    if (sc != null) {
      int slots = sc.defaultParallelism();
      fit = slots / (s.partitions > 0 ? s.partitions : slots);
    } else {
      fit = Runtime.getRuntime().availableProcessors();
    }
    return Math.max(1, Math.min(fit, plan.trials()));
  }

  /** One trial, in this thread; its Spark jobs go to the scheduler pool trial-i. */
  private static TrialResult trial(Plan plan, int i, JavaSparkContext sc, LocalData data,
      Path dir, String label) {
    RunSpec spec = plan.specs().get(i);
    long started = System.nanoTime();
    String oldPool = sc == null ? null : sc.getLocalProperty(POOL);
    if (sc != null) {
      sc.setLocalProperty(POOL, "trial-" + i);
    }
    GradientEngine engine = null;
    try {
      BatchSchedule schedule = spec.schedule();
      engine = sc != null ? Engines.spark(sc, spec, schedule, spec.partitions, true)
          : data.engine(spec, schedule);
      String prefix = String.format(Locale.ROOT, "%strial %d (seed %d) ", label, i, spec.seed);
      TrainingListener log = new TrainingListener() {
        @Override
        public void onEpoch(EpochStats s) {
          System.out.println(prefix + Progress.epochLine(s, spec.epochs));
        }
      };
      double[] params = Engines.initialParameters(spec);
      Trainer.Result r = new Trainer(spec.optimizer(), spec.epochs, log, patience(spec))
          .fit(engine, params);
      Map<String, Object> summary = summary(i, spec, "ok", r, engine, started);
      TrialResult result = new TrialResult(i, spec.seed, "ok", null, r.history(), r.keptEpoch(),
          summary, params);
      if (dir != null) {
        write(dir.resolve("trial-" + i), spec, result);
      }
      return result;
    } catch (RuntimeException e) {
      GradsparkException g = GradsparkException.find(e);
      if (g == null) {
        throw e;
      }
      String status = (g instanceof DivergedException ? "diverged: " : "failed: ")
          + g.getMessage();
      System.out.printf(Locale.ROOT, "%strial %d (seed %d) %s%n", label, i, spec.seed, status);
      Map<String, Object> summary = summary(i, spec, status, null, engine, started);
      if (dir != null) {
        RunFiles.writeJson(dir.resolve("trial-" + i).resolve("summary.json"), summary);
      }
      return new TrialResult(i, spec.seed, status, g, List.of(), 0, summary, null);
    } finally {
      if (engine != null) {
        engine.close();
      }
      if (sc != null) {
        sc.setLocalProperty(POOL, oldPool);
        sc.setJobDescription(null);
      }
    }
  }

  /** A trial's summary.json; r is null for a failed trial. */
  private static Map<String, Object> summary(int i, RunSpec spec, String status,
      Trainer.Result r, GradientEngine engine, long started) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("trial", i);
    m.put("seed", spec.seed);
    m.put("status", status);
    if (r != null) {
      EpochStats kept = r.history().get(r.keptEpoch() - 1);
      m.put("test_accuracy", kept.testAccuracy());
      m.put("test_loss", kept.testLoss());
      m.put("val_accuracy", kept.valAccuracy());
      m.put("val_loss", kept.valLoss());
      m.put("train_loss", kept.trainLoss());
      m.put("epochs", r.history().size());
      m.put("kept_epoch", r.keptEpoch());
      m.put("steps", r.steps());
      m.put("train_seconds", r.trainSeconds());
    } else {
      m.put("epochs", null);
    }
    m.put("wall_seconds", (System.nanoTime() - started) / 1e9);
    m.put("engine", spec.engine);
    m.put("partitions",
        engine instanceof io.gradspark.spark.SparkEngine s ? s.partitions() : 1);
    m.put("network", spec.net.describe());
    m.put("parameters", spec.net.numParams());
    m.put("train_rows", spec.train.rows());
    m.put("validation_rows", spec.validation == null ? 0 : spec.validation.rows());
    m.put("test_rows", spec.test == null ? 0 : spec.test.rows());
    m.put("max_epochs", spec.epochs);
    // the settings' "epochs" is the most a trial may run; "epochs" above is what it ran
    spec.trainingSettings().forEach(m::putIfAbsent);
    return m;
  }

  /** A finished trial's files, as train writes them (without checkpoints and the confusion). */
  private static void write(Path dir, RunSpec spec, TrialResult r) {
    ModelFile.save(dir.resolve("model.npz"), spec.net, r.params(), spec.scale, spec.oneVsAll,
        Map.of("training", spec.trainingSettings()));
    RunFiles.writeHistoryCsv(dir.resolve("history.csv"), r.history());
    RunFiles.writeHistoryJson(dir.resolve("history.json"), r.history());
    RunFiles.writeJson(dir.resolve("summary.json"), r.summary());
    Plots.curves(dir.resolve("curves.png"), r.history(),
        spec.name + " trial " + r.trial() + " (seed " + r.seed() + "): " + spec.net.describe());
    byte[] conf = ("# Settings of this trial, merged\n" + spec.config.render())
        .getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(dir.resolve("config.conf"), "settings", os -> os.write(conf));
  }

  /**
   * The datasets of the local engine, loaded once and shared read-only by every trial of a plan
   * (all trials have the same data settings): MNIST is read and decompressed once, and parallel
   * trials do not hold one copy each.
   */
  private static final class LocalData {
    private final RunSpec spec;
    private RowBlock train;
    private RowBlock validation;
    private RowBlock test;

    LocalData(RunSpec spec) {
      this.spec = spec;
    }

    synchronized LocalEngine engine(RunSpec trialSpec, BatchSchedule schedule) {
      if (train == null) {
        train = all(spec.train);
        validation = all(spec.validation);
        test = all(spec.test);
      }
      return new LocalEngine(trialSpec.net, schedule, train, validation, test);
    }

    private static RowBlock all(RowSource s) {
      return s == null ? null : s.load(0, s.rows());
    }
  }

  /** The per-trial rows and the statistics of an outcome, as printed by repeat. */
  static String table(Outcome o) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%n%5s %8s  %-10s %9s %10s %9s %7s %9s%n", "trial", "seed",
        "status", "test acc", "test loss", "val acc", "epochs", "train s"));
    for (TrialResult r : o.results()) {
      b.append(String.format(Locale.ROOT, "%5d %8d  %-10s %9s %10s %9s %7s %9s%n", r.trial(),
          r.seed(), r.ok() ? "ok" : r.status().substring(0, r.status().indexOf(':')),
          fmt(r.metric("test_accuracy"), true), fmt(r.metric("test_loss"), false),
          fmt(r.metric("val_accuracy"), true),
          r.ok() ? r.keptEpoch() + "/" + r.history().size() : "-",
          fmt(r.metric("train_seconds"), false)));
    }
    b.append(String.format(Locale.ROOT, "%n%-14s %10s %10s %10s %10s %4s%n", "metric", "mean",
        "std", "min", "max", "n"));
    for (Metric m : METRICS) {
      Stats s = o.stats(m.key());
      if (s.n() == 0) {
        continue;
      }
      b.append(String.format(Locale.ROOT, "%-14s %10s %10s %10s %10s %4d%n", m.label(),
          fmt(s.mean(), m.percent()), fmt(s.std(), m.percent()), fmt(s.min(), m.percent()),
          fmt(s.max(), m.percent()), s.n()));
    }
    return b.toString();
  }

  /** A metric for tables: a fraction as a percentage with two decimals, else 4 significant. */
  static String fmt(double v, boolean percent) {
    if (!Double.isFinite(v)) {
      return "-";
    }
    if (percent) {
      return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }
    String s = Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.1f", v)
        : String.format(Locale.ROOT, "%.4g", v);
    // 3.000 epochs reads as 3
    return s.contains(".") && !s.contains("e") ? s.replaceAll("0+$", "").replaceAll("\\.$", "")
        : s;
  }

  /** A SparkContext started (or joined) only when a trial needs one; closed by the command. */
  static final class SparkHolder implements AutoCloseable {
    private final String master;
    private final String appName;
    private SparkSupport.Session session;

    SparkHolder(String master, String appName) {
      this.master = master;
      this.appName = appName;
    }

    synchronized JavaSparkContext sc() {
      if (session == null) {
        session = SparkSupport.session(master, appName);
      }
      return session.sc();
    }

    @Override
    public synchronized void close() {
      if (session != null) {
        session.close();
        session = null;
      }
    }
  }
}
