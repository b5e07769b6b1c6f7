package io.gradspark.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * submit/cluster-bench's arithmetic, without a cluster: its --project mode on results made from
 * known costs must give those costs back and project with them, and its mistakes end with exit
 * code 2 before it creates anything. (The namespaced cluster itself needs root: run by hand,
 * src/site/markdown/scaling.md.)
 */
class ClusterBenchScriptTest {
  private static final Path HOME = Path.of(System.getProperty("user.dir")).toAbsolutePath();
  private static final long W = 1_000_000;
  private static final double A_STAR = 50;
  private static final double A_TREE = 80;
  private static final double BETA = 8e-6; // ms per byte: 8 ms/MB
  private static final double GAMMA = 12;
  private static final double COMPUTE = 20; // ms at every P on 2 cores: 40 core-ms a step

  @TempDir
  Path tmp;

  record Result(int exit, String out, String err) {}

  private static Result run(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(HOME.resolve("submit/cluster-bench").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(HOME.toFile()).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "cluster-bench did not finish");
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  /**
   * A run's figures as cluster-bench records them, its exchange made exactly by the model: the
   * star's busiest link the driver's (P vectors each way), the tree's a task's ((2 - 1/P)
   * vectors each way) and P - 1 other tasks to exchange with.
   */
  private static String runJson(String exchange, int p) {
    boolean star = exchange.equals("star");
    double oneWay = star ? p * 8.0 * W : (2 - 1.0 / p) * 8.0 * W;
    double ex = (star ? A_STAR : A_TREE) + BETA * oneWay + GAMMA * (star ? 0 : p - 1);
    return runJson(exchange, p, ex, star ? 2 * oneWay : 2 * 8.0 * W, oneWay, exchange);
  }

  private static String runJson(String exchange, int p, double ex, double driverLink,
      double oneWay, String ranAs) {
    return String.format(Locale.ROOT, "{\"exchange\": \"%s\", \"partitions\": %d, "
        + "\"network\": \"test\", \"parameters\": %d, \"batch_size\": 16, \"cores\": 2, "
        + "\"steps\": 20, \"rate\": \"1gbit\", \"rate_bps\": 1000000000, \"step_ms\": %s, "
        + "\"compute_ms\": %s, \"update_ms\": 0, \"exchange_ms\": %s, "
        + "\"driver_bytes_per_step\": null, \"driver_link_bytes_per_step\": %s, "
        + "\"busiest_link\": \"drv\", \"busiest_link_bytes_per_step\": %s, "
        + "\"busiest_one_way_bytes_per_step\": %s, \"bench_exchange\": \"%s\"}", exchange, p, W,
        COMPUTE + ex, COMPUTE, ex, driverLink, 2 * oneWay, oneWay, ranAs);
  }

  @Test
  void projectGivesBackTheCostsTheRunsWereMadeWithAndProjectsWithThem() throws Exception {
    List<String> runs = new ArrayList<>();
    for (String x : List.of("star", "tree")) {
      for (int p : new int[] {2, 4, 8}) {
        runs.add(runJson(x, p));
      }
    }
    // a star whose driver's link saturated (1.6x its bytes: retransmissions, 4 s of exchange) and
    // a tree whose sessions did not start (its steps ran as jobs): neither may move the fit
    runs.add(runJson("star", 16, 4000, 1.6 * 2 * 16 * 8.0 * W, 1.6 * 16 * 8.0 * W, "star"));
    runs.add(runJson("tree", 16, 9000, 2 * 8.0 * W, 2 * 8.0 * W, "jobs"));
    Path results = tmp.resolve("results.json");
    Files.writeString(results, "[" + String.join(",\n", runs) + "]");
    Result r = run("--project", results.toString());
    System.out.println(r.out() + r.err());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("a = 50.0 ms star, 80.0 ms tree; beta = 8.000 ms/MB"), r.out());
    assertTrue(r.out().contains("gamma = 12.00 ms per task (fitted)"), r.out());
    assertTrue(r.out().contains("left out, saturated: P = 16 star"), r.out());
    assertTrue(r.out().contains("P = 16 tree: its sessions did not start"), r.out());
    assertTrue(r.out().contains("compute: 40.0 core-ms per step"), r.out());
    // tree step / star step at P = 8: (20 + 80 + 8e-6 x 1.875 x 8e6 + 12 x 7) / (20 + 50 + 512)
    assertTrue(r.out().contains("P = 8: tree step / star step = 0.52"), r.out());
    assertTrue(r.out().contains("tree step at P = 8 / at P = 2 = 1.46"), r.out());
    // at P = 16, 40/16 = 2.5 ms of compute: star 2.5 + 50 + 8e-6 x 16 x 8e6 = 1,076.5; tree
    // 2.5 + 80 + 8e-6 x (2 - 1/16) x 8e6 + 12 x 15 = 386.5; ring 2.5 + 80 + 2 x 15 x (8e-6 x 8e6
    // / 16 + 12) = 562.5
    assertTrue(r.out().contains("| star | 1,076.5 |"), r.out());
    assertTrue(r.out().contains("| tree | 386.5 |"), r.out());
    assertTrue(r.out().contains("| ring | 562.5 |"), r.out());
    // efficiency, star: step at P = 2 / step at P = 4 = (20 + 50 + 128) / (20 + 50 + 256)
    assertTrue(r.out().contains(String.format(Locale.ROOT, "| drv | %.2f |", 198.0 / 326)),
        r.out());
  }

  @Test
  void mistakesEndWithExitCode2AndAHint() throws Exception {
    for (String[] args : List.of(new String[] {"--rate", "fast"},
        new String[] {"--project", tmp.resolve("none.json").toString()},
        new String[] {"--steps"}, new String[] {"--frobnicate"})) {
      Result r = run(args);
      assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.err());
      assertTrue(r.err().startsWith("cluster-bench: ") && r.err().contains("hint: "), r.err());
    }
  }
}
