package io.gradspark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderClasspath;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigIncluderURL;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.gradspark.GradsparkException;
import io.gradspark.Named;
import io.gradspark.fs.HadoopFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a run's settings: the defaults in reference.conf (which documents every key), the user's
 * HOCON file over them, and {@code --set key=value} overrides over both. A key that reference.conf
 * does not define is refused with the nearest known key, so a typo never silently falls back to a
 * default. Values are checked when read, through the typed getters, naming key, value and origin.
 */
public final class Settings {
  private final Config config;
  private final String source;

  private Settings(Config config, String source) {
    this.config = config;
    this.source = source;
  }

  /** The merged settings of file (may be null: defaults only) and overrides "key=value". */
  public static Settings load(Path file, List<String> overrides) {
    Config user = ConfigFactory.empty();
    String source = "defaults";
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new GradsparkException("Config file " + file + " not found",
            "pass an existing file, e.g. --config conf/mnist.conf");
      }
      try {
        user = ConfigFactory.parseFile(file.toFile(),
            ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false)
                .setIncluder(new Includes(file)));
      } catch (ConfigException e) {
        throw new GradsparkException("Cannot parse " + file + ": " + e.getMessage(),
            "the file is HOCON (see conf/mnist.conf for an example)");
      }
      source = file.toString();
    }
    return merge(user, source, overrides);
  }

  /**
   * {@link #load(Path, List)} of a config file on a local path or a Hadoop one (a URI): a file on
   * another file system (a run directory's config.conf on HDFS, for --resume) is read through
   * that file system and named by its URI in every message. Such a file may not include others
   * (a run's config.conf has no includes: its settings are saved merged).
   */
  public static Settings loadFrom(String file, List<String> overrides) {
    if (file == null || !HadoopFiles.viaHadoop(file)) {
      return load(file == null ? null : Path.of(file), overrides);
    }
    String text = new String(HadoopFiles.readAllBytes(file, "config file"),
        StandardCharsets.UTF_8);
    Config user;
    try {
      user = ConfigFactory.parseString(text, ConfigParseOptions.defaults()
          .setSyntax(ConfigSyntax.CONF).setOriginDescription(file)
          .setIncluder(new NoIncludes(file)));
    } catch (ConfigException e) {
      throw new GradsparkException("Cannot parse " + file + ": " + e.getMessage(),
          "the file is HOCON (see conf/mnist.conf for an example)");
    }
    return merge(user, file, overrides);
  }

  private static Settings merge(Config user, String source, List<String> overrides) {
    Config reference = ConfigFactory.parseResources(Settings.class, "/reference.conf");
    Set<String> known = new TreeSet<>();
    reference.entrySet().forEach(e -> known.add(e.getKey()));
    if (!source.equals("defaults")) {
      checkKnown(user, known, "in " + source);
    }
    Config sets = ConfigFactory.empty();
    for (String kv : overrides) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new GradsparkException("--set '" + kv + "' is not key=value",
            "e.g. --set training.epochs=2 --set model.layers=[784,128,10]");
      }
      String key = kv.substring(0, eq).trim();
      String value = kv.substring(eq + 1).trim();
      Config one;
      try {
        // HOCON reads // and # as comments: such values (URLs, paths) are taken as plain text
        // (a quoted value is HOCON's own string: "hdfs://host/x" is hdfs://host/x)
        one = (value.contains("//") || value.contains("#")) && !value.startsWith("\"")
            ? ConfigFactory.parseMap(Map.of(key, value))
            : ConfigFactory.parseString(key + " = " + value);
      } catch (ConfigException e) {
        if (!URI_LIKE.matcher(value).matches()) {
          throw new GradsparkException("--set '" + kv + "': " + e.getMessage(),
              "values are HOCON: numbers, true/false, [lists], or text; quote text that holds "
                  + ": = { } [ ] , or spaces: --set '" + key + "=\"" + value + "\"'");
        }
        // a path with a scheme (file:/x, s3a:bucket/x) is text, as the README writes it
        one = ConfigFactory.parseMap(Map.of(key, value));
      }
      checkKnown(one, known, "in --set " + kv);
      sets = one.withFallback(sets);
    }
    Config merged;
    try {
      merged = sets.withFallback(user).withFallback(reference).resolve();
    } catch (ConfigException e) {
      throw new GradsparkException("Cannot resolve the settings: " + e.getMessage());
    }
    return new Settings(merged, source);
  }

  /**
   * Includes of a config file, checked: a file that is not there is refused by name (Typesafe
   * Config would skip it silently, or call a required one missing "on the classpath"), and so is
   * a cycle, with the files that form it (instead of 50 nested includes).
   */
  private static final class Includes implements ConfigIncluder, ConfigIncluderFile {
    private final java.util.Deque<Path> stack = new java.util.ArrayDeque<>();
    private ConfigIncluder fallback;

    Includes(Path root) {
      stack.push(root.toAbsolutePath().normalize());
    }

    @Override
    public ConfigIncluder withFallback(ConfigIncluder f) {
      fallback = f;
      return this;
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
      // a plain include "x.conf" is relative to the including file's directory
      Path file = Path.of(what).isAbsolute() ? Path.of(what)
          : stack.peek().resolveSibling(what);
      return includeFile(context, file.toFile());
    }

    @Override
    public ConfigObject includeFile(ConfigIncludeContext context, java.io.File f) {
      Path file = f.toPath().toAbsolutePath().normalize();
      Path from = stack.peek();
      if (!Files.isRegularFile(file)) {
        throw new GradsparkException("Config file " + from + " includes " + file.getFileName()
            + ", which is not " + (Files.exists(file) ? "a file: " : "there: no file ") + file,
            "fix the include's path (relative to the including file's directory), or remove it");
      }
      if (stack.contains(file)) {
        List<String> cycle = new ArrayList<>();
        for (java.util.Iterator<Path> it = stack.descendingIterator(); it.hasNext(); ) {
          cycle.add(it.next().getFileName().toString());
        }
        cycle.add(file.getFileName().toString());
        throw new GradsparkException("The includes of " + stack.peekLast() + " form a cycle: "
            + String.join(" -> ", cycle), "remove the include that leads back");
      }
      stack.push(file);
      try {
        return ConfigFactory.parseFile(f, context.parseOptions().setAllowMissing(false)
            .setIncluder(this)).root();
      } finally {
        stack.pop();
      }
    }
  }

  /** The includes of a config file that is not local: refused, by name. */
  private static final class NoIncludes implements ConfigIncluder, ConfigIncluderFile,
      ConfigIncluderURL, ConfigIncluderClasspath {
    private final String file;

    NoIncludes(String file) {
      this.file = file;
    }

    @Override
    public ConfigIncluder withFallback(ConfigIncluder f) {
      return this;
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
      throw refuse(what);
    }

    @Override
    public ConfigObject includeFile(ConfigIncludeContext context, java.io.File what) {
      throw refuse(what.toString());
    }

    @Override
    public ConfigObject includeURL(ConfigIncludeContext context, java.net.URL what) {
      throw refuse(what.toString());
    }

    @Override
    public ConfigObject includeResources(ConfigIncludeContext context, String what) {
      throw refuse(what);
    }

    private GradsparkException refuse(String what) {
      return new GradsparkException("Config file " + file + " includes " + what
          + ": only a local config file may include others",
          "put the included settings into it, or use a local config file");
    }
  }

  /** A scheme, a colon and no HOCON syntax: "file:/x", "hdfs://nn:8020/x". */
  private static final java.util.regex.Pattern URI_LIKE =
      java.util.regex.Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*:[^\\s\"\\[\\]{},=]*");

  private static void checkKnown(Config c, Set<String> known, String where) {
    for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
      String key = e.getKey();
      List<String> inside = known.stream().filter(k -> k.startsWith(key + ".")).limit(3)
          .toList();
      if (!known.contains(key) && !inside.isEmpty()) {
        throw new GradsparkException("'" + key + "' " + where + lineOf(e.getValue())
            + " is a section of settings, not a setting", "set one of its settings, e.g. "
            + String.join(", ", inside) + " (all of them are in "
            + "src/main/resources/reference.conf)");
      }
      if (!known.contains(key)) {
        throw new GradsparkException(
            "Unknown setting '" + key + "' " + where + lineOf(e.getValue()),
            nearest(key, known).map(k -> "did you mean '" + k + "'? ").orElse("")
                + "every setting is listed with its default in src/main/resources/reference.conf"
                + " and in the README");
      }
    }
  }

  private static String lineOf(ConfigValue v) {
    int line = v.origin().lineNumber();
    return line > 0 ? " (line " + line + ")" : "";
  }

  private static java.util.Optional<String> nearest(String key, Set<String> known) {
    return Named.nearest(key, known, Math.max(3, key.length() / 3));
  }

  /** Where the settings came from: the file name, or "defaults". */
  public String source() {
    return source;
  }

  /**
   * These settings with key set to a string value (what a run resolved, recorded in its
   * config.conf: training.blas = auto becomes the BLAS it chose, so that --resume keeps it).
   */
  public Settings with(String key, String value) {
    return new Settings(config.withValue(key,
        com.typesafe.config.ConfigValueFactory.fromAnyRef(value)), source);
  }

  /** The merged settings as HOCON text (written to the run directory as config.conf). */
  public String render() {
    return config.root().render(ConfigRenderOptions.defaults().setOriginComments(false)
        .setJson(false).setComments(false));
  }

  /** A value read by `read`, or a refusal saying what was expected. */
  private <T> T get(String key, String expected, java.util.function.Function<String, T> read) {
    try {
      return read.apply(key);
    } catch (ConfigException e) {
      throw bad(key, expected);
    }
  }

  public String string(String key) {
    return get(key, "text", config::getString);
  }

  public boolean bool(String key) {
    return get(key, "true or false", config::getBoolean);
  }

  /** An integer in [min, max]; Typesafe Config would truncate 1.5 to 1, this refuses it. */
  public int integer(String key, int min, int max) {
    String expected = range("an integer", min, max);
    long v = whole(key, expected);
    if (v < min || v > max) {
      throw bad(key, expected);
    }
    return (int) v;
  }

  /** Any whole number (seeds). */
  public long longValue(String key) {
    return whole(key, "an integer");
  }

  private long whole(String key, String expected) {
    Number n = get(key, expected, config::getNumber);
    if (n instanceof Double || n instanceof Float) {
      double d = n.doubleValue();
      if (d != Math.rint(d) || Math.abs(d) >= 0x1p63) {
        throw bad(key, expected);
      }
    }
    return n.longValue();
  }

  /** A finite number in [min, max]. */
  public double number(String key, double min, double max) {
    String expected = range("a number", min, max);
    double v = get(key, expected, config::getDouble);
    if (!(v >= min && v <= max)) {
      throw bad(key, expected);
    }
    return v;
  }

  public List<Integer> integers(String key) {
    try {
      List<Integer> out = new ArrayList<>();
      for (Double d : config.getDoubleList(key)) {
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
          throw bad(key, "a list of whole numbers, e.g. [784, 64, 10] (" + d + " is not one)");
        }
        out.add(d.intValue());
      }
      return out;
    } catch (ConfigException e) {
      throw bad(key, "a list of integers, e.g. [784, 64, 10]");
    }
  }

  /**
   * A number, or a list of numbers (e.g. one dropout rate per hidden layer), each finite and in
   * [min, max].
   */
  public double[] numbers(String key, double min, double max) {
    String expected = range("a number or a list of numbers, each", min, max);
    List<Double> values;
    try {
      values = config.getValue(key).valueType() == ConfigValueType.LIST
          ? config.getDoubleList(key) : List.of(config.getDouble(key));
    } catch (ConfigException e) {
      throw bad(key, expected);
    }
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
      if (!(out[i] >= min && out[i] <= max)) {
        throw bad(key, expected);
      }
    }
    if (out.length == 0) {
      throw bad(key, expected);
    }
    return out;
  }

  /** Whether key holds a list (else a single value). */
  public boolean isList(String key) {
    try {
      return config.getValue(key).valueType() == ConfigValueType.LIST;
    } catch (ConfigException e) {
      return false;
    }
  }

  /** A string, or a list of strings (e.g. one activation per hidden layer). */
  public List<String> strings(String key) {
    try {
      if (config.getValue(key).valueType() == ConfigValueType.LIST) {
        return config.getStringList(key);
      }
      return List.of(config.getString(key));
    } catch (ConfigException e) {
      throw bad(key, "a name or a list of names");
    }
  }

  /** Refuses a value that is not one of the allowed (lower-case) names. */
  public String choice(String key, String... allowed) {
    String v = string(key).trim().toLowerCase(java.util.Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    throw bad(key, "one of " + String.join(", ", allowed));
  }

  /**
   * Where the value of key was set: "file conf/x.conf line 12", "--set", or "default" (from
   * reference.conf).
   */
  public String origin(String key) {
    try {
      com.typesafe.config.ConfigOrigin o = config.getValue(key).origin();
      String desc = o.description();
      if (desc == null || desc.startsWith("String") || desc.startsWith("hardcoded")) {
        return "--set";
      }
      if (desc.contains("reference.conf")) {
        return "default";
      }
      return o.filename() != null
          ? "file " + o.filename() + (o.lineNumber() > 0 ? " line " + o.lineNumber() : "")
          : desc;
    } catch (ConfigException e) {
      return "missing";
    }
  }

  /**
   * Builds a value from the setting key, adding "(key `k`, file F line N)" to a refusal from the
   * core: the core says what is wrong with the value, this layer says where the value came from.
   */
  public <T> T at(String key, java.util.function.Supplier<T> build) {
    try {
      return build.get();
    } catch (Refused e) {
      throw e; // a typed read inside build: it names its key and origin already
    } catch (GradsparkException e) {
      if (e.getMessage().contains("(key `")) {
        throw e;
      }
      throw new GradsparkException(e.getMessage() + " (key `" + key + "`, " + origin(key) + ")",
          e.hint() != null ? e.hint() : "fix it in the config file or with --set " + key + "=...");
    }
  }

  public GradsparkException bad(String key, String expected) {
    String found;
    String where = "";
    try {
      ConfigValue v = config.getValue(key);
      found = v.render(ConfigRenderOptions.concise());
      String desc = v.origin().description();
      if (desc != null && (desc.startsWith("String") || desc.startsWith("hardcoded"))) {
        where = " (from --set)";
      } else if (desc != null && !desc.contains("reference.conf")) {
        where = " (" + desc + ")";
      }
    } catch (ConfigException e) {
      found = "missing";
    }
    return new Refused(
        "Setting " + key + " must be " + expected + " but is " + found + where,
        "fix it in the config file or with --set " + key + "=...");
  }

  private static String range(String what, double min, double max) {
    List<String> parts = new ArrayList<>();
    if (min > -Double.MAX_VALUE && min != Integer.MIN_VALUE) {
      parts.add(">= " + fmt(min));
    }
    if (max < Double.MAX_VALUE && max != Integer.MAX_VALUE) {
      parts.add("<= " + fmt(max));
    }
    return what + (parts.isEmpty() ? "" : " " + String.join(" and ", parts));
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  /** A value this layer refused: its message names the key, the value and where it was set. */
  private static final class Refused extends GradsparkException {
    private static final long serialVersionUID = 1L;

    Refused(String message, String hint) {
      super(message, hint);
    }
  }
}
