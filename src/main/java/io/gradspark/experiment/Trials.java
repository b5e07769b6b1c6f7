package io.gradspark.experiment;

import io.gradspark.GradsparkException;
import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.EpochLine;
import io.gradspark.api.RunOutputs;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainedModel;
import io.gradspark.api.TrainingJob;
import io.gradspark.config.RunSpecs;
import io.gradspark.config.Settings;
import io.gradspark.eval.EpochStats;
import io.gradspark.io.RunFiles;
import io.gradspark.train.DivergedException;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

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
public final class Trials {
  private Trials() {}

  /** A metric of the statistics tables: summary key, label, and whether it is a fraction (%). */
  public record Metric(String key, String label, boolean percent) {}

  /** The final metrics summarised over trials, in table order. */
  public static final List<Metric> METRICS = List.of(
      new Metric("test_accuracy", "test accuracy", true),
      new Metric("test_loss", "test loss", false),
      new Metric("val_accuracy", "val accuracy", true),
      new Metric("train_seconds", "train seconds", false),
      new Metric("kept_epoch", "epochs kept", false));

  /** The per-trial columns of repeat.csv, in order. */
  public static final List<String> CSV_COLUMNS = List.of("trial", "seed", "status", "test_accuracy",
      "test_loss", "val_accuracy", "val_loss", "train_loss", "epochs", "kept_epoch", "steps",
      "train_seconds", "wall_seconds");

  /**
   * The settings of every trial, read and checked before any training: a bad setting is refused
   * before anything runs. {@code source} names the config in outputs.
   */
  public record Plan(String name, String source, List<String> sets, List<Settings> settings,
      List<RunSpec> specs, Datasets data) {
    public int trials() {
      return specs.size();
    }

    public RunSpec first() {
      return specs.get(0);
    }
  }

  /**
   * Plans {@code trials} trainings of config with overrides sets; trial i uses seed + i. The data
   * is prepared once (its files' headers read) and shared by every trial.
   */
  /**
   * The most trials one plan may hold: each is a full training with its own files and a line of
   * the table, and a plan is built (every trial's settings read) before the first one starts, so
   * a mistyped count would print nothing for minutes and then run for months.
   */
  public static final int MAX_TRIALS = 10_000;

  /** Refuses a trial count below 1 or above {@link #MAX_TRIALS}. */
  public static void checkTrials(int trials) {
    if (trials < 1) {
      throw new GradsparkException("--trials must be >= 1 but was " + trials, "e.g. --trials 3");
    }
    if (trials > MAX_TRIALS) {
      throw new GradsparkException("--trials must be at most " + MAX_TRIALS + " but was "
          + trials, "e.g. --trials 30; more than " + MAX_TRIALS + " trials of one config is a"
              + " sweep of several runs");
    }
  }

  public static Plan plan(Path config, List<String> sets, int trials, String defaultName) {
    checkTrials(trials);
    RunSpecs.Run base = RunSpecs.load(config, sets, defaultName);
    long seed = base.spec().seed();
    List<Settings> settings = new ArrayList<>();
    List<RunSpec> specs = new ArrayList<>();
    for (int i = 0; i < trials; i++) {
      List<String> s = new ArrayList<>(sets);
      s.add("training.seed=" + (seed + i));
      settings.add(Settings.load(config, s));
      specs.add(base.spec().withSeed(seed + i));
    }
    return new Plan(base.spec().name(), config.toString(), List.copyOf(sets),
        List.copyOf(settings), List.copyOf(specs), base.datasets());
  }

