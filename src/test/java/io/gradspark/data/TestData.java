package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builders for small test files and a source whose rows reveal their ids. */
final class TestData {
  private TestData() {}

  /** IDX images: pixel (i, j) = (31 i + j) mod 256. */
  static byte[] images(int magic, int count, int rows, int cols) {
    ByteBuffer b = ByteBuffer.allocate(16 + count * rows * cols);
    b.putInt(magic).putInt(count).putInt(rows).putInt(cols);
    for (int i = 0; i < count; i++) {
      for (int j = 0; j < rows * cols; j++) {
        b.put((byte) (31 * i + j));
      }
    }
    return b.array();
  }

  /** IDX labels: label i = i mod 10. */
  static byte[] labels(int magic, int count) {
    ByteBuffer b = ByteBuffer.allocate(8 + count);
    b.putInt(magic).putInt(count);
    for (int i = 0; i < count; i++) {
      b.put((byte) (i % 10));
    }
    return b.array();
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static Path write(Path dir, String name, byte[] data) {
    try {
      return Files.write(dir.resolve(name), data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path write(Path dir, String name, String text) {
    return write(dir, name, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Asserts that actual holds exactly {@code rows} rows, equal (features and labels) to the rows of
   * expected from row firstExpected on; an empty or short actual fails.
   */
  static void assertSameRows(RowBlock expected, int firstExpected, int rows, RowBlock actual) {
    assertEquals(expected.cols(), actual.cols(), "columns");
    assertEquals(rows, actual.rows(), "rows");
    for (int r = 0; r < actual.rows(); r++) {
      assertEquals(expected.label(firstExpected + r), actual.label(r), "label of row " + r);
      for (int j = 0; j < actual.cols(); j++) {
        assertEquals(expected.feature(firstExpected + r, j), actual.feature(r, j), "row " + r + ", col " + j);
      }
    }
  }

  /** Row i has the single feature i and label i. */
  record IdSource(int n) implements RowSource {
    @Override
    public int rows() {
      return n;
    }

    @Override
    public int cols() {
      return 1;
    }

    @Override
    public RowBlock load(int from, int to) {
      double[] v = new double[to - from];
      for (int i = from; i < to; i++) {
        v[i - from] = i;
      }
      return RowBlock.ofDoubles(v, to - from, 1, v.clone());
    }

    @Override
    public String describe() {
      return "ids (" + n + " rows)";
    }
  }
}
