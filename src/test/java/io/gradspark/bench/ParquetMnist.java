package io.gradspark.bench;

import io.gradspark.data.IdxSource;
import io.gradspark.data.RowBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * MNIST's 60,000 training rows repeated SCALE times as Parquet, for submit/bench-data, in the
 * layout Spark writes (snappy, 128 MB row groups, 2 part files): a label and a Spark ML vector
 * column (every third row dense, the others sparse, as VectorAssembler mixes them) in
 * OUT/vector/, and a label and 784 integer columns in OUT/columns/. Files that exist are kept.
 * Runs on the application jar and the Spark classpath (parquet-hadoop is in the jar):
 *
 * <pre>
 * java -cp target/test-classes:target/gradspark-0.1.0-SNAPSHOT.jar:$(cat \
 *   target/spark-classpath.txt) io.gradspark.bench.ParquetMnist SCALE OUT
 * </pre>
 */
public final class ParquetMnist {
  private static final String VECTOR = "message spark_schema { required double label; "
      + "required group features { required int32 type (INTEGER(8,true)); optional int32 size; "
      + "optional group indices (LIST) { repeated group list { required int32 element; } } "
      + "optional group values (LIST) { repeated group list { required double element; } } } }";

  private ParquetMnist() {}

  public static void main(String[] args) throws IOException {
    int scale = Integer.parseInt(args[0]);
    Path out = Path.of(args[1]);
    RowBlock mnist = new IdxSource(Path.of("data/mnist/train-images-idx3-ubyte.gz"),
        Path.of("data/mnist/train-labels-idx1-ubyte.gz")).load(0, 60_000);
    StringBuilder columns = new StringBuilder("message spark_schema { ");
    for (int j = 0; j < 784; j++) {
      columns.append("required int32 p").append(j).append("; ");
    }
    columns.append("required int32 label; }");
    write(out.resolve("vector"), MessageTypeParser.parseMessageType(VECTOR), mnist, scale, true);
    write(out.resolve("columns"), MessageTypeParser.parseMessageType(columns.toString()), mnist,
        scale, false);
  }

  private static void write(Path dir, MessageType schema, RowBlock mnist, int scale,
      boolean vector) throws IOException {
    if (Files.exists(dir.resolve("_SUCCESS"))) {
      return;
    }
    Files.createDirectories(dir);
    SimpleGroupFactory rows = new SimpleGroupFactory(schema);
    int total = scale * mnist.rows();
    for (int part = 0; part < 2; part++) {
      org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(
          dir.resolve(String.format("part-%05d.snappy.parquet", part)).toUri());
      try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file)
          .withConf(new Configuration()).withType(schema)
          .withCompressionCodec(CompressionCodecName.SNAPPY)
          .withRowGroupSize(128L << 20).build()) {
        for (int i = part * total / 2; i < (part + 1) * total / 2; i++) {
          int r = i % mnist.rows();
          Group g = rows.newGroup();
          if (vector) {
            g.append("label", mnist.label(r));
            Group f = g.addGroup("features");
            boolean dense = i % 3 == 0;
            f.append("type", dense ? 1 : 0);
            if (!dense) {
              f.append("size", 784);
              Group idx = f.addGroup("indices");
              for (int j = 0; j < 784; j++) {
                if (mnist.feature(r, j) != 0) {
                  idx.addGroup("list").append("element", j);
                }
              }
            }
            Group vals = f.addGroup("values");
            for (int j = 0; j < 784; j++) {
              double v = mnist.feature(r, j);
              if (dense || v != 0) {
                vals.addGroup("list").append("element", v);
              }
            }
          } else {
            for (int j = 0; j < 784; j++) {
              g.append("p" + j, (int) mnist.feature(r, j));
            }
            g.append("label", (int) mnist.label(r));
          }
          w.write(g);
        }
      }
    }
    Files.writeString(dir.resolve("_SUCCESS"), "");
  }
}
