package io.gradspark.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.io.ModelFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dataset larger than Spark's storage memory still trains with training.storage-level =
 * MEMORY_AND_DISK: a 512 MB JVM with spark.memory.fraction = 0.05 has ~10 MB of unified memory,
 * while 30,000 MNIST images are 23 MB as bytes. The result equals a roomy MEMORY_ONLY run.
 */
class SmallMemoryIT {
  private static final String[] RUN = {"train", "--config", "conf/mnist.conf",
      "--set", "data.train.limit=30000", "--set", "data.validation.holdout=2000",
      "--set", "data.test.limit=2000", "--set", "training.epochs=1",
      "--set", "training.partitions=4", "--set", "training.checkpoint-every=off",
      "--master", "local[2]"};

  @TempDir
  Path tmp;

  private String[] with(String... more) {
    String[] all = java.util.Arrays.copyOf(RUN, RUN.length + more.length);
    System.arraycopy(more, 0, all, RUN.length, more.length);
    return all;
  }

  @Test
  void datasetLargerThanTheCacheTrainsWithMemoryAndDisk() throws Exception {
    Path roomy = tmp.resolve("roomy");
    assertEquals(0, Launcher.run(tmp.resolve("roomy.log"), Map.of(), with("--out",
        roomy.toString())));
    Path small = tmp.resolve("small");
    Path log = tmp.resolve("small.log");
    assertEquals(0, Launcher.run(log, Map.of("JAVA_OPTS",
        "-Xmx512m -Dspark.memory.fraction=0.05"),
        with("--set", "training.storage-level=MEMORY_AND_DISK", "--out", small.toString())));
    String out = Files.readString(log);
    assertTrue(out.contains("Not enough space to cache"),
        "the data must not fit in storage memory for this test to mean anything:\n" + out);
    assertArrayEquals(ModelFile.load(roomy.resolve("model.npz")).params(),
        ModelFile.load(small.resolve("model.npz")).params(),
        "spilling to disk must not change the result");
  }
}
