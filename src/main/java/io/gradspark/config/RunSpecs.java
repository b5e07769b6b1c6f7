package io.gradspark.config;

import io.gradspark.GradsparkException;
import io.gradspark.Span;
import io.gradspark.api.Datasets;
import io.gradspark.api.RunSpec;
import io.gradspark.fs.HadoopPaths;
import io.gradspark.data.ClassWeights;
import io.gradspark.data.CsvSource;
import io.gradspark.data.DataFormats;
import io.gradspark.data.IdxSource;
import io.gradspark.data.LibsvmSource;
import io.gradspark.data.ParquetSource;
import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowSource;
import io.gradspark.data.SparseRows;
import io.gradspark.data.SplitTasks;
import io.gradspark.data.Views;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.fs.HadoopPaths;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.optim.Optimizer.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * HOCON settings to the typed {@link RunSpec} and the run's data sources: the only code that knows
 * the key names. Every value is read and checked here, before any data is read; a refusal from the
 * core gets the key and where it was set added to its message.
 */
public final class RunSpecs {
  private RunSpecs() {}

  /** A config file (or the defaults) with overrides, read into a run description. */
  public record Run(Settings settings, RunSpec spec) {
    /** The data sources the settings name, prepared for the spec, counted in this JVM. */
    public Datasets datasets() {
      return datasets(SplitTasks.LOCAL);
    }

    /**
     * As above, with text data counted by tasks (on Spark, the executors' job: the driver reads
     * no data rows; it reads IDX headers and file listings).
     */
    public Datasets datasets(SplitTasks tasks) {
      return RunSpecs.datasets(settings, spec, tasks);
    }
  }

  /** Loads file with overrides ("key=value") and reads the run; defaultName when name is "". */
  public static Run load(Path file, List<String> overrides, String defaultName) {
    Settings s = Settings.load(file, overrides);
    return new Run(s, spec(s, defaultName));
  }

  /** {@link #load(Path, List, String)} of a local config file or one on a Hadoop file system. */
  public static Run loadFrom(String file, List<String> overrides, String defaultName) {
    Settings s = Settings.loadFrom(file, overrides);
    return new Run(s, spec(s, defaultName));
  }

