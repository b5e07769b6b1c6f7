package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The new activations' values against mpmath (src/test/python/activation_reference.py, 60 digits,
 * stored as double-doubles; see {@link ErfTest}), their derivatives against central differences of
 * the forward pass, and the constants and thresholds PyTorch defines.
 */
class ActivationTest {

  /**
   * The float32 loops of relu, leaky relu and identity (written out, without the per-element
   * switch) give every element what the general float path gives: f(z) and d * f'(z) computed in
   * double from the float and rounded to float, bit for bit, signed zeros included.
   */
  @Test
  void float32LoopsOfTheCommonKindsRoundTheDoubleFormulaBitForBit() {
    int n = 4000;
    double[][] zd = inputsAndDeltas(n, 3);
    float[] z = new float[n];
    float[] d0 = new float[n];
    for (int i = 0; i < n; i++) {
      z[i] = (float) zd[0][i];
      d0[i] = (float) zd[1][i];
    }
    int differ = 0;
    for (double slope : new double[] {0.01, 0.25}) {
      for (Activation f : List.of(Activation.parse("relu", slope),
          Activation.parse("leaky-relu", slope), Activation.parse("identity", slope))) {
        float[] a = new float[n];
        float[] d = d0.clone();
        f.forward(z, a, n);
        f.backward(z, a, d, n);
        for (int i = 0; i < n; i++) {
          double zi = z[i];
          double value = switch (f.toString().replaceAll("\\(.*", "")) {
            case "relu" -> zi > 0 ? zi : 0.0;
            case "leaky-relu" -> zi > 0 ? zi : slope * zi;
            default -> zi;
          };
          double slopeAt = switch (f.toString().replaceAll("\\(.*", "")) {
            case "relu" -> zi <= 0 ? 0.0 : 1.0;
            case "leaky-relu" -> zi <= 0 ? slope : 1.0;
            default -> 1.0;
          };
          differ += Float.floatToRawIntBits((float) value) == Float.floatToRawIntBits(a[i]) ? 0 : 1;
          differ += Float.floatToRawIntBits((float) (d0[i] * slopeAt))
              == Float.floatToRawIntBits(d[i]) ? 0 : 1;
        }
      }
    }
    System.out.println("float32 relu / leaky relu / identity: " + differ
        + " of 48,000 values differ from the rounded double formula (max difference 0 if none)");
    assertEquals(0, differ);
  }

