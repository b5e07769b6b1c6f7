package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.fs.HadoopPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bytes a Parquet load reads, as a task counts them ({@link HadoopPaths#bytesReadOnThisThread},
 * what summary.json's data_bytes_read_* add up): parquet-hadoop fetches column chunks with
 * vectored reads, which the local file system serves on other threads, so Hadoop's statistics of
 * the reading thread alone saw almost nothing. A file of a label and three columns of random
 * doubles in several row groups: reading every column counts the column chunks; reading one
 * column counts that column's and the label's chunks, not the whole file; reading the rows of the
 * first row group counts that group's chunks only, and its first 100 rows only the pages that
 * hold them (the offset index says which). The chunk sizes come from the file's footer;
 * the bound above each figure adds what is not a column chunk (footer, magic numbers) and what
 * opening the file costs on the local file system (its 4 KB read buffer around the footer, and
 * the checksum file).
 */
class ParquetBytesReadTest {
  private static final int ROWS = 40_000;
  /** Bytes an open of the file may read beyond the footer: buffer and checksums (~6 KB seen). */
  private static final long OPEN = 8 << 10;

  @TempDir
  static Path tmp;

  private static Path file;
  private static long length;
  private static List<BlockMetaData> groups;

  @BeforeAll
  static void write() throws IOException {
    MessageType schema = MessageTypeParser.parseMessageType("message m { required double label;"
        + " required double a; required double b; required double c; }");
    file = tmp.resolve("data.parquet");
    SimpleGroupFactory rows = new SimpleGroupFactory(schema);
    SplittableRandom rng = new SplittableRandom(25);
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(
            new org.apache.hadoop.fs.Path(file.toUri()))
        .withConf(new Configuration()).withType(schema)
        .withCompressionCodec(CompressionCodecName.SNAPPY)
        .withRowGroupSize(256L << 10).withPageSize(4 << 10).build()) {
      for (int r = 0; r < ROWS; r++) {
        w.write(rows.newGroup().append("label", (double) (r % 2)).append("a", rng.nextDouble())
            .append("b", rng.nextDouble()).append("c", rng.nextDouble()));
      }
    }
    length = Files.size(file);
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
        new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
      groups = r.getRowGroups();
    }
    assertTrue(groups.size() >= 3, "several row groups: " + groups.size());
  }

  /** Compressed bytes of the named columns' chunks in row groups [0, last]. */
  private static long chunks(Set<String> columns, int last) {
    long sum = 0;
    for (int g = 0; g <= last; g++) {
      for (ColumnChunkMetaData c : groups.get(g).getColumns()) {
        if (columns.contains(c.getPath().toDotString())) {
          sum += c.getTotalSize();
        }
      }
    }
    return sum;
  }

  /** The file's bytes outside its column chunks: leading magic, footer, its length, magic. */
  private static long notChunks() {
    return length - chunks(Set.of("label", "a", "b", "c"), groups.size() - 1);
  }

  /** Bytes this thread reads while loading rows [from, to) of the columns (the label too). */
  private static long bytesToLoad(List<String> features, int from, int to) {
    ParquetSource source = ParquetSource.columns(file.toString(), "label", features,
        SplitTasks.LOCAL, SparseRows.Storage.DENSE);
    long before = HadoopPaths.bytesReadOnThisThread();
    RowBlock block = source.load(from, to);
    long read = HadoopPaths.bytesReadOnThisThread() - before;
    assertEquals(to - from, block.rows());
    return read;
  }

  private static void check(String what, long read, long chunks) {
    System.out.printf("%s: read %,d bytes; its column chunks %,d, the file %,d (%.2f of it)%n",
        what, read, chunks, length, (double) read / length);
    assertTrue(read >= chunks, what + ": every column chunk read is counted (" + read + " < "
        + chunks + ")");
    assertTrue(read <= chunks + notChunks() + OPEN, what + ": nothing but those chunks and the "
        + "footer (" + read + " > " + chunks + " + " + notChunks() + " + " + OPEN + ")");
  }

  @Test
  void everyColumnCountsItsChunks() {
    int last = groups.size() - 1;
    check("label, a, b, c", bytesToLoad(List.of("a", "b", "c"), 0, ROWS),
        chunks(Set.of("label", "a", "b", "c"), last));
  }

  @Test
  void oneColumnCountsItsChunksNotTheFile() {
    long read = bytesToLoad(List.of("b"), 0, ROWS);
    check("label, b", read, chunks(Set.of("label", "b"), groups.size() - 1));
    assertTrue(read < 0.6 * length, "two of four columns: about half the file, not all of it");
  }

  @Test
  void theRowsOfTheFirstRowGroupCountThatGroupOnly() {
    int rows = (int) groups.get(0).getRowCount();
    check("the rows of group 0, label, a", bytesToLoad(List.of("a"), 0, rows),
        chunks(Set.of("label", "a"), 0));
  }

  @Test
  void theFirstRowsOfAGroupReadTheirPagesOnly() {
    long group = chunks(Set.of("label", "a"), 0);
    long read = bytesToLoad(List.of("a"), 0, 100);
    System.out.printf("rows 0..99 of group 0 (of %,d rows), label, a: read %,d bytes; the "
        + "group's chunks %,d%n", groups.get(0).getRowCount(), read, group);
    assertTrue(read > 0 && read < group / 4, "the first pages, not the whole chunks");
  }
}
