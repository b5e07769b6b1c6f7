package io.gradspark.onnx;

import io.gradspark.nn.Activation;
import io.gradspark.nn.Erf;
import io.gradspark.onnx.OnnxExport.DType;
import io.gradspark.onnx.OnnxExport.Graph;
import java.util.List;

/**
 * gelu, elu, selu, softplus and silu as ONNX subgraphs of elementary operators (opset 17: Mul, Add,
 * Sub, Div, Neg, Abs, Floor, Exp, Log, Less, Greater, GreaterOrEqual, Equal, Where) that
 * compute in float64 what {@link Activation} computes, to round-off:
 * <ul>
 *   <li>elu, selu: Where(z &gt; 0, scale z, scale alpha expm1(z)).
 *   <li>softplus: Where(z &gt; 20, z, log1p(Exp(z))).
 *   <li>silu: z / (1 + Exp(-z)), PyTorch's own form; not z Sigmoid(z), which ONNX Runtime's
 *       optimizer rewrites into its QuickGelu kernel, which takes float32 only, so that a float64
 *       model would not load.
 *   <li>gelu: z Phi(z) with Phi evaluated by the {@link Erf} algorithm itself: the same four
 *       rational approximations with the same coefficients, in the same Horner order, each range
 *       selected by Where, and Phi of a negative z from erfc (no cancellation). The exact split of
 *       x^2 that fdlibm makes by clearing low bits is made here by t = Floor(x 2^16) / 2^16: for
 *       x &lt; 28, t has at most 21 significant bits, so t^2 is exact all the same. In float32 the
 *       model uses ONNX's Erf instead (its float kernel): 0.5 z (1 + Erf(z / sqrt 2)).
 * </ul>
 * ONNX has neither expm1 nor log1p, and Exp(z) - 1 or Log(1 + u) would lose every digit for small
 * arguments; both are rebuilt with their classic accurate forms: expm1(z) = (u - 1) z / log(u) with
 * u = exp(z) (Kahan; z itself when u = 1, -1 when u - 1 = -1), and log1p(u) = u log(w) / (w - 1)
 * with w = 1 + u (Goldberg 1991, Theorem 4; u itself when w = 1). Where selects after both of its
 * branches are computed; a branch that overflows or divides by 0 outside its range is never
 * selected.
 */
final class OnnxActivations {
  /** 2^16: Floor(x 2^16) / 2^16 keeps 16 fraction bits of x. */
  private static final double SPLIT = 65536;

  private OnnxActivations() {}

  /** Adds f(z) for one of the composed kinds; returns the output's name, out. */
  static String composed(Graph g, Activation f, String z, String out) {
    return switch (f.kind()) {
      case GELU -> g.node("Mul", out, List.of(z, normalCdf(g, out, z)), out);
      case ELU -> exponentialLinear(g, out, z, 1.0, f.alpha());
      case SELU -> exponentialLinear(g, out, z, Activation.SELU_SCALE,
          Activation.SELU_ALPHA * Activation.SELU_SCALE);
      case SOFTPLUS -> {
        String above = g.op(out, "Greater", z, g.constant(Activation.SOFTPLUS_THRESHOLD));
        String soft = log1p(g, out, g.op(out, "Exp", z));
        yield g.node("Where", out, List.of(above, z, soft), out);
      }
      case SILU -> {
        String e = g.op(out, "Exp", g.op(out, "Neg", z));
        yield g.node("Div", out, List.of(z, g.op(out, "Add", g.constant(1), e)), out);
      }
      case SIGMOID, TANH, RELU, LEAKY_RELU, IDENTITY ->
          throw new IllegalArgumentException(f + " has its own ONNX operator");
    };
  }

  /** Where(z &gt; 0, pos z, neg expm1(z)), named p (the output). */
  private static String exponentialLinear(Graph g, String p, String z, double pos, double neg) {
    String positive = pos == 1.0 ? z : g.op(p, "Mul", z, g.constant(pos));
    String negative = g.op(p, "Mul", expm1(g, p, z), g.constant(neg));
    String above = g.op(p, "Greater", z, g.constant(0));
    return g.node("Where", p, List.of(above, positive, negative), p);
  }

