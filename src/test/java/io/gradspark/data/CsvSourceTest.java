package io.gradspark.data;

import static io.gradspark.data.TestData.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvSourceTest {
  @TempDir Path dir;

  private static double[] row(RowBlock b, int r) {
    double[] d = new double[b.cols()];
    b.copyRow(r, d, 0);
    return d;
  }

  private GradsparkException refused(String text, int label, boolean header) {
    Path f = write(dir, "f.csv", text);
    // bad lines are refused when the rows are loaded (on Spark, by the executors)
    return assertThrows(GradsparkException.class, () -> {
      CsvSource s = new CsvSource(f, label, header, ',');
      s.load(0, s.rows());
    });
  }

  @Test
  void readsHeaderAndLastColumnLabelWithCrlfAndBlankTrailingLines() {
    Path f = write(dir, "f.csv", "x,y,class\r\n1.5,2,0\r\n-3,4e1,1\r\n\r\n\n");
    CsvSource s = new CsvSource(f, -1, true, ',');
    assertEquals(2, s.rows());
    assertEquals(2, s.cols());
    RowBlock b = s.load(0, 2);
    assertArrayEquals(new double[] {1.5, 2}, row(b, 0));
    assertArrayEquals(new double[] {-3, 40}, row(b, 1));
    assertEquals(0, b.label(0));
    assertEquals(1, b.label(1));
  }

  @Test
  void readsFirstColumnLabelWithoutHeader() {
    CsvSource s = new CsvSource(write(dir, "f.csv", "7;1;2;3\n8; 4 ;5;6\n9;7;8;9"), 0, false, ';');
    assertEquals(3, s.rows());
    assertEquals(3, s.cols());
    RowBlock b = s.load(1, 3);
    assertArrayEquals(new double[] {4, 5, 6}, row(b, 0));
    assertEquals(8, b.label(0));
    assertEquals(9, b.label(1));
    TestData.assertSameRows(s.load(0, 3), 1, 2, b);
    CsvSource fromEnd = new CsvSource(write(dir, "g.csv", "7;1;2;3\n"), -4, false, ';');
    assertEquals(7, fromEnd.load(0, 1).label(0));
  }

  @Test
  void readsGzippedCsv() {
    byte[] gz = TestData.gzip("1,2,3\n4,5,6\n".getBytes(StandardCharsets.UTF_8));
    CsvSource s = new CsvSource(write(dir, "plain-name.csv", gz), 1, false, ',');
    assertEquals(2, s.rows());
    assertEquals(5, s.load(1, 2).label(0));
  }

  @Test
  void refusesRaggedRowNamingTheLine() {
    GradsparkException e = refused("a,b,c\n1,2,3\n4,5\n", -1, true);
    assertTrue(e.getMessage().contains("line 3: expected 3 cells"), e.getMessage());
    assertTrue(e.getMessage().contains("found 2"), e.getMessage());
    assertTrue(e.getMessage().contains(dir.resolve("f.csv").toString()), e.getMessage());
  }

  @Test
  void refusesNonNumericCellNamingLineAndColumn() {
    GradsparkException e = refused("1,2,3\n\n4,five,6\n", -1, false);
    assertTrue(e.getMessage().contains("line 3, column 2"), e.getMessage());
    assertTrue(e.getMessage().contains("\"five\""), e.getMessage());
    assertTrue(e.hint() != null);
  }

  @Test
  void refusesNonFiniteAndEmptyCells() {
    assertTrue(refused("1,NaN,3\n", 0, false).getMessage().contains("\"NaN\""));
    assertTrue(refused("1,,3\n", 0, false).getMessage().contains("column 2"));
  }

  @Test
  void refusesEmptyFileAndHeaderOnly() {
    assertTrue(refused("", -1, false).getMessage().contains("empty"));
    assertTrue(refused("\n \n", -1, false).getMessage().contains("empty"));
    assertTrue(refused("a,b\n", -1, true).getMessage().contains("found 0"));
  }

  @Test
  void refusesLabelColumnOutsideTheLine() {
    assertTrue(refused("1,2,3\n", 3, false).getMessage().contains("label column 3"));
    assertTrue(refused("1,2,3\n", -4, false).getMessage().contains("label column -4"));
  }

  @Test
  void refusesSingleColumnAndNumericDelimiter() {
    assertTrue(refused("1\n2\n", 0, false).getMessage().contains("found 1 cell"));
    Path f = write(dir, "d.csv", "1,2\n");
    assertThrows(GradsparkException.class, () -> new CsvSource(f, 0, false, '.'));
  }
}
