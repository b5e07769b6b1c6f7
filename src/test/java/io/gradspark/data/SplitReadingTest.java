package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text data cut into splits: whatever the split size, the rows, their order and the line numbers
 * in errors are those of reading the files whole; several files are one dataset in name order.
 */
class SplitReadingTest {
  @TempDir Path dir;

  /** Row i: label i % 10, features i and -i, written with the line ending of row i % 3. */
  private static String rows(int from, int to, boolean header) {
    StringBuilder b = new StringBuilder(header ? "label,a,b\n" : "");
    for (int i = from; i < to; i++) {
      if (i % 17 == 5) {
        b.append("\n   \n"); // blank lines are not rows
      }
      b.append(i % 10).append(',').append(i).append(',').append(-i)
          .append(i % 3 == 0 ? "\r\n" : "\n");
    }
    return b.toString();
  }

  private static void assertRows(RowSource s, int n) {
    assertEquals(n, s.rows());
    RowBlock all = s.load(0, n);
    double[] row = new double[2];
    for (int i = 0; i < n; i++) {
      all.copyRow(i, row, 0);
      assertArrayEquals(new double[] {i, -i}, row, "row " + i);
      assertEquals(i % 10, all.label(i), "label of row " + i);
    }
    // every range of a few sizes gives the same rows
    for (int size : new int[] {1, 7, 50, 333}) {
      for (int from = 0; from < n; from += size) {
        int to = Math.min(n, from + size);
        RowBlock b = s.load(from, to);
        for (int i = from; i < to; i++) {
          b.copyRow(i - from, row, 0);
          assertEquals(i, row[0], "row " + i + " of range [" + from + ", " + to + ")");
        }
      }
    }
  }

  @Test
  void everySplitSizeGivesTheRowsOfTheWholeFile() throws IOException {
    Path f = dir.resolve("rows.csv");
    String text = rows(0, 1000, true);
    Files.writeString(f, text.substring(0, text.length() - 1)); // no final line ending
    for (long split : new long[] {5, 64, 1000, 4096, Long.MAX_VALUE}) {
      CsvSource s = new CsvSource(f.toString(), 0, true, ',', SplitTasks.LOCAL, split);
      assertRows(s, 1000);
      assertTrue(split > 64 || s.splits() > 150, "split " + split + ": " + s.splits() + " splits");
    }
  }

  @Test
  void aBadLineDeepInTheThirdSplitIsReportedWithItsLineNumber() throws IOException {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      b.append(i == 250 ? "1,2,x\n" : "1,2,3\n"); // 6 bytes a line: 100-byte splits
    }
    Path f = dir.resolve("bad.csv");
    Files.writeString(f, b);
    CsvSource s = new CsvSource(f.toString(), 0, false, ',', SplitTasks.LOCAL, 500);
    assertEquals(4, s.splits());
    GradsparkException e = assertThrows(GradsparkException.class, () -> s.load(240, 260));
    System.out.println(e.getMessage());
    assertTrue(e.getMessage().contains(f + " line 251, column 3"), e.getMessage());
    assertEquals(20, s.load(0, 20).rows(), "rows away from the bad line load");
  }

  @Test
  void aDirectoryOfPartsAGlobAndAGzippedPartAreOneDatasetInNameOrder() throws IOException {
    Path parts = Files.createDirectory(dir.resolve("out"));
    Files.writeString(parts.resolve("part-00000.csv"), rows(0, 120, true));
    Files.write(parts.resolve("part-00001.csv.gz"),
        TestData.gzip(rows(120, 300, true).getBytes(StandardCharsets.UTF_8)));
    Files.writeString(parts.resolve("part-00002.csv"), rows(300, 301, true));
    Files.writeString(parts.resolve("_SUCCESS"), "");
    Files.writeString(parts.resolve(".part-00000.csv.crc"), "not data");
    for (String path : new String[] {parts.toString(), parts + "/part-*", "file:" + parts}) {
      for (long split : new long[] {5, Long.MAX_VALUE}) {
        CsvSource s = new CsvSource(path, 0, true, ',', SplitTasks.LOCAL, split);
        assertRows(s, 301);
        assertTrue(s.describe().contains("3 files"), s.describe());
      }
    }
    Files.writeString(parts.resolve("part-00003.csv"), "label,a,b\n1,2,3,4\n");
    CsvSource s = new CsvSource(parts.toString(), 0, true, ',', SplitTasks.LOCAL, 5);
    GradsparkException e = assertThrows(GradsparkException.class, () -> s.load(0, s.rows()));
    System.out.println(e.getMessage());
    assertTrue(e.getMessage().contains("part-00003.csv line 2: expected 3 cells"), e.getMessage());
  }

  @Test
  void pixelCsvIsHeldAsBytesAndAnyOtherValueKeepsDoubles() throws IOException {
    Path pixels = dir.resolve("pixels.csv");
    Files.writeString(pixels, "3,0,255,17\n4,1,2,3\n");
    RowBlock b = new CsvSource(pixels, 0, false, ',').load(0, 2);
    assertTrue(b.isBytes(), "0..255 integers are held as bytes");
    assertEquals(255.0, b.feature(0, 1));
    assertEquals(3.0, b.feature(1, 2));
    Path mixed = dir.resolve("mixed.csv");
    Files.writeString(mixed, "3,0,255,17\n4,1,256,3\n5,-0,0.5,1\n");
    RowBlock m = new CsvSource(mixed, 0, false, ',').load(0, 3);
    assertTrue(!m.isBytes(), "256 is not a byte");
    double[] row = new double[3];
    m.copyRow(0, row, 0);
    assertArrayEquals(new double[] {0, 255, 17}, row);
    m.copyRow(1, row, 0);
    assertArrayEquals(new double[] {1, 256, 3}, row);
    m.copyRow(2, row, 0);
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(row[0]));
  }

  @Test
  void aPathThatMatchesNothingIsRefusedNamingIt() {
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> new CsvSource(dir.resolve("none-*.csv").toString(), 0, false, ',',
            SplitTasks.LOCAL));
    assertTrue(e.getMessage().contains("none-*.csv"), e.getMessage());
    GradsparkException s3 = assertThrows(GradsparkException.class,
        () -> new CsvSource("s3a://bucket/x.csv", 0, false, ',', SplitTasks.LOCAL));
    System.out.println(s3.getMessage() + " / " + s3.hint());
    assertTrue(s3.hint().contains("hadoop-aws"), s3.hint());
  }
}
