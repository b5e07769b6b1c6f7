package io.gradspark.api;

import io.gradspark.GradsparkException;
import io.gradspark.data.ClassWeights;
import io.gradspark.data.DataChecks;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.data.SplitTasks;
import io.gradspark.data.Views;
import io.gradspark.nn.Network;
import java.util.Arrays;

/**
 * A run's datasets, prepared: the training rows, and the validation and test rows (either may be
 * null). Each is a {@link RowSource}, a small description that any JVM (the driver or a Spark
 * executor) can load ranges of; nothing is read until an engine loads it.
 */
public record Datasets(RowSource train, RowSource validation, RowSource test) {

  public Datasets {
    if (train == null) {
      throw new GradsparkException("a run needs training data", "give a training dataset");
    }
  }

  /**
   * The datasets of a run from its raw training and test sources (test may be null): validation
   * rows held out of the training rows as spec.data() says, then each set prepared in the one order
   * every command uses: feature count checked, one-vs-all, scale, labels checked on every load
   * (so executors refuse bad labels too); then, when the training loss is weighted, a pass over
   * the training rows (counting each class for "balanced" class weights, refusing weights that are
   * all 0) and their class weights. Validation and test losses are never weighted.
   */
  public static Datasets prepare(RunSpec spec, RowSource all, RowSource test) {
    return prepare(spec, all, null, test, SplitTasks.LOCAL);
  }

  /** As above, with a validation set of the caller's own (then spec.data().holdout() must be 0). */
  public static Datasets prepare(RunSpec spec, RowSource all, RowSource validation,
      RowSource test) {
    return prepare(spec, all, validation, test, SplitTasks.LOCAL);
  }

  /**
   * As above; what reads rows to check them (the one-vs-all class) runs as tasks (on Spark, on
   * an executor: the driver reads no data row).
   */
  public static Datasets prepare(RunSpec spec, RowSource all, RowSource validation,
      RowSource test, SplitTasks tasks) {
    RunSpec.DataPrep d = spec.data();
    Network net = spec.network();
    int holdout = d.holdout();
    if (holdout > 0 && validation != null) {
      throw new GradsparkException("a validation set was given and " + holdout
          + " validation rows are to be held out of the training rows too",
          "use one of the two: set the holdout to 0, or give no validation set");
    }
    if (holdout >= all.rows()) {
      throw new GradsparkException("the validation holdout of " + holdout
          + " rows leaves no training rows: the training data has " + all.rows(),
          "hold out fewer rows than the training data has");
    }
    RowSource train = all;
    if (holdout > 0 && d.mode() == RunSpec.ValidationMode.LAST) {
      train = Views.range(all, 0, all.rows() - holdout);
      validation = Views.range(all, all.rows() - holdout, all.rows());
    } else if (holdout > 0) {
      train = Views.randomSplit(all, holdout, d.splitSeed(), false);
      validation = Views.randomSplit(all, holdout, d.splitSeed(), true);
    }
    if (d.oneVsAll() >= 0) {
      requireClass(train, d.oneVsAll(), tasks);
    }
    RowSource trainInput = input(train, net, d.oneVsAll(), d.scale(), "training");
    if (d.weightedLoss()) {
      trainInput = weighted(trainInput, d.classWeights(), net.classes(), tasks);
    }
    return new Datasets(trainInput,
        validation == null ? null
            : input(validation, net, d.oneVsAll(), d.scale(), "validation"),
        test == null ? null : input(test, net, d.oneVsAll(), d.scale(), "test"));
  }

  /**
   * Refuses a one-vs-all class k that no training row has: every label would become 0 and any
   * model would score 100%. Reads growing slices from the start and stops at the first row of
   * class k (usually in the first slice); only a refused class reads all rows.
   */
  static void requireClass(RowSource train, int k, SplitTasks tasks) {
    double[] seen = tasks.run("look for class " + k + " among the training labels", 1,
        task -> labelsUntil(train, k)).get(0);
    if (seen[0] == 1) {
      return;
    }
    double min = seen[1];
    double max = seen[2];
    throw new GradsparkException("data.one-vs-all is " + k + " but no training row has label "
        + k + " (the labels of " + train.describe() + " run from " + fmt(min) + " to "
        + fmt(max) + "): every label would become 0",
        "set data.one-vs-all to a class the training data has, or -1 for all classes");
  }

  /** {1, ...} once a row of class k is found, else {0, smallest label, largest label}. */
  private static double[] labelsUntil(RowSource train, int k) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    int n = train.rows();
    for (int from = 0, size = 1024; from < n; from += size, size *= 2) {
      RowBlock b = train.load(from, (int) Math.min(n, (long) from + size));
      for (int r = 0; r < b.rows(); r++) {
        double y = b.label(r);
        if (y == k) {
          return new double[] {1, min, max};
        }
        min = Math.min(min, y);
        max = Math.max(max, y);
      }
    }
    return new double[] {0, min, max};
  }

  /**
   * The prepared training rows with their class weights (none: null) applied, after a pass over
   * them (one task; on Spark an executor's) that counts the rows of each of k classes, for
   * "balanced", and refuses a training set whose weights are all 0 (the loss would be 0 / 0).
   */
  static RowSource weighted(RowSource train, ClassWeights classWeights, int k, SplitTasks tasks) {
    double[] totals = tasks.run("count the training rows of each class and their weight", 1,
        task -> classTotals(train, k)).get(0);
    long[] counts = new long[k];
    for (int c = 0; c < k; c++) {
      counts[c] = (long) totals[c];
    }
    double[] w = classWeights == null ? null : classWeights.resolve(k, counts);
    double weight = 0;
    for (int c = 0; c < k; c++) {
      weight += totals[k + c] * (w == null ? 1.0 : w[c]);
    }
    if (k == 0) {
      weight = totals[0];
    }
    if (!(weight > 0)) {
      throw new GradsparkException("every training row has weight 0 (" + train.describe()
          + (classWeights == null ? "" : ", class weights " + Arrays.toString(w))
          + "), so the training loss would be 0 / 0",
          "give some training rows a weight > 0");
    }
    return w == null ? train : Views.classWeighted(train, w);
  }

  /**
   * For k classes: {rows of class 0..k-1, weight sum of class 0..k-1}; for k = 0 (regression):
   * {weight sum}. Reads the rows in slices of at most 65,536.
   */
  private static double[] classTotals(RowSource train, int k) {
    double[] totals = new double[Math.max(1, 2 * k)];
    int n = train.rows();
    for (int from = 0; from < n; from += 65_536) {
      RowBlock b = train.load(from, Math.min(n, from + 65_536));
      for (int r = 0; r < b.rows(); r++) {
        if (k == 0) {
          totals[0] += b.weight(r);
        } else {
          int c = (int) b.label(r);
          totals[c]++;
          totals[k + c] += b.weight(r);
        }
      }
    }
    return totals;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  /**
   * A dataset prepared for a network as a model records it (one-vs-all class or -1, feature scale):
   * the one place where train, evaluate and predict prepare their inputs.
   */
  public static RowSource input(RowSource s, Network net, int oneVsAll, double scale,
      String what) {
    DataChecks.checkFeatures(s, net.inputSize(), what + " data");
    RowSource r = oneVsAll >= 0 ? Views.oneVsAll(s, oneVsAll) : s;
    if (scale != 1.0) {
      r = Views.scaled(r, scale);
    }
    return Views.labelChecked(r, net.head(), net.outputSize(), what + " data " + s.describe());
  }
}