  /** The run description of settings c. */
  public static RunSpec spec(Settings c, String defaultName) {
    String name = c.string("name").trim();
    if (name.contains("/") || name.contains("\\") || name.equals("..") || name.equals(".")) {
      throw c.bad("name", "a plain name (it names the run directory under runs/), not a path");
    }
    Network net = network(c).withPrecision(Precision.parse(
        c.choice("training.precision", "float64", "float32")));
    RunSpec.Optimizer optimizer = optimizer(c);
    int patience = c.integer("training.early-stopping.patience", 0, Integer.MAX_VALUE);
    RunSpec.DataPrep prep = c.at("data.scale", () -> new RunSpec.DataPrep(
        c.number("data.scale", -Double.MAX_VALUE, Double.MAX_VALUE),
        c.integer("data.one-vs-all", -1, Integer.MAX_VALUE),
        c.integer("data.validation.holdout", 0, Integer.MAX_VALUE),
        RunSpec.ValidationMode.valueOf(
            c.choice("data.validation.mode", "last", "random").toUpperCase(Locale.ROOT)),
        c.longValue("data.validation.seed"), false));
    if (optimizer.schedule().plateau() != null && prep.holdout() == 0) {
      throw c.bad("optimizer.schedule", "constant, step, cosine, exponential or multistep when "
          + "there is no validation set (plateau follows the validation loss; or set "
          + "data.validation.holdout)");
    }
    prep = prep.withClassWeights(classWeights(c));
    if (weightColumn(c, "data.train") != CsvSource.NO_WEIGHT) {
      if (!c.string("data.train.format").trim().equalsIgnoreCase("csv")) {
        throw c.bad("data.train.weight-column", "none unless data.train.format is csv (only CSV"
            + " rows carry a weight column)");
      }
      prep = prep.withRowWeights();
    }
    if (prep.classWeights() != null && net.classes() == 0) {
      throw c.bad("data.class-weights", "none for a regression head (mse with 1 output): "
          + "class weights need classes");
    }
    if (patience > 0 && prep.holdout() == 0) {
      throw c.bad("training.early-stopping.patience",
          "0 when there is no validation set (set data.validation.holdout)");
    }
    RunSpec.Checkpoints checkpoints = c.at("training.checkpoint-every",
        () -> RunSpec.Checkpoints.parse(c.string("training.checkpoint-every"),
            c.string("training.checkpoint-dir")));
    // a scheme with no file system on the classpath (s3a:// without hadoop-aws): refused now,
    // naming the connector, not when the first checkpoint is due or the model is read
    String initFrom = c.string("model.init-from").trim();
    if (!initFrom.isEmpty() && HadoopFiles.viaHadoop(initFrom)) {
      c.at("model.init-from", () -> {
        HadoopPaths.checkScheme(initFrom, "model.init-from");
        return null;
      });
    }
    if (!checkpoints.off() && HadoopFiles.viaHadoop(checkpoints.dir())) {
      c.at("training.checkpoint-dir", () -> {
        HadoopPaths.checkScheme(checkpoints.dir(), "training.checkpoint-dir");
        return null;
      });
    }
    return new RunSpec(name.isEmpty() ? defaultName : name, net,
        c.at("model.init", () -> Initializer.parse(c.string("model.init"))),
        c.string("model.init-from"), c.longValue("training.seed"),
        c.integer("training.epochs", 1, 1_000_000),
        c.integer("training.batch-size", 1, Integer.MAX_VALUE), c.bool("training.shuffle"),
        c.bool("training.drop-last"), optimizer, patience, checkpoints,
        RunSpec.Engine.valueOf(
            c.choice("training.engine", "spark", "local").toUpperCase(Locale.ROOT)),
        c.integer("training.partitions", 0, 100_000),
        RunSpec.Storage.valueOf(c.choice("training.storage-level", "memory_only",
            "memory_and_disk", "memory_only_ser", "memory_and_disk_ser")
            .toUpperCase(Locale.ROOT)),
        prep, sessions(c),
        RunSpec.BlasSetting.valueOf(c.choice("training.blas", "auto", "native", "vector", "java")
            .toUpperCase(Locale.ROOT)));
  }

  /** Step sessions of training.sessions.* and training.exchange. */
  static RunSpec.Sessions sessions(Settings c) {
    return new RunSpec.Sessions(c.bool("training.sessions.enabled"),
        RunSpec.Exchange.valueOf(c.choice("training.exchange", "auto", "star", "tree")
            .toUpperCase(Locale.ROOT)),
        c.integer("training.sessions.port", 0, 65535),
        c.integer("training.sessions.attempts", 1, 1000));
  }

  /** The network of model.*; refuses impossible descriptions. */
  public static Network network(Settings c) {
    int[] sizes = c.integers("model.layers").stream().mapToInt(Integer::intValue).toArray();
    double slope = c.number("model.leaky-slope", 0, 1);
    double eluAlpha = c.number("model.elu-alpha", 0, Double.MAX_VALUE);
    if (eluAlpha == 0) {
      throw c.bad("model.elu-alpha", "a number > 0 (PyTorch's default is 1.0; 0 would be relu)");
    }
    List<Activation> acts = new ArrayList<>();
    for (String a : c.strings("model.activation")) {
      acts.add(c.at("model.activation", () -> Activation.parse(a, slope, eluAlpha)));
    }
    Head head = c.at("model.head", () -> Head.parse(c.string("model.head")));
    double smoothing = c.number("model.label-smoothing", 0, 1);
    if (smoothing == 1) {
      throw c.bad("model.label-smoothing", "a number >= 0 and < 1 (1 would make every target "
          + "uniform, leaving nothing of the label; 0.1 is the usual choice)");
    }
    if (smoothing > 0 && head != Head.SOFTMAX_CROSS_ENTROPY) {
      throw c.bad("model.label-smoothing", "0 with the " + head.configName() + " head (label "
          + "smoothing spreads a one-hot target over K classes: it needs model.head = softmax)");
    }
    Network net = c.at("model.layers", () -> new Network(sizes, acts, head, smoothing));
    double[] dropout = c.numbers("model.dropout", 0, 1);
    return c.at("model.dropout", () -> net.withDropout(dropout));
  }

