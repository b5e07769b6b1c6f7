package io.gradspark.data;

import static io.gradspark.data.TestData.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibsvmSourceTest {
  @TempDir Path dir;

  private GradsparkException refused(String text, int features) {
    Path f = write(dir, "f.svm", text);
    // bad lines are refused when the rows are loaded (on Spark, by the executors)
    return assertThrows(GradsparkException.class, () -> {
      LibsvmSource s = new LibsvmSource(f, features);
      s.load(0, s.rows());
    });
  }

  @Test
  void densifiesRows() {
    String text = "# header comment\n1 1:0.5 3:2\n\n0\t2:-1   # trailing comment\r\n-1\n";
    LibsvmSource s = new LibsvmSource(write(dir, "f.svm", text), 3);
    assertEquals(3, s.rows());
    assertEquals(3, s.cols());
    RowBlock b = s.load(0, 3);
    double[] all = new double[9];
    for (int r = 0; r < 3; r++) {
      b.copyRow(r, all, 3 * r);
    }
    assertArrayEquals(new double[] {0.5, 0, 2, 0, -1, 0, 0, 0, 0}, all);
    assertArrayEquals(new double[] {1, 0, -1}, new double[] {b.label(0), b.label(1), b.label(2)});
    TestData.assertSameRows(b, 1, 2, s.load(1, 3));
  }

  @Test
  void refusesIndexZero() {
    GradsparkException e = refused("1 1:1\n1 0:1 2:1\n", 3);
    assertTrue(e.getMessage().contains("line 2: feature index 0 is outside 1..3"), e.getMessage());
    assertTrue(e.hint().contains("1-based"), e.hint());
  }

  @Test
  void refusesIndexAboveFeatureCount() {
    GradsparkException e = refused("1 1:1 4:2\n", 3);
    assertTrue(e.getMessage().contains("line 1: feature index 4 is outside 1..3 (the declared feature count)"),
        e.getMessage());
    assertTrue(e.hint().contains("at least 4"), e.hint());
  }

  @Test
  void refusesMalformedPairs() {
    for (String line : new String[] {"1 2-0.5", "1 2:", "1 :3", "1 x:3", "1 2.5:1"}) {
      GradsparkException e = refused("0 1:1\n" + line + "\n", 3);
      assertTrue(e.getMessage().contains("line 2: expected index:value"), line + " -> " + e.getMessage());
    }
  }

  @Test
  void refusesNonNumericValueAndLabel() {
    assertTrue(refused("1 2:abc\n", 3).getMessage().contains("line 1, feature 2: expected a finite number"));
    assertTrue(refused("yes 2:1\n", 3).getMessage().contains("line 1, label: expected a finite number"));
  }

  @Test
  void refusesIndicesNotStrictlyIncreasing() {
    GradsparkException e = refused("1 3:1 2:1\n", 3);
    assertTrue(e.getMessage().contains("line 1: feature indices must strictly increase but 2 follows 3"),
        e.getMessage());
    assertTrue(refused("1 2:1 2:1\n", 3).getMessage().contains("strictly increase"));
  }

  @Test
  void refusesBadFeatureCountAndEmptyFile() {
    assertTrue(refused("1 1:1\n", 0).getMessage().contains("feature count >= 1"));
    assertTrue(refused("# only a comment\n\n", 3).getMessage().contains("found 0"));
  }
}
