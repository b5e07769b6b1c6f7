package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.api.RunSpec;
import io.gradspark.eval.EpochStats;
import io.gradspark.fs.MiniHdfs;
import io.gradspark.io.CheckpointFile;
import io.gradspark.train.TrainingState;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.util.Progressable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints in a run directory on HDFS (issue 11); a full disk while writing a checkpoint
 * (issue 12): a user error, and no file left behind.
 */
class HadoopCheckpointStoreTest {
  @TempDir
  Path tmp;

  /**
   * Hadoop's local file system on a disk that fills up once full is set: a file being written
   * gets its first kilobytes, then the write fails as on a full disk (the stream writes to
   * /dev/full, and Hadoop turns its "No space left on device" into an FSError, an Error).
   */
  static final class FullDisk extends RawLocalFileSystem {
    volatile boolean full;

    FullDisk() throws IOException {
      initialize(URI.create("file:///"), new Configuration());
    }

    @Override
    public FSDataOutputStream create(org.apache.hadoop.fs.Path f, boolean overwrite,
        int bufferSize, short replication, long blockSize, Progressable progress)
        throws IOException {
      if (!full) {
        return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
      }
      Files.write(pathToFile(f).toPath(), new byte[4096]);
      return super.create(new org.apache.hadoop.fs.Path("/dev/full"), true, 1, replication,
          blockSize, progress);
    }
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static long localTemps() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("gradspark-ckpt-")).count();
    }
  }

  private static TrainingState at(int epoch, int step, double[] velocity) {
    return TrainingState.builder().at(epoch, step).velocity(velocity).build();
  }

  @Test
  void aFullDiskIsReportedAndLeavesNoTemporaryFile() throws IOException {
    Path dir = tmp.resolve("ckpt");
    double[] params = new double[20_000];
    double[] velocity = new double[20_000];
    FullDisk disk = new FullDisk();
    HadoopCheckpointStore store = new HadoopCheckpointStore(
        new org.apache.hadoop.fs.Path(dir.toUri()), disk, 1, 0);
    long tempsBefore = localTemps();
    store.save(at(1, 0, velocity), params);
    assertEquals(List.of("ckpt-e00001-s0000000.npz"), names(dir));
    disk.full = true;
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> store.save(at(2, 0, velocity), params));
    assertTrue(e.getMessage().contains("Cannot write checkpoint ckpt-e00002-s0000000.npz"),
        e.getMessage());
    assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
    assertTrue(e.hint().contains("free space there, or choose another training.checkpoint-dir"),
        e.hint());
    assertEquals(List.of("ckpt-e00001-s0000000.npz"), names(dir),
        "the half-copied temporary file is gone, the previous checkpoint kept");
    assertEquals(tempsBefore, localTemps(), "the local copy is gone");
    // a step checkpoint on the same full disk: the same report
    GradsparkException step = assertThrows(GradsparkException.class,
        () -> store.save(at(2, 5, velocity), params));
    assertTrue(step.getMessage().contains("ckpt-e00002-s0000005.npz"), step.getMessage());
    assertEquals(List.of("ckpt-e00001-s0000000.npz"), names(dir));
  }

  @Test
  void onHdfsCheckpointsAreSavedListedPrunedToTwoAndTheNewestLoaded() throws IOException {
    MiniHdfs hdfs = MiniHdfs.get();
    // an application whose Hadoop settings are the cluster's client settings (1 MiB blocks, one
    // replica), as spark.hadoop.* would give them: the files are written with its settings
    Object application = new Object();
    io.gradspark.fs.HadoopPaths.configureFor(application, () -> {
      org.apache.hadoop.conf.Configuration c = new org.apache.hadoop.conf.Configuration();
      MiniHdfs.clientSettings().forEach(c::set);
      return c;
    });
    try {
      savedListedPrunedAndLoaded(hdfs);
    } finally {
      // the classpath's defaults for later tests (closes this application's file systems)
      io.gradspark.fs.HadoopPaths.configureFor(new Object(),
          org.apache.hadoop.conf.Configuration::new);
    }
  }

  private void savedListedPrunedAndLoaded(MiniHdfs hdfs) throws IOException {
    String run = hdfs.path("/runs/checkpoint-store");
    HadoopCheckpointStore store =
        HadoopCheckpointStore.of(new RunSpec.Checkpoints(1, 0, ""), run);
    assertEquals(run + "/checkpoints", store.location());
    store.checkWritable();
    assertEquals(List.of(), store.list());
    long tempsBefore = localTemps();
    int n = 300_000; // 2.4 MB of parameters: each checkpoint spans several 1 MiB blocks
    for (int epoch = 1; epoch <= 4; epoch++) {
      double[] params = new double[n];
      double[] velocity = new double[n];
      for (int i = 0; i < n; i++) {
        params[i] = epoch + i * 1e-6;
        velocity[i] = -epoch - i * 1e-7;
      }
      List<EpochStats> history = new java.util.ArrayList<>();
      for (int e = 1; e <= epoch; e++) {
        history.add(new EpochStats(e, 10, 1.0 / e, 1.1 / e, 0.9, Double.NaN, Double.NaN, 1, 100));
      }
      store.save(TrainingState.builder().at(epoch, 0).velocity(velocity)
          .done(history, epoch, 10L * epoch).build(), params);
    }
    assertEquals(List.of(run + "/checkpoints/ckpt-e00004-s0000000.npz",
            run + "/checkpoints/ckpt-e00003-s0000000.npz"),
        store.list().stream().map(Object::toString).toList(), "the newest two, newest first");
    List<String> onHdfs = new java.util.ArrayList<>();
    for (org.apache.hadoop.fs.FileStatus f : hdfs.fileSystem()
        .listStatus(new org.apache.hadoop.fs.Path(run + "/checkpoints"))) {
      onHdfs.add(f.getPath().getName());
    }
    java.util.Collections.sort(onHdfs);
    assertEquals(List.of("ckpt-e00003-s0000000.npz", "ckpt-e00004-s0000000.npz"), onHdfs,
        "no temporary or probe file left");
    // 4.8 MB in the application's 1 MiB blocks
    int blocks = hdfs.blocks(run + "/checkpoints/ckpt-e00004-s0000000.npz");
    System.out.println("checkpoint on HDFS: " + blocks + " blocks");
    assertTrue(blocks >= 4, blocks + " blocks");

    CheckpointFile.Loaded newest = store.newest(n);
    assertEquals(4, newest.state().epoch());
    assertEquals(0, newest.state().step());
    assertEquals(40, newest.state().steps());
    assertEquals(4, newest.state().history().size());
    assertEquals(4.0, newest.params()[0]);
    assertEquals(4 + (n - 1) * 1e-6, newest.params()[n - 1]);
    assertEquals(-4 - (n - 1) * 1e-7, newest.state().velocity()[n - 1]);
    // a second store on the same directory (a resumed run) finds the same checkpoint
    HadoopCheckpointStore resumed =
        HadoopCheckpointStore.of(new RunSpec.Checkpoints(1, 0, ""), run);
    assertArrayEquals(newest.params(), resumed.newest(n).params());
    assertEquals(tempsBefore, localTemps(), "the local copies are gone");
    hdfs.delete(run);
  }
}
