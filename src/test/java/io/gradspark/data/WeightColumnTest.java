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

/** A CSV weight column: counted over the whole line as the label column is, checked per line. */
class WeightColumnTest {
  @TempDir Path dir;

  private static double[] row(RowBlock b, int r) {
    double[] d = new double[b.cols()];
    b.copyRow(r, d, 0);
    return d;
  }

  private CsvSource csv(String text, int label, int weight) {
    return new CsvSource(write(dir, "w.csv", text).toString(), label, weight, false, ',',
        SplitTasks.LOCAL);
  }

  @Test
  void theWeightColumnIsNeitherLabelNorFeature() {
    // label first, weight last: column indices count the whole line
    for (int weight : new int[] {3, -1}) {
      CsvSource s = csv("1,10,20,0.5\n0,30,40,2\n", 0, weight);
      assertEquals(2, s.cols());
      RowBlock b = s.load(0, 2);
      assertArrayEquals(new double[] {10, 20}, row(b, 0));
      assertArrayEquals(new double[] {30, 40}, row(b, 1));
      assertEquals(1, b.label(0));
      assertEquals(0.5, b.weight(0), 0.0);
      assertEquals(2.0, b.weight(1), 0.0);
      assertTrue(s.describe().contains("weight column 3"), s.describe());
      // the weights travel with the rows a view selects
      assertEquals(2.0, b.select(new int[] {1}).weight(0), 0.0);
    }
    // weight column 1 sits before the label column 2: index over the whole line too
    RowBlock b = csv("5,0.25,1,6\n", 2, 1).load(0, 1);
    assertArrayEquals(new double[] {5, 6}, row(b, 0));
    assertEquals(0.25, b.weight(0), 0.0);
    assertEquals(1, b.label(0));
  }

  @Test
  void badWeightsAreRefusedWithFileAndLine() {
    for (String bad : new String[] {"-1", "nan", "inf", "x"}) {
      CsvSource s = csv("1,10,20,0.5\n0,30,40," + bad + "\n", 0, 3);
      GradsparkException e = assertThrows(GradsparkException.class, () -> s.load(0, 2));
      assertTrue(e.getMessage().contains("w.csv") && e.getMessage().contains("line 2")
          && e.getMessage().contains("column 4"), e.getMessage());
    }
    GradsparkException same = assertThrows(GradsparkException.class,
        () -> csv("1,10,20,0.5\n", 0, 0));
    assertTrue(same.getMessage().contains("is the label column"), same.getMessage());
    GradsparkException outside = assertThrows(GradsparkException.class,
        () -> csv("1,10,20,0.5\n", 0, 4));
    assertTrue(outside.getMessage().contains("outside the 4 columns"), outside.getMessage());
  }
}
