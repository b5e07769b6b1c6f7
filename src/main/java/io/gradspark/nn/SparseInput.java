package io.gradspark.nn;

/**
 * The network's passes when the input rows are compressed sparse rows (CSR): only the first layer
 * sees the raw features, so only it changes; its forward product and its weight gradient visit
 * the nonzeros alone, and every later layer is the dense one of {@link Network}. A row of 100,000
 * features with 50 nonzeros then costs 50 x nOut multiply-adds, not 100,000 x nOut.
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

  /**
   * {@link #lossAndGradient(Network, double[], int[], int[], double[], double[], double[], int,
   * double[], Network.Workspace)} in float32, for a network of {@link Precision#FLOAT32}: the
   * pass of {@link Network#lossAndGradient(double[], float[], double[], double[], Dropout.Keys,
   * int, double[], Network.Workspace)} with this first layer. Returns the loss sum; dParams
   * receives float32 additions.
   */
  public static double lossAndGradient32(Network net, double[] params, int[] start,
      int[] index, double[] value, double[] y, double[] w, int n, double[] dParams,
      Network.Workspace ws) {
    return net.float32Pass(params, null, new Rows(start, index, value), y, w, null, n, dParams,
        ws);
  }

  /**
   * {@link Network#lossAndGradient} for CSR rows: returns the loss SUM over the n rows and ADDS
   * the gradient of that sum to dParams. start, index, value, y, params: not modified; dParams:
   * modified (accumulated).
   */
  public static double lossAndGradient(Network net, double[] params, int[] start, int[] index,
      double[] value, double[] y, int n, double[] dParams, Network.Workspace ws) {
    return lossAndGradient(net, params, start, index, value, y, null, n, dParams, ws);
  }

  /**
   * As above for weighted rows: returns sum_i w_i loss_i and adds the gradient of that sum; w
   * null is every weight 1 (the unweighted bits). The network's dropout does not apply here:
   * a network with dropout is refused on sparse rows when the run is described.
   */
  public static double lossAndGradient(Network net, double[] params, int[] start, int[] index,
      double[] value, double[] y, double[] w, int n, double[] dParams, Network.Workspace ws) {
    ws.check(n);
    forwardToLogits(net, params, start, index, value, n, ws);
    int layers = net.layers();
    int[] sizes = net.sizes();
    double lossSum = Heads.lossAndDelta(net.head(), net.labelSmoothing(), ws.z[layers - 1], y, w,
        n, net.outputSize(), ws.dZ[layers - 1]);
    for (int l = layers - 1; l >= 1; l--) {
      Dense.backward(ws.a[l - 1], ws.dZ[l], n, sizes[l], sizes[l + 1], params,
          net.weightOffset(l), net.biasOffset(l), dParams, ws.dZ[l - 1]);
      net.activation(l - 1).backward(ws.z[l - 1], ws.a[l - 1], ws.dZ[l - 1], n * sizes[l]);
    }
    backward(start, index, value, ws.dZ[0], n, sizes[0], sizes[1], net.weightOffset(0),
        net.biasOffset(0), dParams);
    return lossSum;
  }

  /** {@link Network#evaluate} for CSR rows: adds each row's loss, label and prediction. */
  public static void evaluate(Network net, double[] params, int[] start, int[] index,
      double[] value, double[] y, int n, RowScores scores, Network.Workspace ws) {
    ws.check(n);
    forwardToLogits(net, params, start, index, value, n, ws);
    Heads.evaluate(net.head(), net.labelSmoothing(), ws.z[net.layers() - 1], y, n,
        net.outputSize(), scores);
  }

  /** {@link Network#predict} for CSR rows: the head's outputs (n, K) into out (modified). */
  public static void predict(Network net, double[] params, int[] start, int[] index,
      double[] value, int n, double[] out, Network.Workspace ws) {
    ws.check(n);
    forwardToLogits(net, params, start, index, value, n, ws);
    Heads.outputs(net.head(), ws.z[net.layers() - 1], n, net.outputSize(), out);
  }

  private static void forwardToLogits(Network net, double[] params, int[] start, int[] index,
      double[] value, int n, Network.Workspace ws) {
    ws.float64();
    int layers = net.layers();
    int[] sizes = net.sizes();
    forward(start, index, value, n, sizes[0], sizes[1], params, net.weightOffset(0),
        net.biasOffset(0), ws.z[0]);
    for (int l = 0; l < layers; l++) {
      if (l > 0) {
        Dense.forward(ws.a[l - 1], n, sizes[l], sizes[l + 1], params, net.weightOffset(l),
            net.biasOffset(l), ws.z[l]);
      }
      if (l < layers - 1) {
        net.activation(l).forward(ws.z[l], ws.a[l], n * sizes[l + 1]);
      }
    }
  }
}
