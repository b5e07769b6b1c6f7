package io.gradspark.nn;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import io.gradspark.GradsparkException;
import io.gradspark.Named;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which BLAS the matrix products run on: chosen, not stumbled into. netlib on its own loads
 * whatever {@code libblas.so.3} is, and on a machine where that is Debian's reference Fortran
 * BLAS ({@code libblas3}, which numpy, PyTorch and R pull in) dgemm runs 5 to 10 times slower
 * than OpenBLAS, under the same name ("JNIBLAS").
 *
 * <p>Three kinds of implementation:
 * <ul>
 *   <li>{@link Kind#NATIVE}: netlib's JNI shim over one native library file. Only one can be
 *       loaded in a JVM, so the file is picked by what it is: OpenBLAS, then MKL, then BLIS, then
 *       the system's {@code libblas.so.3} whatever it is ({@link #nativeLibrary});
 *   <li>{@link Kind#VECTOR}: netlib's Java vector API kernels (needs
 *       {@code --add-modules jdk.incubator.vector});
 *   <li>{@link Kind#JAVA}: plain Java loops.
 * </ul>
 * {@link #choose} picks among the available ones by a short measured dgemm of the network's own
 * shapes ({@link DgemmThroughput}), with a margin in favour of the fixed order native, vector,
 * java, so that measurement noise between two starts does not flip the choice (two
 * implementations sum in different orders: a run is bit-identical only to runs on the same one).
 *
 * <p>The choice is a JVM-wide fact, like the library loaded: {@link #use} installs it, and
 * {@link #get} is what the layers call. Before any choice, {@link #get} is netlib's own default.
 */
public final class Blas {
  private Blas() {}

  /** How much faster (ratio of GFLOP/s) a later kind must be to beat an earlier one. */
  public static final double MARGIN = 1.25;

  /** The system property naming the native library file netlib's JNI shim loads. */
  static final String NATIVE_LIB_PATH = "dev.ludovic.netlib.blas.nativeLibPath";

  /** The kinds of implementation, in order of preference. */
  public enum Kind implements Named {
    NATIVE("native"),
    VECTOR("vector"),
    JAVA("java");

    private final String configName;

    Kind(String configName) {
      this.configName = configName;
    }

    @Override
    public String configName() {
      return configName;
    }

    /** By config name: native, vector or java. */
    public static Kind parse(String name) {
      return Named.parse(values(), name, "BLAS");
    }
  }

  /**
   * An implementation, with the native library file for {@link Kind#NATIVE} ("" otherwise).
   * Serializable: the driver's choice is what executors install.
   */
  public record Choice(Kind kind, String library) implements Serializable {
    public Choice {
      library = library == null ? "" : library;
    }

    /** "native (/usr/lib/.../libopenblas.so.0)", "vector" or "java". */
    @Override
    public String toString() {
      return library.isEmpty() ? kind.configName() : kind.configName() + " (" + library + ")";
    }
  }

  private static volatile BLAS current;
  private static volatile Choice installed;

  private static volatile boolean callsWarm;

  /**
   * Calls the installed BLAS's dgemm and sgemm 8,000 times each on 1 x 1 matrices, in the three
   * forms the dense layers use, once per JVM. netlib's dgemm and sgemm are Java methods that
   * check their arguments before the kernel: HotSpot compiles such a method at full
   * optimization after about 5,000 calls, and that compile took C2 about 0.1 s of a core here.
   * A training reaches 5,000 calls in its first epoch, where the compile took the core of one of
   * two computing threads; called where the driver has chosen its BLAS (before the data loads),
   * it happens there instead. About 30 ms (27 measured with OpenBLAS here).
   */
  public static void warmUpCalls() {
    if (callsWarm) {
      return;
    }
    callsWarm = true;
    BLAS b = get();
    double[] d = {1, 1, 1};
    float[] f = {1, 1, 1};
    for (int i = 0; i < 8_000; i++) {
      b.dgemm("T", "N", 1, 1, 1, 1.0, d, 0, 1, d, 1, 1, 0.0, d, 2, 1);
      b.dgemm("N", "T", 1, 1, 1, 1.0, d, 0, 1, d, 1, 1, 0.0, d, 2, 1);
      b.dgemm("N", "N", 1, 1, 1, 1.0, d, 0, 1, d, 1, 1, 0.0, d, 2, 1);
      b.sgemm("T", "N", 1, 1, 1, 1.0f, f, 0, 1, f, 1, 1, 0.0f, f, 2, 1);
      b.sgemm("N", "T", 1, 1, 1, 1.0f, f, 0, 1, f, 1, 1, 0.0f, f, 2, 1);
      b.sgemm("N", "N", 1, 1, 1, 1.0f, f, 0, 1, f, 1, 1, 0.0f, f, 2, 1);
    }
  }

  /** The BLAS the layers use: the installed choice, else netlib's default. */
  public static BLAS get() {
    BLAS b = current;
    if (b == null) {
      synchronized (Blas.class) {
        if (current == null) {
          current = BLAS.getInstance();
        }
        b = current;
      }
    }
    return b;
  }

  /**
   * Installs a choice for this JVM (the driver's, or an executor's from the driver). A native
   * library can be loaded once per JVM: asking for another file than the one loaded is refused.
   */
  public static void use(Choice choice) {
    if (choice.equals(installed)) {
      return; // every task calls this: no lock once installed
    }
    synchronized (Blas.class) {
      if (!choice.equals(installed)) {
        current = instance(choice);
        installed = choice;
      }
    }
  }

  /** The installed choice, or empty while netlib's default is in use. */
  public static Optional<Choice> installed() {
    return Optional.ofNullable(installed);
  }

  /**
   * What {@link #get} is: "vector", "java", or "native (FILE)" with the native library file it
   * loaded ({@link #library()}).
   */
  public static String describe() {
    BLAS b = get();
    if (b instanceof NativeBLAS) {
      return "native (" + library() + ")";
    }
    return isVector(b) ? "vector" : "java";
  }

  /**
   * The native library file {@link #get} loaded, with the libraries it brought in (Debian's
   * openblas-pthread/libblas.so.3 loads libopenblasp-r0.3.21.so), read from this process's memory
   * map (Linux's /proc/self/maps, where the linker has resolved every symlink); "none (pure
   * Java)" for netlib's Java implementations.
   */
  public static String library() {
    if (!(get() instanceof NativeBLAS)) {
      return "none (pure Java)";
    }
    String name = installed != null && installed.kind() == Kind.NATIVE ? installed.library()
        : System.getProperty(NATIVE_LIB_PATH,
            System.getProperty("dev.ludovic.netlib.blas.nativeLib", "libblas.so.3"));
    try {
      return library(name, Files.readAllLines(Path.of("/proc/self/maps")));
    } catch (IOException | RuntimeException e) {
      return name + " (the file it resolved to is unknown: no /proc/self/maps)";
    }
  }

  /** What {@link #library()} says for the library name and the lines of a memory map. */
  static String library(String name, List<String> maps) {
    java.util.Set<String> files = new java.util.LinkedHashSet<>();
    for (String line : maps) {
      int slash = line.indexOf('/');
      if (slash >= 0) {
        files.add(line.substring(slash).trim());
      }
    }
    String base = Path.of(name).getFileName().toString();
    String stem = base.contains(".so") ? base.substring(0, base.indexOf(".so")) : base;
    String loaded = null;
    List<String> backends = new ArrayList<>();
    for (String f : files) {
      String file = Path.of(f).getFileName().toString();
      String lower = file.toLowerCase(Locale.ROOT);
      if (lower.contains("netlib")) {
        continue; // netlib's own JNI shim, which loads the BLAS
      }
      if (f.equals(name) || file.equals(base) || (loaded == null && file.startsWith(stem + "."))) {
        loaded = f;
      } else if (looksLikeBlas(f) || lower.contains("atlas") || lower.contains("mkl_")) {
        backends.add(file);
      }
    }
    if (loaded == null) {
      return name + " (not in this process's memory map)";
    }
    backends.remove(Path.of(loaded).getFileName().toString());
    return backends.isEmpty() ? loaded : loaded + " (with " + String.join(", ", backends) + ")";
  }

  /** The implementation of a choice, loading the native library when it is the first one. */
  static BLAS instance(Choice choice) {
    switch (choice.kind()) {
      case JAVA:
        return plainJava();
      case VECTOR:
        BLAS v = vectorModule() ? JavaBLAS.getInstance() : null;
        if (v == null || !isVector(v)) {
          throw new GradsparkException("The Java vector API BLAS cannot run in this JVM",
              "start the JVM with --add-modules jdk.incubator.vector (on Spark, in "
                  + "spark.driver.extraJavaOptions and spark.executor.extraJavaOptions)");
        }
        return v;
      default:
        String loaded = loadedNativeLibrary().orElse(null);
        if (loaded == null && !choice.library().isEmpty()) {
          // netlib's JNI shim reads the file to dlopen from this property, once per JVM (no
          // file: netlib's own default, libblas.so.3, where no memory map says what it is)
          System.setProperty(NATIVE_LIB_PATH, choice.library());
        } else if (loaded != null && !choice.library().isEmpty()
            && !sameFile(loaded, choice.library())) {
          throw new GradsparkException("This JVM has the native BLAS " + loaded
              + " loaded and cannot load " + choice.library() + " as well",
              "run every training of one JVM on the same BLAS (training.blas)");
        }
        try {
          return NativeBLAS.getInstance();
        } catch (LinkageError | RuntimeException e) {
          throw new GradsparkException("Cannot load the native BLAS " + choice.library() + ": "
              + e.getMessage(), "install OpenBLAS (apt-get install libopenblas0-pthread), or "
                  + "set training.blas = vector or java");
        }
    }
  }

  private static boolean vectorModule() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  /** netlib's vector API class is package-private: it is told by name. */
  private static boolean isVector(BLAS b) {
    return b.getClass().getSimpleName().equals("VectorBLAS");
  }

  /**
   * netlib's plain Java BLAS. JavaBLAS.getInstance() is the vector one when the module is
   * present, and the plain class is package-private: reached by its public getInstance.
   */
  private static BLAS plainJava() {
    if (!vectorModule()) {
      return JavaBLAS.getInstance();
    }
    try {
      Class<?> c = Class.forName("dev.ludovic.netlib.blas.Java11BLAS");
      var m = c.getMethod("getInstance");
      m.setAccessible(true);
      return (BLAS) m.invoke(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("netlib's plain Java BLAS is not where it was", e);
    }
  }

  private static boolean sameFile(String a, String b) {
    try {
      return Files.isSameFile(Path.of(a), Path.of(b));
    } catch (IOException | RuntimeException e) {
      return a.equals(b);
    }
  }

  /**
   * The native library file a choice of {@link Kind#NATIVE} loads here: the fastest kind of
   * library the machine has (OpenBLAS, MKL, BLIS), else what {@code libblas.so.3} resolves to;
   * or the file the JVM was given in {@code -Ddev.ludovic.netlib.blas.nativeLibPath}. Empty when
   * there is none.
   */
  public static Optional<String> nativeLibrary() {
    String asked = System.getProperty(NATIVE_LIB_PATH);
    if (asked != null && !asked.isBlank()) {
      return Optional.of(asked); // the user's pick of file, as netlib itself would take it
    }
    return nativeLibrary(libraryDirs());
  }

  static Optional<String> nativeLibrary(List<Path> dirs) {
    String[][] ranked = {
      {"libopenblas.so.0", "libopenblas.so", "openblas-pthread/libopenblas.so.0",
          "openblas-openmp/libopenblas.so.0", "openblas-serial/libopenblas.so.0"},
      {"libmkl_rt.so.2", "libmkl_rt.so"},
      {"libblis.so.4", "libblis.so", "blis-pthread/libblis.so.4", "blis-openmp/libblis.so.4"},
      {"libblas.so.3"},
    };
    for (String[] names : ranked) {
      for (Path dir : dirs) {
        for (String name : names) {
          Path p = dir.resolve(name);
          if (Files.isRegularFile(p)) {
            try {
              return Optional.of(p.toRealPath().toString());
            } catch (IOException e) {
              // a dangling link is no library: look further
            }
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Where the dynamic linker looks: LD_LIBRARY_PATH, then the usual system directories. */
  private static List<Path> libraryDirs() {
    List<Path> dirs = new ArrayList<>();
    String ld = System.getenv("LD_LIBRARY_PATH");
    if (ld != null) {
      for (String d : ld.split(":")) {
        if (!d.isBlank()) {
          dirs.add(Path.of(d));
        }
      }
    }
    String arch = System.getProperty("os.arch", "");
    String triplet = arch.equals("aarch64") ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
    for (String d : new String[] {"/usr/lib/" + triplet, "/usr/lib64", "/usr/lib",
        "/usr/local/lib", "/opt/OpenBLAS/lib", "/opt/intel/oneapi/mkl/latest/lib"}) {
      dirs.add(Path.of(d));
    }
    return dirs;
  }

  /** Whether a library file is the reference (netlib Fortran) BLAS rather than a tuned one. */
  public static boolean isReference(String library) {
    String l = library.toLowerCase(Locale.ROOT);
    return !(l.contains("openblas") || l.contains("mkl") || l.contains("blis")
        || l.contains("atlas") || l.contains("accelerate"));
  }

  /** The native BLAS library mapped into this process (Linux: /proc/self/maps), if any. */
  public static Optional<String> loadedNativeLibrary() {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return Optional.empty();
    }
    try (var lines = Files.lines(maps)) {
      return lines.map(line -> {
        int slash = line.indexOf('/');
        return slash < 0 ? "" : line.substring(slash).trim();
      }).filter(Blas::looksLikeBlas).findFirst();
    } catch (IOException | java.io.UncheckedIOException e) {
      return Optional.empty();
    }
  }

  private static boolean looksLikeBlas(String path) {
    String name = Path.of(path.isEmpty() ? "/" : path).getFileName() == null ? ""
        : Path.of(path).getFileName().toString().toLowerCase(Locale.ROOT);
    return name.startsWith("libblas") || name.startsWith("libopenblas")
        || name.startsWith("libmkl_rt") || name.startsWith("libblis") || name.contains("openblas");
  }

  /** The choices this JVM could install, in order of preference. */
  public static List<Choice> available() {
    List<Choice> out = new ArrayList<>();
    String loaded = loadedNativeLibrary().orElse(null);
    String lib = loaded != null ? loaded : nativeLibrary().orElse(null);
    if (lib != null && (loaded != null || Files.isRegularFile(Path.of(lib)))) {
      out.add(new Choice(Kind.NATIVE, lib));
    }
    if (vectorModule()) {
      out.add(new Choice(Kind.VECTOR, ""));
    }
    out.add(new Choice(Kind.JAVA, ""));
    return out;
  }

  /**
   * The choice among measured GFLOP/s (in order of preference; a candidate that failed to load
   * is absent): the first, unless a later one is more than {@link #MARGIN} times faster than the
   * best so far.
   */
  public static Choice pick(Map<Choice, Double> gflops) {
    Choice best = null;
    double bestRate = 0;
    for (Map.Entry<Choice, Double> e : gflops.entrySet()) {
      if (best == null || e.getValue() > MARGIN * bestRate) {
        best = e.getKey();
        bestRate = e.getValue();
      }
    }
    if (best == null) {
      throw new IllegalArgumentException("no BLAS was measured");
    }
    return best;
  }

  /** The outcome of {@link #choose}: what was measured, and what was installed. */
  public record Measured(Choice choice, Map<Kind, Double> gflops) {
    /** GFLOP/s of the chosen implementation on the network's shapes. */
    public double chosenGflops() {
      return gflops.get(choice.kind());
    }

    /** "native 9.6, vector 35.6, java 4.0 GFLOP/s": every rate measured. */
    public String rates() {
      StringBuilder b = new StringBuilder();
      gflops.forEach((k, g) -> b.append(b.length() == 0 ? "" : ", ")
          .append(String.format(Locale.ROOT, "%s %.1f", k.configName(), g)));
      return b.append(" GFLOP/s").toString();
    }

    /**
     * A warning for the user when the chosen implementation is not a tuned native library
     * (OpenBLAS, MKL, BLIS), saying how to get one; empty otherwise.
     */
    public Optional<String> warning() {
      if (choice.kind() == Kind.NATIVE && !isReference(choice.library())) {
        return Optional.empty();
      }
      return Optional.of(String.format(Locale.ROOT,
          "warning: BLAS is %s (measured: %s): this machine has no tuned native BLAS. For "
              + "several times the speed: apt-get install libopenblas0-pthread (or put "
              + "libopenblas.so.0 on LD_LIBRARY_PATH)%s", choice, rates(),
          choice.kind() == Kind.JAVA
              ? "; or give the JVM --add-modules jdk.incubator.vector (on Spark: "
                  + "spark.driver.extraJavaOptions and spark.executor.extraJavaOptions)"
              : ""));
    }
  }

  /** What {@link #choose} measured for training.blas = auto: once per JVM. */
  private static Measured auto;
  /** The outcome of the latest {@link #choose}, auto or forced. */
  private static Measured measured;

  /** Timed rounds per candidate in {@link #choose}. */
  private static final int ROUNDS = 4;

  /**
   * The BLAS for a training, installed: forced null (training.blas = auto) measures each
   * available implementation on the network's shapes (rows rows a pass, about seconds in all
   * after a warm-up) on the JVM's first call and installs the pick; later auto calls install
   * that same pick again (one JVM loads one native library, and every auto training in it runs
   * on the same BLAS). A forced kind is installed ({@link #force}) and measured alone.
   */
  public static synchronized Measured choose(Network net, int rows, double seconds, Kind forced) {
    if (forced != null) {
      Choice c = force(forced);
      Map<Kind, Double> byKind = new EnumMap<>(Kind.class);
      byKind.put(c.kind(), DgemmThroughput.gflops(net, rows, 1, seconds));
      measured = new Measured(c, byKind);
      return measured;
    }
    if (auto != null) {
      use(auto.choice());
      measured = auto;
      return auto;
    }
    BLAS before = current;
    List<Choice> candidates = new ArrayList<>();
    List<BLAS> impls = new ArrayList<>();
    for (Choice c : available()) {
      try {
        impls.add(instance(c));
        candidates.add(c);
      } catch (GradsparkException e) {
        // not available after all (a native library that does not load)
      }
    }
    // rounds interleaved, best of each: a busy machine slows a candidate in one round, not all,
    // and the first round lets the JIT compile the Java kernels
    double[] best = new double[candidates.size()];
    try {
      for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < candidates.size(); i++) {
          current = impls.get(i);
          best[i] = Math.max(best[i], DgemmThroughput.gflops(net, rows, 1, seconds / ROUNDS));
        }
      }
    } finally {
      current = before;
    }
    Map<Choice, Double> rates = new java.util.LinkedHashMap<>();
    Map<Kind, Double> byKind = new EnumMap<>(Kind.class);
    for (int i = 0; i < candidates.size(); i++) {
      rates.put(candidates.get(i), best[i]);
      byKind.put(candidates.get(i).kind(), best[i]);
    }
    Choice pick = pick(rates);
    use(pick);
    auto = new Measured(pick, byKind);
    measured = auto;
    return auto;
  }

  /**
   * Installs the available implementation of a kind (training.blas = native, vector or java);
   * refuses, naming what this JVM can run, where it cannot run here.
   */
  public static synchronized Choice force(Kind kind) {
    List<String> names = new ArrayList<>();
    String why = null;
    for (Choice c : available()) {
      if (c.kind() != kind) {
        names.add(c.toString());
        continue;
      }
      try {
        instance(c);
        use(c);
        return c;
      } catch (GradsparkException e) {
        why = e.getMessage(); // a native library file that does not load
      }
    }
    String how = switch (kind) {
      case NATIVE -> "install OpenBLAS (apt-get install libopenblas0-pthread) or point "
          + "-D" + NATIVE_LIB_PATH + " at a BLAS library file";
      case VECTOR -> "start the JVM with --add-modules jdk.incubator.vector (on Spark, in "
          + "spark.driver.extraJavaOptions and spark.executor.extraJavaOptions)";
      case JAVA -> "";
    };
    throw new GradsparkException("training.blas = " + kind.configName() + ", but this JVM "
        + "cannot run a " + kind.configName() + " BLAS" + (why == null ? "" : " (" + why + ")")
        + "; available here: " + String.join(", ", names),
        "set training.blas = auto (or one of the available), or " + how);
  }

  /**
   * The choice the layers run on now, which tasks install on executors: the installed one, or
   * netlib's default, described as a choice and installed (pinned), when none was made.
   */
  public static synchronized Choice inUse() {
    if (installed == null) {
      BLAS b = get();
      installed = b instanceof NativeBLAS
          ? new Choice(Kind.NATIVE, loadedNativeLibrary().orElse(nativeLibrary().orElse("")))
          : new Choice(isVector(b) ? Kind.VECTOR : Kind.JAVA, "");
    }
    return installed;
  }

  /**
   * Forgets the installed choice: {@link #get} is netlib's default again, as on an executor
   * before its first task (a native library loaded stays loaded). For tests of the task side.
   */
  public static synchronized void uninstall() {
    installed = null;
    current = null;
  }

  /** What {@link #choose} measured in this JVM, if it ran. */
  public static synchronized Optional<Measured> measured() {
    return Optional.ofNullable(measured);
  }
}
