package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradspark.spark.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every refusal of Parquet data, through the real command line: exit 2, no stack trace, the
 * message naming the file, and for a bad row its row group and row (found in the file's footer by
 * the test, not assumed): not a Parquet file, a missing column (listing those there are), a
 * column that is not numeric, a null, vectors of different sizes, a size other than the
 * network's input.
 */
class ParquetRefusalsTest {
  private static final int ROWS = 300;
  private static final int BAD = 157;

  @TempDir
  Path tmp;

  private int runs;

  /** Spark writes rows (one file, row groups of 20 rows); row BAD gets the damage asked for. */
  private Path write(String name, String damage) {
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < ROWS; r++) {
      boolean bad = r == BAD;
      double[] x = {r % 7, r % 5, r % 3, 1};
      Object label = bad && damage.equals("null") ? null : r % 2;
      Object vector = bad && damage.equals("size") ? Vectors.dense(new double[] {1, 2, 3})
          : r % 2 == 0 ? Vectors.dense(x) : Vectors.dense(x).toSparse();
      rows.add(RowFactory.create(label, "row" + r, vector, x[0], x[1], x[2], x[3]));
    }
    StructType schema = new StructType(new StructField[] {
        new StructField("label", DataTypes.IntegerType, true, Metadata.empty()),
        new StructField("name", DataTypes.StringType, false, Metadata.empty()),
        new StructField("features", new VectorUDT(), false, Metadata.empty()),
        new StructField("a", DataTypes.DoubleType, false, Metadata.empty()),
        new StructField("b", DataTypes.DoubleType, false, Metadata.empty()),
        new StructField("c", DataTypes.DoubleType, false, Metadata.empty()),
        new StructField("d", DataTypes.DoubleType, false, Metadata.empty())});
    SparkSession spark = SparkSession.builder().sparkContext(SharedSpark.get().sc())
        .getOrCreate();
    Path dir = tmp.resolve(name);
    spark.createDataFrame(SharedSpark.get().parallelize(rows, 1), schema).write()
        .option("parquet.block.size", "1")
        .option("parquet.block.size.row.check.min", "20")
        .option("parquet.block.size.row.check.max", "20")
        .parquet(dir.toString());
    return dir;
  }

  private static Path partFile(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst()
          .orElseThrow();
    }
  }

  /** "row group g, row r" of row BAD, from the file's footer. */
  private static String whereBad(Path file) throws IOException {
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
        new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
      List<BlockMetaData> groups = r.getRowGroups();
      long before = 0;
      for (int g = 0; g < groups.size(); g++) {
        long n = groups.get(g).getRowCount();
        if (BAD < before + n) {
          assertEquals(true, g > 0, "the bad row is past the first row group");
          return "row group " + g + ", row " + (BAD - before) + " (row " + BAD + " of the file)";
        }
        before += n;
      }
    }
    throw new AssertionError("row " + BAD + " not in " + file);
  }

  private CliRun train(Path data, String... settings) throws IOException {
    Path conf = tmp.resolve("run.conf");
    Files.writeString(conf, String.join("\n",
        "data.train { format = parquet, path = \"" + data + "\" }",
        "model { layers = [4, 3, 2], activation = relu, head = softmax }",
        "training { epochs = 1, batch-size = 10, engine = local, checkpoint-every = off }", ""));
    List<String> args = new ArrayList<>(List.of("train", "--config", conf.toString(),
        "--out", tmp.resolve("out-" + (runs++)).toString()));
    for (String s : settings) {
      args.add("--set");
      args.add(s);
    }
    return CliRun.run(args.toArray(new String[0]));
  }

  @Test
  void goodDataTrainsEvaluatesAndPredicts() throws IOException {
    Path data = write("good", "none");
    CliRun trained = train(data);
    assertEquals(0, trained.exitCode());
    org.junit.jupiter.api.Assertions.assertTrue(trained.out().contains("on 300 rows (dense)"),
        trained.out());
    assertEquals(0, train(data, "data.train.feature-columns=[a, b, c, d]").exitCode());
    // evaluate --data and predict --input take a directory of *.parquet part files by name
    String model = tmp.resolve("out-0/model.npz").toString();
    CliRun evaluated = CliRun.run("evaluate", "--model", model, "--config",
        tmp.resolve("run.conf").toString(), "--data", data.toString());
    assertEquals(0, evaluated.exitCode(), evaluated.err());
    org.junit.jupiter.api.Assertions.assertTrue(evaluated.out().contains("300"),
        evaluated.out());
    Path predictions = tmp.resolve("predictions.csv");
    assertEquals(0, CliRun.run("predict", "--model", model, "--input", data.toString(),
        "--output", predictions.toString()).exitCode());
    assertEquals(301, Files.readAllLines(predictions).size(), "a header and a line a row");
  }

  @Test
  void notAParquetFile() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("csv"));
    Path fake = Files.writeString(dir.resolve("part-00000.parquet"), "1,2,3,4,5\n".repeat(40));
    train(dir).assertRefused("Parquet file " + fake, "not a Parquet file",
        "Expected magic number");
    Files.writeString(fake, "1,2\n");
    train(dir).assertRefused("Parquet file " + fake, "not a Parquet file (length is too low");
  }

  @Test
  void aMissingColumnIsNamedWithTheColumnsThatExist() throws IOException {
    Path data = write("missing", "none");
    Path file = partFile(data);
    train(data, "data.train.label-column=digit").assertRefused("Parquet file " + file,
        "no column \"digit\"", "its columns are label, name, features, a, b, c, d");
    train(data, "data.train.feature-columns=[a, e]").assertRefused("no column \"e\"");
    train(data, "data.train.features-column=vec").assertRefused("no column \"vec\"");
  }

  @Test
  void aColumnThatIsNotNumericIsRefused() throws IOException {
    Path data = write("text", "none");
    Path file = partFile(data);
    train(data, "data.train.label-column=name").assertRefused("Parquet file " + file,
        "column \"name\" has type binary", "expected a number");
    train(data, "data.train.feature-columns=[a, name]").assertRefused("column \"name\"");
    train(data, "data.train.features-column=a").assertRefused("column \"a\"",
        "not a Spark ML vector");
  }

  @Test
  void aNullNamesItsRowGroupAndRow() throws IOException {
    Path data = write("null", "null");
    Path file = partFile(data);
    train(data).assertRefused("Parquet file " + file + ", " + whereBad(file),
        "column \"label\" is null");
  }

  @Test
  void vectorsOfDifferentSizesNameTheRow() throws IOException {
    Path data = write("sizes", "size");
    Path file = partFile(data);
    train(data).assertRefused("Parquet file " + file + ", " + whereBad(file),
        "has size 3 but the data's vectors have size 4");
  }

  @Test
  void aSizeOtherThanTheNetworksInputIsRefused() throws IOException {
    Path data = write("input", "none");
    Path file = partFile(data);
    train(data, "model.layers=[5, 3, 2]").assertRefused("rows have 4 features but the "
        + "network's input size is 5", "file " + file + ", row group 0, row 0");
  }
}
