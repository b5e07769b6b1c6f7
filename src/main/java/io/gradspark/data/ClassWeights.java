package io.gradspark.data;

import io.gradspark.GradsparkException;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Class weights of the training loss ({@code data.class-weights}): given, one per class, or
 * "balanced", w_k = n / (K n_k) as scikit-learn's {@code compute_class_weight("balanced")}
 * computes it, with n the training rows, n_k those of class k and K the classes the head has (2 for
 * a sigmoid head). A row's weight in the loss is its own weight (1 when it has none) times its
 * class's weight, and the loss is sum_i w_i loss_i / sum_i w_i, as {@code
 * torch.nn.CrossEntropyLoss(weight=...)} with reduction "mean" computes it.
 *
 * @param given the weights of classes 0..K-1, or null for balanced
 */
public record ClassWeights(double[] given) implements Serializable {
  /** The balanced weights, counted from the training rows. */
  public static final ClassWeights BALANCED = new ClassWeights(null);

  /** Refuses weights that are not finite, or negative, or all 0. */
  public ClassWeights {
    if (given != null) {
      given = given.clone();
      check(given, "data.class-weights");
    }
  }

  /** The given weights (a copy), or null for balanced. */
  @Override
  public double[] given() {
    return given == null ? null : given.clone();
  }

  public boolean balanced() {
    return given == null;
  }

  /**
   * The weight of each of k classes: the given ones (refused when their count is not k), or the
   * balanced ones from counts (rows per class; a class without rows is refused, since n / (K * 0)
   * has no value: scikit-learn refuses it too).
   */
  public double[] resolve(int k, long[] counts) {
    if (given != null) {
      if (given.length != k) {
        throw new GradsparkException("data.class-weights has " + given.length
            + " weights but the head has " + k + " classes",
            "give one weight per class (2 for a sigmoid head: [weight of 0, weight of 1]), or "
                + "\"balanced\"");
      }
      return given.clone();
    }
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    double[] w = new double[k];
    for (int c = 0; c < k; c++) {
      if (counts[c] == 0) {
        throw new GradsparkException("data.class-weights is \"balanced\" but no training row has"
            + " class " + c + " (class counts " + Arrays.toString(counts) + ")",
            "give the weights as a list, or train on data that has every class");
      }
      w[c] = (double) n / ((double) k * counts[c]);
    }
    return w;
  }

  /** Refuses weights that are not finite, or negative, or all 0; what names them in messages. */
  static void check(double[] weights, String what) {
    boolean positive = false;
    for (int i = 0; i < weights.length; i++) {
      if (!Double.isFinite(weights[i]) || weights[i] < 0) {
        throw new GradsparkException(what + ": weight " + i + " is " + weights[i]
            + "; weights must be finite and >= 0", "e.g. [1.0, 5.0], or \"balanced\"");
      }
      positive |= weights[i] > 0;
    }
    if (!positive) {
      throw new GradsparkException(what + ": every weight is 0, so the loss would be 0 / 0",
          "give at least one class a weight > 0");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClassWeights c && Arrays.equals(given, c.given);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(given);
  }

  @Override
  public String toString() {
    return given == null ? "balanced" : Arrays.toString(given);
  }
}
