package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Label checks as production runs them: a {@link Views#labelChecked} view built from a real
 * network's head and output size, loaded at an offset like a Spark partition.
 */
class DataChecksTest {
  private static final Network SOFTMAX_10 = net(10, Head.SOFTMAX_CROSS_ENTROPY);
  private static final Network SIGMOID = net(1, Head.SIGMOID_BINARY_CROSS_ENTROPY);
  private static final Network REGRESSION = net(1, Head.IDENTITY_MSE);

  private static Network net(int outputs, Head head) {
    return new Network(new int[] {1, 4, outputs}, List.of(Activation.RELU), head);
  }

  /** 100 rows of label 0, then the given labels: the check sees them at rows 101, 102, ... */
  private static RowSource labels(double... y) {
    double[] all = new double[100 + y.length];
    System.arraycopy(y, 0, all, 100, y.length);
    return new RowSource() {
      @Override
      public int rows() {
        return all.length;
      }

      @Override
      public int cols() {
        return 1;
      }

      @Override
      public RowBlock load(int from, int to) {
        return RowBlock.ofDoubles(new double[to - from], to - from, 1,
            Arrays.copyOfRange(all, from, to));
      }

      @Override
      public String describe() {
        return "labels";
      }
    };
  }

  private static void load(RowSource s, Network net) {
    Views.labelChecked(s, net.head(), net.outputSize(), "validation set").load(100, s.rows());
  }

  private static GradsparkException refused(RowSource s, Network net) {
    return assertThrows(GradsparkException.class, () -> load(s, net));
  }

  @Test
  void acceptsValidLabels() {
    assertDoesNotThrow(() -> load(labels(0, 9, 3), SOFTMAX_10));
    assertDoesNotThrow(() -> load(labels(0, 1, 1), SIGMOID));
    assertDoesNotThrow(() -> load(labels(-3.5, 1e9), REGRESSION));
  }

  @Test
  void refusesClassOutOfRangeNamingDatasetAndRow() {
    GradsparkException e = refused(labels(1, 2, 10), SOFTMAX_10);
    assertEquals("validation set: row 103 (1-based) has label 10.0 but expected a class index 0..9"
        + " (the network's last layer has 10 outputs)", e.getMessage());
    assertTrue(e.hint().contains("last layer size"), e.hint());
    assertTrue(refused(labels(2.5), SOFTMAX_10).getMessage().contains("label 2.5"));
    assertTrue(refused(labels(-1), SOFTMAX_10).getMessage().contains("label -1.0"));
    assertTrue(refused(labels(Double.NaN), SOFTMAX_10).getMessage().contains("label NaN"));
  }

  @Test
  void refusesNonBinaryLabelForSigmoidHeadSayingItTakesZeroOrOne() {
    GradsparkException e = refused(labels(0, 1, 2), SIGMOID);
    assertEquals("validation set: row 103 (1-based) has label 2.0 but a sigmoid head takes labels"
        + " 0 or 1", e.getMessage());
    assertTrue(e.hint().contains("one-vs-all"), e.hint());
  }

  @Test
  void refusesNonFiniteRegressionTarget() {
    GradsparkException e = refused(labels(1, Double.POSITIVE_INFINITY), REGRESSION);
    assertEquals("validation set: row 102 (1-based) has label Infinity but expected a finite target"
        + " value", e.getMessage());
  }

  @Test
  void refusesFeatureCountMismatch() {
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> DataChecks.checkFeatures(new MoonsSource(10, 0.1, 1), 784, "train"));
    assertTrue(e.getMessage().contains("rows have 2 features but the network's input size is 784"), e.getMessage());
    assertDoesNotThrow(() -> DataChecks.checkFeatures(new MoonsSource(10, 0.1, 1), 2, "train"));
  }
}
