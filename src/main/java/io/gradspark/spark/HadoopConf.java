package io.gradspark.spark;

import io.gradspark.fs.HadoopPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;

/**
 * Which Hadoop configuration the data readers use ({@link HadoopPaths#configure}): on the driver
 * the application's ({@code sc.hadoopConfiguration()}), on an executor the classpath's defaults
 * plus the application's {@code spark.hadoop.*} settings, which every executor has in its
 * SparkConf. Set once per JVM, before the first file is opened.
 */
final class HadoopConf {
  private HadoopConf() {}

  /** On the driver. */
  static void driver(JavaSparkContext sc) {
    HadoopPaths.configureIfUnset(sc::hadoopConfiguration);
  }

  /** In a task, before it reads. */
  static void executor() {
    HadoopPaths.configureIfUnset(() -> {
      Configuration c = new Configuration();
      SparkEnv env = SparkEnv.get();
      if (env != null) {
        for (Tuple2<String, String> kv : env.conf().getAllWithPrefix("spark.hadoop.")) {
          c.set(kv._1(), kv._2());
        }
      }
      return c;
    });
  }
}
