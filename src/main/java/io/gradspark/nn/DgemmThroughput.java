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
        Buffers b = Buffers.of(net, rows, id);
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
   * One thread's matrices, the input, parameters, gradient and per-layer z and dX, in the
   * network's precision (a float32 limit allocates and touches no double ones), and a pass over
   * them: forward through every layer, then backward (z stands in for dZ: the values do not
   * matter).
   */
  private interface Buffers {
    void pass(Network net, int rows);

    static Buffers of(Network net, int rows, long seed) {
      double[] x = new SplittableRandom(seed).doubles((long) rows * net.sizes()[0]).toArray();
      double[] params = net.initialParameters(Initializer.HE_NORMAL, seed);
      return net.precision() == Precision.FLOAT32 ? new Floats(net, rows, x, params)
          : new Doubles(net, rows, x, params);
    }
  }

  /** dgemm's buffers. */
  private static final class Doubles implements Buffers {
    private final double[] x;
    private final double[] params;
    private final double[] grad;
    private final double[][] z;
    private final double[][] dX;

    Doubles(Network net, int rows, double[] x, double[] params) {
      int[] sizes = net.sizes();
      this.x = x;
      this.params = params;
      grad = new double[params.length];
      z = new double[net.layers()][];
      dX = new double[net.layers()][];
      for (int l = 0; l < net.layers(); l++) {
        z[l] = new double[rows * sizes[l + 1]];
        dX[l] = new double[rows * sizes[l]];
      }
    }

    @Override
    public void pass(Network net, int rows) {
      int[] sizes = net.sizes();
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

  /** sgemm's buffers: the input and parameters rounded to float, as a float32 training has them. */
  private static final class Floats implements Buffers {
    private final float[] x;
    private final float[] params;
    private final float[] grad;
    private final float[][] z;
    private final float[][] dX;

    Floats(Network net, int rows, double[] x, double[] params) {
      int[] sizes = net.sizes();
      this.x = floats(x);
      this.params = floats(params);
      grad = new float[params.length];
      z = new float[net.layers()][];
      dX = new float[net.layers()][];
      for (int l = 0; l < net.layers(); l++) {
        z[l] = new float[rows * sizes[l + 1]];
        dX[l] = new float[rows * sizes[l]];
      }
    }

    private static float[] floats(double[] values) {
      float[] f = new float[values.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) values[i];
      }
      return f;
    }

    @Override
    public void pass(Network net, int rows) {
      int[] sizes = net.sizes();
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
