package io.gradspark.spark;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import io.gradspark.GradsparkException;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starting (or joining) the SparkContext of a command or an application, with Gradspark's
 * settings: conf/spark-defaults.conf, loopback binding for local masters, what executors in other
 * JVMs need (see {@link #configureCluster}).
 */
public final class SparkContexts {
  private static final Logger LOG = LoggerFactory.getLogger("io.gradspark.spark");

  private SparkContexts() {}

  /** A SparkContext and whether this command started it (and so stops it on close). */
  public record Session(JavaSparkContext sc, boolean owned) implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        sc.stop();
      }
    }
  }

  /**
   * The JVM's active SparkContext when there is one (a notebook, a test, an embedding
   * application: Spark allows one per JVM), else a new one from {@link #start}.
   */
  public static Session session(String masterFlag, String appName) {
    // getActive is package-private in Scala, public in bytecode: the only way to ask without creating
    scala.Option<org.apache.spark.SparkContext> active =
        org.apache.spark.SparkContext$.MODULE$.getActive();
    if (active.isDefined()) {
      return new Session(JavaSparkContext.fromSparkContext(active.get()), false);
    }
    return new Session(start(masterFlag, appName), true);
  }

  /**
   * The master: --master if given, else what spark-submit set (spark.master), else local[*].
   * Settings from conf/spark-defaults.conf (in GRADSPARK_HOME) fill in whatever spark-submit or
   * -Dspark.* did not set. A local master binds the driver to 127.0.0.1; any other master gets
   * what {@link #configureCluster} adds.
   */
  public static JavaSparkContext start(String masterFlag, String appName) {
    SparkConf conf = new SparkConf();
    Path defaults = defaultsFile();
    if (defaults != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(defaults)) {
        p.load(r);
      } catch (IOException e) {
        throw new GradsparkException("Cannot read " + defaults + ": " + e.getMessage());
      }
      p.stringPropertyNames().forEach(k -> conf.setIfMissing(k, p.getProperty(k).trim()));
    }
    if (masterFlag != null) {
      conf.setMaster(masterFlag);
    }
    conf.setIfMissing("spark.master", "local[*]");
    checkMasterUrl(conf.get("spark.master"));
    if (conf.get("spark.master").startsWith("local")) {
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
    } else {
      configureCluster(conf, System.getenv());
    }
    conf.setIfMissing("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
    // repeat and sweep run trials from several driver threads, each in its own pool: FAIR shares
    // the executors between them (one training's jobs still run one after another)
    conf.setIfMissing("spark.scheduler.mode", "FAIR");
    conf.setAppName("gradspark " + appName);
    if (conf.get("spark.master").startsWith("spark://")) {
      MasterCheck.check(conf);
    }
    JavaSparkContext sc = new JavaSparkContext(conf);
    sc.setLogLevel(System.getProperty("gradspark.spark.log", "WARN"));
    return sc;
  }

  private static final java.util.regex.Pattern LOCAL =
      java.util.regex.Pattern.compile("local(\\[(\\*|\\d+)(,\\d+)?])?");

  /**
   * Refuses a master URL Spark would fail on with a stack trace: an unknown scheme, local[0]. The
   * URLs Spark takes: local, local[N], local[*], local[N,F], local-cluster[...], spark://HOST:PORT
   * (a list for HA), yarn, k8s://URL.
   */
  public static void checkMasterUrl(String master) {
    String hint = "use local[*] (one thread per core), local[N], spark://HOST:PORT (a standalone "
        + "master; submit/local-cluster start prints its URL), yarn or k8s://https://HOST:PORT";
    java.util.regex.Matcher m = LOCAL.matcher(master);
    if (m.matches()) {
      if (m.group(2) != null && !m.group(2).equals("*") && Long.parseLong(m.group(2)) < 1) {
        throw new GradsparkException("The Spark master " + master + " has no threads to run "
            + "tasks on: a local master needs at least one", hint);
      }
      return;
    }
    if (master.equals("yarn") || master.startsWith("k8s://") || master.startsWith("local-cluster[")
        || master.matches("spark://[^/\\s,]+:\\d+(,[^/\\s,]+:\\d+)*")) {
      return;
    }
    throw new GradsparkException("Unknown Spark master URL '" + master + "'"
        + (master.startsWith("spark://") ? " (a standalone master is spark://HOST:PORT)" : ""),
        hint);
  }

  /** The JVM flag that lets netlib pick its Java vector API BLAS (VectorBLAS). */
  public static final String VECTOR_MODULE_FLAG = "--add-modules=jdk.incubator.vector";

  /**
   * What a driver in this JVM (client mode) needs for executors in other JVMs, each only when not
   * set already:
   * <ul>
   *   <li>spark.jars: the application jar, which executors need for Gradspark's classes;
   *   <li>spark.driver.host and bindAddress 127.0.0.1 when the master is on loopback (the
   *       submit/local-cluster case), so that its executors can reach the driver there;
   *   <li>the executors' BLAS: the same as the driver's. netlib picks VectorBLAS only in a JVM with
   *       the jdk.incubator.vector module, and two BLAS implementations sum in different orders,
   *       so a run would not be bit-identical to the same run on local[N];
   *   <li>authentication: spark.authenticate.secret from the secret file of the
   *       submit/local-cluster cluster when the master is its URL, else from
   *       SPARK_AUTHENTICATE_SECRET (and then spark.authenticate true);
   *   <li>for that cluster, spark.cores.max (all its cores) and a start that waits for them.
   * </ul>
   */
  public static void configureCluster(SparkConf conf, Map<String, String> env) {
    String master = conf.get("spark.master");
    if (!conf.contains("spark.jars")) {
      Path jar = applicationJar();
      if (jar == null) {
        throw new GradsparkException("Cannot find the application jar that executors of " + master
            + " need (target/gradspark-0.1.0-SNAPSHOT.jar)",
            "build it with 'mvn package', or set spark.jars (e.g. -Dspark.jars=PATH in JAVA_OPTS)");
      }
      conf.set("spark.jars", jar.toString());
    }
    if (master.startsWith("spark://")) {
      if (onLoopback(master)) {
        conf.setIfMissing("spark.driver.host", "127.0.0.1");
        conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
      } else if (!conf.contains("spark.driver.host") && isLoopback(env.get("SPARK_LOCAL_IP"))) {
        LOG.warn("The driver listens on {} (SPARK_LOCAL_IP) but the master {} is on another "
            + "host: its executors cannot reach it there. Set SPARK_LOCAL_IP (or "
            + "spark.driver.host) to an address of this machine that they can reach.",
            env.get("SPARK_LOCAL_IP"), master);
      }
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
      String opts = conf.get("spark.executor.extraJavaOptions", "").trim();
      if (!opts.contains("jdk.incubator.vector")) {
        conf.set("spark.executor.extraJavaOptions",
            (opts + " " + VECTOR_MODULE_FLAG).trim());
      }
    }
    LocalCluster local = LocalCluster.of(master, env);
    if (local != null) {
      // Wait (up to spark.scheduler.maxRegisteredResourcesWaitingTime, 30 s) for every worker's
      // executor before the first job: the data is cached where the first tasks run, and steps
      // keep running there, so a job that starts with one executor leaves the others idle.
      if (local.cores() > 0) {
        conf.setIfMissing("spark.cores.max", Integer.toString(local.cores()));
        conf.setIfMissing("spark.scheduler.minRegisteredResourcesRatio", "1.0");
      }
    }
    String fromEnv = env.get("SPARK_AUTHENTICATE_SECRET");
    if (local != null && fromEnv != null && !fromEnv.isBlank()
        && !conf.contains("spark.authenticate.secret") && !fromEnv.trim().equals(local.secret())) {
      System.err.println("warning: SPARK_AUTHENTICATE_SECRET is not used for " + master
          + ": that is the local cluster of submit/local-cluster, and its own secret (in "
          + local.dir() + "/secret) is used; unset SPARK_AUTHENTICATE_SECRET, or set "
          + "spark.authenticate.secret to override");
    }
    if (!conf.contains("spark.authenticate.secret")) {
      // The local cluster's own secret first: it belongs to exactly this master URL.
      String secret = local != null ? local.secret() : fromEnv;
      if (secret != null && !secret.isBlank()) {
        conf.set("spark.authenticate.secret", secret.trim());
      }
    }
    if (conf.contains("spark.authenticate.secret")) {
      conf.setIfMissing("spark.authenticate", "true");
    }
  }

  /**
   * The cluster that submit/local-cluster runs (state in GRADSPARK_CLUSTER_DIR, else
   * target/local-cluster of the project): its secret and its total number of cores (0: unknown).
   */
  public record LocalCluster(String secret, int cores, Path dir) {
    /** The local cluster when master is its URL, else null. */
    public static LocalCluster of(String master, Map<String, String> env) {
      Path dir;
      if (env.get("GRADSPARK_CLUSTER_DIR") != null) {
        dir = Path.of(env.get("GRADSPARK_CLUSTER_DIR"));
      } else {
        String home = home();
        if (home == null) {
          return null;
        }
        dir = Path.of(home, "target", "local-cluster");
      }
      Path url = dir.resolve("master-url");
      Path secret = dir.resolve("secret");
      try {
        if (!Files.isRegularFile(url) || !Files.readString(url).trim().equals(master)) {
          return null;
        }
        Path cores = dir.resolve("cores");
        return new LocalCluster(Files.readString(secret).trim(),
            Files.isRegularFile(cores) ? Integer.parseInt(Files.readString(cores).trim()) : 0,
            dir);
      } catch (IOException | NumberFormatException e) {
        throw new GradsparkException("Cannot read the settings of the local cluster " + master
            + " in " + dir + ": " + e.getMessage(),
            "restart it: submit/local-cluster stop; submit/local-cluster start N");
      }
    }
  }

  /** The shaded jar this class was loaded from, else the project's target/ copy, else null. */
  public static Path applicationJar() {
    try {
      java.security.CodeSource src = SparkContexts.class.getProtectionDomain().getCodeSource();
      if (src != null) {
        Path p = Path.of(src.getLocation().toURI());
        if (Files.isRegularFile(p) && p.toString().endsWith(".jar")) {
          return p.toAbsolutePath();
        }
      }
    } catch (java.net.URISyntaxException | IllegalArgumentException | SecurityException e) {
      // fall through to the project directory
    }
    String home = home();
    if (home != null) {
      Path p = Path.of(home, "target", "gradspark-0.1.0-SNAPSHOT.jar");
      if (Files.isRegularFile(p)) {
        return p.toAbsolutePath();
      }
    }
    return null;
  }

  /** Whether every host of a spark://h1:p1,h2:p2 URL is a loopback name or address. */
  public static boolean onLoopback(String master) {
    String rest = master.substring("spark://".length());
    for (String hostPort : rest.split(",")) {
      int colon = hostPort.lastIndexOf(':');
      if (!isLoopback(colon < 0 ? hostPort : hostPort.substring(0, colon))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isLoopback(String host) {
    return host != null && (host.equals("localhost") || host.startsWith("127.")
        || host.equals("[::1]") || host.equals("::1"));
  }

  private static String home() {
    return System.getProperty("gradspark.home", System.getenv("GRADSPARK_HOME"));
  }

  /** conf/spark-defaults.conf of the project directory, if present. */
  private static Path defaultsFile() {
    String home = home();
    if (home == null) {
      return null;
    }
    Path p = Path.of(home, "conf", "spark-defaults.conf");
    return Files.isRegularFile(p) ? p : null;
  }
}
