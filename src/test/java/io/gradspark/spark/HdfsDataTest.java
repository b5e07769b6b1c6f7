package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.api.Datasets;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainingJob;
import io.gradspark.data.CsvSource;
import io.gradspark.data.RowSource;
import io.gradspark.data.SplitTasks;
import io.gradspark.fs.HadoopPaths;
import io.gradspark.fs.MiniHdfs;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text data on a real HDFS (a MiniDFSCluster with 64 KiB blocks, so a CSV of a few hundred KB is
 * many blocks and splits), read by the executors: the counting pass and the loads run as Spark
 * tasks, the driver thread reads no byte of it, building the cache reads the data about once, and
 * the model is bit-identical to the same run from the local file.
 */
class HdfsDataTest {
  private static final long BLOCK = 64 << 10;

  @TempDir Path tmp;

  /** Rows of 8 features and a label 0..2 that depends on them: learnable, ~24 bytes a row. */
  private static String csv(int from, int to) {
    StringBuilder b = new StringBuilder();
    for (int i = from; i < to; i++) {
      int label = i % 3;
      b.append(label);
      for (int j = 0; j < 8; j++) {
        b.append(',').append((i * 31 + j * 17 + label * 40) % 97);
      }
      b.append('\n');
    }
    return b.toString();
  }