  /**
   * What one trial produced. A trial that failed with an error the user can fix (it diverged, or
   * the data is bad) has status "diverged: ..." or "failed: ...", the failure, and an empty
   * history; the metrics of a failed trial are NaN.
   */
  public record TrialResult(int trial, long seed, String status, GradsparkException failure,
      List<EpochStats> history, int keptEpoch, Map<String, Object> summary, double[] params) {

    public boolean ok() {
      return failure == null;
    }

    /** A numeric summary value, NaN when absent. */
    public double metric(String key) {
      return summary.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
  }

  /**
   * All trials of a plan, in trial order, with how they ran: at most parallel at a time, from
   * System.nanoTime() started to ended.
   */
  public record Outcome(Plan plan, List<TrialResult> results, int parallel, String engine,
      long started, long ended) {

    public Outcome(Plan plan, List<TrialResult> results, int parallel, double wallSeconds,
        String engine) {
      this(plan, results, parallel, engine, 0, Math.round(wallSeconds * 1e9));
    }

    public double wallSeconds() {
      return (ended - started) / 1e9;
    }

    public Stats stats(String key) {
      return Stats.of(results.stream().mapToDouble(r -> r.metric(key)).toArray());
    }

    public int failed() {
      return (int) results.stream().filter(r -> !r.ok()).count();
    }

    public boolean anyDiverged() {
      return results.stream().anyMatch(r -> r.failure() instanceof DivergedException);
    }

    /** "ok", "failed: ..." (every trial failed) or "k of R failed: ..." (some did). */
    public String status() {
      int f = failed();
      if (f == 0) {
        return "ok";
      }
      String first = results.stream().filter(r -> !r.ok()).findFirst().orElseThrow().status();
      return f == results.size() ? first : f + " of " + results.size() + " trials " + first;
    }

    /** The statistics of {@link #METRICS} as a JSON object. */
    public Map<String, Object> statsMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      for (Metric metric : METRICS) {
        m.put(metric.key(), stats(metric.key())); // a record: written as {n, mean, std, min, max}
      }
      return m;
    }

    /** Settings, per-trial rows and statistics: the content of repeat.json. */
    public Map<String, Object> toJson() {
      RunSpec s = plan.first();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", plan.name());
      m.put("config", plan.source());
      m.put("sets", plan.sets());
      m.put("network", s.network().describe());
      m.put("parameters", s.network().numParams());
      m.put("optimizer", s.optimizer().toString());
      m.put("batch_size", s.batchSize());
      m.put("max_epochs", s.epochs());
      m.put("engine", engine);
      m.put("trials", results.size());
      m.put("parallel", parallel);
      m.put("status", status());
      m.put("wall_seconds", wallSeconds());
      m.put("blas", TrainingJob.blasName());
      m.put("blas_library", TrainingJob.blasLibrary());
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
    public String csv() {
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

  /**
   * Runs every trial of the plan on engines; writes each trial's files to dir/trial-i when dir is
   * not null. parallel: trials at a time, 0 for as many as fit side by side.
   */
  public static Outcome run(Plan plan, Engines engines, int parallel, Path dir, String label) {
    long started = System.nanoTime();
    RunSpec first = plan.first();
    int p = parallel > 0 ? Math.min(parallel, plan.trials())
        : Math.max(1, Math.min(engines.concurrentTrials(first), plan.trials()));
    String engine = engineName(first, engines);
    System.out.printf(Locale.ROOT, "%s%d trial%s of %s (%s, %,d parameters), seeds %d..%d, %s, "
            + "%d at a time%n", label, plan.trials(), plan.trials() == 1 ? "" : "s", plan.name(),
        first.network().describe(), first.network().numParams(), first.seed(),
        plan.specs().get(plan.trials() - 1).seed(), engine, p);
    if (p > 1) {
      return runAll(List.of(plan), List.of(engines), p, Collections.singletonList(dir),
          List.of(label)).get(0);
    }
    List<TrialResult> results = new ArrayList<>();
    for (int i = 0; i < plan.trials(); i++) {
      results.add(trial(plan, i, engines, dir, label));
    }
    return new Outcome(plan, List.copyOf(results), p, engine, started, System.nanoTime());
  }

  /**
   * Runs the trials of several plans in one pool of {@code threads} threads, the costliest trials
   * first ({@link #cost}), so that one long trial does not leave the other threads idle at the
   * end: plans.get(k) runs on engines.get(k), its trials' files in dirs.get(k) (null: none). Each
   * plan's outcome counts its wall time from its first trial's start to its last one's end. The
   * results are those of {@link #run}: a trial depends only on its seed and partitioning.
   */
  public static List<Outcome> runAll(List<Plan> plans, List<Engines> engines, int threads,
      List<Path> dirs, List<String> labels) {
    List<Task> tasks = schedule(plans);
    int p = Math.max(1, Math.min(threads, tasks.size()));
    long[] first = new long[plans.size()];
    long[] last = new long[plans.size()];
    Arrays.fill(first, Long.MAX_VALUE);
    AtomicInteger names = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(p, r -> {
      Thread t = new Thread(r, "gradspark-trial-" + names.getAndIncrement());
      t.setDaemon(true);
      return t;
    });
    List<List<Future<TrialResult>>> futures = new ArrayList<>();
    for (int k = 0; k < plans.size(); k++) {
      futures.add(new ArrayList<>(Collections.nCopies(plans.get(k).trials(), null)));
    }
    try {
      for (Task t : tasks) {
        futures.get(t.plan()).set(t.trial(), pool.submit(() -> {
          long start = System.nanoTime();
          synchronized (first) {
            first[t.plan()] = Math.min(first[t.plan()], start);
          }
          TrialResult r = trial(plans.get(t.plan()), t.trial(), engines.get(t.plan()),
              dirs.get(t.plan()), labels.get(t.plan()));
          synchronized (first) {
            last[t.plan()] = Math.max(last[t.plan()], System.nanoTime());
          }
          return r;
        }));
      }
      List<Outcome> outcomes = new ArrayList<>();
      for (int k = 0; k < plans.size(); k++) {
        List<TrialResult> results = new ArrayList<>();
        for (Future<TrialResult> f : futures.get(k)) {
          results.add(f.get());
        }
        Plan plan = plans.get(k);
        outcomes.add(new Outcome(plan, List.copyOf(results), p,
            engineName(plan.first(), engines.get(k)), first[k], last[k]));
      }
      return outcomes;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GradsparkException("Interrupted while trials were running");
    } catch (ExecutionException e) {
      throw rethrow(e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Trial {@code trial} of plans.get(plan), which costs {@code cost} ({@link #cost}). */
  record Task(int plan, int trial, double cost) {}

  /** The order {@link #runAll} submits the trials of plans in: the costliest first. */
  static List<Task> schedule(List<Plan> plans) {
    List<Task> tasks = new ArrayList<>();
    for (int k = 0; k < plans.size(); k++) {
      for (int i = 0; i < plans.get(k).trials(); i++) {
        tasks.add(new Task(k, i, cost(plans.get(k))));
      }
    }
    tasks.sort((a, b) -> Double.compare(b.cost(), a.cost()));
    return tasks;
  }

  /**
   * A trial's relative cost, to run the costliest first: its epochs times the rows it reads per
   * epoch times what a row costs (reading its features plus the network's multiply-adds).
   */
  static double cost(Plan plan) {
    RunSpec s = plan.first();
    Datasets d = plan.data();
    double rows = d.train().rows() + (d.validation() == null ? 0 : d.validation().rows())
        + (d.test() == null ? 0 : d.test().rows());
    return (double) s.epochs() * rows * (4.0 * s.network().inputSize() + s.network().numParams());
  }

  private static String engineName(RunSpec spec, Engines engines) {
    return spec.engine() == RunSpec.Engine.SPARK ? "spark " + engines.master() : "local";
  }

  private static RuntimeException rethrow(ExecutionException e) {
    Throwable cause = e.getCause();
    if (cause instanceof RuntimeException re) {
      return re;
    }
    if (cause instanceof Error err) {
      throw err;
    }
    return new IllegalStateException(cause);
  }

  /** One trial, in this thread, as trial-i of the engines (its own Spark scheduler pool). */
  private static TrialResult trial(Plan plan, int i, Engines engines, Path dir, String label) {
    return engines.asTrial("trial-" + i, () -> trialInPool(plan, i, engines, dir, label));
  }

  private static TrialResult trialInPool(Plan plan, int i, Engines engines, Path dir,
      String label) {
    RunSpec spec = plan.specs().get(i);
    long started = System.nanoTime();
    String prefix = String.format(Locale.ROOT, "%strial %d (seed %d) ", label, i, spec.seed());
    TrainingListener log = new TrainingListener() {
      @Override
      public void onEpoch(EpochStats s) {
        System.out.println(prefix + EpochLine.of(s, spec.epochs(),
            spec.data().weightedLoss()));
      }
    };
    try (TrainingJob job = TrainingJob.start(spec, engines.over(spec, plan.data()),
        plan.source())) {
      TrainedModel model = job.fit(log, Trainer.Checkpoints.NONE);
      Map<String, Object> summary = trialSummary(i, spec, "ok", model.summary(), started);
      Trainer.Result r = model.result();
      TrialResult result = new TrialResult(i, spec.seed(), "ok", null, r.history(),
          r.keptEpoch(), summary, model.parameters());
      if (dir != null) {
        Path d = dir.resolve("trial-" + i);
        RunOutputs.write(d, spec.name() + " trial " + i + " (seed " + spec.seed() + ")", model,
            plan.settings().get(i).render(), false);
        RunFiles.writeJson(d.resolve("summary.json"), summary);
      }
      return result;
    } catch (RuntimeException e) {
      GradsparkException g = GradsparkException.find(e);
      if (g == null) {
        throw e;
      }
      String status = (g instanceof DivergedException ? "diverged: " : "failed: ")
          + g.getMessage();
      System.out.printf(Locale.ROOT, "%strial %d (seed %d) %s%n", label, i, spec.seed(), status);
      Map<String, Object> summary = trialSummary(i, spec, status, null, started);
      if (dir != null) {
        RunFiles.writeJson(dir.resolve("trial-" + i).resolve("summary.json"), summary);
      }
      return new TrialResult(i, spec.seed(), status, g, List.of(), 0, summary, null);
    }
  }

  /**
   * A trial's summary.json: trial, seed and status first, then the run's summary (null for a
   * failed trial: its network and settings only).
   */
  private static Map<String, Object> trialSummary(int i, RunSpec spec, String status,
      Map<String, Object> run, long started) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("trial", i);
    m.put("seed", spec.seed());
    m.put("status", status);
    if (run != null) {
      m.putAll(run);
    } else {
      m.put("epochs", null);
      m.put("engine", spec.engine().configName());
      m.put("network", spec.network().describe());
      m.put("parameters", spec.network().numParams());
      m.put("max_epochs", spec.epochs());
    }
    m.put("wall_seconds", (System.nanoTime() - started) / 1e9);
    return m;
  }

  /** The per-trial rows and the statistics of an outcome, as printed by repeat. */
  public static String table(Outcome o) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%n%5s %8s  %-10s %9s %10s %9s %7s %9s%n", "trial", "seed",
        "status", "test acc", "test loss", "val acc", "epochs", "train s"));
    for (TrialResult r : o.results()) {
      b.append(String.format(Locale.ROOT, "%5d %8d  %-10s %9s %10s %9s %7s %9s%n", r.trial(),
          r.seed(), Format.statusWord(r.status()),
          Format.metric(r.metric("test_accuracy"), true),
          Format.metric(r.metric("test_loss"), false), Format.metric(r.metric("val_accuracy"), true),
          r.ok() ? r.keptEpoch() + "/" + r.history().size() : "-",
          Format.metric(r.metric("train_seconds"), false)));
    }
    b.append(String.format(Locale.ROOT, "%n%-14s %10s %10s %10s %10s %4s%n", "metric", "mean",
        "std", "min", "max", "n"));
    for (Metric m : METRICS) {
      Stats s = o.stats(m.key());
      if (s.n() == 0) {
        continue;
      }
      b.append(String.format(Locale.ROOT, "%-14s %10s %10s %10s %10s %4d%n", m.label(),
          Format.metric(s.mean(), m.percent()), Format.metric(s.std(), m.percent()),
          Format.metric(s.min(), m.percent()), Format.metric(s.max(), m.percent()), s.n()));
    }
    return b.toString();
  }
}
