package io.gradspark.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-class precision, recall, F1 and support from a classifier's confusion counts, with macro
 * (unweighted mean over classes) and support-weighted averages, as in scikit-learn's
 * classification_report. Accuracy alone hides a class the model never gets right; this does not.
 *
 * <p>Zero division gives 0, as scikit-learn's {@code zero_division=0}: precision is 0 for a class never
 * predicted, recall is 0 for a class with no rows, F1 is 0 when precision + recall is 0. Such classes
 * still count in the macro average, and {@link #format()} names them.
 */
public final class ClassReport {
  private final int classes;
  private final long[] confusion;
  private final long[] support;
  private final long[] predicted;
  private final double[] precision;
  private final double[] recall;
  private final double[] f1;
  private final long total;
  private final long correct;

  private ClassReport(long[] confusion, int classes) {
    if (classes < 1 || confusion.length != (long) classes * classes) {
      throw new IllegalArgumentException("A class report needs a classifier's " + classes + "x" + classes
          + " confusion counts but got " + confusion.length + " counts");
    }
    this.classes = classes;
    this.confusion = confusion.clone();
    support = new long[classes];
    predicted = new long[classes];
    long t = 0;
    long c = 0;
    for (int a = 0; a < classes; a++) {
      for (int p = 0; p < classes; p++) {
        long n = confusion[a * classes + p];
        support[a] += n;
        predicted[p] += n;
        t += n;
        c += a == p ? n : 0;
      }
    }
    total = t;
    correct = c;
    precision = new double[classes];
    recall = new double[classes];
    f1 = new double[classes];
    for (int k = 0; k < classes; k++) {
      long tp = confusion[k * classes + k];
      precision[k] = predicted[k] == 0 ? 0 : (double) tp / predicted[k];
      recall[k] = support[k] == 0 ? 0 : (double) tp / support[k];
      double sum = precision[k] + recall[k];
      f1[k] = sum == 0 ? 0 : 2 * precision[k] * recall[k] / sum;
    }
  }

  /** The report of a classification evaluation; refuses a regression one (no classes). */
  public static ClassReport of(Evaluation e) {
    return new ClassReport(e.confusionCounts(), e.classes());
  }

  /** The report of {@code counts[actual * classes + predicted]}. */
  public static ClassReport of(long[] counts, int classes) {
    return new ClassReport(counts, classes);
  }

  public int classes() {
    return classes;
  }

  public double precision(int c) {
    return precision[c];
  }

  public double recall(int c) {
    return recall[c];
  }

  public double f1(int c) {
    return f1[c];
  }

  /** Rows whose true class is {@code c}. */
  public long support(int c) {
    return support[c];
  }

  /** Rows of all classes. */
  public long total() {
    return total;
  }

  /** Fraction of rows classified correctly; NaN when there are no rows. */
  public double accuracy() {
    return total == 0 ? Double.NaN : (double) correct / total;
  }

  public double macroPrecision() {
    return mean(precision, null);
  }

  public double macroRecall() {
    return mean(recall, null);
  }

  public double macroF1() {
    return mean(f1, null);
  }

  public double weightedPrecision() {
    return mean(precision, support);
  }

  public double weightedRecall() {
    return mean(recall, support);
  }

  public double weightedF1() {
    return mean(f1, support);
  }

  /** The report as maps and lists with snake_case keys, for summary.json. */
  public Map<String, Object> asMap() {
    List<Map<String, Object>> perClass = new ArrayList<>();
    for (int k = 0; k < classes; k++) {
      perClass.add(row(k, precision[k], recall[k], f1[k], support[k]));
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("accuracy", accuracy());
    m.put("macro_avg", row(null, macroPrecision(), macroRecall(), macroF1(), total));
    m.put("weighted_avg", row(null, weightedPrecision(), weightedRecall(), weightedF1(), total));
    m.put("classes", perClass);
    return m;
  }

  /**
   * A fixed-width table in the layout of scikit-learn's classification_report (4 decimals), the
   * zero-division classes if any, then the confusion matrix with actual classes as rows.
   */
  public String format() {
    int labelWidth = Math.max(12, Integer.toString(classes - 1).length());
    String rowFormat = "%" + labelWidth + "s %10.4f %10.4f %10.4f %10d%n";
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "%" + labelWidth + "s %10s %10s %10s %10s%n%n",
        "", "precision", "recall", "f1-score", "support"));
    for (int k = 0; k < classes; k++) {
      s.append(String.format(Locale.ROOT, rowFormat, k, precision[k], recall[k], f1[k], support[k]));
    }
    s.append('\n');
    s.append(String.format(Locale.ROOT, "%" + labelWidth + "s %10s %10s %10.4f %10d%n",
        "accuracy", "", "", total == 0 ? 0.0 : accuracy(), total));
    s.append(String.format(Locale.ROOT, rowFormat,
        "macro avg", macroPrecision(), macroRecall(), macroF1(), total));
    s.append(String.format(Locale.ROOT, rowFormat,
        "weighted avg", weightedPrecision(), weightedRecall(), weightedF1(), total));
    List<Integer> neverPredicted = new ArrayList<>();
    List<Integer> noRows = new ArrayList<>();
    for (int k = 0; k < classes; k++) {
      if (predicted[k] == 0) {
        neverPredicted.add(k);
      }
      if (support[k] == 0) {
        noRows.add(k);
      }
    }
    if (!neverPredicted.isEmpty()) {
      s.append("\nPrecision set to 0 for classes never predicted: ").append(neverPredicted).append('\n');
    }
    if (!noRows.isEmpty()) {
      s.append(neverPredicted.isEmpty() ? "\n" : "")
          .append("Recall set to 0 for classes with no rows: ").append(noRows).append('\n');
    }
    long max = 0;
    for (long n : confusion) {
      max = Math.max(max, n);
    }
    int w = Math.max(Long.toString(max).length(), Integer.toString(classes - 1).length()) + 2;
    int rowLabel = Math.max(6, Integer.toString(classes - 1).length() + 2);
    s.append("\nConfusion matrix (rows: actual class, columns: predicted class)\n");
    s.append(" ".repeat(rowLabel));
    for (int p = 0; p < classes; p++) {
      s.append(String.format("%" + w + "d", p));
    }
    s.append('\n');
    for (int a = 0; a < classes; a++) {
      s.append(String.format("%" + rowLabel + "d", a));
      for (int p = 0; p < classes; p++) {
        s.append(String.format("%" + w + "d", confusion[a * classes + p]));
      }
      s.append('\n');
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return format();
  }

  private static Map<String, Object> row(Integer label, double p, double r, double f, long support) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (label != null) {
      m.put("class", label);
    }
    m.put("precision", p);
    m.put("recall", r);
    m.put("f1", f);
    m.put("support", support);
    return m;
  }

  /** Mean of {@code v}, weighted by {@code weights} when given; 0 when the weights sum to 0. */
  private double mean(double[] v, long[] weights) {
    double sum = 0;
    double weightSum = 0;
    for (int k = 0; k < classes; k++) {
      double wk = weights == null ? 1 : weights[k];
      sum += wk * v[k];
      weightSum += wk;
    }
    return weightSum == 0 ? 0 : sum / weightSum;
  }
}
