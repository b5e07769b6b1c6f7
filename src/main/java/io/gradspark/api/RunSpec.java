package io.gradspark.api;

import io.gradspark.GradsparkException;
import io.gradspark.Span;
import io.gradspark.data.ClassWeights;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.Adagrad;
import io.gradspark.optim.Adam;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.optim.Optimizer.Method;
import io.gradspark.optim.RmsProp;
import io.gradspark.train.BatchSchedule;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a training run is, typed and immutable: the network and its initialisation, the
 * optimizer and its schedule, the batch schedule, epochs, early stopping, checkpoints, the engine
 * and how the data is prepared. Values are checked when the description is built, so a bad one is
 * refused before any data is read.
 *
 * <p>Built from a HOCON config by {@code io.gradspark.config.RunSpecs}, or in code:
 * <pre>{@code
 * RunSpec spec = RunSpec.builder(new Network(new int[] {784, 64, 10},
 *         List.of(Activation.SIGMOID), Head.SOFTMAX_CROSS_ENTROPY))
 *     .epochs(4).batchSize(256)
 *     .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.HEAVY_BALL, 0.9, 0,
 *         new LearningRateSchedule.Cosine(0.3, 0.003)))
 *     .prepare(RunSpec.DataPrep.scaledBy(1 / 255.0))
 *     .build();
 * }</pre>
 *
 * @param name names outputs and Spark jobs
 * @param network the layer sizes, activations and head
 * @param init the random initialisation (used unless initFrom is set)
 * @param initFrom a model file whose parameters start the run, or "" for none
 * @param seed seeds the initialisation and the batch order
 * @param epochs passes over the training rows, >= 1
 * @param batchSize rows per step, >= 1
 * @param shuffle a new seeded batch order every epoch (else file order)
 * @param dropLast drop the last, smaller batch of an epoch
 * @param optimizer the optimizer method and its settings, weight decay, clipping and
 *     learning-rate schedule
 * @param patience epochs without a better validation loss before stopping early; 0 never stops
 * @param checkpoints when checkpoints are written, and where
 * @param engine where the gradient sums are computed
 * @param partitions Spark partitions of each dataset; 0 means the context's default parallelism
 * @param storage how Spark caches the datasets
 * @param data how the rows are prepared before training (scale, one-vs-all, validation split)
 * @param sessions how Spark steps run: step sessions, their exchange, port and retries
 * @param blas which BLAS the matrix products run on: measured (auto) or forced
 */
