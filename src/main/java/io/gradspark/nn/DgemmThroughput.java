package io.gradspark.nn;

import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;

/**
 * The machine's limit for a network's matrix products: {@code threads} threads at once, each
 * running the dgemm calls (sgemm for a {@link Precision#FLOAT32} network, on float buffers, as
 * its training computes) of {@link Dense#forward} and {@link Dense#backward} of every layer on
 * {@code rows} rows (z = x W^T + b, dW += dZ^T x, db += sums of dZ and, above the first layer,
 * dX = dZ W) and nothing else (no activations, loss or batch filling), on the BLAS in use. What a data-parallel step with one task per thread could reach if
 * everything but the matrix products were free.
 */
public final class DgemmThroughput {
  private DgemmThroughput() {}

  /** Multiply-adds x 2 of one forward and backward pass on n rows (the products listed above). */
  public static double flops(Network net, long n) {
    int[] sizes = net.sizes();
    double perRow = 0;
    for (int l = 0; l < net.layers(); l++) {
      perRow += 2.0 * sizes[l] * sizes[l + 1] * (l == 0 ? 2 : 3);
    }
    return perRow * n;
  }

  /** GFLOP/s of threads threads for at least seconds (after one untimed pass each). */
  public static double gflops(Network net, int rows, int threads, double seconds) {
    long[] passes = new long[threads];
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    Thread[] workers = new Thread[threads];
    long[] ends = new long[threads];
    long[] start = new long[1];
    long budget = (long) (seconds * 1e9);
    for (int t = 0; t < threads; t++) {
      int id = t;
      workers[t] = new Thread(() -> {
        Buffers b = new Buffers(net, rows, id);
        b.pass(net, rows); // untimed: JIT and first touch of the buffers
        ready.countDown();
        try {
          go.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        long deadline = start[0] + budget;
        long n = 0;
        do {
          b.pass(net, rows);
          n++;
        } while (System.nanoTime() < deadline);
        passes[id] = n;
        ends[id] = System.nanoTime();
      }, "dgemm-" + t);
      workers[t].start();
    }
    try {
      ready.await();
      start[0] = System.nanoTime();
      go.countDown();
      for (Thread w : workers) {
        w.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while measuring dgemm", e);
    }
    long total = 0;
    long last = 0;
    for (int t = 0; t < threads; t++) {
      total += passes[t];
      last = Math.max(last, ends[t]);
    }
    return flops(net, rows) * total / ((last - start[0]) / 1e9) / 1e9;
  }

  /**
   * One thread's matrices: the input, parameters, gradient and per-layer z, dZ, dX, in double
   * or (float32) in float.
   */
  private static final class Buffers {
    final double[] x;
    final double[] params;
    final double[] grad;
    final double[][] z;
    final double[][] dX;
    final float[] xf;
    final float[] paramsF;
    final float[] gradF;
    final float[][] zf;
    final float[][] dXf;

    Buffers(Network net, int rows, long seed) {
      int[] sizes = net.sizes();
      int layers = net.layers();
      double[] x0 = new SplittableRandom(seed).doubles((long) rows * sizes[0]).toArray();
      double[] p0 = net.initialParameters(Initializer.HE_NORMAL, seed);
      // only the precision's own buffers: a float32 limit allocates and touches no double ones
      boolean f32 = net.precision() == Precision.FLOAT32;
      x = f32 ? null : x0;
      params = f32 ? null : p0;
      grad = f32 ? null : new double[p0.length];
      z = f32 ? null : new double[layers][];
      dX = f32 ? null : new double[layers][];
      xf = f32 ? floats(x0) : null;
      paramsF = f32 ? floats(p0) : null;
      gradF = f32 ? new float[p0.length] : null;
      zf = f32 ? new float[layers][] : null;
      dXf = f32 ? new float[layers][] : null;
      for (int l = 0; l < layers; l++) {
        if (f32) {
          zf[l] = new float[rows * sizes[l + 1]];
          dXf[l] = new float[rows * sizes[l]];
        } else {
          z[l] = new double[rows * sizes[l + 1]];
          dX[l] = new double[rows * sizes[l]];
        }
      }
    }

    private static float[] floats(double[] values) {
      float[] f = new float[values.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) values[i];
      }
      return f;
    }

    /** Forward through every layer, then backward (z stands in for dZ: the values do not matter). */
    void pass(Network net, int rows) {
      int[] sizes = net.sizes();
      if (xf != null) {
        for (int l = 0; l < net.layers(); l++) {
          Dense.forward(l == 0 ? xf : zf[l - 1], rows, sizes[l], sizes[l + 1], paramsF,
              net.weightOffset(l), net.biasOffset(l), zf[l]);
        }
        for (int l = net.layers() - 1; l >= 0; l--) {
          Dense.backward(l == 0 ? xf : zf[l - 1], zf[l], rows, sizes[l], sizes[l + 1], paramsF,
              net.weightOffset(l), net.biasOffset(l), gradF, l == 0 ? null : dXf[l]);
        }
        return;
      }
      for (int l = 0; l < net.layers(); l++) {
        Dense.forward(l == 0 ? x : z[l - 1], rows, sizes[l], sizes[l + 1], params,
            net.weightOffset(l), net.biasOffset(l), z[l]);
      }
      for (int l = net.layers() - 1; l >= 0; l--) {
        Dense.backward(l == 0 ? x : z[l - 1], z[l], rows, sizes[l], sizes[l + 1], params,
            net.weightOffset(l), net.biasOffset(l), grad, l == 0 ? null : dX[l]);
      }
    }
  }
}
