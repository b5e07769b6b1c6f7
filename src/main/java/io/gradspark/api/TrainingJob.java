package io.gradspark.api;

import io.gradspark.GradsparkException;
import io.gradspark.eval.EpochStats;
import io.gradspark.io.CheckpointFile;
import io.gradspark.io.ModelFile;
import io.gradspark.nn.Blas;
import io.gradspark.nn.Network;
import io.gradspark.optim.Optimizer;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import io.gradspark.train.TrainingState;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One training run, the pipeline every command goes through: {@link #start} builds the optimizer,
 * the starting parameters (seeded, from a model file, or from a checkpoint) and the engine (which
 * loads and checks the data); {@link #fit} runs the {@link Trainer} loop and returns the
 * {@link TrainedModel} with its summary. Close the job to free the engine's cached data.
 *
 * <pre>{@code
 * try (TrainingJob job = TrainingJob.start(spec, Engines.local().over(spec, data), "my-app")) {
 *   TrainedModel model = job.fit(TrainingListener.NONE, Trainer.Checkpoints.NONE);
 *   model.save(Path.of("model.npz"));
 * }
 * }</pre>
 */
public final class TrainingJob implements AutoCloseable {
  private final RunSpec spec;
  private final EngineSource source;
  private final String configSource;
  private final Optimizer optimizer;
  private final double[] params;
  private final TrainingState position;
  private final BatchSchedule schedule;
  private final GradientEngine engine;

  private TrainingJob(RunSpec spec, EngineSource source, String configSource,
      CheckpointFile.Loaded resume) {
    this.spec = spec;
    this.source = source;
    this.configSource = configSource;
    Network net = spec.network();
    checkMemory(spec, Runtime.getRuntime().maxMemory(), source.sparse());
    chooseBlas(net, spec.batchSize(), spec.blas());
    Blas.warmUpCalls(); // compiled while the data loads, not beside the first epoch's steps
    // the linear scaling rule scales by the batch as used: one larger than the data is capped
    this.schedule = spec.schedule(source.rows(DataSplit.TRAIN));
    this.optimizer = spec.optimizer().forBatch(spec.batchSize(), schedule.batchSize()).build(net);
    if (resume != null) {
      this.params = resume.params();
      this.position = resume.state(); // the optimizer's state is part of it
    } else {
      this.params = initialParameters(spec);
      this.position = TrainingState.START;
    }
    this.engine = source.create(schedule);
  }

  /**
   * A fresh run: seeded parameters (or spec.initFrom()), the engine up and its data checked.
   * configSource names the settings in outputs (a config file, or the application's name).
   */
  public static TrainingJob start(RunSpec spec, EngineSource source, String configSource) {
    return new TrainingJob(spec, source, configSource, null);
  }

  /** A run continued from a checkpoint of the same spec; ends bit-identical to an unbroken run. */
  public static TrainingJob resume(RunSpec spec, EngineSource source, String configSource,
      CheckpointFile.Loaded from) {
    return new TrainingJob(spec, source, configSource, from);
  }

  public RunSpec spec() {
    return spec;
  }

  public GradientEngine engine() {
    return engine;
  }

  public BatchSchedule schedule() {
    return schedule;
  }

  /** Whether the job continues a checkpoint. */
  public boolean resumed() {
    return position != TrainingState.START;
  }

  /**
   * Trains to the end (or to early stopping) and returns the model. A run that diverges throws
   * {@link io.gradspark.train.DivergedException}, which carries the last finite parameters.
   */
  public TrainedModel fit(TrainingListener listener, Trainer.Checkpoints checkpoints) {
    long started = System.nanoTime();
    Trainer trainer = new Trainer(optimizer, spec.epochs(), listener, spec.patience());
    Trainer.Result r = trainer.fit(engine, params, position, checkpoints);
    Map<String, Object> settings = spec.trainingSettings(configSource);
    return new TrainedModel(spec.network(), params.clone(), spec.data().scale(),
        spec.data().oneVsAll(), settings, r, summary(r, settings, started));
  }

  /** What summary.json says of a finished run: the kept epoch's metrics, then the run's facts. */
  private Map<String, Object> summary(Trainer.Result r, Map<String, Object> settings,
      long started) {
    List<EpochStats> h = r.history();
    EpochStats kept = h.get(r.keptEpoch() - 1);
    long rows = 0;
    for (EpochStats s : h) {
      rows += Math.round(s.samplesPerSecond() * s.seconds());
    }
    Network net = spec.network();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("test_accuracy", kept.testAccuracy());
    m.put("test_loss", kept.testLoss());
    m.put("val_accuracy", kept.valAccuracy());
    m.put("val_loss", kept.valLoss());
    m.put("train_loss", kept.trainLoss());
    // whether train_loss is sum_i w_i loss_i / sum_i w_i (class or row weights); val and test
    // losses are per-row means either way
    m.put("train_loss_weighted", spec.data().weightedLoss());
    m.put("epochs", h.size());
    m.put("kept_epoch", r.keptEpoch());
    m.put("steps", r.steps());
    m.put("train_seconds", r.trainSeconds());
    m.put("samples_per_second", rows / r.trainSeconds());
    m.put("fit_seconds", (System.nanoTime() - started) / 1e9);
    m.put("engine", spec.engine().configName());
    m.put("partitions", engine.partitions());
    m.put("master", source.master());
    m.put("network", net.describe());
    m.put("parameters", net.numParams());
    m.put("train_rows", source.rows(DataSplit.TRAIN));
    m.put("validation_rows", source.rows(DataSplit.VALIDATION));
    m.put("test_rows", source.rows(DataSplit.TEST));
    m.put("max_epochs", spec.epochs());
    m.putAll(engine.dataFigures());
    m.put("blas", blasName());
    m.put("blas_library", blasLibrary());
    m.put("blas_gflops", Blas.measured().map(Blas.Measured::chosenGflops).orElse(Double.NaN));
    m.put("finished_at", Instant.now().toString());
    // the settings fill in only what was not measured: "epochs" is the epochs run (fewer than
    // the spec's epochs when training stopped early)
    settings.forEach(m::putIfAbsent);
    return m;
  }

  /**
   * Refuses a network whose training would not fit the heap, before anything is allocated (an
   * OutOfMemoryError would come after minutes of work, or not at all in a clean way). Counted
   * conservatively: the parameters, the gradient, the optimizer's buffers (1 for sgd, rmsprop
   * and adagrad, 2 for adam and adamw), two copies (a broadcast or checkpoint, the trained
   * model), and per running task the layer buffers of a chunk of up to 1,024 rows (activations,
   * pre-activations and deltas, and with dropout its factors and dropped activations) and a
   * gradient. sparseRows: the training rows are compressed sparse rows, so no task fills a
   * batch matrix of chunk x features (at 100,000 features that alone would be 800 KB a row).
   */
  public static void checkMemory(RunSpec spec, long maxHeap, boolean sparseRows) {
    Network net = spec.network();
    long params = net.numParams();
    long units = 0;
    for (int s : net.sizes()) {
      units += s;
    }
    if (sparseRows) {
      units -= net.inputSize();
    }
    long chunk = Math.min(1024, spec.batchSize());
    long tasks = Math.max(1, Runtime.getRuntime().availableProcessors());
    long buffers = spec.optimizer().method().buffers().size();
    long layerBuffers = net.hasDropout() ? 5 : 3;
    long need = 8 * ((4 + buffers) * params + tasks * (params + layerBuffers * chunk * units));
    if (need > maxHeap) {
      throw new GradsparkException(String.format(java.util.Locale.ROOT,
          "The network %s has %,d parameters: training it needs about %.1f GiB of memory "
              + "(parameters, gradient, optimizer velocity, copies, per-task buffers) but this "
              + "JVM may use %.1f GiB", net.describe(), params, need / 1073741824.0,
          maxHeap / 1073741824.0),
          String.format(java.util.Locale.ROOT, "give the driver a heap of at least %d GiB "
              + "(JAVA_OPTS=-Xmx%dg for submit/gradspark; spark.driver.memory with "
              + "spark-submit), or make model.layers smaller",
              need / 1073741824L + 1, need / 1073741824L + 1));
    }
  }

  /** Random initialisation from the seed, or spec.initFrom() (which must match the layers). */
  public static double[] initialParameters(RunSpec spec) {
    Network net = spec.network();
    if (spec.initFrom().isEmpty()) {
      return net.initialParameters(spec.init(), spec.seed());
    }
    ModelFile.Loaded m = ModelFile.load(spec.initFrom()); // local, or any Hadoop path
    if (!Arrays.equals(m.net().sizes(), net.sizes())) {
      throw new GradsparkException("the model file " + spec.initFrom() + " to start from has layers "
          + Arrays.toString(m.net().sizes()) + " but the network has "
          + Arrays.toString(net.sizes()), "make the network's layers match the model file");
    }
    return m.params();
  }

  /** Seconds each BLAS implementation is timed for (in rounds) when the JVM's first training starts. */
  private static final double BLAS_PROBE_SECONDS = 0.2;

  /**
   * Installs the BLAS of training.blas: forced, or (auto) the fastest by a short measurement of
   * the network's shapes (once per JVM: see {@link Blas#choose}), a slow pick said on stderr
   * once, with how to get a fast one. Refuses a forced kind this JVM cannot run, naming those it
   * can.
   */
  private static void chooseBlas(Network net, int batchSize, RunSpec.BlasSetting setting) {
    boolean first = Blas.measured().isEmpty();
    Blas.Measured m = Blas.choose(net, io.gradspark.train.Batches.matrixRows(batchSize),
        BLAS_PROBE_SECONDS, setting.kind());
    if (first && setting == RunSpec.BlasSetting.AUTO) {
      m.warning().ifPresent(System.err::println);
    }
  }

  /**
   * Which BLAS the math runs on: "native (FILE)" with the native library file loaded,
   * "vector" (Java vector API) or "java".
   */
  public static String blasName() {
    return Blas.describe();
  }

  /** The native library file that BLAS loaded, or "none (pure Java)": see Blas#library. */
  public static String blasLibrary() {
    return Blas.library();
  }

  /** Frees the engine's cached data (a SparkContext stays up: it belongs to the caller). */
  @Override
  public void close() {
    engine.close();
  }
}
