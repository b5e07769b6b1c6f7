package io.gradspark.nn;

/**
 * The network's passes when the input rows are compressed sparse rows (CSR): only the first layer
 * sees the raw features, so only it changes; its forward product and its weight gradient visit
 * the nonzeros alone, and the rest is {@link Network}'s own passes (later layers, activations,
 * dropout, head), given this first layer as its {@link Network.Input}. A row of 100,000 features
 * with 50 nonzeros then costs 50 x nOut multiply-adds, not 100,000 x nOut.
 *
 * <p>Legend: n = rows in the batch, nIn = features, nOut = the first layer's units. CSR: row r's
 * nonzeros are index[start[r] .. start[r+1]) (0-based feature numbers, increasing) with their
 * values in value[...]; W (nOut, nIn) row-major and b (nOut) are views into the flat parameter
 * vector at offsets w and b, as in {@link Dense}. The results equal the dense path's to round-off
 * (the dense product also adds the zeros' 0 x W terms, in BLAS's order).
 */
public final class SparseInput {
  private SparseInput() {}

  /**
   * z = x W^T + b for CSR rows x. z: (n, nOut), modified (overwritten); the rest: not modified.
   */
  public static void forward(int[] start, int[] index, double[] value, int n, int nIn, int nOut,
      double[] params, int w, int b, double[] z) {
    for (int r = 0; r < n; r++) {
      int o = r * nOut;
      System.arraycopy(params, b, z, o, nOut);
      for (int k = start[r]; k < start[r + 1]; k++) {
        int i = w + index[k];
        double v = value[k];
        for (int j = 0; j < nOut; j++) {
          z[o + j] += v * params[i + j * nIn];
        }
      }
    }
  }

  /**
   * Given dZ (n, nOut): dW += dZ^T x and db += column sums of dZ, both ACCUMULATED into grad at
   * offsets w and b. No dX: the input needs no gradient. grad: modified; the rest: not modified.
   */
  public static void backward(int[] start, int[] index, double[] value, double[] dZ, int n,
      int nIn, int nOut, int w, int b, double[] grad) {
    for (int r = 0; r < n; r++) {
      int o = r * nOut;
      for (int j = 0; j < nOut; j++) {
        grad[b + j] += dZ[o + j];
      }
      for (int k = start[r]; k < start[r + 1]; k++) {
        int i = w + index[k];
        double v = value[k];
        for (int j = 0; j < nOut; j++) {
          grad[i + j * nIn] += dZ[o + j] * v;
        }
      }
    }
  }

  /** A batch of CSR rows: row r's nonzeros are index[start[r] .. start[r+1]) and their values. */
  record Rows(int[] start, int[] index, double[] value) {}

  /**
   * {@link #forward} in float32 for {@link Precision#FLOAT32}: each value rounded to float, as
   * a dense row's are, and float multiply-adds. z: (n, nOut), modified; the rest: not modified.
   */
  static void forward(Rows x, int n, int nIn, int nOut, float[] params, int w, int b,
      float[] z) {
    for (int r = 0; r < n; r++) {
      int o = r * nOut;
      System.arraycopy(params, b, z, o, nOut);
      for (int k = x.start()[r]; k < x.start()[r + 1]; k++) {
        int i = w + x.index()[k];
        float v = (float) x.value()[k];
        for (int j = 0; j < nOut; j++) {
          z[o + j] += v * params[i + j * nIn];
        }
      }
    }
  }

  /** {@link #backward} in float32: dW and db ACCUMULATED into grad (modified). */
  static void backward(Rows x, float[] dZ, int n, int nIn, int nOut, int w, int b,
      float[] grad) {
    for (int r = 0; r < n; r++) {
      int o = r * nOut;
      for (int j = 0; j < nOut; j++) {
        grad[b + j] += dZ[o + j];
      }
      for (int k = x.start()[r]; k < x.start()[r + 1]; k++) {
        int i = w + x.index()[k];
        float v = (float) x.value()[k];
        for (int j = 0; j < nOut; j++) {
          grad[i + j * nIn] += dZ[o + j] * v;
        }
      }
    }
  }

  /** The CSR rows as the first layer's input: {@link #forward} and {@link #backward}. */
  private static Network.Input rows(int[] start, int[] index, double[] value) {
    return new Network.Input() {
      @Override
      public void forward(double[] params, int w, int b, int n, int nIn, int nOut, double[] z) {
        SparseInput.forward(start, index, value, n, nIn, nOut, params, w, b, z);
      }

      @Override
      public void backward(double[] params, double[] dZ, int n, int nIn, int nOut, int w, int b,
          double[] grad) {
        SparseInput.backward(start, index, value, dZ, n, nIn, nOut, w, b, grad);
      }
    };
  }

  /**
   * {@link Network#lossAndGradient} for CSR rows: returns the loss SUM over the n rows and ADDS
   * the gradient of that sum to dParams. start, index, value, y, params: not modified; dParams:
   * modified (accumulated).
   */
  public static double lossAndGradient(Network net, double[] params, int[] start, int[] index,
      double[] value, double[] y, int n, double[] dParams, Network.Workspace ws) {
    return lossAndGradient(net, params, start, index, value, y, null, null, n, dParams, ws);
  }

  /**
   * As above for weighted rows and dropout, as the dense network has them: returns sum_i w_i
   * loss_i and adds the gradient of that sum; w null is every weight 1 (the unweighted bits);
   * keys null is no dropout, else the hidden layers with a rate drop the units {@link Dropout}
   * says for the rows keys name (the masks depend on the row's id, not on how it is held, so
   * sparse and dense rows drop the same units). A {@link Precision#FLOAT32} network computes
   * in float32 ({@link Network#float32Pass}, values rounded to float as dense rows' are) and
   * dParams receives float32 additions.
   */
  public static double lossAndGradient(Network net, double[] params, int[] start, int[] index,
      double[] value, double[] y, double[] w, Dropout.Keys keys, int n, double[] dParams,
      Network.Workspace ws) {
    return net.precision() == Precision.FLOAT32
        ? net.float32Pass(params, null, new Rows(start, index, value), y, w, keys, n, dParams, ws,
            false)
        : net.lossAndGradient(params, rows(start, index, value), y, w, keys, n, dParams, ws);
  }

  /** {@link Network#evaluate} for CSR rows: adds each row's loss, label and prediction. */
  public static void evaluate(Network net, double[] params, int[] start, int[] index,
      double[] value, double[] y, int n, RowScores scores, Network.Workspace ws) {
    net.evaluate(params, rows(start, index, value), y, n, scores, ws);
  }

  /** {@link Network#predict} for CSR rows: the head's outputs (n, K) into out (modified). */
  public static void predict(Network net, double[] params, int[] start, int[] index,
      double[] value, int n, double[] out, Network.Workspace ws) {
    net.predict(params, rows(start, index, value), n, out, ws);
  }
}
