package io.gradspark.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.data.IdxSource;
import io.gradspark.data.RowBlock;
import io.gradspark.fs.MiniHdfs;
import io.gradspark.io.ModelFile;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run that lives on a real HDFS (a MiniDFSCluster with 1 MiB blocks): the training CSV spans
 * several blocks and splits, the run directory and its checkpoints are on hdfs://, the driver is
 * killed (SIGKILL) mid-run and `train --resume hdfs://...` finishes it; the model is
 * bit-identical to the same run from the local file with a local run directory.
 */
class HdfsRunIT {
  @TempDir
  Path tmp;

  private static String[] run(String trainPath, String out) {
    return new String[] {"train", "--config", "conf/mnist.conf",
        "--set", "data.train.format=csv", "--set", "data.train.path=" + trainPath,
        "--set", "data.train.label-column=0", "--set", "data.train.header=false",
        "--set", "data.validation.holdout=500", "--set", "data.test.limit=1000",
        "--set", "training.epochs=6", "--set", "training.partitions=2",
        "--set", "training.checkpoint-every=\"10 steps\"", "--master", "local[2]",
        "--out", out};
  }

  /** MNIST's first 4,000 training rows as CSV (label first): about 7 MB. */
  private static Path mnistCsv(Path dir) throws Exception {
    IdxSource idx = new IdxSource(Launcher.HOME.resolve("data/mnist/train-images-idx3-ubyte.gz"),
        Launcher.HOME.resolve("data/mnist/train-labels-idx1-ubyte.gz"));
    RowBlock b = idx.load(0, 4000);
    Path csv = dir.resolve("train.csv");
    double[] row = new double[784];
    try (BufferedWriter w = Files.newBufferedWriter(csv)) {
      for (int r = 0; r < b.rows(); r++) {
        b.copyRow(r, row, 0);
        w.write((int) b.label(r) + "," + Arrays.stream(row).mapToObj(v -> Integer.toString((int) v))
            .collect(Collectors.joining(",")) + "\n");
      }
    }
    return csv;
  }

  @Test
  void aRunOnHdfsKilledAndResumedIsBitIdenticalToTheLocalRun() throws Exception {
    MiniHdfs hdfs = MiniHdfs.get();
    Path csv = mnistCsv(tmp);
    String remote = hdfs.copyIn(csv, "/hdfs-run-it/train.csv");
    int blocks = hdfs.blocks(remote);
    assertTrue(blocks >= 4, "the CSV spans " + blocks + " blocks");
    Map<String, String> env = new HashMap<>();
    env.put("JAVA_OPTS", MiniHdfs.clientSettings().entrySet().stream()
        .map(e -> "-D" + e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));

    Path a = tmp.resolve("a");
    assertEquals(0, Launcher.run(tmp.resolve("a.log"), env, run(csv.toString(), a.toString())));

    String b = hdfs.path("/hdfs-run-it/runs/b");
    Process p = Launcher.start(tmp.resolve("b.log"), env, run(remote, b));
    FileSystem fs = hdfs.fileSystem();
    org.apache.hadoop.fs.Path checkpoints = new org.apache.hadoop.fs.Path(b + "/checkpoints");
    long deadline = System.currentTimeMillis() + 180_000;
    String killedAfter = null;
    while (killedAfter == null && p.isAlive() && System.currentTimeMillis() < deadline) {
      if (fs.exists(checkpoints)) {
        for (FileStatus s : fs.listStatus(checkpoints)) {
          if (s.getPath().getName().startsWith("ckpt-e00002-s")) {
            killedAfter = s.getPath().getName();
          }
        }
      }
      Thread.sleep(20);
    }
    assertTrue(p.isAlive(), "the run ended before it could be killed:\n"
        + Files.readString(tmp.resolve("b.log")));
    p.destroyForcibly(); // SIGKILL: no shutdown hooks, no final outputs
    p.waitFor();
    System.out.println("killed the driver after " + killedAfter + "; on HDFS: "
        + Arrays.stream(fs.listStatus(new org.apache.hadoop.fs.Path(b)))
            .map(s -> s.getPath().getName()).toList());
    assertFalse(fs.exists(new org.apache.hadoop.fs.Path(b + "/model.npz")),
        "a killed run has no final model");
    String log = Files.readString(tmp.resolve("b.log"));
    assertTrue(log.contains("on 3,500 rows"), log);

    assertEquals(0, Launcher.run(tmp.resolve("resume.log"), env,
        "train", "--resume", b, "--master", "local[2]"));
    Path model = tmp.resolve("b-model.npz");
    hdfs.copyOut(b + "/model.npz", model);
    double[] expected = ModelFile.load(a.resolve("model.npz")).params();
    double[] actual = ModelFile.load(model).params();
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    System.out.println("HDFS run (killed, resumed) vs local run: max difference " + worst);
    assertArrayEquals(expected, actual,
        "killed and resumed on HDFS must end bit-identical to the uninterrupted local run");
    assertEquals(Files.readAllLines(a.resolve("history.csv")).size(),
        new String(hdfs.read(b + "/history.csv")).split("\n").length);
  }
}
