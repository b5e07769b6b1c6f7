package io.gradspark.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.io.ModelFile;
import io.gradspark.nn.GradientCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregation bound: a 954,010-parameter network (784-1200-10: 7.6 MB a gradient sum) on 16
 * partitions with spark.driver.maxResultSize lowered to 64m, so that collecting every partition's
 * sum (122 MB) would pass it, trains through a tree (4 sums reach the driver) and equals the local
 * engine to round-off; with the limit below one sum it is refused before training (exit 2, no
 * run directory) with the value to raise it to. In its own JVMs: the test JVM shares one
 * SparkContext, whose conf cannot change.
 */
class ResultLimitIT {
  private static final String[] RUN = {"train", "--config", "conf/mnist.conf",
      "--set", "model.layers=[784,1200,10]", "--set", "data.train.limit=2048",
      "--set", "data.validation.holdout=0", "--set", "data.test.limit=500",
      "--set", "training.batch-size=512", "--set", "training.epochs=1",
      "--set", "training.checkpoint-every=off"};

  @TempDir
  Path tmp;

  private static String[] with(String... more) {
    return Launcher.with(RUN, more);
  }

  @Test
  void sixteenPartitionSumsOverTheResultLimitTrainThroughATreeAndEqualTheLocalEngine()
      throws Exception {
    Path local = tmp.resolve("local");
    assertEquals(0, Launcher.run(tmp.resolve("local.log"), Map.of(),
        with("--set", "training.engine=local", "--out", local.toString())));

    Path spark = tmp.resolve("spark");
    Path log = tmp.resolve("spark.log");
    assertEquals(0, Launcher.run(log, Map.of("JAVA_OPTS", "-Dspark.driver.maxResultSize=64m"),
        with("--set", "training.partitions=16", "--master", "local[2]",
            "--out", spark.toString())));
    String out = Files.readString(log);
    // the test means something only if the old direct collect would have passed the limit
    Matcher m = Pattern.compile("tree aggregation, 1 level \\(a task merges 4\\): 4 of 16 "
        + "results reach the driver; all 16 partition results would be ([0-9.]+) MiB, over half "
        + "of spark.driver.maxResultSize \\(64.0 MiB\\)").matcher(out);
    assertTrue(m.find(), "the run must go through a tree:\n" + out);
    double direct = Double.parseDouble(m.group(1));
    assertTrue(direct > 64, direct + " MiB: a direct collect must pass the 64 MiB limit");

    double[] a = ModelFile.load(local.resolve("model.npz")).params();
    double[] b = ModelFile.load(spark.resolve("model.npz")).params();
    assertEquals(954_010, a.length);
    double maxAbs = 0;
    for (int i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
    }
    double rel = GradientCheck.relativeDifference(a, b);
    System.out.printf("16 partitions, 64 MiB limit (direct would bring %.1f MiB): tree vs local "
        + "engine after 4 steps: max |difference| %.3e, relative %.3e%n", direct, maxAbs, rel);
    assertTrue(rel <= 1e-12, "relative difference " + rel);
  }

  @Test
  void aLimitBelowOneSumIsRefusedBeforeTraining() throws Exception {
    Path out = tmp.resolve("refused");
    Path log = tmp.resolve("refused.log");
    assertEquals(2, Launcher.run(log, Map.of("JAVA_OPTS", "-Dspark.driver.maxResultSize=4m"),
        with("--set", "training.partitions=16", "--master", "local[2]",
            "--out", out.toString())));
    String text = Files.readString(log);
    assertTrue(text.contains("error: One partition's gradient sum of 954,010 parameters is 7.3 "
        + "MiB as a Spark task result, more than spark.driver.maxResultSize (4.0 MiB)"), text);
    assertTrue(text.contains("hint: raise spark.driver.maxResultSize to 15m or more"), text);
    assertFalse(text.contains("Training "), "refused before training:\n" + text);
    assertFalse(Files.exists(out), "a refused run writes nothing");
  }
}