  /** data.class-weights: none (null), "balanced", or one weight per class. */
  static ClassWeights classWeights(Settings c) {
    String key = "data.class-weights";
    if (c.isList(key)) {
      double[] w = c.numbers(key, 0, Double.MAX_VALUE);
      return c.at(key, () -> new ClassWeights(w));
    }
    return switch (c.choice(key, "none", "balanced")) {
      case "balanced" -> ClassWeights.BALANCED;
      default -> null;
    };
  }

  /** section.weight-column: a column index, or {@link CsvSource#NO_WEIGHT} for "none". */
  static int weightColumn(Settings c, String section) {
    String key = section + ".weight-column";
    return c.string(key).trim().equalsIgnoreCase("none") ? CsvSource.NO_WEIGHT
        : c.integer(key, Integer.MIN_VALUE + 1, Integer.MAX_VALUE);
  }

  /** The optimizer of optimizer.*. */
  public static RunSpec.Optimizer optimizer(Settings c) {
    double lr = c.number("optimizer.learning-rate", Double.MIN_VALUE, 1e6);
    LearningRateSchedule proper = c.at("optimizer.schedule", () -> switch (c.choice(
        "optimizer.schedule", "constant", "step", "cosine", "exponential", "multistep",
        "plateau")) {
      case "step" -> new LearningRateSchedule.StepDecay(lr,
          c.integer("optimizer.step-every", 1, Integer.MAX_VALUE),
          c.number("optimizer.step-gamma", Double.MIN_VALUE, 1));
      case "cosine" -> new LearningRateSchedule.Cosine(lr,
          c.number("optimizer.min-learning-rate", 0, lr));
      case "exponential" -> new LearningRateSchedule.Exponential(lr,
          c.number("optimizer.step-gamma", Double.MIN_VALUE, 1));
      case "multistep" -> c.at("optimizer.milestones", () -> new LearningRateSchedule.MultiStep(
          lr, c.integers("optimizer.milestones"),
          c.number("optimizer.step-gamma", Double.MIN_VALUE, 1)));
      case "plateau" -> new LearningRateSchedule.Plateau(lr,
          c.at("optimizer.plateau.factor", () -> below1(c, "optimizer.plateau.factor",
              Double.MIN_VALUE, "e.g. 0.1 (torch's default) or 0.5")),
          c.integer("optimizer.plateau.patience", 0, Integer.MAX_VALUE),
          c.at("optimizer.plateau.threshold", () -> below1(c, "optimizer.plateau.threshold", 0,
              "e.g. 1e-4 (torch's default), a relative improvement")),
          c.number("optimizer.min-learning-rate", 0, lr));
      default -> new LearningRateSchedule.Constant(lr);
    });
    // the linear scaling rule: rates tuned at base-batch-size rows, used at training.batch-size
    int baseBatch = c.integer("optimizer.base-batch-size", 0, Integer.MAX_VALUE);
    LearningRateSchedule scaled = baseBatch == 0 ? proper : LearningRateSchedule.linearScaling(
        proper, c.integer("training.batch-size", 1, Integer.MAX_VALUE), baseBatch);
    LearningRateSchedule withWarmup = c.at("optimizer.warmup",
        () -> LearningRateSchedule.withWarmup(scaled, Span.parse(c.string("optimizer.warmup"),
            "warmup", "\"2 epochs\" or \"100 steps\"")));
    MomentumSgd.Form form = c.at("optimizer.form",
        () -> MomentumSgd.Form.parse(c.string("optimizer.form")));
    double momentum = c.number("optimizer.momentum", 0, 1);
    double decay = c.number("optimizer.weight-decay", 0, 1e6);
    Method method = c.at("optimizer.method", () -> Method.parse(c.string("optimizer.method")));
    double beta1 = c.at("optimizer.beta1", () -> below1(c, "optimizer.beta1", 0,
        "torch's default is 0.9"));
    double beta2 = c.at("optimizer.beta2", () -> below1(c, "optimizer.beta2", 0,
        "torch's default is 0.999"));
    double alpha = c.at("optimizer.alpha", () -> below1(c, "optimizer.alpha", 0,
        "torch's default is 0.99"));
    String eps = c.string("optimizer.epsilon").trim();
    double epsilon = eps.equalsIgnoreCase("default") ? method.defaultEpsilon()
        : c.at("optimizer.epsilon", () -> {
          double e = c.number("optimizer.epsilon", -Double.MAX_VALUE, Double.MAX_VALUE);
          if (!(e >= 0)) {
            throw new GradsparkException("optimizer.epsilon must be >= 0 but was " + e,
                "\"default\" is torch's: 1e-8 (adam, adamw, rmsprop), 1e-10 (adagrad)");
          }
          return e;
        });
    double clip = c.number("optimizer.clip-norm", 0, Double.MAX_VALUE);
    return c.at("optimizer.momentum", () -> new RunSpec.Optimizer(form, momentum, decay,
        withWarmup, method, beta1, beta2, epsilon, alpha, clip));
  }

