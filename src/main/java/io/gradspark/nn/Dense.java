package io.gradspark.nn;

import dev.ludovic.netlib.blas.BLAS;

/**
 * Forward and backward of a dense layer on a whole batch, with BLAS dgemm (sgemm in float32), and a
 * naive reference of each for the tests. Legend: n = rows in the batch, nIn = inputs, nOut = outputs.
 *
 * <p>Layouts (all row-major): x (n, nIn); W (nOut, nIn), the layout of PyTorch's Linear.weight;
 * b (nOut); z, dZ (n, nOut). Arrays are addressed through offsets so that W and b are views into the
 * network's one flat parameter vector. BLAS is column-major, so a row-major (r, c) matrix is passed as
 * a column-major (c, r) one and the products are written transposed.
 */
public final class Dense {
  private Dense() {}

  /** The BLAS in use ({@link Blas}: chosen by measurement at the start of a training). */
  public static BLAS blas() {
    return Blas.get();
  }

  /**
   * z = x W^T + b. x: (n, nIn), W at params[w]: (nOut, nIn), b at params[b]: (nOut); z: (n, nOut),
   * modified (overwritten). x and params: not modified.
   */
  public static void forward(
      double[] x, int n, int nIn, int nOut, double[] params, int w, int b, double[] z) {
    for (int r = 0; r < n; r++) {
      System.arraycopy(params, b, z, r * nOut, nOut);
    }
    // column-major: z^T (nOut, n) = W (nOut, nIn) * x^T (nIn, n); W is stored as W^T col-major.
    blas().dgemm("T", "N", nOut, n, nIn, 1.0, params, w, nIn, x, 0, nIn, 1.0, z, 0, nOut);
  }

  /**
   * Given dZ (n, nOut): dW += dZ^T x and db += column sums of dZ (both ACCUMULATE into grad at
   * offsets w and b); if dX is not null, dX (n, nIn) = dZ W (overwritten). x, dZ, params: not
   * modified; grad, dX: modified.
   */
  public static void backward(
      double[] x, double[] dZ, int n, int nIn, int nOut, double[] params, int w, int b,
      double[] grad, double[] dX) {
    // column-major: dW^T (nIn, nOut) += x^T (nIn, n) * dZ (n, nOut)
    blas().dgemm("N", "T", nIn, nOut, n, 1.0, x, 0, nIn, dZ, 0, nOut, 1.0, grad, w, nIn);
    for (int r = 0; r < n; r++) {
      int o = r * nOut;
      for (int j = 0; j < nOut; j++) {
        grad[b + j] += dZ[o + j];
      }
    }
    if (dX != null) {
      // column-major: dX^T (nIn, n) = W^T (nIn, nOut) * dZ^T (nOut, n)
      blas().dgemm("N", "N", nIn, n, nOut, 1.0, params, w, nIn, dZ, 0, nOut, 0.0, dX, 0, nIn);
    }
  }

  /**
   * {@link #forward} in float32 (sgemm): the same layouts and contract on float buffers, for
   * {@link Precision#FLOAT32}.
   */
  public static void forward(
      float[] x, int n, int nIn, int nOut, float[] params, int w, int b, float[] z) {
    for (int r = 0; r < n; r++) {
      System.arraycopy(params, b, z, r * nOut, nOut);
    }
    blas().sgemm("T", "N", nOut, n, nIn, 1.0f, params, w, nIn, x, 0, nIn, 1.0f, z, 0, nOut);
  }

  /** {@link #backward} in float32 (sgemm): the same layouts and contract on float buffers. */
  public static void backward(
      float[] x, float[] dZ, int n, int nIn, int nOut, float[] params, int w, int b,
      float[] grad, float[] dX) {
    blas().sgemm("N", "T", nIn, nOut, n, 1.0f, x, 0, nIn, dZ, 0, nOut, 1.0f, grad, w, nIn);
    for (int r = 0; r < n; r++) {
      int o = r * nOut;
      for (int j = 0; j < nOut; j++) {
        grad[b + j] += dZ[o + j];
      }
    }
    if (dX != null) {
      blas().sgemm("N", "N", nIn, n, nOut, 1.0f, params, w, nIn, dZ, 0, nOut, 0.0f, dX, 0, nIn);
    }
  }

  /** Reference for {@link #forward}: the textbook triple loop. */
  public static void forwardNaive(
      double[] x, int n, int nIn, int nOut, double[] params, int w, int b, double[] z) {
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < nOut; j++) {
        double s = params[b + j];
        for (int i = 0; i < nIn; i++) {
          s += x[r * nIn + i] * params[w + j * nIn + i];
        }
        z[r * nOut + j] = s;
      }
    }
  }

  /** Reference for {@link #backward}: the textbook loops, same contract. */
  public static void backwardNaive(
      double[] x, double[] dZ, int n, int nIn, int nOut, double[] params, int w, int b,
      double[] grad, double[] dX) {
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < nOut; j++) {
        double d = dZ[r * nOut + j];
        grad[b + j] += d;
        for (int i = 0; i < nIn; i++) {
          grad[w + j * nIn + i] += d * x[r * nIn + i];
        }
      }
    }
    if (dX != null) {
      for (int r = 0; r < n; r++) {
        for (int i = 0; i < nIn; i++) {
          double s = 0;
          for (int j = 0; j < nOut; j++) {
            s += dZ[r * nOut + j] * params[w + j * nIn + i];
          }
          dX[r * nIn + i] = s;
        }
      }
    }
  }
}
