package io.gradspark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassReportTest {
  private static final double EPS = 1e-12;
  /**
   * Rows actual, columns predicted. Class 2 has no rows but is predicted once (recall 0 by zero
   * division); class 3 has a row but is never predicted (precision 0 by zero division).
   */
  private static final long[][] MATRIX = {
    {5, 1, 0, 0},
    {2, 3, 1, 0},
    {0, 0, 0, 0},
    {1, 0, 0, 0},
  };

  private static Evaluation evaluation() {
    Evaluation e = new Evaluation(4);
    for (int a = 0; a < 4; a++) {
      for (int p = 0; p < 4; p++) {
        for (long k = 0; k < MATRIX[a][p]; k++) {
          e.add(0.5, a, p);
        }
      }
    }
    return e;
  }

  @Test
  void perClassAndAverageNumbers() {
    ClassReport r = ClassReport.of(evaluation());
    assertEquals(4, r.classes());
    assertEquals(13, r.total());
    assertEquals(5.0 / 8, r.precision(0), EPS);
    assertEquals(5.0 / 6, r.recall(0), EPS);
    assertEquals(5.0 / 7, r.f1(0), EPS);
    assertEquals(6, r.support(0));
    assertEquals(0.75, r.precision(1), EPS);
    assertEquals(0.5, r.recall(1), EPS);
    assertEquals(0.6, r.f1(1), EPS);
    assertEquals(0, r.precision(2));
    assertEquals(0, r.recall(2));
    assertEquals(0, r.f1(2));
    assertEquals(0, r.support(2));
    assertEquals(0, r.precision(3));
    assertEquals(0, r.recall(3));
    assertEquals(1, r.support(3));
    assertEquals((5.0 / 8 + 0.75) / 4, r.macroPrecision(), EPS);
    assertEquals((5.0 / 6 + 0.5) / 4, r.macroRecall(), EPS);
    assertEquals((5.0 / 7 + 0.6) / 4, r.macroF1(), EPS);
    assertEquals((6 * 5.0 / 8 + 6 * 0.75) / 13, r.weightedPrecision(), EPS);
    assertEquals(8.0 / 13, r.weightedRecall(), EPS);
    assertEquals((6 * 5.0 / 7 + 6 * 0.6) / 13, r.weightedF1(), EPS);
    assertEquals(8.0 / 13, r.accuracy(), EPS);
    assertEquals(evaluation().accuracy(), r.accuracy(), EPS);
  }

  @Test
  void formatIsAFixedWidthTableAndTheMatrix() {
    String text = ClassReport.of(evaluation()).format();
    List<String> lines = text.lines().toList();
    assertEquals("              precision     recall   f1-score    support", lines.get(0));
    assertEquals("", lines.get(1));
    assertEquals("           0     0.6250     0.8333     0.7143          6", lines.get(2));
    assertEquals("           3     0.0000     0.0000     0.0000          1", lines.get(5));
    assertEquals("    accuracy                           0.6154         13", lines.get(7));
    assertEquals("   macro avg     0.3438     0.3333     0.3286         13", lines.get(8));
    assertEquals("weighted avg     0.6346     0.6154     0.6066         13", lines.get(9));
    assertTrue(text.contains("Precision set to 0 for classes never predicted: [3]"), text);
    assertTrue(text.contains("Recall set to 0 for classes with no rows: [2]"), text);
    int m = lines.indexOf("Confusion matrix (rows: actual class, columns: predicted class)");
    assertEquals("        0  1  2  3", lines.get(m + 1));
    assertEquals("     0  5  1  0  0", lines.get(m + 2));
    assertEquals("     3  1  0  0  0", lines.get(m + 5));
    int width = lines.get(2).length();
    for (int i = 2; i <= 5; i++) {
      assertEquals(width, lines.get(i).length(), "row " + i);
    }
  }

  @Test
  void asMapHasSnakeCaseKeys() {
    Map<String, Object> m = ClassReport.of(evaluation()).asMap();
    assertEquals(List.of("accuracy", "macro_avg", "weighted_avg", "classes"), List.copyOf(m.keySet()));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> perClass = (List<Map<String, Object>>) m.get("classes");
    assertEquals(4, perClass.size());
    assertEquals(1, perClass.get(1).get("class"));
    assertEquals(0.6, (Double) perClass.get(1).get("f1"), EPS);
  }

  @Test
  void emptyAndPerfectAndRegression() {
    ClassReport empty = ClassReport.of(new Evaluation(3));
    assertTrue(Double.isNaN(empty.accuracy()));
    assertEquals(0, empty.macroF1());
    assertTrue(empty.format().contains("accuracy"));
    ClassReport perfect = ClassReport.of(new long[] {4, 0, 0, 9}, 2);
    assertEquals(1.0, perfect.macroF1(), EPS);
    assertEquals(1.0, perfect.weightedPrecision(), EPS);
    assertTrue(!perfect.format().contains("set to 0"));
    assertThrows(IllegalArgumentException.class, () -> ClassReport.of(new Evaluation(0)));
    assertThrows(IllegalArgumentException.class, () -> ClassReport.of(new long[5], 2));
  }
}