  /** The number at key, refused unless in [min, 1) with the hint. */
  private static double below1(Settings c, String key, double min, String hint) {
    double v = c.number(key, -Double.MAX_VALUE, Double.MAX_VALUE);
    if (!(v >= min && v < 1)) {
      throw new GradsparkException(key + " must be in " + (min == 0 ? "[0, 1)" : "(0, 1)")
          + " but was " + v, hint);
    }
    return v;
  }

  /** The datasets of the settings' data section, prepared for spec. */
  static Datasets datasets(Settings c, RunSpec spec, SplitTasks tasks) {
    RowSource all = source(c, "data.train", tasks);
    if (all == null) {
      throw new GradsparkException("data.train.format is none, but training needs data",
          "set data.train.format to idx, csv, libsvm, parquet or moons");
    }
    RowSource test = source(c, "data.test", tasks);
    if (spec.data().holdout() >= all.rows()) {
      throw c.bad("data.validation.holdout", "fewer rows than the training data has ("
          + all.rows() + ")");
    }
    // refusals of the data itself (features, one-vs-all class) name their own setting
    return Datasets.prepare(spec, all, null, test, tasks);
  }

  /** The data source of section (data.train or data.test), or null for format = none. */
  public static RowSource source(Settings c, String section, SplitTasks tasks) {
    String format =
        c.choice(section + ".format", "idx", "csv", "libsvm", "parquet", "moons", "none");
    RowSource s = switch (format) {
      case "idx" -> new IdxSource(path(c, section + ".images", true),
          path(c, section + ".labels", true));
      case "csv" -> {
        String path = path(c, section + ".path", false);
        int label = c.integer(section + ".label-column", Integer.MIN_VALUE, Integer.MAX_VALUE);
        int weight = weightColumn(c, section);
        boolean header = c.bool(section + ".header");
        char delimiter = delimiter(c, section);
        yield c.at(weight == CsvSource.NO_WEIGHT ? section + ".path" : section + ".weight-column",
            () -> new CsvSource(path, label, weight, header, delimiter, tasks));
      }
      case "libsvm" -> {
        String path = path(c, section + ".path", false);
        int features = c.integer(section + ".features", 1, Integer.MAX_VALUE);
        SparseRows.Storage storage = storage(c);
        yield c.at(section + ".path", () -> new LibsvmSource(path, features, tasks, storage));
      }
      case "parquet" -> {
        String path = path(c, section + ".path", false);
        yield c.at(section + ".path", () -> parquet(c, section, path, tasks));
      }
      case "moons" -> new MoonsSource(c.integer(section + ".rows", 2, Integer.MAX_VALUE),
          c.number(section + ".noise", 0, 1e6), c.longValue(section + ".seed"));
      default -> null;
    };
    int limit = c.integer(section + ".limit", 0, Integer.MAX_VALUE);
    if (s != null && limit > 0 && limit < s.rows()) {
      s = Views.range(s, 0, limit);
    }
    return s;
  }