  /**
   * n inputs z (the special values first, then normal ones with standard deviation 3) and n
   * upstream deltas d (every third -0.0, for the sign of zero).
   */
  private static double[][] inputsAndDeltas(int n, long seed) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
    double[][] zd = new double[2][n];
    for (int i = 0; i < n; i++) {
      zd[0][i] = i < SPECIAL.length ? SPECIAL[i] : rng.nextGaussian() * 3;
      zd[1][i] = i % 3 == 0 ? -0.0 : rng.nextGaussian();
    }
    return zd;
  }

  /** Signed zeros, the smallest subnormals, NaNs of both signs, infinities. */
  private static final float[] SPECIAL = {0.0f, -0.0f, Float.MIN_VALUE, -Float.MIN_VALUE,
      Float.NaN, Float.intBitsToFloat(0xffc00000), Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY};

  /**
   * relu in float64 (written without branches on the sign): f(z) = z > 0 ? z : +0.0 and
   * d = z <= 0 ? +0.0 : d, bit for bit, for random values and every special one.
   */
  @Test
  void reluInFloat64IsTheFormulaBitForBit() {
    int n = 4000;
    double[][] zd = inputsAndDeltas(n, 5);
    double[] z = zd[0];
    double[] d = zd[1];
    z[n - 1] = Double.longBitsToDouble(0xfff8000000000000L); // x86's default NaN: negative
    double[] a = new double[n];
    double[] dd = d.clone();
    Activation.RELU.forward(z, a, n);
    Activation.RELU.backward(z, a, dd, n);
    int differ = 0;
    for (int i = 0; i < n; i++) {
      differ += Double.doubleToRawLongBits(z[i] > 0 ? z[i] : 0.0)
          == Double.doubleToRawLongBits(a[i]) ? 0 : 1;
      differ += Double.doubleToRawLongBits(z[i] <= 0 ? 0.0 : d[i])
          == Double.doubleToRawLongBits(dd[i]) ? 0 : 1;
    }
    System.out.println("float64 relu: " + differ + " of 8,000 values differ from the formula");
    assertEquals(0, differ);
  }

  private static final List<Activation> NEW = List.of(Activation.GELU, Activation.ELU,
      Activation.SELU, Activation.SOFTPLUS, Activation.SILU);

  private static double f(Activation a, double z) {
    double[] out = new double[1];
    a.forward(new double[] {z}, out, 1);
    return out[0];
  }

  private static double df(Activation a, double z) {
    double[] d = {1.0};
    a.backward(new double[] {z}, new double[] {f(a, z)}, d, 1);
    return d[0];
  }

  @Test
  void valuesAgreeWithMpmathToAFewUlps() throws IOException {
    List<double[]> rows = ErfTest.table("activation-reference.csv");
    StringBuilder report = new StringBuilder();
    for (int k = 0; k < NEW.size(); k++) {
      Activation a = NEW.get(k);
      double worst = 0;
      double at = 0;
      for (double[] r : rows) {
        double e = ErfTest.relativeError(f(a, r[0]), r[1 + 2 * k], r[2 + 2 * k]);
        if (a == Activation.GELU && r[0] < -1) {
          // z / sqrt 2 is rounded (1.1e-16) and exp(-z^2 / 2) multiplies that by z^2: a limit of
          // every double GELU that forms z / sqrt 2, PyTorch's included; measured per unit of it
          e /= r[0] * r[0];
        }
        if (e > worst) {
          worst = e;
          at = r[0];
        }
      }
      report.append(String.format(Locale.ROOT, "  %-8s %.3e (at z = %s)%s%n", a, worst, at,
          a == Activation.GELU ? ", per z^2 below z = -1" : ""));
      // erf's ulp, the product with z and the rounding of z/sqrt 2: a few ulps at most
      assertTrue(worst <= 1e-15, a + ": max relative error " + worst + " at " + at);
    }
    System.out.print("activations vs mpmath on " + rows.size() + " points, max relative error:\n"
        + report);
  }

  @Test
  void derivativesAgreeWithCentralDifferences() {
    double h = 1e-5;
    double worst = 0;
    for (Activation a : List.of(Activation.GELU, Activation.ELU, Activation.elu(0.5),
        Activation.SELU, Activation.SOFTPLUS, Activation.SILU)) {
      double worstHere = 0;
      for (double z = -12.3; z <= 24; z += 0.0173) {
        if (Math.abs(z) < 2 * h || Math.abs(z - 20) < 2 * h) {
          continue; // a break point between the stencil's points
        }
        double fd = (f(a, z - 2 * h) - 8 * f(a, z - h) + 8 * f(a, z + h) - f(a, z + 2 * h))
            / (12 * h);
        double err = Math.abs(fd - df(a, z)) / Math.max(1, Math.abs(fd));
        worstHere = Math.max(worstHere, err);
      }
      System.out.printf(Locale.ROOT, "%-9s f' vs five-point differences: max error %.3e%n", a,
          worstHere);
      assertTrue(worstHere <= 1e-9, a + ": " + worstHere);
      worst = Math.max(worst, worstHere);
    }
    assertTrue(worst > 0, "the differences measured nothing");
  }

  @Test
  void constantsAndThresholdsAreTorchs() {
    // the decimal expansions PyTorch's SELU uses, to the nearest double
    assertEquals(1.6732632423543772, Activation.SELU_ALPHA, 0.0);
    assertEquals(1.0507009873554805, Activation.SELU_SCALE, 0.0);
    assertEquals(Activation.SELU_SCALE * 3.5, f(Activation.SELU, 3.5), 0.0);
    assertEquals(Activation.SELU_ALPHA * Activation.SELU_SCALE * Math.expm1(-2),
        f(Activation.SELU, -2), 0.0);
    // softplus is z itself above 20, log1p(exp(z)) at 20 and below; f' follows
    assertEquals(20.5, f(Activation.SOFTPLUS, 20.5), 0.0);
    assertEquals(Math.log1p(Math.exp(20)), f(Activation.SOFTPLUS, 20), 0.0);
    assertTrue(f(Activation.SOFTPLUS, 20) > 20);
    assertEquals(1.0, df(Activation.SOFTPLUS, 20.5), 0.0);
    assertEquals(Heads.sigmoid(20), df(Activation.SOFTPLUS, 20), 0.0);
    // ELU's alpha scales the negative side only; at 0 the derivative is the left one (torch)
    Activation half = Activation.elu(0.5);
    assertEquals(0.5 * Math.expm1(-1), f(half, -1), 0.0);
    assertEquals(2.0, f(half, 2.0), 0.0);
    assertEquals(0.5, df(half, 0.0), 0.0);
    assertEquals(Activation.SELU_ALPHA * Activation.SELU_SCALE, df(Activation.SELU, 0.0), 0.0);
    // GELU(0) = 0 with slope 1/2; SiLU likewise
    assertEquals(0.0, f(Activation.GELU, 0), 0.0);
    assertEquals(0.5, df(Activation.GELU, 0), 0.0);
    assertEquals(0.5, df(Activation.SILU, 0), 0.0);
    // nothing overflows far out
    for (Activation a : NEW) {
      for (double z : new double[] {-1000, 1000}) {
        assertTrue(Double.isFinite(f(a, z)) && Double.isFinite(df(a, z)), a + " at " + z);
      }
    }
  }

  @Test
  void piecesMarkWhereTheDefinitionBreaks() {
    assertEquals(List.of(false, true, true, true, false),
        NEW.stream().map(Activation::piecewise).toList());
    assertEquals(1, Activation.SOFTPLUS.piece(20.001));
    assertEquals(0, Activation.SOFTPLUS.piece(20));
    assertEquals(1, Activation.SELU.piece(1e-9));
    assertEquals(0, Activation.ELU.piece(0));
    assertEquals(0, Activation.GELU.piece(5));
  }
}