  /** exp(z) - 1 to a few ulps (Kahan): (u - 1) z / log(u), u = exp(z). */
  private static String expm1(Graph g, String p, String z) {
    String u = g.op(p, "Exp", z);
    String d = g.op(p, "Sub", u, g.constant(1));
    String r = g.op(p, "Mul", d, g.op(p, "Div", z, g.op(p, "Log", u)));
    String saturated = g.op(p, "Where", g.op(p, "Equal", d, g.constant(-1)), d, r);
    return g.op(p, "Where", g.op(p, "Equal", d, g.constant(0)), z, saturated);
  }

  /** log(1 + u) to a few ulps (Goldberg): u log(w) / (w - 1), w = 1 + u. */
  private static String log1p(Graph g, String p, String u) {
    String w = g.op(p, "Add", u, g.constant(1));
    String d = g.op(p, "Sub", w, g.constant(1));
    String r = g.op(p, "Mul", u, g.op(p, "Div", g.op(p, "Log", w), d));
    return g.op(p, "Where", g.op(p, "Equal", d, g.constant(0)), u, r);
  }

  /** Phi(z) = (1 + erf(z / sqrt 2)) / 2 as Activation computes it; see the class comment. */
  private static String normalCdf(Graph g, String p, String z) {
    String u = g.op(p, "Mul", z, g.constant(Activation.SQRT1_2));
    String half = g.constant(0.5);
    String one = g.constant(1);
    if (g.dtype == DType.FLOAT32) {
      return g.op(p, "Mul", g.op(p, "Add", g.op(p, "Erf", u), one), half);
    }
    String a = g.op(p, "Abs", u);
    String nonNegative = g.op(p, "GreaterOrEqual", u, g.constant(0));

    // |u| < 0.84375: erf(u) = u + u R(u^2)
    String erfSmall = g.op(p, "Add", u,
        g.op(p, "Mul", u, ratio(g, p, Erf.Rational.SMALL, g.op(p, "Mul", u, u))));
    String small = g.op(p, "Mul", g.op(p, "Add", erfSmall, one), half);

    // 0.84375 <= |u| < 1.25: erf(|u|) = c + q, erfc(|u|) = (1 - c) - q
    String q = ratio(g, p, Erf.Rational.MID, g.op(p, "Sub", a, one));
    String midUp = g.op(p, "Mul",
        g.op(p, "Add", g.op(p, "Add", g.constant(Erf.ERX), q), one), half);
    String midDown = g.op(p, "Mul", g.op(p, "Sub", g.constant(1 - Erf.ERX), q), half);
    String mid = g.op(p, "Where", nonNegative, midUp, midDown);

    // |u| >= 1.25: erfc(|u|) = exp(-t^2 - 0.5625) exp((t - a)(t + a) + R/S) / a
    String s = g.op(p, "Div", one, g.op(p, "Mul", a, a));
    String rs = g.op(p, "Where", g.op(p, "Less", a, g.constant(Erf.ONE_OVER_035)),
        ratio(g, p, Erf.Rational.NEAR, s), ratio(g, p, Erf.Rational.FAR, s));
    String split = g.constant(SPLIT);
    String t = g.op(p, "Div", g.op(p, "Floor", g.op(p, "Mul", a, split)), split);
    String big = g.op(p, "Exp",
        g.op(p, "Sub", g.op(p, "Neg", g.op(p, "Mul", t, t)), g.constant(0.5625)));
    String fine = g.op(p, "Exp", g.op(p, "Add",
        g.op(p, "Mul", g.op(p, "Sub", t, a), g.op(p, "Add", t, a)), rs));
    String erfc = g.op(p, "Div", g.op(p, "Mul", big, fine), a);
    String halfErfc = g.op(p, "Mul", erfc, half);
    String tail = g.op(p, "Where", nonNegative, g.op(p, "Sub", one, halfErfc), halfErfc);

    String notSmall = g.op(p, "Where", g.op(p, "Less", a, g.constant(1.25)), mid, tail);
    return g.op(p, "Where", g.op(p, "Less", a, g.constant(0.84375)), small, notSmall);
  }

  /** P(s)/Q(s) by Horner's rule in Erf's order: c0 + s (c1 + s (c2 + ...)). */
  private static String ratio(Graph g, String p, Erf.Rational r, String s) {
    return g.op(p, "Div", horner(g, p, r.numerator(), s), horner(g, p, r.denominator(), s));
  }

  private static String horner(Graph g, String p, double[] c, String s) {
    String v = g.constant(c[c.length - 1]);
    for (int i = c.length - 2; i >= 0; i--) {
      v = g.op(p, "Add", g.constant(c[i]), g.op(p, "Mul", s, v));
    }
    return v;
  }
}
