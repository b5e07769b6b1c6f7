package io.gradspark.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.io.ModelFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real interruption: the driver JVM is killed (SIGKILL) mid-training, `train --resume` continues
 * from the newest checkpoint, and the final model is bit-identical to an uninterrupted run.
 */
class DriverKillIT {
  private static final String[] RUN = {"train", "--config", "conf/mnist.conf",
      "--set", "data.train.limit=4000", "--set", "data.validation.holdout=500",
      "--set", "data.test.limit=1000", "--set", "training.epochs=6",
      "--set", "training.partitions=2", "--set", "training.checkpoint-every=\"10 steps\"",
      "--master", "local[2]"};

  @TempDir
  Path tmp;

  private static String[] with(String... more) {
    return Launcher.with(RUN, more);
  }

  @Test
  void killedDriverResumesBitIdentical() throws Exception {
    Path a = tmp.resolve("a");
    assertEquals(0, Launcher.run(tmp.resolve("a.log"), Map.of(), with("--out", a.toString())));

    Path b = tmp.resolve("b");
    Process p = Launcher.start(tmp.resolve("b.log"), Map.of(), with("--out", b.toString()));
    Path checkpoints = b.resolve("checkpoints");
    long deadline = System.currentTimeMillis() + 120_000;
    String killedAfter = null;
    while (killedAfter == null && p.isAlive() && System.currentTimeMillis() < deadline) {
      if (Files.isDirectory(checkpoints)) {
        try (Stream<Path> files = Files.list(checkpoints)) {
          killedAfter = files.map(f -> f.getFileName().toString())
              .filter(n -> n.startsWith("ckpt-e00002-s")).findFirst().orElse(null);
        }
      }
      Thread.sleep(10);
    }
    assertTrue(p.isAlive(), "the run ended before it could be killed:\n"
        + Files.readString(tmp.resolve("b.log")));
    p.destroyForcibly(); // SIGKILL: no shutdown hooks, no final outputs
    p.waitFor();
    System.out.println("killed the driver after " + killedAfter);
    assertTrue(!Files.exists(b.resolve("model.npz")), "a killed run has no final model");

    assertEquals(0, Launcher.run(tmp.resolve("resume.log"), Map.of(),
        "train", "--resume", b.toString(), "--master", "local[2]"));
    assertArrayEquals(ModelFile.load(a.resolve("model.npz")).params(),
        ModelFile.load(b.resolve("model.npz")).params(),
        "a resumed run must end bit-identical to an uninterrupted one");
    assertEquals(Files.readAllLines(a.resolve("history.csv")).size(),
        Files.readAllLines(b.resolve("history.csv")).size());
  }
}
