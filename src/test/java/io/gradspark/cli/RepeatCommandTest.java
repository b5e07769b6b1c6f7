package io.gradspark.cli;

import io.gradspark.experiment.Trials;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.io.ModelFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** repeat through the real entry point: seeds, parallel = sequential, and the statistics. */
class RepeatCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  /** Two epochs of two moons on 400 points, batch 20: 40 steps per trial. */
  private static CliRun repeat(Path out, int trials, String parallel, String... extra) {
    List<String> args = new ArrayList<>(List.of("repeat", "--config",
        "conf/experiments/moons.conf", "--trials", Integer.toString(trials),
        "--set", "data.train.rows=400", "--set", "data.test.rows=200",
        "--set", "training.epochs=2", "--set", "training.batch-size=20",
        "--parallel", parallel, "--out", out.toString()));
    args.addAll(List.of(extra));
    return CliRun.run(args.toArray(String[]::new));
  }

  private static double[] params(Path run, int trial) {
    return ModelFile.load(run.resolve("trial-" + trial).resolve("model.npz")).params();
  }

  @Test
  void parallelTrialsOnSparkAreBitIdenticalToSequentialOnes() {
    Path seq = tmp.resolve("sequential");
    Path par = tmp.resolve("parallel");
    // one partition per trial, so that the shared local[3] context has room for both at once
    CliRun a = repeat(seq, 2, "1", "--set", "training.partitions=1");
    CliRun b = repeat(par, 2, "2", "--set", "training.partitions=1");
    assertEquals(0, a.exitCode(), a.err());
    assertEquals(0, b.exitCode(), b.err());
    assertTrue(a.out().contains("1 at a time") && b.out().contains("2 at a time"), b.out());
    for (int t = 0; t < 2; t++) {
      assertArrayEquals(params(seq, t), params(par, t), "trial " + t);
    }
    assertFalse(Arrays.equals(params(seq, 0), params(seq, 1)), "seeds 1 and 2 differ");
  }

  @Test
  void parallelLocalTrialsAreBitIdenticalToSequentialOnesAndUseSeedPlusI() throws IOException {
    Path seq = tmp.resolve("sequential");
    Path par = tmp.resolve("parallel");
    assertEquals(0, repeat(seq, 3, "1", "--set", "training.engine=local",
        "--set", "training.seed=7").exitCode());
    CliRun r = repeat(par, 3, "3", "--set", "training.engine=local", "--set", "training.seed=7");
    assertEquals(0, r.exitCode(), r.err());
    for (int t = 0; t < 3; t++) {
      assertArrayEquals(params(seq, t), params(par, t), "trial " + t);
      JsonNode summary = JSON.readTree(par.resolve("trial-" + t).resolve("summary.json").toFile());
      assertEquals(7 + t, summary.get("seed").asLong());
      for (String f : List.of("history.csv", "history.json", "curves.png", "config.conf")) {
        assertTrue(Files.isRegularFile(par.resolve("trial-" + t).resolve(f)), f);
      }
    }
  }

  @Test
  void statisticsMatchThePerTrialValues() throws IOException {
    Path out = tmp.resolve("stats");
    CliRun r = repeat(out, 3, "0", "--set", "training.engine=local");
    assertEquals(0, r.exitCode(), r.err());
    List<String> csv = Files.readAllLines(out.resolve("repeat.csv"));
    assertEquals(4, csv.size(), "header + 3 trials");
    List<String> header = List.of(csv.get(0).split(","));
    assertEquals(Trials.CSV_COLUMNS, header);
    JsonNode json = JSON.readTree(out.resolve("repeat.json").toFile());
    assertEquals(3, json.get("trials").asInt());
    assertEquals(3, json.get("per_trial").size());
    for (String metric : List.of("test_accuracy", "test_loss", "train_seconds")) {
      int col = header.indexOf(metric);
      double[] v = new double[3];
      for (int t = 0; t < 3; t++) {
        String[] cells = csv.get(t + 1).split(",");
        assertEquals(Integer.toString(t), cells[0]);
        assertEquals("ok", cells[2]);
        v[t] = Double.parseDouble(cells[col]);
      }
      double mean = (v[0] + v[1] + v[2]) / 3;
      double var = 0;
      for (double x : v) {
        var += (x - mean) * (x - mean);
      }
      double std = Math.sqrt(var / 2);
      JsonNode s = json.get("stats").get(metric);
      assertEquals(3, s.get("n").asInt());
      assertEquals(mean, s.get("mean").asDouble(), 1e-12 * Math.abs(mean), metric);
      assertEquals(std, s.get("std").asDouble(), 1e-9 * Math.max(std, 1e-12), metric);
      assertEquals(Arrays.stream(v).min().orElseThrow(), s.get("min").asDouble(), 0.0, metric);
      assertEquals(Arrays.stream(v).max().orElseThrow(), s.get("max").asDouble(), 0.0, metric);
      if (metric.equals("test_accuracy")) {
        // the printed table shows the same figures
        String line = r.out().lines().filter(l -> l.startsWith("test accuracy")).findFirst()
            .orElseThrow();
        assertTrue(line.contains(String.format(Locale.ROOT, "%.2f%%", 100 * mean)), line);
        assertTrue(line.contains(String.format(Locale.ROOT, "%.2f%%", 100 * std)), line);
      }
    }
    // no validation set: its statistic is absent, not zero
    assertEquals(0, json.get("stats").get("val_accuracy").get("n").asInt());
  }

  @Test
  void refusesBadArgumentsWithNothingWritten() {
    Path out = tmp.resolve("never");
    CliRun zero = repeat(out, 0, "0");
    assertEquals(2, zero.exitCode());
    assertTrue(zero.err().contains("--trials must be >= 1"), zero.err());
    CliRun typo = repeat(out, 2, "0", "--set", "training.epoch=2");
    assertEquals(2, typo.exitCode());
    assertTrue(typo.err().contains("did you mean 'training.epochs'"), typo.err());
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void everyNewCommandExplainsItself() {
    for (String cmd : List.of("repeat", "sweep", "report")) {
      CliRun r = CliRun.run(cmd, "--help");
      assertEquals(0, r.exitCode());
      assertTrue(r.out().contains("Usage: gradspark " + cmd), r.out());
      assertTrue(r.out().contains("Example:"), r.out());
    }
    assertTrue(CliRun.run("repeat", "--help").out().contains("training.seed + i"));
  }
}
