package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import org.junit.jupiter.api.Test;

class DataChecksTest {
  private static RowBlock labels(double... y) {
    return RowBlock.ofDoubles(new double[y.length], y.length, 1, y);
  }

  private static GradsparkException refused(RowBlock b, int classes) {
    return assertThrows(GradsparkException.class, () -> DataChecks.checkLabels(b, 100, classes, "validation set"));
  }

  @Test
  void acceptsValidLabels() {
    assertDoesNotThrow(() -> DataChecks.checkLabels(labels(0, 9, 3), 0, 10, "train"));
    assertDoesNotThrow(() -> DataChecks.checkLabels(labels(0, 1, 1), 0, 1, "train"));
    assertDoesNotThrow(() -> DataChecks.checkLabels(labels(-3.5, 1e9), 0, 0, "train"));
  }

  @Test
  void refusesClassOutOfRangeNamingDatasetAndRow() {
    GradsparkException e = refused(labels(1, 2, 10), 10);
    assertTrue(e.getMessage().contains("validation set: row 102 has label 10.0"), e.getMessage());
    assertTrue(e.hint().contains("last layer size"), e.hint());
    assertTrue(refused(labels(2.5), 10).getMessage().contains("label 2.5"));
    assertTrue(refused(labels(-1), 10).getMessage().contains("label -1.0"));
    assertTrue(refused(labels(Double.NaN), 10).getMessage().contains("label NaN"));
  }

  @Test
  void refusesNonBinaryLabelForBinaryHead() {
    GradsparkException e = refused(labels(0, 1, 2), 1);
    assertTrue(e.getMessage().contains("row 102 has label 2.0"), e.getMessage());
    assertTrue(e.hint().contains("one-vs-all"), e.hint());
  }

  @Test
  void refusesNonFiniteRegressionTarget() {
    assertTrue(refused(labels(1, Double.POSITIVE_INFINITY), 0).getMessage().contains("row 101"));
    assertThrows(IllegalArgumentException.class, () -> DataChecks.checkLabels(labels(0), 0, -1, "x"));
  }

  @Test
  void refusesFeatureCountMismatch() {
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> DataChecks.checkFeatures(new MoonsSource(10, 0.1, 1), 784, "train"));
    assertTrue(e.getMessage().contains("rows have 2 features but the network's input size is 784"), e.getMessage());
    assertDoesNotThrow(() -> DataChecks.checkFeatures(new MoonsSource(10, 0.1, 1), 2, "train"));
  }
}
