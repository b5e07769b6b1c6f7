package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.api.RunSpec;
import io.gradspark.fs.MiniHdfs;
import io.gradspark.spark.HadoopCheckpointStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 27, class 8: what a run directory on HDFS says when things go wrong. The loser of two runs
 * starting at once is told the directory is in use, not shown a lease error; a run whose
 * checkpoint store cannot be reached says so and removes nothing, instead of "no checkpoint was
 * written yet: nothing kept".
 */
class HdfsRunStoryTest {
  @TempDir
  Path tmp;

  @Test
  void theLoserOfASimultaneousStartIsToldTheDirectoryIsInUse() throws Exception {
    MiniHdfs hdfs = MiniHdfs.get();
    String run = hdfs.mkdirs("/runs/race-" + ProcessHandle.current().pid() + "-"
        + System.nanoTime());
    // the winner has created the lock file and not yet closed it: the name node holds its lease
    FileSystem other = FileSystem.newInstance(new java.net.URI(hdfs.uri()),
        hdfs.fileSystem().getConf());
    try (FSDataOutputStream winner = other.create(new org.apache.hadoop.fs.Path(run + "/"
        + RunDirectory.LOCK), false)) {
      GradsparkException e = assertThrows(GradsparkException.class,
          () -> RunDirectory.claim(run, true));
      System.out.println(e.getMessage() + " / " + e.hint());
      assertTrue(e.getMessage().contains("Output directory " + run + " is in use by another run"),
          e.getMessage());
      assertFalse(e.getMessage().contains("lease") || e.getMessage().contains("Exception"),
          e.getMessage());
      winner.write("host=elsewhere\npid=1\n".getBytes(StandardCharsets.UTF_8));
    } finally {
      other.close();
    }
  }

  @Test
  void anUnreachableCheckpointStoreIsReportedAndNothingIsRemoved() throws Exception {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: nothing listens there, as after a lost name node
    }
    String store = "hdfs://127.0.0.1:" + port + "/checkpoints/run";
    HadoopCheckpointStore checkpoints = HadoopCheckpointStore.of(
        new RunSpec.Checkpoints(1, 0, store), run.toString());
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try (TrainDirectory dir = new TrainDirectory(run.toString(), false, checkpoints)) {
      Files.writeString(run.resolve("config.conf"), "training.epochs = 12\n");
      Files.writeString(run.resolve("history.csv"), "epoch\n1\n");
    } finally {
      System.setErr(old);
    }
    String said = err.toString(StandardCharsets.UTF_8);
    System.out.println(said);
    assertFalse(said.contains("nothing kept"), said);
    assertTrue(said.contains("cannot be reached") && said.contains(store), said);
    assertTrue(said.contains("train --resume " + run), said);
    assertTrue(Files.exists(run.resolve("config.conf")), "kept: the run can be resumed later");
    assertTrue(Files.exists(run.resolve("history.csv")), "nothing removed while in doubt");
    assertEquals(true, Files.isDirectory(run));
  }
}
