package io.gradspark.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The one SparkContext of the test JVM (Spark allows one per JVM, and starting one costs seconds):
 * local[3], UI off, bound to loopback. Stopped by a shutdown hook when the JVM exits.
 */
public final class SharedSpark {
  private static JavaSparkContext sc;

  private SharedSpark() {}

  public static synchronized JavaSparkContext get() {
    if (sc == null) {
      SparkConf conf = new SparkConf()
          .setMaster("local[3]")
          .setAppName("gradspark-tests")
          .set("spark.ui.enabled", "false")
          .set("spark.scheduler.mode", "FAIR")
          .set("spark.driver.host", "127.0.0.1")
          .set("spark.driver.bindAddress", "127.0.0.1");
      sc = new JavaSparkContext(conf);
      sc.setLogLevel("WARN");
      Runtime.getRuntime().addShutdownHook(new Thread(sc::stop));
    }
    return sc;
  }
}