  private static RunSpec spec() {
    return RunSpec.builder(new Network(new int[] {8, 12, 3}, List.of(Activation.RELU),
            Head.SOFTMAX_CROSS_ENTROPY))
        .epochs(2).batchSize(256).seed(7).engine(RunSpec.Engine.SPARK).partitions(4)
        .prepare(new RunSpec.DataPrep(1.0 / 97, -1, 0, RunSpec.ValidationMode.LAST, 1, false))
        .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.HEAVY_BALL, 0.9, 0,
            new LearningRateSchedule.Constant(0.05)))
        .build();
  }

  private static double[] train(RowSource source) {
    RunSpec spec = spec();
    SparkEngines engines = new SparkEngines(SharedSpark.get());
    try (TrainingJob job = TrainingJob.start(spec,
        engines.over(spec, Datasets.prepare(spec, source, null)), "test")) {
      lastLoadBytes = ((SparkEngine) job.engine()).loadBytesRead();
      return job.fit(TrainingListener.NONE, Trainer.Checkpoints.NONE).parameters();
    }
  }

  /** The bytes the last train's engine read to build its cache (a per-engine figure). */
  private static long lastLoadBytes;

  @Test
  void csvOnHdfsIsReadByTheExecutorsAndTrainsBitIdenticalToTheLocalFile() throws IOException {
    MiniHdfs hdfs = MiniHdfs.get();
    Path local = tmp.resolve("train.csv");
    Files.writeString(local, csv(0, 30_000));
    String remote = hdfs.copyIn(local, "/hdfs-data-test/train.csv", BLOCK);
    int blocks = hdfs.blocks(remote);
    assertTrue(blocks >= 8, "the file spans " + blocks + " blocks");

    SparkSplitTasks tasks = new SparkSplitTasks(SharedSpark.get());
    long driverBefore = HadoopPaths.bytesReadOnThisThread();
    CsvSource onHdfs = new CsvSource(remote, 0, false, ',', tasks);
    double[] fromHdfs = train(onHdfs);
    long driverRead = HadoopPaths.bytesReadOnThisThread() - driverBefore;
    long cacheRead = lastLoadBytes;
    double[] fromLocal = train(new CsvSource(local.toString(), 0, false, ',', SplitTasks.LOCAL));
    long size = Files.size(local);
    System.out.printf("HDFS CSV of %,d bytes in %d blocks: counting read %,d bytes (%.2fx), "
        + "building the cache %,d (%.2fx), the driver thread %,d%n", size, blocks,
        tasks.bytesRead(), (double) tasks.bytesRead() / size, cacheRead,
        (double) cacheRead / size, driverRead);
    assertEquals(30_000, onHdfs.rows());
    assertEquals(0, driverRead, "the driver reads no data");
    assertTrue(tasks.bytesRead() >= size && tasks.bytesRead() < 1.3 * size,
        "the counting pass reads the data once");
    // a partition whose first row is mid-split reads that split from its start: at most one
    // block more than its own bytes, so 4 partitions read under size + 4 blocks (not 4 x size)
    assertTrue(cacheRead >= size && cacheRead < size + 4 * BLOCK,
        "the 4 partitions read the data once between them, not once each");
    double worst = 0;
    for (int i = 0; i < fromHdfs.length; i++) {
      worst = Math.max(worst, Math.abs(fromHdfs[i] - fromLocal[i]));
    }
    System.out.println("HDFS vs local file: max difference " + worst);
    assertArrayEquals(fromLocal, fromHdfs, "the same data and partitioning: bit-identical");
  }

  @Test
  void theOneVsAllClassCheckReadsOnAnExecutorToo() {
    MiniHdfs hdfs = MiniHdfs.get();
    String remote = hdfs.write("/hdfs-data-test/ova.csv",
        csv(0, 3_000).getBytes(StandardCharsets.UTF_8), BLOCK);
    SparkSplitTasks tasks = new SparkSplitTasks(SharedSpark.get());
    long before = HadoopPaths.bytesReadOnThisThread();
    CsvSource s = new CsvSource(remote, 0, false, ',', tasks);
    RunSpec ok = spec().toBuilder()
        .prepare(new RunSpec.DataPrep(1.0 / 97, 2, 0, RunSpec.ValidationMode.LAST, 1, false))
        .build();
    Datasets.prepare(ok, s, null, null, tasks);
    assertEquals(0, HadoopPaths.bytesReadOnThisThread() - before, "the driver reads no data");
    RunSpec bad = spec().toBuilder()
        .prepare(new RunSpec.DataPrep(1.0 / 97, 5, 0, RunSpec.ValidationMode.LAST, 1, false))
        .build();
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> Datasets.prepare(bad, s, null, null, tasks));
    System.out.println(e.getMessage());
    assertTrue(e.getMessage().contains("no training row has label 5"), e.getMessage());
    assertTrue(e.getMessage().contains("run from 0 to 2"), e.getMessage());
  }

  @Test
  void aBadLineDeepInTheThirdSplitIsReportedWithItsFileAndLine() throws IOException {
    MiniHdfs hdfs = MiniHdfs.get();
    String good = csv(0, 12_000);
    // the bad line is in the third 64 KiB block: ~24 bytes a line, so line ~7,000
    int badLine = 7_001;
    String[] lines = good.split("\n", -1);
    lines[badLine - 1] = lines[badLine - 1].replaceFirst(",[0-9]+$", ",7e");
    String text = String.join("\n", lines);
    long offset = 0;
    for (int i = 0; i < badLine - 1; i++) {
      offset += lines[i].length() + 1;
    }
    assertTrue(offset > 2 * BLOCK && offset < 3 * BLOCK, "line " + badLine + " at byte "
        + offset + " is in the third block");
    String remote = hdfs.write("/hdfs-data-test/bad/part-00000.csv",
        text.getBytes(StandardCharsets.UTF_8), BLOCK);
    CsvSource s = new CsvSource(remote, 0, false, ',', new SparkSplitTasks(SharedSpark.get()));
    GradsparkException e = assertThrows(GradsparkException.class, () -> train(s));
    System.out.println(e.getMessage());
    assertTrue(e.getMessage().contains("CSV file " + remote + " line " + badLine + ", column 9"),
        e.getMessage());
  }

  @Test
  void aDirectoryAGlobAndAGzippedPartOnHdfsAreOneDatasetInNameOrder() throws IOException {
    MiniHdfs hdfs = MiniHdfs.get();
    hdfs.write("/hdfs-data-test/parts/part-00000.csv",
        csv(0, 5_000).getBytes(StandardCharsets.UTF_8), BLOCK);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(csv(5_000, 9_000).getBytes(StandardCharsets.UTF_8));
    }
    hdfs.write("/hdfs-data-test/parts/part-00001.csv.gz", gz.toByteArray(), BLOCK);
    hdfs.write("/hdfs-data-test/parts/part-00002.csv",
        csv(9_000, 15_000).getBytes(StandardCharsets.UTF_8), BLOCK);
    hdfs.write("/hdfs-data-test/parts/_SUCCESS", new byte[0], BLOCK);
    Path local = tmp.resolve("all.csv");
    Files.writeString(local, csv(0, 15_000));
    RowSource whole = new CsvSource(local.toString(), 0, false, ',', SplitTasks.LOCAL);
    for (String path : new String[] {hdfs.path("/hdfs-data-test/parts"),
        hdfs.path("/hdfs-data-test/parts/part-*")}) {
      CsvSource s = new CsvSource(path, 0, false, ',', new SparkSplitTasks(SharedSpark.get()));
      assertEquals(15_000, s.rows(), path);
      assertTrue(s.describe().contains("3 files"), s.describe());
      io.gradspark.data.RowBlock a = whole.load(0, 15_000);
      io.gradspark.data.RowBlock b = s.load(0, 15_000);
      double[] ra = new double[8];
      double[] rb = new double[8];
      for (int r = 0; r < 15_000; r++) {
        a.copyRow(r, ra, 0);
        b.copyRow(r, rb, 0);
        assertArrayEquals(ra, rb, path + " row " + r);
        assertEquals(a.label(r), b.label(r), path + " label of row " + r);
      }
    }
  }
}
