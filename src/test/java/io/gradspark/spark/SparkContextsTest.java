package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Master URLs and the cluster settings a driver derives from its environment. */
class SparkContextsTest {
  @TempDir
  Path tmp;

  @Test
  void masterUrlsSparkWouldFailOnAreRefused() {
    for (String ok : new String[] {"local", "local[1]", "local[*]", "local[4,2]", "yarn",
        "spark://127.0.0.1:7077", "spark://a:7077,b:7077", "k8s://https://h:6443"}) {
      SparkContexts.checkMasterUrl(ok);
    }
    GradsparkException zero = assertThrows(GradsparkException.class,
        () -> SparkContexts.checkMasterUrl("local[0]"));
    assertTrue(zero.getMessage().contains("local[0] has no threads"), zero.getMessage());
    for (String bad : new String[] {"foo://bar", "spark://host", "local[x]", "lokal[2]"}) {
      GradsparkException e = assertThrows(GradsparkException.class,
          () -> SparkContexts.checkMasterUrl(bad));
      assertTrue(e.getMessage().startsWith("Unknown Spark master URL '" + bad + "'"),
          e.getMessage());
      assertTrue(e.hint().contains("spark://HOST:PORT"), e.hint());
    }
  }

  private String configure(SparkConf conf, Map<String, String> env) {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      SparkContexts.configureCluster(conf, env);
    } finally {
      System.setErr(old);
    }
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anEnvironmentSecretThatTheLocalClusterDoesNotUseIsWarnedAbout() throws Exception {
    Path cluster = Files.createDirectories(tmp.resolve("cluster"));
    Files.writeString(cluster.resolve("master-url"), "spark://127.0.0.1:7999\n");
    Files.writeString(cluster.resolve("secret"), "the-clusters-own\n");
    SparkConf conf = new SparkConf(false).setMaster("spark://127.0.0.1:7999")
        .set("spark.jars", "app.jar");
    String err = configure(conf, Map.of("GRADSPARK_CLUSTER_DIR", cluster.toString(),
        "SPARK_AUTHENTICATE_SECRET", "another"));
    assertTrue(err.contains("warning: SPARK_AUTHENTICATE_SECRET is not used for "
        + "spark://127.0.0.1:7999"), err);
    assertTrue(err.contains(cluster + "/secret"), err);
    assertEquals("the-clusters-own", conf.get("spark.authenticate.secret"));

    // the same secret, or another master: no warning, and the environment's secret elsewhere
    SparkConf same = new SparkConf(false).setMaster("spark://127.0.0.1:7999")
        .set("spark.jars", "app.jar");
    assertEquals("", configure(same, Map.of("GRADSPARK_CLUSTER_DIR", cluster.toString(),
        "SPARK_AUTHENTICATE_SECRET", "the-clusters-own")));
    SparkConf other = new SparkConf(false).setMaster("spark://10.0.0.1:7077")
        .set("spark.jars", "app.jar").set("spark.driver.host", "10.0.0.2");
    String none = configure(other, Map.of("GRADSPARK_CLUSTER_DIR", cluster.toString(),
        "SPARK_AUTHENTICATE_SECRET", "another"));
    assertFalse(none.contains("warning"), none);
    assertEquals("another", other.get("spark.authenticate.secret"));
  }
}
