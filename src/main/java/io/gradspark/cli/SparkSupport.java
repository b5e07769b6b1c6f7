package io.gradspark.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** Starting (or joining) the SparkContext of a command. */
final class SparkSupport {
  private SparkSupport() {}

  /** A SparkContext and whether this command started it (and so stops it on close). */
  record Session(JavaSparkContext sc, boolean owned) implements AutoCloseable {
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
  static Session session(String masterFlag, String appName) {
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
   * -Dspark.* did not set. A local master binds the driver to 127.0.0.1.
   */
  static JavaSparkContext start(String masterFlag, String appName) {
    SparkConf conf = new SparkConf();
    Path defaults = defaultsFile();
    if (defaults != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(defaults)) {
        p.load(r);
      } catch (IOException e) {
        throw new io.gradspark.GradsparkException("Cannot read " + defaults + ": " + e.getMessage());
      }
      p.stringPropertyNames().forEach(k -> conf.setIfMissing(k, p.getProperty(k).trim()));
    }
    if (masterFlag != null) {
      conf.setMaster(masterFlag);
    }
    conf.setIfMissing("spark.master", "local[*]");
    if (conf.get("spark.master").startsWith("local")) {
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
    }
    conf.setIfMissing("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
    conf.setAppName("gradspark " + appName);
    JavaSparkContext sc = new JavaSparkContext(conf);
    sc.setLogLevel(System.getProperty("gradspark.spark.log", "WARN"));
    return sc;
  }

  /** conf/spark-defaults.conf of the project directory, if present. */
  private static Path defaultsFile() {
    String home = System.getProperty("gradspark.home", System.getenv("GRADSPARK_HOME"));
    if (home == null) {
      return null;
    }
    Path p = Path.of(home, "conf", "spark-defaults.conf");
    return Files.isRegularFile(p) ? p : null;
  }
}
