package io.gradspark.data;

import static io.gradspark.data.TestData.images;
import static io.gradspark.data.TestData.labels;
import static io.gradspark.data.TestData.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gzipped data file whose content fails its CRC-32 (a byte flipped mid-stream, or a wrong CRC in
 * the trailer) is refused naming the file, also when only a leading range of rows is loaded, as a
 * Spark partition does. Stored (level 0) gzip makes the flipped byte change only the content, so
 * the CRC is the only thing that can notice it.
 */
class GzipIntegrityTest {
  @TempDir Path dir;

  private static byte[] gzip(byte[] data, int level) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out) {
      {
        def.setLevel(level);
      }
    }) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  /** A byte in the middle of the deflate data flipped. */
  private static byte[] flippedMidStream(byte[] gz) {
    byte[] b = gz.clone();
    b[b.length / 2] ^= 0x10;
    return b;
  }

  /** The CRC-32 in the trailer (bytes -8..-5) changed, the content intact. */
  private static byte[] wrongCrc(byte[] gz) {
    byte[] b = gz.clone();
    b[b.length - 8] ^= 0x01;
    return b;
  }

  private static void assertNamesFile(GradsparkException e, Path f) {
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
  }

  /**
   * Opens a source on the intact file, then damages the file and loads rows [0, 2): the range
   * load must check the whole stream. Also opening on the damaged file, when the source reads it
   * whole while opening, must refuse.
   */
  private void assertRefused(byte[] content, String name, Function<Path, RowSource> open,
      Function<byte[], byte[]> damage) throws IOException {
    for (int level : new int[] {Deflater.NO_COMPRESSION, Deflater.DEFAULT_COMPRESSION}) {
      byte[] good = gzip(content, level);
      Path f = write(dir, name, good);
      RowSource s = open.apply(f);
      assertEquals(2, s.load(0, 2).rows(), "the intact file loads");
      Files.write(f, damage.apply(good));
      assertNamesFile(assertThrows(GradsparkException.class, () -> s.load(0, 2)), f);
      try {
        open.apply(f).load(0, 2);
        throw new AssertionError(name + " level " + level + ": a damaged file was used");
      } catch (GradsparkException e) {
        assertNamesFile(e, f);
      }
    }
  }

  @Test
  void idxImagesWithAFlippedByteOrWrongCrcAreRefused() throws IOException {
    Path labels = write(dir, "labels.gz", TestData.gzip(labels(0x801, 500)));
    for (Function<byte[], byte[]> damage : List.<Function<byte[], byte[]>>of(
        GzipIntegrityTest::flippedMidStream, GzipIntegrityTest::wrongCrc)) {
      assertRefused(images(0x803, 500, 28, 28), "images.gz", f -> new IdxSource(f, labels), damage);
    }
  }

  @Test
  void idxLabelsWithAFlippedByteOrWrongCrcAreRefused() throws IOException {
    Path images = write(dir, "images.gz", TestData.gzip(images(0x803, 5000, 2, 2)));
    for (Function<byte[], byte[]> damage : List.<Function<byte[], byte[]>>of(
        GzipIntegrityTest::flippedMidStream, GzipIntegrityTest::wrongCrc)) {
      assertRefused(labels(0x801, 5000), "labels.gz", f -> new IdxSource(images, f), damage);
    }
  }

  @Test
  void csvAndLibsvmWithAFlippedByteOrWrongCrcAreRefused() throws IOException {
    StringBuilder csv = new StringBuilder();
    StringBuilder svm = new StringBuilder();
    for (int i = 0; i < 3000; i++) {
      csv.append(i % 10).append(',').append(i).append(".5,").append(i * 7 % 13).append('\n');
      svm.append(i % 10).append(" 1:").append(i).append(".5 2:").append(i * 7 % 13).append('\n');
    }
    for (Function<byte[], byte[]> damage : List.<Function<byte[], byte[]>>of(
        GzipIntegrityTest::flippedMidStream, GzipIntegrityTest::wrongCrc)) {
      assertRefused(csv.toString().getBytes(StandardCharsets.UTF_8), "rows.csv.gz",
          f -> new CsvSource(f, 0, false, ','), damage);
      assertRefused(svm.toString().getBytes(StandardCharsets.UTF_8), "rows.libsvm.gz",
          f -> new LibsvmSource(f, 2), damage);
    }
  }
}
