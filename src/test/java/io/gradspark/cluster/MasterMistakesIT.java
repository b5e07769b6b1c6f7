package io.gradspark.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cluster mistakes (issue 12) against a real standalone master with authentication: a wrong
 * secret, no secret, a port with nothing listening, an unknown master URL and local[0] each exit 2
 * in seconds with what was wrong, no stack trace and no Spark log flood, and leave no output.
 */
class MasterMistakesIT {
  private static final Path DIR = LocalCluster.HOME.resolve("target/master-mistakes-it");
  private static final LocalCluster cluster = new LocalCluster(DIR.resolve("cluster"));
  private static final Path ELSEWHERE = DIR.resolve("no-cluster-here");
  /**
   * "In seconds": well under the minute Spark's client spends on a master that does not answer
   * (three registration attempts 20 s apart), which is how these mistakes ended before; not less,
   * because on this 2-core machine a JVM's start alone takes up to ~20 s while ClusterIT starts
   * its eight Workers in the other integration-test JVM.
   */
  private static final double IN_SECONDS = 45;

  @BeforeAll
  static void startCluster() throws Exception {
    System.out.println(cluster.stop());
    Files.createDirectories(ELSEWHERE);
    System.out.println(cluster.start(1));
  }

  @AfterAll
  static void stopCluster() {
    System.out.println(cluster.stop());
  }

  record Run(int exit, String output, double seconds) {}

  /** submit/gradspark train on moons with env; the cluster's directory is not seen unless env. */
  private static Run train(String master, Map<String, String> env, Path out) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(LocalCluster.HOME.resolve("submit/gradspark")
        .toString(), "train", "--config", "conf/experiments/moons.conf", "--set",
        "training.epochs=1", "--master", master, "--out", out.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(LocalCluster.HOME.toFile())
        .redirectErrorStream(true);
    pb.environment().remove("SPARK_AUTHENTICATE_SECRET");
    pb.environment().remove("JAVA_OPTS");
    pb.environment().put("GRADSPARK_CLUSTER_DIR", ELSEWHERE.toString());
    pb.environment().putAll(env);
    long t = System.nanoTime();
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    Run r = new Run(p.exitValue(), output, (System.nanoTime() - t) / 1e9);
    System.out.println("$ gradspark train --master " + master + " " + env + "\n" + output
        + "[exit " + r.exit + " after " + r.seconds + " s]");
    return r;
  }

  private static void assertRefused(Run r, Path out, double maxSeconds, String... parts) {
    assertEquals(2, r.exit, r.output);
    for (String part : parts) {
      assertTrue(r.output.contains(part), "expected '" + part + "' in:\n" + r.output);
    }
    assertFalse(r.output.contains("\tat "), "no stack trace:\n" + r.output);
    assertFalse(r.output.contains("internal error"), r.output);
    long lines = r.output.lines().filter(l -> !l.contains("Using incubator modules")).count();
    assertTrue(lines <= 6, "a few lines, not a log flood: " + lines + "\n" + r.output);
    assertTrue(r.seconds < maxSeconds, "gave up after " + r.seconds + " s");
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void aWrongSecretIsRefusedAsAuthentication() throws Exception {
    Path out = DIR.resolve("wrong-secret");
    Run r = train(cluster.masterUrl(), Map.of("SPARK_AUTHENTICATE_SECRET", "not-the-secret"),
        out);
    assertRefused(r, out, IN_SECONDS, "refused this driver: authentication failed",
        "SPARK_AUTHENTICATE_SECRET");
    Run none = train(cluster.masterUrl(), Map.of(), out);
    assertRefused(none, out, IN_SECONDS, "requires authentication and no secret was given");
  }

  @Test
  void aPortWithNothingListeningIsNoMaster() throws Exception {
    Path out = DIR.resolve("no-master");
    Run r = train("spark://127.0.0.1:" + LocalCluster.freePort(), Map.of(), out);
    assertRefused(r, out, IN_SECONDS, "No Spark master at spark://127.0.0.1:",
        "nothing accepts connections there", "spark.gradspark.master.wait");
  }

  @Test
  void unknownMasterUrlsAreRefusedAsSuch() throws Exception {
    Path out = DIR.resolve("bad-url");
    assertRefused(train("foo://bar", Map.of(), out), out, IN_SECONDS,
        "Unknown Spark master URL 'foo://bar'", "local[*]");
    assertRefused(train("local[0]", Map.of(), out), out, IN_SECONDS,
        "The Spark master local[0] has no threads", "local[N]");
  }
}
