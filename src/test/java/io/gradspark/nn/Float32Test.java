package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The float32 training pass ({@link Precision#FLOAT32}) against the float64 one on the same
 * batch: every layer, activation and head (weighted, label-smoothed, with dropout) agrees to
 * float32 round-off, its gradient is a vector of floats, and it is not the float64 pass in
 * disguise (the two differ).
 */
class Float32Test {
  private static final List<Activation> ACTIVATIONS = List.of(Activation.SIGMOID,
      Activation.TANH, Activation.RELU, Activation.leakyRelu(0.01), Activation.IDENTITY,
      Activation.GELU, Activation.ELU, Activation.SELU, Activation.SOFTPLUS, Activation.SILU);

  /** max_i |a_i - b_i| / max_i |a_i|, the scale-relative difference the engine tests use. */
  private static double relative(double[] a, double[] b) {
    return GradientCheck.relativeDifference(a, b);
  }

  /**
   * The float32 pass's loss and gradient against the float64 one's at the same float-rounded
   * parameters and rows; returns the larger relative difference.
   */
  private static double compare(Network net64, double[] w, Dropout.Keys keys, int n, long seed) {
    Network net32 = net64.withPrecision(Precision.FLOAT32);
    SplittableRandom rng = new SplittableRandom(seed);
    double[] params = Precision.FLOAT32.round(net64.initialParameters(
        Initializer.XAVIER_NORMAL, seed), null);
    for (int i = 0; i < params.length; i++) {
      params[i] = (float) (params[i] + 0.1 * rng.nextGaussian());
    }
    int nIn = net64.inputSize();
    double[] x = new double[n * nIn];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    double[] y = new double[n];
    for (int r = 0; r < n; r++) {
      y[r] = net64.classes() == 0 ? rng.nextGaussian() : rng.nextInt(net64.classes());
    }
    double[] g64 = new double[net64.numParams()];
    double loss64 = net64.lossAndGradient(params, x, y, w, keys, n, g64, net64.workspace(n));
    Network.Workspace ws = net32.workspace(n);
    float[] x32 = ws.rows32();
    for (int i = 0; i < x.length; i++) {
      x32[i] = (float) x[i];
    }
    double[] g32 = new double[net32.numParams()];
    double loss32 = net32.lossAndGradient(params, x32, y, w, keys, n, g32, ws);
    for (double v : g32) {
      assertEquals(v, (double) (float) v, 0.0, "the float32 gradient holds floats");
    }
    double d = Math.max(relative(g64, g32), Math.abs(loss64 - loss32) / Math.abs(loss64));
    assertTrue(d > 0, net64 + ": float32 gave float64's very bits");
    return d;
  }

  @Test
  void everyActivationAndHeadAgreesWithFloat64ToFloatRoundOff() {
    double worst = 0;
    int n = 16;
    double[] w = new double[n];
    for (int r = 0; r < n; r++) {
      w[r] = r % 4 == 3 ? 0.0 : 0.5 + r / 8.0;
    }
    for (Head head : Head.values()) {
      int out = head == Head.SIGMOID_BINARY_CROSS_ENTROPY ? 1 : 3;
      for (Activation act : ACTIVATIONS) {
        Network net = new Network(new int[] {5, 7, 6, out}, List.of(act), head);
        worst = Math.max(worst, compare(net, null, null, n, 3));
        worst = Math.max(worst, compare(net, w, null, n, 4));
        if (head == Head.SOFTMAX_CROSS_ENTROPY) {
          Network smoothed = new Network(new int[] {5, 7, 6, out}, List.of(act), head, 0.1);
          worst = Math.max(worst, compare(smoothed, w, null, n, 5));
        }
        Network dropped = net.withDropout(0.3, 0.5);
        int[] ids = new int[n];
        for (int r = 0; r < n; r++) {
          ids[r] = 100 + 3 * r;
        }
        worst = Math.max(worst, compare(dropped, w, new Dropout.Keys(7, 1, ids, 0), n, 6));
      }
    }
    System.out.printf("float32 vs float64 pass, every activation and head (weighted, smoothed, "
        + "dropout): max relative difference %.3e%n", worst);
    assertTrue(worst <= 1e-5, "relative difference " + worst);
  }

  @Test
  void denseSgemmMatchesTheNaiveLoopsToFloatRoundOff() {
    SplittableRandom rng = new SplittableRandom(11);
    int n = 9;
    int nIn = 13;
    int nOut = 7;
    int w = 3;
    int b = w + nIn * nOut;
    float[] params = new float[b + nOut];
    double[] params64 = new double[params.length];
    for (int i = 0; i < params.length; i++) {
      params[i] = (float) rng.nextGaussian();
      params64[i] = params[i];
    }
    float[] x = new float[n * nIn];
    double[] x64 = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
      x64[i] = x[i];
    }
    float[] z = new float[n * nOut];
    double[] z64 = new double[z.length];
    Dense.forward(x, n, nIn, nOut, params, w, b, z);
    Dense.forwardNaive(x64, n, nIn, nOut, params64, w, b, z64);
    float[] dZ = new float[z.length];
    double[] dZ64 = new double[z.length];
    for (int i = 0; i < dZ.length; i++) {
      dZ[i] = (float) rng.nextGaussian();
      dZ64[i] = dZ[i];
    }
    float[] grad = new float[params.length];
    double[] grad64 = new double[params.length];
    float[] dX = new float[x.length];
    double[] dX64 = new double[x.length];
    Dense.backward(x, dZ, n, nIn, nOut, params, w, b, grad, dX);
    Dense.backwardNaive(x64, dZ64, n, nIn, nOut, params64, w, b, grad64, dX64);
    double d = Math.max(relative(z64, toDouble(z)),
        Math.max(relative(grad64, toDouble(grad)), relative(dX64, toDouble(dX))));
    System.out.printf("dense sgemm vs naive double loops: max relative difference %.3e%n", d);
    assertTrue(d <= 1e-6, "relative difference " + d);
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** Sums merge as float32 additions: the result is the float sum, whatever runs it. */
  @Test
  void float32AdditionIsTheFloatSum() {
    SplittableRandom rng = new SplittableRandom(2);
    double[] a = new double[1000];
    double[] b = new double[1000];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(-8, 8)));
      b[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(-8, 8)));
    }
    double[] sum = a.clone();
    Precision.FLOAT32.add(sum, b, 0, sum.length);
    int differ = 0;
    for (int i = 0; i < a.length; i++) {
      float expected = (float) a[i] + (float) b[i];
      assertEquals(expected, sum[i], 0.0, "value " + i);
      differ += a[i] + b[i] != sum[i] ? 1 : 0;
    }
    System.out.println("float32 addition: " + differ + " of 1000 sums rounded away from double's");
    assertTrue(differ > 0);
  }

  /**
   * round gives each value cast to float, whatever the array's length against its 1,024-value
   * blocks, the reused output array, and values a float cannot hold (huge, tiny, NaN, infinite).
   */
  @Test
  void roundIsTheCastToFloatOfEveryValue() {
    SplittableRandom rng = new SplittableRandom(3);
    for (int length : new int[] {0, 1, 1023, 1024, 1025, 2500}) {
      double[] values = new double[length];
      for (int i = 0; i < length; i++) {
        values[i] = rng.nextGaussian() * Math.pow(10, rng.nextInt(-50, 50));
      }
      double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, -0.0, 1e300, 1e-320, 3.4e38};
      for (int i = 0; i < Math.min(length, specials.length); i++) {
        values[i * 7 % length] = specials[i];
      }
      double[] out = Precision.FLOAT32.round(values, new double[length]);
      double maxDiff = 0;
      for (int i = 0; i < length; i++) {
        assertEquals((double) (float) values[i], out[i], 0.0, "value " + i + " of " + length);
        if (Double.isFinite(values[i]) && Math.abs(values[i]) < 1e30) {
          maxDiff = Math.max(maxDiff, Math.abs(out[i] - values[i]) / Math.max(1e-30, Math.abs(values[i])));
        }
      }
      System.out.printf("round, %d values: max relative difference from double %.2e%n", length,
          maxDiff);
      assertSame(values, Precision.FLOAT64.round(values, null), "float64 keeps the array");
    }
  }
}
