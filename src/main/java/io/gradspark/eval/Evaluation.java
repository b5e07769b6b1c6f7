package io.gradspark.eval;

import io.gradspark.nn.RowScores;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Sums of a forward-only pass over a dataset: loss sum, row count, correct predictions and the
 * confusion counts. Mergeable in any order with exact results (integers, and a loss sum whose merge
 * order the engines fix). Divide only when reading: {@link #meanLoss()}, {@link #accuracy()}.
 *
 * <p>{@code confusion[actual * classes + predicted]}; classes = 0 for a regression head (no accuracy).
 */
public final class Evaluation implements RowScores, Serializable {
  private static final long serialVersionUID = 1L;

  private final int classes;
  private double lossSum;
  private long count;
  private long correct;
  private final long[] confusion;

  public Evaluation(int classes) {
    this.classes = classes;
    this.confusion = new long[classes * classes];
  }

  /**
   * The evaluation with these sums (a transport's copy of one: confusion row-major by actual
   * class, classes² counts; correct is its diagonal, as {@link #add} counts it).
   */
  public static Evaluation of(int classes, double lossSum, long count, long[] confusion) {
    Evaluation e = new Evaluation(classes);
    if (confusion.length != e.confusion.length) {
      throw new IllegalArgumentException("Expected " + e.confusion.length
          + " confusion counts but found " + confusion.length);
    }
    e.lossSum = lossSum;
    e.count = count;
    System.arraycopy(confusion, 0, e.confusion, 0, confusion.length);
    for (int c = 0; c < classes; c++) {
      e.correct += confusion[c * classes + c];
    }
    return e;
  }

  /** Records one row: its loss, true class and predicted class (ignored when classes == 0). */
  @Override
  public void add(double loss, int actual, int predicted) {
    lossSum += loss;
    count++;
    if (classes > 0) {
      confusion[actual * classes + predicted]++;
      if (actual == predicted) {
        correct++;
      }
    }
  }

  /** Adds other's sums into this one and returns this. */
  public Evaluation merge(Evaluation other) {
    if (other.classes != classes) {
      throw new IllegalArgumentException(
          "Expected " + classes + " classes but found " + other.classes);
    }
    lossSum += other.lossSum;
    count += other.count;
    correct += other.correct;
    for (int i = 0; i < confusion.length; i++) {
      confusion[i] += other.confusion[i];
    }
    return this;
  }

  public int classes() {
    return classes;
  }

  public double lossSum() {
    return lossSum;
  }

  public long count() {
    return count;
  }

  public long correct() {
    return correct;
  }

  public double meanLoss() {
    return count == 0 ? Double.NaN : lossSum / count;
  }

  /** Fraction of rows classified correctly; NaN for a regression head or an empty set. */
  public double accuracy() {
    return classes == 0 || count == 0 ? Double.NaN : (double) correct / count;
  }

  /** Rows of true class {@code actual} predicted as {@code predicted}. */
  public long confusion(int actual, int predicted) {
    return confusion[actual * classes + predicted];
  }

  /** A copy of the confusion counts, row-major by actual class. */
  public long[] confusionCounts() {
    return confusion.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Evaluation e
        && e.classes == classes
        && Double.compare(e.lossSum, lossSum) == 0
        && e.count == count
        && e.correct == correct
        && Arrays.equals(e.confusion, confusion);
  }

  @Override
  public int hashCode() {
    return Double.hashCode(lossSum) * 31 + Long.hashCode(count) * 17 + Arrays.hashCode(confusion);
  }

  @Override
  public String toString() {
    return "Evaluation{count=" + count + ", meanLoss=" + meanLoss() + ", accuracy=" + accuracy() + "}";
  }
}