public record RunSpec(String name, Network network, Initializer init, String initFrom, long seed,
    int epochs, int batchSize, boolean shuffle, boolean dropLast, Optimizer optimizer,
    int patience, Checkpoints checkpoints, Engine engine, int partitions, Storage storage,
    DataPrep data, Sessions sessions, BlasSetting blas) {

  /** As above with the BLAS chosen by measurement ({@link BlasSetting#AUTO}). */
  public RunSpec(String name, Network network, Initializer init, String initFrom, long seed,
      int epochs, int batchSize, boolean shuffle, boolean dropLast, Optimizer optimizer,
      int patience, Checkpoints checkpoints, Engine engine, int partitions, Storage storage,
      DataPrep data, Sessions sessions) {
    this(name, network, init, initFrom, seed, epochs, batchSize, shuffle, dropLast, optimizer,
        patience, checkpoints, engine, partitions, storage, data, sessions, BlasSetting.AUTO);
  }

  /** As above with the default step sessions ({@link Sessions#DEFAULT}). */
  public RunSpec(String name, Network network, Initializer init, String initFrom, long seed,
      int epochs, int batchSize, boolean shuffle, boolean dropLast, Optimizer optimizer,
      int patience, Checkpoints checkpoints, Engine engine, int partitions, Storage storage,
      DataPrep data) {
    this(name, network, init, initFrom, seed, epochs, batchSize, shuffle, dropLast, optimizer,
        patience, checkpoints, engine, partitions, storage, data, Sessions.DEFAULT);
  }

  public RunSpec {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(init, "init");
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(checkpoints, "checkpoints");
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(sessions, "sessions");
    Objects.requireNonNull(blas, "blas");
    name = name == null || name.isBlank() ? "run" : name.trim();
    initFrom = initFrom == null ? "" : initFrom.trim();
    atLeast("epochs", epochs, 1);
    atLeast("batch size", batchSize, 1);
    atLeast("patience", patience, 0);
    atLeast("partitions", partitions, 0);
    if (optimizer.schedule().plateau() != null && data.holdout() == 0
        && !data.validationGiven()) {
      throw new GradsparkException("the plateau schedule follows the validation loss, but the run "
          + "has no validation set", "hold out validation rows (data.validation.holdout), or "
          + "choose another optimizer.schedule");
    }
    if (patience > 0 && data.holdout() == 0 && !data.validationGiven()) {
      throw new GradsparkException("early stopping (patience " + patience
          + ") watches the validation loss, but the run has no validation set",
          "hold out validation rows (data.validation.holdout), or set the patience to 0");
    }
  }

  private static void atLeast(String what, long value, long min) {
    if (value < min) {
      throw new GradsparkException(what + " must be >= " + min + " but was " + value);
    }
  }

  /** The batch schedule over a training set of `rows` rows. */
  public BatchSchedule schedule(int rows) {
    return new BatchSchedule(rows, batchSize, seed, shuffle, dropLast);
  }

  /** The same description with another seed (trials of an experiment differ only in it). */
  public RunSpec withSeed(long newSeed) {
    return toBuilder().seed(newSeed).build();
  }

  /** The same description on another number of Spark partitions (0: the default parallelism). */
  public RunSpec withPartitions(int p) {
    return toBuilder().partitions(p).build();
  }

  /** The same description for another number of epochs. */
  public RunSpec withEpochs(int e) {
    return toBuilder().epochs(e).build();
  }

  /** The same description with a validation set given by the caller (not split from train). */
  public RunSpec withValidationGiven() {
    return toBuilder().prepare(data.withValidationGiven()).build();
  }

  /** A builder holding every value of this description. */
  public Builder toBuilder() {
    Builder b = new Builder(network);
    b.name = name;
    b.init = init;
    b.initFrom = initFrom;
    b.seed = seed;
    b.epochs = epochs;
    b.batchSize = batchSize;
    b.shuffle = shuffle;
    b.dropLast = dropLast;
    b.optimizer = optimizer;
    b.patience = patience;
    b.checkpoints = checkpoints;
    b.engine = engine;
    b.partitions = partitions;
    b.storage = storage;
    b.data = data;
    b.sessions = sessions;
    b.blas = blas;
    return b;
  }

  /**
   * The arithmetic of the training's passes ({@code training.precision}; the network's, see
   * {@link Network#withPrecision}): float32 computes with float rows and parameters, the
   * master parameters and optimizer state stay double.
   */
  public io.gradspark.nn.Precision precision() {
    return network.precision();
  }

  /** Settings recorded in model.json and summary.json. */
  public Map<String, Object> trainingSettings(String configSource) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epochs", epochs);
    m.put("precision", precision().configName());
    m.put("batch_size", batchSize);
    m.put("seed", seed);
    m.put("shuffle", shuffle);
    m.put("optimizer", optimizer.toString());
    m.put("optimizer_method", optimizer.method().configName());
    m.put("blas_setting", blas.configName());
    if (data.classWeights() != null) {
      m.put("class_weights", data.classWeights().toString());
    }
    if (network.hasDropout()) {
      double[] rates = new double[network.layers() - 1];
      for (int l = 0; l < rates.length; l++) {
        rates[l] = network.dropout(l);
      }
      m.put("dropout", java.util.Arrays.toString(rates));
    }
    m.put("config", configSource);
    return m;
  }

  public static Builder builder(Network network) {
    return new Builder(network);
  }

  /** Where gradient sums are computed. */
  public enum Engine {
    /** Spark partitions of each dataset, on local[*] or a cluster. */
    SPARK,
    /** This JVM, every row in memory. */
    LOCAL;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * {@code training.blas}: AUTO measures every implementation the JVM can run on the network's
   * shapes and takes the fastest ({@link io.gradspark.nn.Blas#choose}); the others force one
   * (refused, naming what is available, where it cannot run). The driver's choice is what the
   * executors install, whatever they would pick on their own.
   */
  public enum BlasSetting {
    AUTO(null),
    NATIVE(io.gradspark.nn.Blas.Kind.NATIVE),
    VECTOR(io.gradspark.nn.Blas.Kind.VECTOR),
    JAVA(io.gradspark.nn.Blas.Kind.JAVA);

    private final io.gradspark.nn.Blas.Kind kind;

    BlasSetting(io.gradspark.nn.Blas.Kind kind) {
      this.kind = kind;
    }

    /** The kind forced, or null for AUTO. */
    public io.gradspark.nn.Blas.Kind kind() {
      return kind;
    }

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Spark storage levels a run may cache its datasets at (names as Spark's StorageLevel). */
  public enum Storage { MEMORY_ONLY, MEMORY_AND_DISK, MEMORY_ONLY_SER, MEMORY_AND_DISK_SER }

  /**
   * How a step session's tasks bring their sums to the driver: AUTO picks from the bytes and P
   * (see {@code training.exchange} in reference.conf), STAR has every task send its sum to the
   * driver, TREE merges them on the tasks along the canonical tree (bit-identical either way).
   */
  public enum Exchange {
    AUTO, STAR, TREE;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Spark step sessions (tasks kept from step to step; {@code training.sessions} and {@code
   * training.exchange}): enabled, the exchange, the driver's port for them (0: any free port) and
   * how many sessions a step may fail in before the run fails (an executor lost, say).
   */
  public record Sessions(boolean enabled, Exchange exchange, int port, int attempts) {
    public static final Sessions DEFAULT = new Sessions(true, Exchange.AUTO, 0, 4);

    public Sessions {
      Objects.requireNonNull(exchange, "exchange");
      if (port < 0 || port > 65535) {
        throw new GradsparkException("training.sessions.port is " + port + ", not a TCP port",
            "set it to a port from 1 to 65535 that the executors can reach, or 0 for any");
      }
      atLeast("training.sessions.attempts", attempts, 1);
    }
  }

  /**
   * The optimizer's settings: the method, momentum SGD's form and momentum (sgd only), weight
   * decay (every method; decoupled for adamw), Adam's beta1 and beta2 (adam, adamw), epsilon (adam,
   * adamw, rmsprop, adagrad), RMSprop's alpha, the gradient clipping norm (0: off) and the
   * learning-rate schedule. The values are checked by building the optimizer once (for a network
   * without parameters: nothing is allocated). Build one with {@link #builder}, or the
   * four-argument constructor for momentum SGD.
   */
  public record Optimizer(MomentumSgd.Form form, double momentum, double weightDecay,
      LearningRateSchedule schedule, Method method, double beta1, double beta2, double epsilon,
      double alpha, double clipNorm) {
    public Optimizer {
      Objects.requireNonNull(form, "form");
      Objects.requireNonNull(schedule, "schedule");
      Objects.requireNonNull(method, "method");
      create(form, momentum, weightDecay, schedule, method, beta1, beta2, epsilon, alpha,
          clipNorm, new boolean[0]);
    }

    /** Momentum SGD (method sgd) with these settings and no clipping. */
    public Optimizer(MomentumSgd.Form form, double momentum, double weightDecay,
        LearningRateSchedule schedule) {
      this(form, momentum, weightDecay, schedule, Method.SGD, 0.9, 0.999, 0, 0.99, 0);
    }

    /** Plain SGD at a constant rate. */
    public static Optimizer sgd(double learningRate) {
      return new Optimizer(MomentumSgd.Form.HEAVY_BALL, 0, 0,
          new LearningRateSchedule.Constant(learningRate));
    }

    /** This optimizer for batches of effective rows: see LearningRateSchedule#forBatch. */
    public Optimizer forBatch(int configured, int effective) {
      LearningRateSchedule s = schedule.forBatch(configured, effective);
      if (s == schedule) {
        return this;
      }
      return copyInto(new Builder(method, s)).build();
    }

    /**
     * A builder of the method's optimizer at that schedule, every other setting at its
     * reference.conf default (epsilon: torch's default of the method).
     */
    public static Builder builder(Method method, LearningRateSchedule schedule) {
      return new Builder(method, schedule);
    }

    /** A builder holding every value of this one. */
    public Builder toBuilder() {
      return copyInto(new Builder(method, schedule));
    }

    /** b with every value of this one but the method and schedule it was made with. */
    private Builder copyInto(Builder b) {
      b.form = form;
      b.momentum = momentum;
      b.weightDecay = weightDecay;
      b.beta1 = beta1;
      b.beta2 = beta2;
      b.epsilon = epsilon;
      b.alpha = alpha;
      b.clipNorm = clipNorm;
      return b;
    }

    /** A fresh optimizer (initial state) for the network's parameters. */
    public io.gradspark.optim.Optimizer build(Network net) {
      return create(form, momentum, weightDecay, schedule, method, beta1, beta2, epsilon, alpha,
          clipNorm, net.weightMask());
    }

    private static io.gradspark.optim.Optimizer create(MomentumSgd.Form form, double momentum,
        double weightDecay, LearningRateSchedule schedule, Method method, double beta1,
        double beta2, double epsilon, double alpha, double clipNorm, boolean[] decayed) {
      return switch (method) {
        case SGD -> new MomentumSgd(form, momentum, weightDecay, clipNorm, schedule, decayed);
        case ADAM, ADAMW -> new Adam(method == Method.ADAMW, beta1, beta2, epsilon, weightDecay,
            clipNorm, schedule, decayed);
        case RMSPROP -> new RmsProp(alpha, epsilon, weightDecay, clipNorm, schedule, decayed);
        case ADAGRAD -> new Adagrad(epsilon, weightDecay, clipNorm, schedule, decayed);
      };
    }

    @Override
    public String toString() {
      return create(form, momentum, weightDecay, schedule, method, beta1, beta2, epsilon, alpha,
          clipNorm, new boolean[0]).toString();
    }

    /** Builds an {@link Optimizer}; every setting starts at its reference.conf default. */
    public static final class Builder {
      private final Method method;
      private final LearningRateSchedule schedule;
      private MomentumSgd.Form form = MomentumSgd.Form.HEAVY_BALL;
      private double momentum = 0.9;
      private double weightDecay = 0;
      private double beta1 = 0.9;
      private double beta2 = 0.999;
      private double epsilon;
      private double alpha = 0.99;
      private double clipNorm = 0;

      private Builder(Method method, LearningRateSchedule schedule) {
        this.method = Objects.requireNonNull(method, "method");
        this.schedule = schedule;
        this.epsilon = method.defaultEpsilon();
      }

      public Builder form(MomentumSgd.Form v) {
        form = v;
        return this;
      }

      public Builder momentum(double v) {
        momentum = v;
        return this;
      }

      public Builder weightDecay(double v) {
        weightDecay = v;
        return this;
      }

      public Builder beta1(double v) {
        beta1 = v;
        return this;
      }

      public Builder beta2(double v) {
        beta2 = v;
        return this;
      }

      public Builder epsilon(double v) {
        epsilon = v;
        return this;
      }

      public Builder alpha(double v) {
        alpha = v;
        return this;
      }

      public Builder clipNorm(double v) {
        clipNorm = v;
        return this;
      }

      public Optimizer build() {
        return new Optimizer(form, momentum, weightDecay, schedule, method, beta1, beta2,
            epsilon, alpha, clipNorm);
      }
    }
  }

  /**
   * When checkpoints are written: every N epochs, every N steps (which also marks epoch ends), or
   * never (both 0). dir is any Hadoop path, or "" for the run directory's checkpoints/.
   */
  public record Checkpoints(int everyEpochs, int everySteps, String dir) {
    public static final Checkpoints OFF = new Checkpoints(0, 0, "");

    public Checkpoints {
      if (everyEpochs < 0 || everySteps < 0 || everyEpochs > 0 && everySteps > 0) {
        throw new GradsparkException("checkpoints go every N epochs or every N steps, not both ("
            + everyEpochs + " epochs, " + everySteps + " steps)");
      }
      dir = dir == null ? "" : dir.trim();
    }

    /** "N epochs", "N steps" (a bare N means epochs) or "off", in directory dir. */
    public static Checkpoints parse(String every, String dir) {
      Span span = Span.parse(every, "checkpoint interval", "\"1 epoch\" or \"500 steps\"");
      return new Checkpoints(span.epochs(), span.steps(), dir);
    }

    public boolean off() {
      return everyEpochs == 0 && everySteps == 0;
    }

    /** The directory: dir, or runDirectory/checkpoints when dir is "". */
    public String location(String runDirectory) {
      return dir.isEmpty() ? runDirectory + "/checkpoints" : dir;
    }
  }

  /** How validation rows are held out of the training file. */
  public enum ValidationMode {
    /** The last `holdout` rows. */
    LAST,
    /** An exact seeded random choice of `holdout` rows. */
    RANDOM
  }

  /**
   * Preparation of every dataset, in this order: one-vs-all (label k becomes 1, others 0; -1 off),
   * then features multiplied by scale; and validation rows held out of the training data (holdout
   * 0: none). validationGiven: the caller passes a validation set of its own (the API's fit).
   */
  public record DataPrep(double scale, int oneVsAll, int holdout, ValidationMode mode,
      long splitSeed, boolean validationGiven, ClassWeights classWeights, boolean rowWeights) {
    public static final DataPrep NONE = new DataPrep(1.0, -1, 0, ValidationMode.LAST, 1, false);

    /** Without class weights or row weights. */
    public DataPrep(double scale, int oneVsAll, int holdout, ValidationMode mode, long splitSeed,
        boolean validationGiven) {
      this(scale, oneVsAll, holdout, mode, splitSeed, validationGiven, null, false);
    }

    /**
     * With class weights of the training loss (null: none), see {@link ClassWeights}; they apply
     * to the training rows after the validation holdout and one-vs-all relabelling.
     */
    public DataPrep withClassWeights(ClassWeights weights) {
      return new DataPrep(scale, oneVsAll, holdout, mode, splitSeed, validationGiven, weights,
          rowWeights);
    }

    /** Marks the training rows as carrying weights of their own (a CSV weight column). */
    public DataPrep withRowWeights() {
      return new DataPrep(scale, oneVsAll, holdout, mode, splitSeed, validationGiven,
          classWeights, true);
    }

    /** Whether the training loss is a weighted mean (class or row weights). */
    public boolean weightedLoss() {
      return classWeights != null || rowWeights;
    }

    public DataPrep {
      if (scale == 0 || !Double.isFinite(scale)) {
        throw new GradsparkException("the feature scale must be a finite, non-zero number but was "
            + scale, "e.g. 1/255 = 0.00392156862745098 maps pixel bytes to [0, 1]");
      }
      if (oneVsAll < -1) {
        throw new GradsparkException("the one-vs-all class must be a class index >= 0 (or -1 for "
            + "off) but was " + oneVsAll);
      }
      if (holdout < 0) {
        throw new GradsparkException("the validation holdout must be >= 0 rows but was "
            + holdout);
      }
      Objects.requireNonNull(mode, "mode");
    }

    public static DataPrep scaledBy(double scale) {
      return new DataPrep(scale, -1, 0, ValidationMode.LAST, 1, false);
    }

    public DataPrep withOneVsAll(int k) {
      return new DataPrep(scale, k, holdout, mode, splitSeed, validationGiven, classWeights,
          rowWeights);
    }

    public DataPrep withHoldout(int rows, ValidationMode how, long seed) {
      return new DataPrep(scale, oneVsAll, rows, how, seed, validationGiven, classWeights,
          rowWeights);
    }

    DataPrep withValidationGiven() {
      return new DataPrep(scale, oneVsAll, holdout, mode, splitSeed, true, classWeights,
          rowWeights);
    }
  }

  /**
   * Builds a RunSpec. Every setting starts at the default reference.conf gives it, except
   * checkpoints, which start off (a run built in code has no run directory to put them in).
   */
  public static final class Builder {
    private String name = "run";
    private final Network network;
    private Initializer init = Initializer.XAVIER_UNIFORM;
    private String initFrom = "";
    private long seed = 42;
    private int epochs = 10;
    private int batchSize = 128;
    private boolean shuffle = true;
    private boolean dropLast = false;
    private Optimizer optimizer = new Optimizer(MomentumSgd.Form.HEAVY_BALL, 0.9, 0,
        new LearningRateSchedule.Constant(0.1));
    private int patience = 0;
    private Checkpoints checkpoints = Checkpoints.OFF;
    private Engine engine = Engine.SPARK;
    private int partitions = 0;
    private Storage storage = Storage.MEMORY_ONLY;
    private DataPrep data = DataPrep.NONE;
    private Sessions sessions = Sessions.DEFAULT;
    private BlasSetting blas = BlasSetting.AUTO;

    private Builder(Network network) {
      this.network = network;
    }

    public Builder name(String v) {
      name = v;
      return this;
    }

    public Builder init(Initializer v) {
      init = v;
      return this;
    }

    public Builder initFrom(String modelFile) {
      initFrom = modelFile;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder shuffle(boolean v) {
      shuffle = v;
      return this;
    }

    public Builder dropLast(boolean v) {
      dropLast = v;
      return this;
    }

    public Builder optimizer(Optimizer v) {
      optimizer = v;
      return this;
    }

    public Builder patience(int v) {
      patience = v;
      return this;
    }

    public Builder checkpoints(Checkpoints v) {
      checkpoints = v;
      return this;
    }

    public Builder engine(Engine v) {
      engine = v;
      return this;
    }

    public Builder partitions(int v) {
      partitions = v;
      return this;
    }

    public Builder storage(Storage v) {
      storage = v;
      return this;
    }

    public Builder prepare(DataPrep v) {
      data = v;
      return this;
    }

    public Builder sessions(Sessions v) {
      sessions = v;
      return this;
    }

    public Builder blas(BlasSetting v) {
      blas = v;
      return this;
    }

    public RunSpec build() {
      return new RunSpec(name, network, init, initFrom, seed, epochs, batchSize, shuffle,
          dropLast, optimizer, patience, checkpoints, engine, partitions, storage, data, sessions,
          blas);
    }
  }
}
