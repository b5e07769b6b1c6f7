package io.gradspark.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.fs.MiniHdfs;
import io.gradspark.io.ModelFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driver killed (SIGKILL) while it trains into a run directory on HDFS: its lock file stays
 * behind, naming a process that is gone, and `train --resume hdfs://...` takes it over, continues
 * from the newest checkpoint there and ends bit-identical to an uninterrupted local run.
 */
class HdfsDriverKillIT {
  private static final String[] RUN = {"train", "--config", "conf/experiments/moons.conf",
      "--set", "training.engine=local", "--set", "training.epochs=40",
      "--set", "data.train.rows=2000", "--set", "data.test.rows=500"};

  @TempDir
  Path tmp;

  private static String[] with(String... more) {
    String[] all = java.util.Arrays.copyOf(RUN, RUN.length + more.length);
    System.arraycopy(more, 0, all, RUN.length, more.length);
    return all;
  }

  @Test
  void aDriverKilledWhileWritingToHdfsResumesFromThereBitIdentical() throws Exception {
    MiniHdfs hdfs = MiniHdfs.get();
    FileSystem fs = hdfs.fileSystem();
    Path local = tmp.resolve("local");
    assertEquals(0, Launcher.run(tmp.resolve("local.log"), Map.of(),
        with("--out", local.toString())));

    String run = hdfs.path("/runs/killed-" + System.nanoTime());
    org.apache.hadoop.fs.Path checkpoints = new org.apache.hadoop.fs.Path(run + "/checkpoints");
    Process p = Launcher.start(tmp.resolve("killed.log"), Map.of(), with("--out", run));
    long deadline = System.currentTimeMillis() + 180_000;
    String killedAfter = null;
    while (killedAfter == null && p.isAlive() && System.currentTimeMillis() < deadline) {
      if (fs.exists(checkpoints)) {
        for (FileStatus s : fs.listStatus(checkpoints)) {
          if (s.getPath().getName().startsWith("ckpt-e00003-")) {
            killedAfter = s.getPath().getName();
          }
        }
      }
      Thread.sleep(20);
    }
    assertTrue(p.isAlive(), "the run ended before it could be killed:\n"
        + Files.readString(tmp.resolve("killed.log")));
    p.destroyForcibly(); // SIGKILL: no shutdown hooks, the lock file stays
    p.waitFor();
    System.out.println("killed the driver after " + killedAfter);
    org.apache.hadoop.fs.Path lock = new org.apache.hadoop.fs.Path(run + "/.lock");
    assertTrue(fs.exists(lock), "a killed driver leaves its lock file");
    assertFalse(fs.exists(new org.apache.hadoop.fs.Path(run + "/model.npz")));

    assertEquals(0, Launcher.run(tmp.resolve("resume.log"), Map.of(), "train", "--resume", run));
    String log = Files.readString(tmp.resolve("resume.log"));
    assertTrue(log.contains("Resuming from checkpoint " + run + "/checkpoints/ckpt-e"), log);
    assertArrayEquals(ModelFile.load(local.resolve("model.npz")).params(),
        ModelFile.load(run + "/model.npz").params(),
        "a run resumed from HDFS ends bit-identical to an uninterrupted one");
    assertFalse(fs.exists(lock), "the resumed run took the stale lock over and removed it");
  }
}
