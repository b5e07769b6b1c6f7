package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 27, classes 9 and 10: values outside their ranges are refused before anything runs (exit
 * 2, what and where, a hint, nothing written); the linear scaling rule scales by the batch as
 * used.
 */
class ValueLimitsTest {
  private static final String MOONS = "conf/experiments/moons.conf";

  @TempDir
  Path tmp;

  private CliRun bench(String... extra) {
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("bench",
        "--config", MOONS, "--epochs", "1", "--engines", "local",
        "--json", tmp.resolve("b.json").toString()));
    if (!java.util.List.of(extra).contains("--dgemm-seconds")) {
      args.addAll(java.util.List.of("--dgemm-seconds", "0"));
    }
    args.addAll(java.util.List.of(extra));
    return CliRun.run(args.toArray(String[]::new));
  }

  @Test
  void benchAndGradcheckRefuseOutOfRangeValues() {
    bench("--target-accuracy", "1.5").assertRefused("--target-accuracy must be in (0, 1]",
        "1.5");
    bench("--target-accuracy", "0").assertRefused("--target-accuracy must be in (0, 1]");
    bench("--floor", "-3").assertRefused("--floor must be >= 0 but was -3");
    bench("--warmup", "-1").assertRefused("--warmup must be >= 0 but was -1");
    bench("--dgemm-seconds", "NaN").assertRefused("--dgemm-seconds must be a number >= 0");
    bench("--partitions", "-1").assertRefused("--partitions must be >= 0 but was -1");
    // moons: 3750 rows in batches of 10, 375 steps in one epoch
    bench("--warmup", "376").assertRefused("--warmup 376 is longer than the timed run",
        "375 steps");
    assertFalse(Files.exists(tmp.resolve("b.json")), "nothing written");
    CliRun.run("gradcheck", "--config", MOONS, "--partitions", "-1")
        .assertRefused("--partitions must be >= 0 but was -1");
  }

  @Test
  void repeatRefusesMoreTrialsThanItsMaximumAtOnce() {
    long t0 = System.nanoTime();
    CliRun r = CliRun.run("repeat", "--config", MOONS, "--trials", "100000000",
        "--out", tmp.resolve("r").toString());
    r.assertRefused("--trials must be at most 10000 but was 100000000");
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.println("repeat --trials 100000000 refused after " + seconds + " s");
    assertFalse(Files.exists(tmp.resolve("r")));
  }

  @Test
  void theScalingRuleUsesTheBatchAsUsedAndItsBound() throws Exception {
    // a batch of 10^9 rows is capped at the data's 3750: the rate is 1e-4 x 3750 / 100 = 0.00375,
    // not 1e-4 x 10^9 / 100 = 1000 (a run that ends in overflow)
    Path out = tmp.resolve("run");
    CliRun r = CliRun.run("train", "--config", MOONS, "--set", "training.engine=local",
        "--set", "training.epochs=2", "--set", "training.batch-size=1000000000",
        "--set", "optimizer.learning-rate=1e-4", "--set", "optimizer.base-batch-size=100",
        "--set", "optimizer.momentum=0", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    JsonNode s = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    double loss = s.get("train_loss").asDouble();
    System.out.println("capped batch, scaled rate: train loss " + loss);
    assertTrue(loss > 0.1 && loss < 1.0, "a small rate barely moves an untrained loss: " + loss);
    // 1e5 x 100 / 1 = 1e7: past optimizer.learning-rate's own bound of 1e6
    Path refused = tmp.resolve("refused");
    CliRun.run("train", "--config", MOONS, "--set", "training.engine=local",
        "--set", "training.epochs=1", "--set", "training.batch-size=100",
        "--set", "optimizer.learning-rate=1e5", "--set", "optimizer.base-batch-size=1",
        "--out", refused.toString())
        .assertRefused("The linear scaling rule makes the learning rate 1.0E7",
            "above the limit of 1000000.0");
    assertFalse(Files.exists(refused));
  }

  @Test
  void aFileUriOfAnotherHostIsRefusedByName() {
    Path out = tmp.resolve("o");
    CliRun r = CliRun.run("train", "--config", MOONS, "--set", "training.engine=local",
        "--set", "data.train.format=csv",
        "--set", "data.train.path=\"file://otherhost/data/train.csv\"",
        "--out", out.toString());
    r.assertRefused("names a file on host \"otherhost\"", "file:/data/train.csv");
    assertFalse(r.err().contains("Wrong FS"), r.err());
    assertFalse(Files.exists(out));
  }
}
