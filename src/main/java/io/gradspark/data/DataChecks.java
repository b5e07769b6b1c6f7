package io.gradspark.data;

/**
 * Checks that a dataset fits the network, so a mismatch is reported with the dataset and row instead of
 * surfacing as a nonsense loss or an index error deep inside training.
 */
public final class DataChecks {
  private DataChecks() {}

  /**
   * Refuses a label that the network's head cannot take: classes >= 2 (softmax) needs an integer in
   * [0, classes); classes == 1 (binary head) needs 0 or 1; classes == 0 (regression) needs a finite
   * value. Row numbers in the message are firstRow + r. Refuses classes < 0 as a caller bug.
   */
  public static void checkLabels(RowBlock block, int firstRow, int classes, String what) {
    if (classes < 0) {
      throw new IllegalArgumentException("Expected classes >= 0 but found " + classes);
    }
    for (int r = 0; r < block.rows(); r++) {
      double y = block.label(r);
      boolean ok = classes == 0 ? Double.isFinite(y)
          : classes == 1 ? y == 0 || y == 1
          : y >= 0 && y < classes && y == Math.rint(y);
      if (!ok) {
        throw badLabel(what, (long) firstRow + r, y, classes);
      }
    }
  }

  private static DataException badLabel(String what, long row, double y, int classes) {
    String found = what + ": row " + row + " has label " + y + " but expected ";
    if (classes == 0) {
      return new DataException(found + "a finite target value", "Remove or fix rows with missing targets.");
    }
    if (classes == 1) {
      return new DataException(found + "0 or 1 (binary head)",
          "For a binary head, use data.one-vs-all to turn one class into 1 and the rest into 0.");
    }
    return new DataException(
        found + "a class index 0.." + (classes - 1) + " (the network's last layer has " + classes + " outputs)",
        "Make the network's last layer size the number of classes (largest label + 1),"
            + " or use data.one-vs-all with a binary head.");
  }

  /** Refuses a source whose feature count differs from the network's input size. */
  public static void checkFeatures(RowSource s, int inputSize, String what) {
    if (s.cols() != inputSize) {
      throw new DataException(what + " (" + s.describe() + "): rows have " + s.cols()
          + " features but the network's input size is " + inputSize,
          "Make the network's input size " + s.cols() + ", or use the dataset the network was built for.");
    }
  }
}
