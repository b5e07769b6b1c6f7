package io.gradspark.data;

import io.gradspark.nn.Head;

/**
 * Checks that a dataset fits the network, so a mismatch is reported with the dataset and row instead of
 * surfacing as a nonsense loss or an index error deep inside training.
 */
public final class DataChecks {
  private DataChecks() {}

  /**
   * Refuses a label that {@code head} on an output layer of {@code outputs} units cannot take:
   * softmax and one-hot MSE (outputs >= 2) need an integer class index in [0, outputs); the sigmoid
   * head needs 0 or 1; single-output MSE (regression) needs a finite value. The block holds rows
   * [firstRow, firstRow + rows) (0-based) of the dataset called {@code what}; messages name the row
   * 1-based.
   */
  public static void checkLabels(RowBlock block, int firstRow, Head head, int outputs, String what) {
    int classes = head.classes(outputs);
    for (int r = 0; r < block.rows(); r++) {
      double y = block.label(r);
      boolean ok = switch (head) {
        case SIGMOID_BINARY_CROSS_ENTROPY -> y == 0 || y == 1;
        case SOFTMAX_CROSS_ENTROPY, IDENTITY_MSE -> classes == 0 ? Double.isFinite(y)
            : y >= 0 && y < classes && y == Math.rint(y);
      };
      if (!ok) {
        throw badLabel(what, (long) firstRow + r + 1, y, head, classes);
      }
    }
  }

  private static DataException badLabel(String what, long row, double y, Head head, int classes) {
    String found = what + ": row " + row + " (1-based) has label " + y;
    if (head == Head.SIGMOID_BINARY_CROSS_ENTROPY) {
      return new DataException(found + " but a sigmoid head takes labels 0 or 1",
          "Turn one class into 1 and the rest into 0 (one-vs-all), or use a softmax head with one"
              + " output per class.");
    }
    if (classes == 0) {
      return new DataException(found + " but expected a finite target value",
          "Remove or fix rows with missing targets.");
    }
    return new DataException(found + " but expected a class index 0.." + (classes - 1)
            + " (the network's last layer has " + classes + " outputs)",
        "Make the network's last layer size the number of classes (largest label + 1),"
            + " or use one-vs-all labels with a sigmoid head.");
  }

  /**
   * Refuses input to a trained model whose feature count differs from the model's input size:
   * the model is fixed, so the hint is about the data (predict, scoring).
   */
  public static void checkModelInput(RowSource s, int inputSize, String what) {
    if (s.cols() != inputSize) {
      throw new DataException(what + " (" + s.describe() + "): rows have " + s.cols()
          + " features but the model takes " + inputSize,
          "Give rows of " + inputSize + " features, as the model was trained on: for CSV, "
              + (s.cols() == inputSize + 1 ? "name the label column to leave out with "
                  + "--label-column, " : "")
              + "check the delimiter and that the columns are the training data's; for LIBSVM, "
              + "feature indices 1.." + inputSize + ".");
    }
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
