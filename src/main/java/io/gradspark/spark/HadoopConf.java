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
 * SparkConf. Set per Spark application (its SparkEnv, which driver and tasks share in local mode),
 * before its first file is opened: a later application in the same JVM gets its own, and the file
 * systems an application opened are closed when it ends or the next one starts.
 */
final class HadoopConf {
  private HadoopConf() {}

  /**
   * On the driver. The first time for an application, also has its file systems closed when it
   * ends ({@link HadoopPaths#release}).
   */
  static void driver(JavaSparkContext sc) {
    SparkEnv env = sc.sc().env();
    HadoopPaths.configureFor(env, () -> {
      sc.sc().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
        @Override
        public void onApplicationEnd(org.apache.spark.scheduler.SparkListenerApplicationEnd end) {
          HadoopPaths.release(env);
        }
      });
      return sc.hadoopConfiguration();
    });
  }

  /** In a task, before it reads. */
  static void executor() {
    SparkEnv env = SparkEnv.get();
    HadoopPaths.configureFor(env, () -> {
      Configuration c = new Configuration();
      if (env != null) {
        for (Tuple2<String, String> kv : env.conf().getAllWithPrefix("spark.hadoop.")) {
          c.set(kv._1(), kv._2());
        }
      }
      return c;
    });
  }
}
