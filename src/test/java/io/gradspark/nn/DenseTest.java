package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The BLAS kernels against their naive references, on random shapes including a batch of one row;
 * differences are {@link GradientCheck#relativeDifference} (relative to the array's scale).
 */
class DenseTest {

  @Test
  void blasForwardAndBackwardMatchNaive() {
    SplittableRandom rng = new SplittableRandom(7);
    int[][] shapes = {{1, 1, 1}, {1, 784, 64}, {128, 784, 64}, {3, 5, 2}, {17, 9, 13}, {64, 10, 1}};
    double worst = 0;
    for (int[] s : shapes) {
      int n = s[0];
      int nIn = s[1];
      int nOut = s[2];
      int w = 3; // non-zero offsets: W and b are views into a bigger vector
      int b = w + nIn * nOut + 2;
      double[] params = random(rng, b + nOut + 5);
      double[] x = random(rng, n * nIn);
      double[] z1 = new double[n * nOut];
      double[] z2 = new double[n * nOut];
      Dense.forward(x, n, nIn, nOut, params, w, b, z1);
      Dense.forwardNaive(x, n, nIn, nOut, params, w, b, z2);
      double dForward = GradientCheck.relativeDifference(z1, z2);

      double[] dZ = random(rng, n * nOut);
      double[] g1 = random(new SplittableRandom(1), params.length); // accumulate onto non-zero
      double[] g2 = g1.clone();
      double[] dX1 = new double[n * nIn];
      double[] dX2 = new double[n * nIn];
      Dense.backward(x, dZ, n, nIn, nOut, params, w, b, g1, dX1);
      Dense.backwardNaive(x, dZ, n, nIn, nOut, params, w, b, g2, dX2);
      double dBackward = Math.max(GradientCheck.relativeDifference(g1, g2),
          GradientCheck.relativeDifference(dX1, dX2));
      System.out.printf("dense n=%d nIn=%d nOut=%d: forward %.2e backward %.2e (max rel diff)%n",
          n, nIn, nOut, dForward, dBackward);
      worst = Math.max(worst, Math.max(dForward, dBackward));
    }
    assertTrue(worst <= 1e-12, "BLAS vs naive max relative difference " + worst);
  }

  static double[] random(SplittableRandom rng, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = rng.nextGaussian();
    }
    return v;
  }
}
