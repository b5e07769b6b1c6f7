package io.gradspark.data;

import static io.gradspark.data.TestData.gzip;
import static io.gradspark.data.TestData.images;
import static io.gradspark.data.TestData.labels;
import static io.gradspark.data.TestData.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxSourceTest {
  private static final int IMAGES = 0x803;
  private static final int LABELS = 0x801;
  private static final Path MNIST = Path.of("data", "mnist");

  @TempDir Path dir;

  private IdxSource source(byte[] imageBytes, byte[] labelBytes, boolean gz) {
    Path img = write(dir, "img", gz ? gzip(imageBytes) : imageBytes);
    Path lab = write(dir, "lab", gz ? gzip(labelBytes) : labelBytes);
    return new IdxSource(img, lab);
  }

  private GradsparkException refused(byte[] imageBytes, byte[] labelBytes, boolean gz) {
    return assertThrows(GradsparkException.class, () -> source(imageBytes, labelBytes, gz));
  }

  @Test
  void readsRealMnistTraining() {
    IdxSource s = new IdxSource(
        MNIST.resolve("train-images-idx3-ubyte.gz"), MNIST.resolve("train-labels-idx1-ubyte.gz"));
    assertEquals(60000, s.rows());
    assertEquals(784, s.cols());
    RowBlock first = s.load(0, 1);
    assertEquals(5.0, first.label(0));
    assertTrue(first.isBytes());
    RowBlock tail = s.load(59000, 60000);
    RowBlock last = s.load(59990, 60000);
    assertEquals(10, last.rows());
    TestData.assertSameRows(tail, 990, 10, last);
    assertTrue(s.describe().contains("60000 rows"), s.describe());
  }

  @Test
  void readsRealMnistTest() {
    IdxSource s = new IdxSource(
        MNIST.resolve("t10k-images-idx3-ubyte.gz"), MNIST.resolve("t10k-labels-idx1-ubyte.gz"));
    assertEquals(10000, s.rows());
    assertEquals(7.0, s.load(0, 1).label(0));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void roundTripsGeneratedFiles(boolean gz) {
    IdxSource s = source(images(IMAGES, 7, 3, 2), labels(LABELS, 7), gz);
    assertEquals(7, s.rows());
    assertEquals(6, s.cols());
    RowBlock all = s.load(0, 7);
    for (int i = 0; i < 7; i++) {
      assertEquals(i % 10, all.label(i));
      for (int j = 0; j < 6; j++) {
        assertEquals((31 * i + j) & 0xff, all.feature(i, j));
      }
    }
    TestData.assertSameRows(all, 2, 3, s.load(2, 5));
    assertEquals(0, s.load(7, 7).rows());
  }

  @Test
  void refusesWrongMagic() {
    GradsparkException e = refused(images(0x804, 2, 2, 2), labels(LABELS, 2), false);
    assertTrue(e.getMessage().contains("0x00000803") && e.getMessage().contains("0x00000804"), e.getMessage());
    assertTrue(e.getMessage().contains(dir.resolve("img").toString()), e.getMessage());
    assertTrue(e.hint() != null);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void refusesSwappedFiles(boolean gz) {
    GradsparkException e = refused(labels(LABELS, 2), images(IMAGES, 2, 2, 2), gz);
    assertTrue(e.getMessage().contains("found 0x00000801 (an IDX labels file)"), e.getMessage());
    assertTrue(e.hint().contains("as images"), e.hint());
  }

  @Test
  void refusesDifferentCounts() {
    GradsparkException e = refused(images(IMAGES, 5, 2, 2), labels(LABELS, 4), false);
    assertTrue(e.getMessage().contains("5 images and 4 labels"), e.getMessage());
  }

  @Test
  void refusesZeroDimension() {
    GradsparkException e = refused(images(IMAGES, 3, 0, 2), labels(LABELS, 3), false);
    assertTrue(e.getMessage().contains("rows per image must be between 1"), e.getMessage());
  }

  @Test
  void refusesTruncatedRawFile() {
    byte[] img = images(IMAGES, 4, 2, 2);
    GradsparkException e = refused(Arrays.copyOf(img, img.length - 3), labels(LABELS, 4), false);
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertTrue(e.getMessage().contains("32 bytes in all") && e.getMessage().contains("29 bytes"), e.getMessage());
  }

  @Test
  void refusesTruncatedGzipFile() {
    byte[] gz = gzip(images(IMAGES, 40, 4, 4));
    Path img = write(dir, "img.gz", Arrays.copyOf(gz, gz.length - 10));
    Path lab = write(dir, "lab", labels(LABELS, 40));
    GradsparkException e = assertThrows(GradsparkException.class, () -> new IdxSource(img, lab));
    assertTrue(e.getMessage().contains("gzip trailer"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void refusesTrailingBytes(boolean gz) {
    byte[] img = images(IMAGES, 4, 2, 2);
    GradsparkException e = refused(Arrays.copyOf(img, img.length + 5), labels(LABELS, 4), gz);
    assertTrue(e.getMessage().contains(gz ? "gzip trailer" : "5 trailing bytes"), e.getMessage());
  }

  @Test
  void namesTheRecordWhenARawFileIsTruncatedAfterOpening() throws IOException {
    IdxSource s = source(images(IMAGES, 6, 2, 2), labels(LABELS, 6), false);
    byte[] img = Files.readAllBytes(dir.resolve("img"));
    Files.write(dir.resolve("img"), Arrays.copyOf(img, 16 + 3 * 4 + 2));
    assertEquals(3, s.load(0, 3).rows());
    GradsparkException e = assertThrows(GradsparkException.class, () -> s.load(1, 6));
    assertTrue(e.getMessage().contains("record 3 is truncated"), e.getMessage());
  }

  @Test
  void namesTheRecordWhenGzipContentIsShortButTheTrailerAgrees() {
    byte[] full = images(IMAGES, 6, 2, 2);
    byte[] gz = gzip(Arrays.copyOf(full, full.length - 6));
    ByteBuffer.wrap(gz).order(ByteOrder.LITTLE_ENDIAN).putInt(gz.length - 4, full.length);
    IdxSource s = source(gz, labels(LABELS, 6), false);
    GradsparkException e = assertThrows(GradsparkException.class, () -> s.load(0, 6));
    assertTrue(e.getMessage().contains("record 4"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {0x80000000, Integer.MAX_VALUE, 0xffffffff})
  void hugeHeaderCountFailsFast(int count) {
    for (boolean gz : new boolean[] {false, true}) {
      ByteBuffer img = ByteBuffer.wrap(images(IMAGES, 3, 28, 28)).putInt(4, count);
      ByteBuffer lab = ByteBuffer.wrap(labels(LABELS, 3)).putInt(4, count);
      GradsparkException e = assertTimeoutPreemptively(Duration.ofSeconds(2),
          () -> refused(img.array(), lab.array(), gz));
      assertTrue(e.getMessage().contains(Integer.toUnsignedString(count)), e.getMessage());
    }
  }

  @Test
  void refusesMissingFile() {
    Path lab = write(dir, "lab", labels(LABELS, 1));
    GradsparkException e = assertThrows(GradsparkException.class, () -> new IdxSource(dir.resolve("nope"), lab));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }
}