  /**
   * A data path named on the command line (evaluate --data, predict --input), with the CSV
   * options of section; labels: the IDX labels file, or null.
   */
  public static RowSource file(Settings c, String section, String file, String labels,
      int features, boolean csvByDefault, SplitTasks tasks) {
    // label-column is a name for Parquet; an index is required (and refused if not) for CSV
    String key = section + ".label-column";
    boolean named = !c.string(key).trim().matches("-?[0-9]+")
        && HadoopPaths.name(file).toLowerCase(Locale.ROOT).endsWith(".parquet");
    int labelColumn = named ? 0 : c.integer(key, Integer.MIN_VALUE, Integer.MAX_VALUE);
    List<String> columns = c.strings(section + ".feature-columns");
    return DataFormats.byName(file, labels, new DataFormats.Csv(labelColumn,
        c.bool(section + ".header"), delimiter(c, section)), new DataFormats.Parquet(
            parquetLabel(c, section), c.string(section + ".features-column"), columns),
        features, csvByDefault, tasks);
  }

  /**
   * A Parquet source with the columns section names: label-column by name ("label" unless set),
   * feature-columns when listed, else the vector column features-column.
   */
  static RowSource parquet(Settings c, String section, String path, SplitTasks tasks) {
    String label = parquetLabel(c, section);
    List<String> columns = c.strings(section + ".feature-columns");
    SparseRows.Storage storage = storage(c);
    return columns.isEmpty()
        ? ParquetSource.vector(path, label, c.string(section + ".features-column"), tasks,
            storage)
        : ParquetSource.columns(path, label, columns, tasks, storage);
  }

  /** data.storage: how sparse sources cache their rows. */
  static SparseRows.Storage storage(Settings c) {
    return SparseRows.Storage.parse(c.choice("data.storage", "auto", "dense", "sparse"));
  }

  /** label-column for Parquet: a column name; CSV's default index 0 (not set) means "label". */
  static String parquetLabel(Settings c, String section) {
    String key = section + ".label-column";
    return c.origin(key).equals("default") ? ParquetSource.DEFAULT_LABEL : c.string(key).trim();
  }

  private static char delimiter(Settings c, String section) {
    String delim = c.string(section + ".delimiter");
    if (delim.length() != 1) {
      throw c.bad(section + ".delimiter", "a single character, e.g. \",\" or \";\"");
    }
    return delim.charAt(0);
  }

  /**
   * A data path: a path on any Hadoop file system ("hdfs://...", "file:/..."; a scheme without
   * a file system on the classpath is refused here, naming its connector), or a local one:
   * relative local paths are taken from the current directory, or else from the project
   * directory (GRADSPARK_HOME, set by submit/gradspark), so the shipped configs work from
   * anywhere. Text formats take a directory of part files or a glob too (single: only a file).
   */
  static String path(Settings c, String key, boolean single) {
    String v = c.string(key).trim();
    if (v.isEmpty()) {
      throw c.bad(key, "a file path");
    }
    if (HadoopPaths.hasScheme(v)) {
      return c.at(key, () -> {
        HadoopPaths.checkScheme(v, "data");
        return v;
      });
    }
    Path p = Path.of(v);
    if (!p.isAbsolute() && !Files.exists(p)) {
      String home = home();
      if (home != null && (Files.exists(Path.of(home).resolve(p)) || HadoopPaths.isGlob(v))) {
        p = Path.of(home).resolve(p);
      }
    }
    if (HadoopPaths.isGlob(v) && !single) {
      return p.toAbsolutePath().normalize().toString(); // what it matches is checked when read
    }
    if (Files.isDirectory(p) && single) {
      throw new GradsparkException(key + ": " + v + " is a directory, not a data file",
          "name the file itself");
    }
    if (!Files.exists(p)) {
      throw new GradsparkException(key + ": file " + v + " not found",
          "check the path (relative paths start at the current directory)");
    }
    if (!Files.isRegularFile(p) && !Files.isDirectory(p)) {
      throw new GradsparkException(key + ": " + v + " is not a regular file (a pipe or a device?)",
          "name a regular data file");
    }
    return p.toAbsolutePath().normalize().toString();
  }

  /** The project directory (GRADSPARK_HOME, or -Dgradspark.home), or null. */
  public static String home() {
    return System.getProperty("gradspark.home", System.getenv("GRADSPARK_HOME"));
  }
}
