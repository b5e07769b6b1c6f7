package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.fs.MiniHdfs;
import io.gradspark.io.ModelFile;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run directory on a real HDFS (MiniHdfs): train --out hdfs://... writes every output there,
 * a second run into it is refused, and an unfinished run (its driver killed: settings,
 * checkpoints and its lock file left) is resumed from it, bit-identical to a local run.
 */
class HdfsRunDirectoryTest {
  @TempDir
  Path tmp;

  private static CliRun trainMoons(String out) {
    return CliRun.run("train", "--config", "conf/experiments/moons.conf",
        "--set", "training.engine=local", "--set", "training.epochs=3",
        "--set", "data.train.rows=600", "--set", "data.test.rows=200", "--out", out);
  }

  private static List<String> names(FileSystem fs, String dir) throws IOException {
    List<String> n = new ArrayList<>();
    for (FileStatus s : fs.listStatus(new org.apache.hadoop.fs.Path(dir))) {
      n.add(s.getPath().getName() + (s.isDirectory() ? "/" : ""));
    }
    n.sort(null);
    return n;
  }

  @Test
  void aRunDirectoryOnHdfsIsWrittenRefusedWhenNotEmptyAndResumed() throws Exception {
    MiniHdfs hdfs = MiniHdfs.get();
    FileSystem fs = hdfs.fileSystem();
    Path local = tmp.resolve("local");
    assertEquals(0, trainMoons(local.toString()).exitCode());

    String run = hdfs.path("/runs/outputs-" + ProcessHandle.current().pid() + "-"
        + System.nanoTime());
    CliRun r = trainMoons(run);
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("Outputs in " + run), r.out());
    assertEquals(List.of("checkpoints/", "config.conf", "confusion.png", "curves.png",
        "history.csv", "history.json", "model.npz", "report.txt", "summary.json"),
        names(fs, run), "every output, no lock file, no temporary file");
    assertEquals(List.of("ckpt-e00001-s0000000.npz", "ckpt-e00002-s0000000.npz"),
        names(fs, run + "/checkpoints"));
    assertArrayEquals(ModelFile.load(local.resolve("model.npz")).params(),
        ModelFile.load(run + "/model.npz").params(), "the same model as a local run's");
    assertTrue(new String(fs.open(new org.apache.hadoop.fs.Path(run + "/summary.json"))
        .readAllBytes(), StandardCharsets.UTF_8).contains("\"test_accuracy\""));

    // a second run into the same, non-empty directory: exit 2, nothing touched
    CliRun again = trainMoons(run);
    assertEquals(2, again.exitCode(), again.err());
    assertTrue(again.err().contains("Output directory " + run + " exists and is not empty"),
        again.err());

    // the driver was killed during epoch 2: config.conf, the first checkpoint and its lock file
    // (naming this host and a process that is gone) are what is left
    for (String n : names(fs, run)) {
      if (!n.equals("config.conf") && !n.equals("checkpoints/")) {
        fs.delete(new org.apache.hadoop.fs.Path(run, n), true);
      }
    }
    fs.delete(new org.apache.hadoop.fs.Path(run + "/checkpoints/ckpt-e00002-s0000000.npz"),
        false);
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(run, ".lock"), false)) {
      out.write(("host=" + java.net.InetAddress.getLocalHost().getHostName() + "\npid="
          + gone.pid() + "\nstarted=2026-01-01T00:00:00Z\ntoken=killed\n")
          .getBytes(StandardCharsets.UTF_8));
    }
    CliRun resumed = CliRun.run("train", "--resume", run);
    assertEquals(0, resumed.exitCode(), resumed.err());
    assertTrue(resumed.out().contains("Resuming from checkpoint " + run
        + "/checkpoints/ckpt-e00001-s0000000.npz"), resumed.out());
    assertArrayEquals(ModelFile.load(local.resolve("model.npz")).params(),
        ModelFile.load(run + "/model.npz").params(), "the resumed run is bit-identical");
    List<String> a = Files.readAllLines(local.resolve("history.csv"));
    List<String> b = Arrays.asList(new String(fs.open(new org.apache.hadoop.fs.Path(run
        + "/history.csv")).readAllBytes(), StandardCharsets.UTF_8).split("\n"));
    assertEquals(a.size(), b.size(), "header and one line per epoch");
    for (int e = 1; e < a.size(); e++) {
      // epoch, steps, train_loss, val_loss, val_accuracy, test_loss, test_accuracy (not seconds)
      assertEquals(List.of(a.get(e).split(",")).subList(0, 7),
          List.of(b.get(e).split(",")).subList(0, 7));
    }
    assertFalse(fs.exists(new org.apache.hadoop.fs.Path(run, ".lock")), "the lock went with it");
  }
}
