package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The CSR first layer against the dense one: the kernels against {@link Dense}'s naive reference
 * (the same rows densified), and a whole network's loss, gradient, evaluation and outputs from
 * CSR rows against {@link Network}'s from the dense rows, to round-off (max relative differences
 * printed). Rows include empty ones and a batch of one row. Dropout drops the same units for CSR
 * rows as for dense ones (the masks depend on the row ids, not on how the rows are held).
 */
class SparseInputTest {

  /** CSR of n random rows of nIn features with about density nonzeros, and the dense copy. */
  private record Rows(int[] start, int[] index, double[] value, double[] dense) {}

  private static Rows rows(SplittableRandom rng, int n, int nIn, double density) {
    int[] start = new int[n + 1];
    int[] index = new int[n * nIn];
    double[] value = new double[n * nIn];
    double[] dense = new double[n * nIn];
    int k = 0;
    for (int r = 0; r < n; r++) {
      start[r] = k;
      for (int i = 0; i < nIn; i++) {
        if (r % 5 != 4 && rng.nextDouble() < density) { // every fifth row empty
          index[k] = i;
          value[k] = rng.nextGaussian();
          dense[r * nIn + i] = value[k++];
        }
      }
    }
    start[n] = k;
    return new Rows(start, index, value, dense);
  }

  @Test
  void kernelsMatchTheDenseNaiveReference() {
    SplittableRandom rng = new SplittableRandom(3);
    int[][] shapes = {{1, 1, 1}, {1, 1000, 16}, {64, 1000, 16}, {17, 9, 13}, {32, 300, 1}};
    double worst = 0;
    for (int[] s : shapes) {
      int n = s[0];
      int nIn = s[1];
      int nOut = s[2];
      int w = 3;
      int b = w + nIn * nOut + 2;
      double[] params = DenseTest.random(rng, b + nOut + 5);
      Rows x = rows(rng, n, nIn, 0.05);
      double[] z1 = new double[n * nOut];
      double[] z2 = new double[n * nOut];
      SparseInput.forward(x.start(), x.index(), x.value(), n, nIn, nOut, params, w, b, z1);
      Dense.forwardNaive(x.dense(), n, nIn, nOut, params, w, b, z2);
      double dz = GradientCheck.relativeDifference(z1, z2);
      double[] dZ = DenseTest.random(rng, n * nOut);
      double[] g1 = DenseTest.random(new SplittableRandom(1), params.length);
      double[] g2 = g1.clone();
      SparseInput.backward(x.start(), x.index(), x.value(), dZ, n, nIn, nOut, w, b, g1);
      Dense.backwardNaive(x.dense(), dZ, n, nIn, nOut, params, w, b, g2, null);
      double dg = GradientCheck.relativeDifference(g1, g2);
      System.out.printf("CSR n=%d nIn=%d nOut=%d: forward %.2e, dW and db %.2e (max rel diff)%n",
          n, nIn, nOut, dz, dg);
      worst = Math.max(worst, Math.max(dz, dg));
    }
    assertTrue(worst <= 1e-13, "CSR vs dense naive: max relative difference " + worst);
  }

  /**
   * float32 on CSR rows: the float32 pass of the dense rows (the same values rounded to float)
   * to float round-off, a gradient of floats, and not the float64 pass's bits.
   */
  @Test
  void float32OnCsrRowsEqualsTheDenseFloat32Pass() {
    SplittableRandom rng = new SplittableRandom(7);
    double worst = 0;
    for (Head head : new Head[] {Head.SOFTMAX_CROSS_ENTROPY, Head.SIGMOID_BINARY_CROSS_ENTROPY}) {
      int outputs = head == Head.SOFTMAX_CROSS_ENTROPY ? 4 : 1;
      Network net = new Network(new int[] {1000, 24, 12, outputs},
          List.of(Activation.RELU, Activation.TANH), head).withPrecision(Precision.FLOAT32);
      int n = 50;
      double[] params = Precision.FLOAT32.round(net.initialParameters(Initializer.HE_NORMAL, 9),
          null);
      Rows x = rows(rng, n, 1000, 0.02);
      double[] y = new double[n];
      double[] w = new double[n];
      for (int r = 0; r < n; r++) {
        y[r] = rng.nextInt(head == Head.SOFTMAX_CROSS_ENTROPY ? 4 : 2);
        w[r] = r % 3 == 0 ? 0.0 : 1 + rng.nextDouble();
      }
      double[] gSparse = new double[net.numParams()];
      double lossSparse = SparseInput.lossAndGradient(net, params, x.start(), x.index(),
          x.value(), y, w, null, n, gSparse, net.workspace(n));
      Network.Workspace ws = net.workspace(n);
      float[] dense = ws.rows32();
      for (int i = 0; i < x.dense().length; i++) {
        dense[i] = (float) x.dense()[i];
      }
      double[] gDense = new double[net.numParams()];
      double lossDense = net.lossAndGradient(params, dense, y, w, null, n, gDense, ws);
      double[] g64 = new double[net.numParams()];
      Network net64 = net.withPrecision(Precision.FLOAT64);
      SparseInput.lossAndGradient(net64, params, x.start(), x.index(), x.value(), y, w, null, n,
          g64, net64.workspace(n));
      for (double v : gSparse) {
        assertTrue(v == (float) v, "a float32 gradient holds floats");
      }
      assertTrue(!java.util.Arrays.equals(g64, gSparse), "float32 is not the float64 pass");
      double d = Math.max(GradientCheck.relativeDifference(gDense, gSparse),
          Math.abs(lossDense - lossSparse) / Math.abs(lossDense));
      worst = Math.max(worst, d);
    }
    System.out.printf("float32 CSR vs dense float32 pass: max relative difference %.2e%n", worst);
    assertTrue(worst <= 1e-5, "relative difference " + worst);
  }

