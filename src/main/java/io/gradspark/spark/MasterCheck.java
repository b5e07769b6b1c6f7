package io.gradspark.spark;

import io.gradspark.GradsparkException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.SparkConf;
import org.apache.spark.rpc.RpcAddress;
import org.apache.spark.rpc.RpcEnv;

/**
 * Asks a standalone master (spark://...) whether it is there and takes this driver, before
 * starting a SparkContext: Spark itself retries a master that is not there, or that refuses the
 * driver's secret, for about a minute and then prints hundreds of lines of traces. Here a master
 * that does not answer within {@value #WAIT} (default {@value #DEFAULT_WAIT}) is reported in
 * seconds with what was wrong: nothing listens there, or the master refused the authentication.
 */
final class MasterCheck {
  /** How long to wait for a master (e.g. one that is still starting): a Spark time string. */
  static final String WAIT = "spark.gradspark.master.wait";
  static final String DEFAULT_WAIT = "5s";

  private MasterCheck() {}

  static void check(SparkConf conf) {
    String master = conf.get("spark.master");
    long waitMs = conf.getTimeAsMs(WAIT, DEFAULT_WAIT);
    String waitHint = "to wait longer for a master that is starting, raise " + WAIT + " (now "
        + conf.get(WAIT, DEFAULT_WAIT) + "), e.g. JAVA_OPTS=-D" + WAIT + "=60s";
    List<RpcAddress> masters = new ArrayList<>();
    for (String hostPort : master.substring("spark://".length()).split(",")) {
      int colon = hostPort.lastIndexOf(':');
      masters.add(new RpcAddress(hostPort.substring(0, colon),
          Integer.parseInt(hostPort.substring(colon + 1))));
    }
    RpcAddress listening = listening(masters, waitMs);
    if (listening == null) {
      throw new GradsparkException("No Spark master at " + master + ": nothing accepts "
          + "connections there (tried for " + conf.get(WAIT, DEFAULT_WAIT) + ")",
          "check the URL (submit/local-cluster status prints the local cluster's), start the "
              + "master (submit/local-cluster start 2); " + waitHint);
    }
    askMaster(conf, master, listening, waitMs, waitHint);
  }

  /** The first master that accepts a TCP connection before the deadline, or null. */
  private static RpcAddress listening(List<RpcAddress> masters, long waitMs) {
    long deadline = System.currentTimeMillis() + waitMs;
    do {
      for (RpcAddress a : masters) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(a.host(), a.port()),
              (int) Math.max(200, Math.min(1000, waitMs)));
          return a;
        } catch (IOException e) {
          // not (yet) there
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    } while (System.currentTimeMillis() < deadline);
    return null;
  }

  /**
   * Looks up the Master endpoint over Spark's RPC with the driver's own security settings: the
   * authentication handshake happens here, so a wrong or missing secret fails here.
   */
  private static void askMaster(SparkConf driverConf, String master, RpcAddress at, long waitMs,
      String waitHint) {
    SparkConf conf = driverConf.clone();
    String timeout = Math.max(1, waitMs / 1000) + "s";
    conf.set("spark.rpc.lookupTimeout", timeout);
    conf.set("spark.rpc.askTimeout", timeout);
    conf.set("spark.network.timeout", timeout);
    boolean secret = conf.contains("spark.authenticate.secret");
    Level rpcLevel = LogManager.getLogger("org.apache.spark.rpc").getLevel();
    Level netLevel = LogManager.getLogger("org.apache.spark.network").getLevel();
    Configurator.setAllLevels("org.apache.spark.rpc", Level.OFF);
    Configurator.setAllLevels("org.apache.spark.network", Level.OFF);
    RpcEnv env = null;
    long started = System.currentTimeMillis();
    try {
      org.apache.spark.SecurityManager security = new org.apache.spark.SecurityManager(conf,
          org.apache.spark.SecurityManager$.MODULE$.$lessinit$greater$default$2(),
          org.apache.spark.SecurityManager$.MODULE$.$lessinit$greater$default$3());
      security.initializeAuth();
      env = RpcEnv.create("gradspark-master-check", conf.get("spark.driver.bindAddress",
          conf.get("spark.driver.host", "127.0.0.1")), 0, conf, security, true);
      env.setupEndpointRef(at, "Master");
    } catch (Exception e) { // SparkException is checked, and Scala does not declare it
      if (System.getenv("GRADSPARK_DEBUG") != null) {
        e.printStackTrace();
      }
      String all = causes(e).toLowerCase(Locale.ROOT);
      if (all.contains("cannot find endpoint") || all.contains("not found")) {
        throw new GradsparkException("No Spark master at " + master + ": something listens at "
            + at.host() + ":" + at.port() + " but it is not a Spark master",
            "check the URL: the master's port is 7077 unless SPARK_MASTER_PORT says otherwise");
      }
      // the master took the connection and then dropped it before the wait was over: it did
      // not take this driver's authentication (a master without authentication answers)
      boolean waited = System.currentTimeMillis() - started >= waitMs * 9 / 10;
      if (waited) {
        throw new GradsparkException("The Spark master " + master + " did not answer within "
            + timeout + (secret ? "" : "; it may require authentication"),
            (secret ? "" : "set SPARK_AUTHENTICATE_SECRET (or spark.authenticate.secret); ")
                + waitHint);
      }
      throw new GradsparkException("The Spark master " + master + " refused this driver: "
          + (secret ? "authentication failed (the secret is not the master's)"
              : "it requires authentication and no secret was given"),
          "give the cluster's secret in SPARK_AUTHENTICATE_SECRET or spark.authenticate.secret "
              + "(the local cluster's is in target/local-cluster/secret, used automatically "
              + "for its URL)");
    } finally {
      if (env != null) {
        env.shutdown();
      }
      Configurator.setLevel("org.apache.spark.rpc", rpcLevel);
      Configurator.setLevel("org.apache.spark.network", netLevel);
    }
  }

  private static String causes(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = e; c != null; c = c.getCause()) {
      b.append(c.getClass().getName()).append(": ").append(c.getMessage()).append('\n');
      if (c.getCause() == c) {
        break;
      }
    }
    return b.toString();
  }
}
