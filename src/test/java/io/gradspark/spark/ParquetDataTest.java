package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.api.Datasets;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainingJob;
import io.gradspark.data.IdxSource;
import io.gradspark.data.ParquetSource;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.data.Views;
import io.gradspark.fs.MiniHdfs;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parquet written by Spark itself: 1,000 MNIST rows as a Spark ML vector column (dense and
 * sparse rows mixed; and as VectorAssembler writes it) and as 784 integer columns plus a label,
 * in several part files of several row groups each. Each trains on Spark to the model the same
 * rows give from the IDX files with the same partitions, bit for bit, read from the local disk
 * and from HDFS with row groups over several blocks; the driver decodes no data row.
 */
class ParquetDataTest {
  private static final int ROWS = 1_000;
  private static final int FILES = 3;
  /** Small row groups (bytes), so each part file holds several. */
  private static final String ROW_GROUP = String.valueOf(48 << 10);

  @TempDir
  static Path tmp;

  private static RowBlock mnist;
  private static String mixed;
  private static String assembled;
  private static String pixels;

  @BeforeAll
  static void write() {
    mnist = new IdxSource(Path.of("data/mnist/train-images-idx3-ubyte.gz"),
        Path.of("data/mnist/train-labels-idx1-ubyte.gz")).load(0, ROWS);
    // a session of its own with Spark SQL's generated code off: compiling the projections of
    // 785-column rows (and VectorAssembler's over 784) cost most of this test's minute; the
    // interpreted ones write the same Parquet files
    SparkSession spark = SparkSession.builder().sparkContext(SharedSpark.get().sc())
        .getOrCreate().newSession();
    spark.conf().set("spark.sql.codegen.wholeStage", "false");
    spark.conf().set("spark.sql.codegen.factoryMode", "NO_CODEGEN");
    List<Row> vectors = new ArrayList<>();
    List<Row> ints = new ArrayList<>();
    for (int r = 0; r < ROWS; r++) {
      double[] x = new double[784];
      Object[] cells = new Object[785];
      for (int j = 0; j < 784; j++) {
        int p = (int) mnist.feature(r, j); // IDX pixels are read as 0..255
        x[j] = p;
        cells[j] = p;
      }
      cells[784] = (int) mnist.label(r);
      Vector v = Vectors.dense(x);
      // every third row dense, the others sparse
      vectors.add(RowFactory.create(mnist.label(r), r % 3 == 0 ? v : v.toSparse()));
      ints.add(RowFactory.create(cells));
    }
    StructType vectorSchema = new StructType(new StructField[] {
        new StructField("label", DataTypes.DoubleType, false, Metadata.empty()),
        new StructField("features", new VectorUDT(), false, Metadata.empty())});
    StructField[] intFields = new StructField[785];
    String[] names = new String[784];
    for (int j = 0; j < 784; j++) {
      names[j] = "p" + j;
      intFields[j] = new StructField(names[j], DataTypes.IntegerType, false, Metadata.empty());
    }
    intFields[784] = new StructField("label", DataTypes.IntegerType, false, Metadata.empty());
    Dataset<Row> vectorDf = spark.createDataFrame(
        SharedSpark.get().parallelize(vectors, FILES), vectorSchema);
    Dataset<Row> intDf = spark.createDataFrame(
        SharedSpark.get().parallelize(ints, FILES), new StructType(intFields));
    mixed = write(vectorDf, "mixed");
    pixels = write(intDf, "pixels");
    assembled = write(new VectorAssembler().setInputCols(names).setOutputCol("features")
        .transform(intDf).select("label", "features"), "assembled");
  }

  private static String write(Dataset<Row> df, String name) {
    String dir = tmp.resolve(name).toString();
    df.write().option("parquet.block.size", ROW_GROUP).parquet(dir);
    return dir;
  }

