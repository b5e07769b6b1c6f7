package io.gradspark.nn;

/**
 * The math of the fused output heads, on a batch of logits. Legend: n = rows, K = outputs;
 * z, p and dZ are (n, K) row-major; y holds one label per row.
 *
 * <p>Softmax + cross-entropy. loss = logsumexp(z) - z_y and dL/dz = softmax(z) - onehot(y). With
 * m = max_j z_j, logsumexp(z) = m + log(sum_j exp(z_j - m)): every exponent is <= 0, so nothing
 * overflows, and the sum is >= 1, so the log never sees 0. p_j = exp(z_j - logsumexp(z)).
 *
 * <p>With label smoothing eps (PyTorch's {@code CrossEntropyLoss(label_smoothing=eps)}) the target
 * is q = (1 - eps) onehot(y) + eps / K, loss = -sum_j q_j log p_j
 * = (1 - eps) (lse - z_y) + (eps / K) sum_j (lse - z_j), a sum of terms that are all >= 0 (no
 * cancellation), and dL/dz = p - q. eps = 0 computes exactly the unsmoothed loss and gradient.
 *
 * <p>Sigmoid + binary cross-entropy. With p = sigmoid(z), -[y log p + (1-y) log(1-p)] simplifies to
 * softplus(z) - y z, and softplus(z) = max(z, 0) + log1p(exp(-|z|)) is computed from the logit, so
 * the loss stays finite however saturated p is (log(0) never happens), and dL/dz = p - y.
 *
 * <p>Identity + squared error. loss = 1/2 sum_j (z_j - t_j)^2, dL/dz = z - t.
 */
public final class Heads {
  private Heads() {}

  /** Numerically stable logistic function: never computes exp of a large positive number. */
  public static double sigmoid(double z) {
    if (z >= 0) {
      return 1.0 / (1.0 + Math.exp(-z));
    }
    double e = Math.exp(z);
    return e / (1.0 + e);
  }

  /** log(1 + exp(z)) without overflow. */
  static double softplus(double z) {
    return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  }

  /** {@link #lossAndDelta(Head, double, double[], double[], double[], int, int, double[])}
   * unsmoothed and unweighted. */
  static double lossAndDelta(Head head, double[] z, double[] y, int n, int k, double[] dZ) {
    return lossAndDelta(head, 0, z, y, null, n, k, dZ);
  }

  /** The same, unweighted. */
  static double lossAndDelta(Head head, double eps, double[] z, double[] y, int n, int k,
      double[] dZ) {
    return lossAndDelta(head, eps, z, y, null, n, k, dZ);
  }

  /**
   * Loss SUM over the n rows, sum_r w_r loss_r; dZ (n, K) receives w_r dL_r/dz for each row
   * (overwritten, not accumulated: it is a per-batch scratch buffer, not a gradient that sums
   * over batches). eps: the softmax head's label smoothing (0 for the other heads). w: the rows'
   * weights, or null for every weight 1 (multiplying by 1.0 is exact, so weights of 1 give the
   * unweighted bits). w, z, y: not modified.
   */
  static double lossAndDelta(Head head, double eps, double[] z, double[] y, double[] w, int n,
      int k, double[] dZ) {
    double lossSum = 0;
    switch (head) {
      case SOFTMAX_CROSS_ENTROPY -> {
        double uniform = eps / k;
        for (int r = 0; r < n; r++) {
          int o = r * k;
          double wr = w == null ? 1.0 : w[r];
          double lse = logSumExp(z, o, k);
          int label = (int) y[r];
          lossSum += wr * crossEntropy(z, o, k, lse, label, eps);
          for (int j = 0; j < k; j++) {
            dZ[o + j] = Math.exp(z[o + j] - lse) - uniform;
          }
          dZ[o + label] -= 1.0 - eps;
          scale(dZ, o, k, w, r);
        }
      }
      case SIGMOID_BINARY_CROSS_ENTROPY -> {
        for (int r = 0; r < n; r++) {
          double wr = w == null ? 1.0 : w[r];
          lossSum += wr * (softplus(z[r]) - y[r] * z[r]);
          dZ[r] = sigmoid(z[r]) - y[r];
          scale(dZ, r, 1, w, r);
        }
      }
      case IDENTITY_MSE -> {
        for (int r = 0; r < n; r++) {
          int o = r * k;
          double wr = w == null ? 1.0 : w[r];
          // term by term: weight 1 gives the unweighted sum's very bits
          for (int j = 0; j < k; j++) {
            double d = z[o + j] - target(y[r], j, k);
            dZ[o + j] = d;
            lossSum += wr * (0.5 * d * d);
          }
          scale(dZ, o, k, w, r);
        }
      }
    }
    return lossSum;
  }

