package io.gradspark.nn;

/** Receives a forward-only pass's result row by row (e.g. {@code eval.Evaluation} sums them). */
public interface RowScores {
  /** One row: its loss, true class and predicted class (both 0 for single-output regression). */
  void add(double loss, int actual, int predicted);
}