  @Test
  void aNetworkOnCsrRowsEqualsTheDenseNetworkToRoundOff() {
    SplittableRandom rng = new SplittableRandom(5);
    for (Head head : new Head[] {Head.SOFTMAX_CROSS_ENTROPY, Head.SIGMOID_BINARY_CROSS_ENTROPY}) {
      int outputs = head == Head.SOFTMAX_CROSS_ENTROPY ? 4 : 1;
      Network net = new Network(new int[] {1000, 24, 12, outputs},
          List.of(Activation.RELU, Activation.TANH), head);
      int n = 50;
      double[] params = net.initialParameters(Initializer.HE_NORMAL, 9);
      Rows x = rows(rng, n, 1000, 0.02);
      double[] y = new double[n];
      for (int r = 0; r < n; r++) {
        y[r] = head == Head.SOFTMAX_CROSS_ENTROPY ? r % outputs : r % 2;
      }
      Network.Workspace ws = net.workspace(n);
      double[] g1 = new double[net.numParams()];
      double[] g2 = new double[net.numParams()];
      double l1 = SparseInput.lossAndGradient(net, params, x.start(), x.index(), x.value(), y, n,
          g1, ws);
      double l2 = net.lossAndGradient(params, x.dense(), y, n, g2, ws);
      double[] p1 = new double[n * outputs];
      double[] p2 = new double[n * outputs];
      SparseInput.predict(net, params, x.start(), x.index(), x.value(), n, p1, ws);
      net.predict(params, x.dense(), n, p2, ws);
      io.gradspark.eval.Evaluation e1 = new io.gradspark.eval.Evaluation(net.classes());
      io.gradspark.eval.Evaluation e2 = new io.gradspark.eval.Evaluation(net.classes());
      SparseInput.evaluate(net, params, x.start(), x.index(), x.value(), y, n, e1, ws);
      net.evaluate(params, x.dense(), y, n, e2, ws);
      double dLoss = Math.abs(l1 - l2) / Math.abs(l2);
      double dGrad = GradientCheck.relativeDifference(g1, g2);
      double dOut = GradientCheck.relativeDifference(p1, p2);
      System.out.printf("%s: loss %.2e, gradient %.2e, outputs %.2e (max rel diff); accuracy "
          + "%.4f vs %.4f%n", head, dLoss, dGrad, dOut, e1.accuracy(), e2.accuracy());
      assertTrue(dLoss <= 1e-13 && dGrad <= 1e-12 && dOut <= 1e-13,
          "CSR vs dense network: " + dLoss + ", " + dGrad + ", " + dOut);
      assertTrue(e1.accuracy() == e2.accuracy(), "the same predictions");
    }
  }

  @Test
  void dropoutOnCsrRowsDropsTheUnitsItDropsOnDenseRows() {
    SplittableRandom rng = new SplittableRandom(7);
    Network net = new Network(new int[] {1000, 24, 12, 3},
        List.of(Activation.RELU, Activation.TANH), Head.SOFTMAX_CROSS_ENTROPY)
        .withDropout(0.5, 0.25);
    int n = 40;
    double[] params = net.initialParameters(Initializer.HE_NORMAL, 4);
    Rows x = rows(rng, n, 1000, 0.02);
    double[] y = new double[n];
    double[] w = new double[n];
    int[] ids = new int[n + 5];
    for (int r = 0; r < n; r++) {
      y[r] = r % 3;
      w[r] = 0.5 + rng.nextDouble();
    }
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 1_000 + 3 * i;
    }
    Dropout.Keys keys = new Dropout.Keys(11, 2, ids, 5); // the batch's rows start at offset 5
    Network.Workspace ws = net.workspace(n);
    double[] sparse = new double[net.numParams()];
    double[] dense = new double[net.numParams()];
    double[] none = new double[net.numParams()];
    double ls = SparseInput.lossAndGradient(net, params, x.start(), x.index(), x.value(), y, w,
        keys, n, sparse, ws);
    double ld = net.lossAndGradient(params, x.dense(), y, w, keys, n, dense, ws);
    double l0 = net.lossAndGradient(params, x.dense(), y, w, null, n, none, ws);
    double dLoss = Math.abs(ls - ld) / Math.abs(ld);
    double dGrad = GradientCheck.relativeDifference(sparse, dense);
    double byDropout = GradientCheck.relativeDifference(dense, none);
    System.out.printf("dropout 0.5, 0.25 on CSR vs dense rows: loss %.2e, gradient %.2e (max rel "
        + "diff); the masks change the gradient by %.2e%n", dLoss, dGrad, byDropout);
    assertTrue(byDropout > 1e-3 && Math.abs(ld - l0) > 1e-9, "dropout changes the step");
    assertTrue(dLoss <= 1e-13 && dGrad <= 1e-12, "the same units dropped: " + dLoss + ", "
        + dGrad);
  }
}
