package io.gradspark.cli;

import io.gradspark.spark.SparkContexts;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A command's SparkContext, started (or joined) only when an engine first needs one, so that a
 * command refused for bad input or run on the local engine starts no Spark. Closing stops a
 * context the command started, never one it joined.
 */
final class SparkHolder implements AutoCloseable {
  private final String master;
  private final String appName;
  private SparkContexts.Session session;

  SparkHolder(String master, String appName) {
    this.master = master;
    this.appName = appName;
  }

  synchronized JavaSparkContext sc() {
    if (session == null) {
      session = SparkContexts.session(master, appName);
    }
    return session.sc();
  }

  @Override
  public synchronized void close() {
    if (session != null) {
      session.close();
      session = null;
    }
  }
}