  /** dZ[o .. o+k) *= w[r]; nothing when w is null. */
  private static void scale(double[] dZ, int o, int k, double[] w, int r) {
    if (w != null) {
      for (int j = 0; j < k; j++) {
        dZ[o + j] *= w[r];
      }
    }
  }

  /**
   * Adds each row's loss (with the softmax head's label smoothing eps, the loss training
   * minimises), label and predicted class to ev. z, y: not modified.
   */
  static void evaluate(Head head, double eps, double[] z, double[] y, int n, int k,
      RowScores ev) {
    for (int r = 0; r < n; r++) {
      int o = r * k;
      switch (head) {
        case SOFTMAX_CROSS_ENTROPY -> {
          int label = (int) y[r];
          ev.add(crossEntropy(z, o, k, logSumExp(z, o, k), label, eps), label, argmax(z, o, k));
        }
        case SIGMOID_BINARY_CROSS_ENTROPY ->
            ev.add(softplus(z[r]) - y[r] * z[r], (int) y[r], z[r] >= 0 ? 1 : 0);
        case IDENTITY_MSE -> {
          double loss = 0;
          for (int j = 0; j < k; j++) {
            double d = z[o + j] - target(y[r], j, k);
            loss += 0.5 * d * d;
          }
          ev.add(loss, k == 1 ? 0 : (int) y[r], k == 1 ? 0 : argmax(z, o, k));
        }
      }
    }
  }

  /** p = the head's output for each row (probabilities, or z itself for MSE). z: not modified. */
  static void outputs(Head head, double[] z, int n, int k, double[] p) {
    for (int r = 0; r < n; r++) {
      int o = r * k;
      switch (head) {
        case SOFTMAX_CROSS_ENTROPY -> {
          double lse = logSumExp(z, o, k);
          for (int j = 0; j < k; j++) {
            p[o + j] = Math.exp(z[o + j] - lse);
          }
        }
        case SIGMOID_BINARY_CROSS_ENTROPY -> p[r] = sigmoid(z[r]);
        case IDENTITY_MSE -> System.arraycopy(z, o, p, o, k);
      }
    }
  }

  /** The predicted class of a row from its head outputs p (K values at offset o). */
  public static int predictedClass(Head head, double[] p, int o, int k) {
    return switch (head) {
      case SIGMOID_BINARY_CROSS_ENTROPY -> p[o] >= 0.5 ? 1 : 0;
      case SOFTMAX_CROSS_ENTROPY, IDENTITY_MSE -> k == 1 ? 0 : argmax(p, o, k);
    };
  }

  /**
   * -sum_j q_j log p_j of one row (K logits at offset o, lse their logsumexp) for the smoothed
   * target q = (1 - eps) onehot(label) + eps / K; lse - z_label when eps = 0.
   */
  private static double crossEntropy(double[] z, int o, int k, double lse, int label, double eps) {
    if (eps == 0) {
      return lse - z[o + label];
    }
    double all = 0;
    for (int j = 0; j < k; j++) {
      all += lse - z[o + j];
    }
    return (1 - eps) * (lse - z[o + label]) + eps / k * all;
  }

  private static double target(double label, int j, int k) {
    return k == 1 ? label : (j == (int) label ? 1.0 : 0.0);
  }

  private static double logSumExp(double[] z, int o, int k) {
    double m = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) {
      m = Math.max(m, z[o + j]);
    }
    double s = 0;
    for (int j = 0; j < k; j++) {
      s += Math.exp(z[o + j] - m);
    }
    return m + Math.log(s);
  }

  /** Index of the largest value; the first one on ties. */
  static int argmax(double[] v, int o, int k) {
    int best = 0;
    for (int j = 1; j < k; j++) {
      if (v[o + j] > v[o + best]) {
        best = j;
      }
    }
    return best;
  }
}