  private static RunSpec spec() {
    return RunSpec.builder(new Network(new int[] {784, 16, 10}, List.of(Activation.RELU),
            Head.SOFTMAX_CROSS_ENTROPY))
        .epochs(1).batchSize(64).seed(11).engine(RunSpec.Engine.SPARK).partitions(4)
        .prepare(RunSpec.DataPrep.scaledBy(1.0 / 255))
        .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.NESTEROV, 0.9, 0,
            new LearningRateSchedule.Constant(0.1)))
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

  /** The bytes the last train's executors read to build its cache (summary.json's figure). */
  private static long lastLoadBytes;

  /** Bytes of a directory's Parquet part files. */
  private static long partBytes(String dir) throws IOException {
    try (Stream<Path> files = Files.list(Path.of(dir))) {
      long sum = 0;
      for (Path f : files.filter(f -> f.toString().endsWith(".parquet")).toList()) {
        sum += Files.size(f);
      }
      return sum;
    }
  }

  private static double[] idxModel() {
    return train(Views.range(new IdxSource(Path.of("data/mnist/train-images-idx3-ubyte.gz"),
        Path.of("data/mnist/train-labels-idx1-ubyte.gz")), 0, ROWS));
  }

  /** Trains on source (built by the callable on the driver) and checks who decoded rows. */
  private static double[] trainCountingRows(java.util.function.Supplier<ParquetSource> make) {
    Map<String, Long> before = ParquetSource.rowsDecodedByThread();
    ParquetSource source = make.get();
    System.out.println(source.describe());
    assertEquals(ROWS, source.rows());
    double[] params = train(source);
    Map<String, Long> grown = new HashMap<>();
    ParquetSource.rowsDecodedByThread().forEach((thread, n) -> {
      long was = before.getOrDefault(thread, 0L);
      if (n > was) {
        grown.put(thread, n - was);
      }
    });
    long total = grown.values().stream().mapToLong(Long::longValue).sum();
    System.out.println("rows decoded, by thread: " + grown);
    assertTrue(total >= ROWS, "the executors decoded the rows: " + grown);
    for (String thread : grown.keySet()) {
      assertTrue(thread.startsWith("Executor task launch worker"),
          "only Spark's executor threads decode rows, not the driver's: " + grown);
    }
    return params;
  }

  private static void assertSame(double[] expected, double[] actual, String what) {
    double worst = 0;
    for (int i = 0; i < actual.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    }
    System.out.printf("%s vs IDX: max |difference| %.3e over %d parameters%n", what, worst,
        actual.length);
    assertArrayEquals(expected, actual, what + ": bit-identical to the IDX run");
  }

  private static long rowGroups(ParquetSource s) {
    String d = s.describe();
    String n = d.substring(d.indexOf("rows in ") + 8, d.indexOf(" row groups"));
    return Long.parseLong(n);
  }

  @Test
  void vectorAndIntegerColumnsTrainBitIdenticalToIdx() throws IOException {
    SparkSplitTasks tasks = new SparkSplitTasks(SharedSpark.get());
    double[] idx = idxModel();
    ParquetSource[] made = new ParquetSource[1];
    double[] fromMixed = trainCountingRows(() -> made[0] =
        ParquetSource.vector(mixed, "label", "features", tasks));
    assertTrue(rowGroups(made[0]) > FILES, "several row groups a file: " + made[0].describe());
    assertSame(idx, fromMixed, "vector column, dense and sparse rows");
    assertTrue(!made[0].sparse(), "MNIST is ~19% nonzero: dense in auto");
    ParquetSource forced = ParquetSource.vector(mixed, "label", "features", tasks,
        io.gradspark.data.SparseRows.Storage.SPARSE);
    double[] sparse = train(forced);
    double worst = 0;
    for (int i = 0; i < idx.length; i++) {
      worst = Math.max(worst, Math.abs(sparse[i] - idx[i]));
    }
    System.out.printf("vector column cached sparse (forced) vs IDX: max |difference| %.3e%n",
        worst);
    assertTrue(worst <= 1e-9, "sparse rows agree with dense ones to round-off");
    assertSame(idx, trainCountingRows(() ->
        ParquetSource.vector(assembled, "label", "features", tasks)), "VectorAssembler's column");
    List<String> columns = new ArrayList<>();
    for (int j = 0; j < 784; j++) {
      columns.add("p" + j);
    }
    double[] fromInts = trainCountingRows(() -> made[0] =
        ParquetSource.columns(pixels, "label", columns, tasks));
    assertTrue(made[0].isBytes(), "integer pixels cache as bytes: " + made[0].describe());
    assertSame(idx, fromInts, "784 integer columns");
    // every column is read: the executors' bytes are the files' (a row group two partitions
    // share is read by both), not the near 0 that Hadoop's statistics of the task thread alone
    // see of parquet-hadoop's vectored reads
    long size = partBytes(pixels);
    System.out.printf("784 integer columns: the executors read %,d bytes to cache %,d bytes of "
        + "part files (%.2fx)%n", lastLoadBytes, size, (double) lastLoadBytes / size);
    assertTrue(lastLoadBytes >= 0.9 * size && lastLoadBytes < 2 * size,
        "the cache's bytes read count the files once: " + lastLoadBytes + " of " + size);

    // the library API's one line for a Parquet path
    SparkModel model = Gradspark.fit(SharedSpark.get(), ParquetSource.vector(mixed, "label",
        "features", new SparkSplitTasks(SharedSpark.get())), spec());
    assertSame(idx, model.model().parameters(), "Gradspark.fit on a ParquetSource");
  }

  @Test
  void onHdfsWithRowGroupsOverSeveralBlocksTheModelIsTheSame() throws IOException {
    MiniHdfs hdfs = MiniHdfs.get();
    long block = 32 << 10;
    int mostBlocks = 0;
    try (Stream<Path> files = Files.list(Path.of(mixed))) {
      for (Path f : files.toList()) {
        // _SUCCESS and the .crc side files go along: the reader skips them
        String remote = hdfs.copyIn(f, "/parquet-data-test/mixed/" + f.getFileName(), block);
        if (f.getFileName().toString().endsWith(".parquet")) {
          mostBlocks = Math.max(mostBlocks, hdfs.blocks(remote));
        }
      }
    }
    assertTrue(mostBlocks >= 3, "a part file spans " + mostBlocks + " blocks");
    int across = 0;
    try (Stream<Path> files = Files.list(Path.of(mixed))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".parquet")).toList()) {
        try (var reader = org.apache.parquet.hadoop.ParquetFileReader.open(
            org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(f.toUri()),
                new org.apache.hadoop.conf.Configuration()))) {
          for (var g : reader.getRowGroups()) {
            long first = g.getStartingPos();
            long last = first + g.getCompressedSize() - 1;
            across += first / block != last / block ? 1 : 0;
          }
        }
      }
    }
    System.out.println(across + " row groups cross an HDFS block boundary");
    assertTrue(across >= 2, "row groups lie over several blocks: " + across);
    SparkSplitTasks tasks = new SparkSplitTasks(SharedSpark.get());
    double[] onHdfs = trainCountingRows(() -> ParquetSource.vector(
        hdfs.path("/parquet-data-test/mixed"), "label", "features", tasks));
    assertSame(idxModel(), onHdfs, "vector column on HDFS");
    double[] glob = trainCountingRows(() -> ParquetSource.vector(
        hdfs.path("/parquet-data-test/mixed/part-*"), "label", "features", tasks));
    assertSame(onHdfs, glob, "a glob of the part files");
  }
}
