package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.data.CsvSource;
import io.gradspark.data.DataChecks;
import io.gradspark.data.IdxSource;
import io.gradspark.data.LibsvmSource;
import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowSource;
import io.gradspark.data.Views;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.BatchSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's settings, read and checked in full before any work starts: the network, the optimizer,
 * the schedule and the data sources (whose headers are read, so a bad file is refused here).
 */
final class RunSpec {
  final ConfigLoader config;
  final String name;
  final Network net;
  final Initializer init;
  final String initFrom;
  final long seed;
  final int epochs;
  final int batchSize;
  final boolean shuffle;
  final boolean dropLast;
  final String engine;
  final int partitions;
  final String storageLevel;
  final double scale;
  final int oneVsAll;
  final RowSource train;
  final RowSource validation; // or null
  final RowSource test; // or null
  final String optimizerDescription;

  RunSpec(ConfigLoader c, String defaultName) {
    this.config = c;
    String n = c.string("name").trim();
    this.name = n.isEmpty() ? defaultName : n;
    this.net = network(c);
    this.init = Initializer.parse(c.string("model.init"));
    this.initFrom = c.string("model.init-from").trim();
    this.seed = c.longValue("training.seed");
    this.epochs = c.integer("training.epochs", 1, 1_000_000);
    this.batchSize = c.integer("training.batch-size", 1, Integer.MAX_VALUE);
    this.shuffle = c.bool("training.shuffle");
    this.dropLast = c.bool("training.drop-last");
    this.engine = c.choice("training.engine", "spark", "local");
    this.partitions = c.integer("training.partitions", 0, 100_000);
    this.storageLevel = c.choice("training.storage-level", "memory_only", "memory_and_disk",
        "memory_only_ser", "memory_and_disk_ser").toUpperCase(java.util.Locale.ROOT);
    this.scale = c.number("data.scale", -Double.MAX_VALUE, Double.MAX_VALUE);
    this.oneVsAll = c.integer("data.one-vs-all", -1, Integer.MAX_VALUE);
    // refuse bad optimizer settings now, not after loading data; keep the description for outputs
    this.optimizerDescription = optimizer().toString();

    RowSource all = source(c, "data.train");
    if (all == null) {
      throw new GradsparkException("data.train.format is none, but training needs data",
          "set data.train.format to idx, csv, libsvm or moons");
    }
    int holdout = c.integer("data.validation.holdout", 0, Integer.MAX_VALUE);
    if (holdout >= all.rows()) {
      throw c.bad("data.validation.holdout", "less than the " + all.rows() + " training rows");
    }
    if (holdout == 0) {
      this.train = prepare(all, "training");
      this.validation = null;
    } else if (c.choice("data.validation.mode", "last", "random").equals("last")) {
      this.train = prepare(Views.range(all, 0, all.rows() - holdout), "training");
      this.validation = prepare(Views.range(all, all.rows() - holdout, all.rows()), "validation");
    } else {
      long splitSeed = c.longValue("data.validation.seed");
      this.train = prepare(Views.randomSplit(all, holdout, splitSeed, false), "training");
      this.validation = prepare(Views.randomSplit(all, holdout, splitSeed, true), "validation");
    }
    RowSource t = source(c, "data.test");
    this.test = t == null ? null : prepare(t, "test");
  }

  /** Network from model.*; refuses impossible descriptions. */
  static Network network(ConfigLoader c) {
    List<Integer> layers = c.integers("model.layers");
    int[] sizes = layers.stream().mapToInt(Integer::intValue).toArray();
    double slope = c.number("model.leaky-slope", 0, 1);
    List<Activation> acts = new ArrayList<>();
    for (String a : c.strings("model.activation")) {
      acts.add(Activation.parse(a, slope));
    }
    return new Network(sizes, acts, Head.parse(c.string("model.head")));
  }

  MomentumSgd optimizer() {
    ConfigLoader c = config;
    double lr = c.number("optimizer.learning-rate", Double.MIN_VALUE, 1e6);
    LearningRateSchedule schedule = switch (c.choice("optimizer.schedule", "constant", "step",
        "cosine")) {
      case "step" -> new LearningRateSchedule.StepDecay(lr,
          c.integer("optimizer.step-every", 1, Integer.MAX_VALUE),
          c.number("optimizer.step-gamma", Double.MIN_VALUE, 1));
      case "cosine" -> new LearningRateSchedule.Cosine(lr,
          c.number("optimizer.min-learning-rate", 0, lr));
      default -> new LearningRateSchedule.Constant(lr);
    };
    return new MomentumSgd(MomentumSgd.Form.parse(c.string("optimizer.form")),
        c.number("optimizer.momentum", 0, 0.999999), c.number("optimizer.weight-decay", 0, 1e6),
        schedule, net.weightMask());
  }

  BatchSchedule schedule() {
    return new BatchSchedule(train.rows(), batchSize, seed, shuffle, dropLast);
  }

  /** Transforms of the data section (one-vs-all, scale), checks, and label checks on every load. */
  private RowSource prepare(RowSource s, String what) {
    DataChecks.checkFeatures(s, net.inputSize(), what + " data (" + s.describe() + ")");
    RowSource r = oneVsAll >= 0 ? Views.oneVsAll(s, oneVsAll) : s;
    if (scale != 1.0) {
      r = Views.scaled(r, scale);
    }
    return Views.labelChecked(r, net.head(), net.outputSize(), what + " data " + s.describe());
  }

  /** The data source of section (data.train or data.test), or null for format = none. */
  static RowSource source(ConfigLoader c, String section) {
    String format = c.choice(section + ".format", "idx", "csv", "libsvm", "moons", "none");
    RowSource s = switch (format) {
      case "idx" -> new IdxSource(path(c, section + ".images"), path(c, section + ".labels"));
      case "csv" -> {
        String delim = c.string(section + ".delimiter");
        if (delim.length() != 1) {
          throw c.bad(section + ".delimiter", "a single character, e.g. \",\" or \";\"");
        }
        yield new CsvSource(path(c, section + ".path"),
            c.integer(section + ".label-column", Integer.MIN_VALUE, Integer.MAX_VALUE),
            c.bool(section + ".header"), delim.charAt(0));
      }
      case "libsvm" -> new LibsvmSource(path(c, section + ".path"),
          c.integer(section + ".features", 1, Integer.MAX_VALUE));
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
   * A data path: relative paths are taken from the current directory, or else from the project
   * directory (GRADSPARK_HOME, set by submit/gradspark), so the shipped configs work from anywhere.
   */
  static Path path(ConfigLoader c, String key) {
    String v = c.string(key).trim();
    if (v.isEmpty()) {
      throw c.bad(key, "a file path");
    }
    Path p = Path.of(v);
    if (!p.isAbsolute() && !Files.exists(p)) {
      String home = System.getProperty("gradspark.home", System.getenv("GRADSPARK_HOME"));
      if (home != null && Files.exists(Path.of(home).resolve(p))) {
        p = Path.of(home).resolve(p);
      }
    }
    if (!Files.isRegularFile(p)) {
      throw new GradsparkException(key + ": file " + v + " not found",
          "check the path (relative paths start at the current directory)");
    }
    return p.toAbsolutePath().normalize();
  }

  /** Settings recorded in model.json and summary.json. */
  Map<String, Object> trainingSettings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epochs", epochs);
    m.put("batch_size", batchSize);
    m.put("seed", seed);
    m.put("shuffle", shuffle);
    m.put("optimizer", optimizerDescription);
    m.put("config", config.source());
    return m;
  }
}
