package io.gradspark.nn;

/**
 * The error function and its complement in double precision, for the exact GELU. Java has no
 * {@code Math.erf}, and the textbook approximations (Abramowitz and Stegun 7.1.26, |error| up to
 * 1.5e-7) would put a visible error into every GELU unit.
 *
 * <p>The algorithm and its coefficients are those of Sun's fdlibm {@code s_erf.c} (version 5.1,
 * 93/09/24, as shipped in FreeBSD's {@code lib/msun/src/s_erf.c}), written anew in Java; its
 * notice, which its permission asks to preserve: "Copyright (C) 1993 by Sun Microsystems, Inc. All
 * rights reserved. Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy,
 * modify, and distribute this software is freely granted, provided that this notice is preserved."
 *
 * <p>Four ranges of |x|, each a rational approximation with an error below 2^-57 of the function
 * approximated (fdlibm's own bounds):
 * <ol>
 *   <li>|x| &lt; 0.84375: erf(x) = x + x R(x^2), R = P/Q of degrees 4 and 5 in x^2.
 *   <li>0.84375 &lt;= |x| &lt; 1.25: with s = |x| - 1, erf(|x|) = c + P1(s)/Q1(s), where
 *       c = 0.84506291151 rounded to float (a constant with few bits, so c + small is exact
 *       enough), and erfc(|x|) = (1 - c) - P1/Q1.
 *   <li>1.25 &lt;= |x| &lt; 28: erfc(|x|) = exp(-x^2 - 0.5625 + R(1/x^2)/S(1/x^2)) / |x|, one
 *       coefficient set below 1/0.35 and another above. exp(-x^2) is computed as
 *       exp(-t^2 - 0.5625) exp((t - x)(t + x) + R/S) with t = x with its low 32 bits cleared:
 *       t^2 is then exact, so the large exponent carries no rounding error.
 *   <li>|x| &gt;= 28 (erfc) or 6 (erf): the function is 0, 1 or 2 to double precision.
 * </ol>
 * {@code exp} is {@link StrictMath#exp} (fdlibm's), so the results are the same on every JVM and
 * CPU. Measured against values computed to 50 digits with mpmath ({@code ErfTest}): max relative
 * error about 1 ulp (1.1e-16 for erf; about 2e-16 for erfc).
 */
public final class Erf {
  /** c = (float) 0.84506291151: erf(1 + s) = c + P1(s)/Q1(s) near 1. */
  public static final double ERX = 8.45062911510467529297e-01;
  /** 2/sqrt(pi) - 1: erf(x) = x + EFX x below 2^-28. */
  private static final double EFX = 1.28379167095512586316e-01;
  /** fdlibm's 1/0.35 boundary: the double whose high word is 0x4006DB6E and low word 0. */
  public static final double ONE_OVER_035 = Double.longBitsToDouble(0x4006DB6E00000000L);

  /**
   * fdlibm's four rational approximations P(s)/Q(s), coefficients lowest degree first (Q's
   * constant term is 1). {@link #at} evaluates them by Horner's rule, the order the ONNX export
   * repeats.
   */
  public enum Rational {
    /** pp/qq: (erf(x) - x)/x for |x| &lt; 0.84375, in s = x^2. */
    SMALL(
      new double[] {
        1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
        -5.77027029648944159157e-03, -2.37630166566501626084e-05},
      new double[] {
        1, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
        1.32494738004321644526e-04, -3.96022827877536812320e-06}),
    /** pa/qa: erf(1 + s) - ERX for |x| in [0.84375, 1.25), s = |x| - 1. */
    MID(
      new double[] {
        -2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
        3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
        -2.16637559486879084300e-03},
      new double[] {
        1, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
        1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02}),
    /** ra/sa: log(|x| erfc(|x|)) + x^2 + 0.5625 for |x| in [1.25, 1/0.35), s = 1/x^2. */
    NEAR(
      new double[] {
        -9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
        -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
        -8.12874355063065934246e+01, -9.81432934416914548592e+00},
      new double[] {
        1, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
        6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
        6.57024977031928170135e+00, -6.04244152148580987438e-02}),
    /** rb/sb: the same for |x| in [1/0.35, 28). */
    FAR(
      new double[] {
        -9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
        -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
        -4.83519191608651397019e+02},
      new double[] {
        1, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
        3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
        -2.24409524465858183362e+01});

    private final double[] p;
    private final double[] q;

    Rational(double[] p, double[] q) {
      this.p = p;
      this.q = q;
    }

    /** P's coefficients, lowest degree first (a copy). */
    public double[] numerator() {
      return p.clone();
    }

    /** Q's coefficients, lowest degree first, the first being 1 (a copy). */
    public double[] denominator() {
      return q.clone();
    }

    /** P(s)/Q(s). */
    public double at(double s) {
      return horner(p, s) / horner(q, s);
    }

    /** c[0] + s (c[1] + s (c[2] + ...)). */
    private static double horner(double[] c, double s) {
      double v = c[c.length - 1];
      for (int i = c.length - 2; i >= 0; i--) {
        v = c[i] + s * v;
      }
      return v;
    }
  }

  private Erf() {}

  /** erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt. */
  public static double erf(double x) {
    if (Double.isNaN(x)) {
      return x;
    }
    double a = Math.abs(x);
    if (a < 0.84375) {
      if (a < 0x1p-28) {
        // the series' next term is below 2^-84 of x; 8x keeps subnormal x from underflowing
        return (8 * x + 8 * EFX * x) / 8;
      }
      return x + x * Rational.SMALL.at(x * x);
    }
    if (a < 1.25) {
      double q = Rational.MID.at(a - 1);
      return x > 0 ? ERX + q : -ERX - q;
    }
    if (a >= 6) {
      return x > 0 ? 1.0 : -1.0;
    }
    double r = tail(a);
    return x > 0 ? 1 - r : r - 1;
  }

  /** erfc(x) = 1 - erf(x), with full relative precision where erf(x) is close to 1. */
  public static double erfc(double x) {
    if (Double.isNaN(x)) {
      return x;
    }
    double a = Math.abs(x);
    if (a < 0.84375) {
      if (a < 0x1p-56) {
        return 1 - x;
      }
      double y = Rational.SMALL.at(x * x);
      if (x < 0.25) {
        return 1 - (x + x * y);
      }
      // x - 0.5 is exact for x in [0.25, 0.84375) (Sterbenz), so only x y is rounded
      return 0.5 - (x * y + (x - 0.5));
    }
    if (a < 1.25) {
      double q = Rational.MID.at(a - 1);
      return x > 0 ? (1 - ERX) - q : 1 + (ERX + q);
    }
    if (a < 28) {
      if (x < -6) {
        return 2.0;
      }
      double r = tail(a);
      return x > 0 ? r : 2 - r;
    }
    return x > 0 ? 0.0 : 2.0;
  }

  /** erfc(a) for a in [1.25, 28). */
  private static double tail(double a) {
    double s = 1 / (a * a);
    double rs = (a < ONE_OVER_035 ? Rational.NEAR : Rational.FAR).at(s);
    double t = Double.longBitsToDouble(Double.doubleToRawLongBits(a) & 0xFFFFFFFF00000000L);
    return StrictMath.exp(-t * t - 0.5625) * StrictMath.exp((t - a) * (t + a) + rs) / a;
  }
}
