package io.gradspark.nn;

import io.gradspark.GradsparkException;
import io.gradspark.Named;
import java.io.Serializable;
import java.util.List;

/**
 * Elementwise hidden-layer activation a = f(z) and its derivative. Immutable; leaky ReLU carries its
 * negative slope and ELU its alpha.
 *
 * <p>The functions are PyTorch's (torch.nn.GELU, ELU, SELU, Softplus, SiLU with their default
 * arguments), so a network can be checked against it:
 * <ul>
 *   <li>gelu: z Phi(z), Phi(z) = (1 + erf(z / sqrt 2)) / 2 the normal CDF (the exact form, not the
 *       tanh approximation); f' = Phi(z) + z phi(z), phi(z) = exp(-z^2 / 2) / sqrt(2 pi). Phi of a
 *       negative z is computed as erfc(-z / sqrt 2) / 2 (see {@link Erf}), the same number without
 *       the cancellation of 1 + erf near -1.
 *   <li>elu: z for z &gt; 0, alpha (exp(z) - 1) otherwise (as expm1); f' = 1 or alpha exp(z).
 *   <li>selu: scale z for z &gt; 0, scale alpha (exp(z) - 1) otherwise, with PyTorch's constants
 *       alpha = 1.6732632423543772848170429916717 and scale = 1.0507009873554804934193349852946
 *       (Klambauer et al. 2017); f' = scale or scale alpha exp(z).
 *   <li>softplus: log(1 + exp(z)) (as log1p), and z itself above the threshold 20 where the two
 *       agree to 2e-9 (torch's beta = 1, threshold = 20); f' = sigmoid(z), 1 above 20.
 *   <li>silu (swish): z sigmoid(z); f' = s (1 + z (1 - s)) with s = sigmoid(z).
 * </ul>
 */
public final class Activation implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The kinds, by the names used in config files. */
  public enum Kind implements Named {
    SIGMOID("sigmoid"),
    TANH("tanh"),
    RELU("relu"),
    LEAKY_RELU("leaky-relu"),
    IDENTITY("identity"),
    GELU("gelu"),
    ELU("elu"),
    SELU("selu"),
    SOFTPLUS("softplus"),
    SILU("silu", "swish");

    private final String configName;
    private final List<String> aliases;

    Kind(String configName, String... aliases) {
      this.configName = configName;
      this.aliases = List.of(aliases);
    }

    @Override
    public String configName() {
      return configName;
    }

    @Override
    public List<String> aliases() {
      return aliases;
    }
  }

  /** SELU's alpha and scale as PyTorch defines them (rounded to the nearest double here). */
  public static final double SELU_ALPHA = 1.6732632423543772848170429916717;
  public static final double SELU_SCALE = 1.0507009873554804934193349852946;
  /** The product, rounded once, as PyTorch's ELU kernel forms it (negcoef = alpha * scale). */
  private static final double SELU_SCALE_ALPHA = SELU_ALPHA * SELU_SCALE;
  /** softplus is z itself above this (PyTorch's default threshold, with beta = 1). */
  public static final double SOFTPLUS_THRESHOLD = 20;
  /** 1 / sqrt(2), as C's M_SQRT1_2 that PyTorch's GELU multiplies by. */
  public static final double SQRT1_2 = 0.70710678118654752440;
  /** 1 / sqrt(2 pi), the normal density's factor. */
  private static final double INV_SQRT_2PI = 0.39894228040143267794;

  public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0);
  public static final Activation TANH = new Activation(Kind.TANH, 0);
  public static final Activation RELU = new Activation(Kind.RELU, 0);
  public static final Activation IDENTITY = new Activation(Kind.IDENTITY, 0);
  public static final Activation GELU = new Activation(Kind.GELU, 0);
  /** ELU with PyTorch's default alpha = 1. */
  public static final Activation ELU = new Activation(Kind.ELU, 0, 1.0);
  public static final Activation SELU = new Activation(Kind.SELU, 0);
  public static final Activation SOFTPLUS = new Activation(Kind.SOFTPLUS, 0);
  public static final Activation SILU = new Activation(Kind.SILU, 0);

  private final Kind kind;
  private final double slope;
  private final double alpha;

  private Activation(Kind kind, double slope) {
    this(kind, slope, 0);
  }

  private Activation(Kind kind, double slope, double alpha) {
    this.kind = kind;
    this.slope = slope;
    this.alpha = alpha;
  }

  /** Leaky ReLU: f(z) = z for z > 0, slope * z otherwise. Refuses slope outside [0, 1). */
  public static Activation leakyRelu(double slope) {
    if (!(slope >= 0 && slope < 1)) {
      throw new GradsparkException(
          "Leaky ReLU slope must be in [0, 1) but was " + slope, "a common choice is 0.01");
    }
    return new Activation(Kind.LEAKY_RELU, slope);
  }

  /**
   * ELU: f(z) = z for z &gt; 0, alpha (exp(z) - 1) otherwise. Refuses alpha that is not positive
   * and finite (alpha = 0 is ReLU; a negative alpha makes f non-monotonic).
   */
  public static Activation elu(double alpha) {
    if (!(alpha > 0 && alpha < Double.POSITIVE_INFINITY)) {
      throw new GradsparkException("ELU alpha must be positive and finite but was " + alpha,
          "PyTorch's default is 1.0");
    }
    return alpha == 1.0 ? ELU : new Activation(Kind.ELU, 0, alpha);
  }

  /** {@link #parse(String, double, double)} with ELU's alpha at its default, 1. */
  public static Activation parse(String name, double leakySlope) {
    return parse(name, leakySlope, 1.0);
  }

  /**
   * By config name (sigmoid, tanh, relu, leaky-relu, identity, gelu, elu, selu, softplus, silu or
   * its alias swish); leakySlope is used by leaky-relu only, eluAlpha by elu only.
   */
  public static Activation parse(String name, double leakySlope, double eluAlpha) {
    return switch (Named.parse(Kind.values(), name, "activation")) {
      case SIGMOID -> SIGMOID;
      case TANH -> TANH;
      case RELU -> RELU;
      case LEAKY_RELU -> leakyRelu(leakySlope);
      case IDENTITY -> IDENTITY;
      case GELU -> GELU;
      case ELU -> elu(eluAlpha);
      case SELU -> SELU;
      case SOFTPLUS -> SOFTPLUS;
      case SILU -> SILU;
    };
  }

  public Kind kind() {
    return kind;
  }

  public double slope() {
    return slope;
  }

  /** ELU's alpha; 0 for every other kind. */
  public double alpha() {
    return alpha;
  }

  /**
   * Which piece of a piecewise definition z falls in: 1 above the break point (0 for relu,
   * leaky-relu, elu and selu, 20 for softplus), 0 at or below it, and always 0 for the smooth
   * kinds. At a break point f or a derivative jumps (ELU with alpha = 1 is smooth once, not
   * twice), so a finite difference whose stencil crosses one measures nothing.
   */
  public int piece(double z) {
    return switch (kind) {
      case RELU, LEAKY_RELU, ELU, SELU -> z > 0 ? 1 : 0;
      case SOFTPLUS -> z > SOFTPLUS_THRESHOLD ? 1 : 0;
      case SIGMOID, TANH, IDENTITY, GELU, SILU -> 0;
    };
  }

  /** Whether {@link #piece} can be anything but 0. */
  public boolean piecewise() {
    return switch (kind) {
      case RELU, LEAKY_RELU, ELU, SELU, SOFTPLUS -> true;
      case SIGMOID, TANH, IDENTITY, GELU, SILU -> false;
    };
  }

  /** GELU's Phi(z) = (1 + erf(z / sqrt 2)) / 2, from erfc below 0 (no cancellation). */
  static double normalCdf(double z) {
    double u = z * SQRT1_2;
    return u >= 0 ? 0.5 * (1 + Erf.erf(u)) : 0.5 * Erf.erfc(-u);
  }

  /** a[i] = f(z[i]) for i in [0, len). z: not modified; a: modified. */
  public void forward(double[] z, double[] a, int len) {
    switch (kind) {
      case SIGMOID -> {
        for (int i = 0; i < len; i++) {
          a[i] = Heads.sigmoid(z[i]);
        }
      }
      case TANH -> {
        for (int i = 0; i < len; i++) {
          a[i] = Math.tanh(z[i]);
        }
      }
      case RELU -> {
        // z > 0 ? z : 0.0 (NaN and -0.0 give 0.0), without a branch on z's sign: max is
        // branch-free, and the NaN test is all but always false (about 6x faster on random signs)
        for (int i = 0; i < len; i++) {
          double m = Math.max(z[i], 0.0);
          a[i] = m != m ? 0.0 : m;
        }
      }
      case LEAKY_RELU -> {
        for (int i = 0; i < len; i++) {
          a[i] = z[i] > 0 ? z[i] : slope * z[i];
        }
      }
      case IDENTITY -> System.arraycopy(z, 0, a, 0, len);
      case GELU -> {
        for (int i = 0; i < len; i++) {
          a[i] = z[i] * normalCdf(z[i]);
        }
      }
      case ELU -> {
        for (int i = 0; i < len; i++) {
          a[i] = z[i] > 0 ? z[i] : alpha * Math.expm1(z[i]);
        }
      }
      case SELU -> {
        for (int i = 0; i < len; i++) {
          a[i] = z[i] > 0 ? SELU_SCALE * z[i] : SELU_SCALE_ALPHA * Math.expm1(z[i]);
        }
      }
      case SOFTPLUS -> {
        for (int i = 0; i < len; i++) {
          a[i] = z[i] > SOFTPLUS_THRESHOLD ? z[i] : Math.log1p(Math.exp(z[i]));
        }
      }
      case SILU -> {
        for (int i = 0; i < len; i++) {
          a[i] = z[i] * Heads.sigmoid(z[i]);
        }
      }
    }
  }

  /**
   * d[i] *= f'(z[i]), turning dL/da into dL/dz. Uses whichever of z and a gives the derivative
   * cheaply (sigmoid and tanh from a). z, a: not modified; d: modified. At z = 0, ReLU's derivative
   * is taken as 0 (and leaky ReLU's as its slope, ELU's as alpha, SELU's as scale alpha: the left
   * side, as PyTorch does); at z = 20, softplus's as sigmoid(20).
   */
  public void backward(double[] z, double[] a, double[] d, int len) {
    switch (kind) {
      case SIGMOID -> {
        for (int i = 0; i < len; i++) {
          d[i] *= a[i] * (1 - a[i]);
        }
      }
      case TANH -> {
        for (int i = 0; i < len; i++) {
          d[i] *= 1 - a[i] * a[i];
        }
      }
      case RELU -> {
        // d = 0.0 where z <= 0 (NaN: d kept), as bit masks: no branch on z's sign (3x faster)
        for (int i = 0; i < len; i++) {
          d[i] = Double.longBitsToDouble(Double.doubleToRawLongBits(d[i]) & ~notAbove(z[i]));
        }
      }
      case LEAKY_RELU -> {
        for (int i = 0; i < len; i++) {
          if (z[i] <= 0) {
            d[i] *= slope;
          }
        }
      }
      case IDENTITY -> {}
      case GELU -> {
        for (int i = 0; i < len; i++) {
          d[i] *= normalCdf(z[i]) + z[i] * INV_SQRT_2PI * Math.exp(-0.5 * z[i] * z[i]);
        }
      }
      case ELU -> {
        for (int i = 0; i < len; i++) {
          if (z[i] <= 0) {
            d[i] *= alpha * Math.exp(z[i]);
          }
        }
      }
      case SELU -> {
        for (int i = 0; i < len; i++) {
          d[i] *= z[i] > 0 ? SELU_SCALE : SELU_SCALE_ALPHA * Math.exp(z[i]);
        }
      }
      case SOFTPLUS -> {
        for (int i = 0; i < len; i++) {
          if (z[i] <= SOFTPLUS_THRESHOLD) {
            d[i] *= Heads.sigmoid(z[i]);
          }
        }
      }
      case SILU -> {
        for (int i = 0; i < len; i++) {
          double s = Heads.sigmoid(z[i]);
          d[i] *= s * (1 + z[i] * (1 - s));
        }
      }
    }
  }

  /**
   * {@link #forward} for float32 buffers: each a[i] = f(z[i]) computed in double, as the double
   * version computes it, and rounded to float. z: not modified; a: modified.
   */
  public void forward(float[] z, float[] a, int len) {
    switch (kind) {
      // the common kinds without the per-element switch: the same values, rounded the same way
      case RELU -> {
        for (int i = 0; i < len; i++) {
          float m = Math.max(z[i], 0.0f);
          a[i] = m != m ? 0.0f : m;
        }
      }
      case LEAKY_RELU -> {
        for (int i = 0; i < len; i++) {
          a[i] = z[i] > 0 ? z[i] : (float) (slope * z[i]);
        }
      }
      case IDENTITY -> System.arraycopy(z, 0, a, 0, len);
      default -> {
        for (int i = 0; i < len; i++) {
          a[i] = (float) value(z[i]);
        }
      }
    }
  }

  /**
   * {@link #backward} for float32 buffers: d[i] *= f'(z[i]) with the derivative the double
   * version uses, computed in double and rounded to float. z, a: not modified; d: modified.
   */
  public void backward(float[] z, float[] a, float[] d, int len) {
    switch (kind) {
      case IDENTITY -> { }
      // d * 1.0 rounded to float is d; d * 0.0 and d * slope as the general loop rounds them
      case RELU -> {
        for (int i = 0; i < len; i++) {
          d[i] *= Float.intBitsToFloat(ONE_BITS & ~(int) notAbove(z[i]));
        }
      }
      case LEAKY_RELU -> {
        for (int i = 0; i < len; i++) {
          if (z[i] <= 0) {
            d[i] = (float) (d[i] * slope);
          }
        }
      }
      default -> {
        for (int i = 0; i < len; i++) {
          d[i] = (float) (d[i] * derivative(z[i], a[i]));
        }
      }
    }
  }

  private static final int ONE_BITS = Float.floatToRawIntBits(1.0f);

  /**
   * All ones where z <= 0 (+0.0, -0.0 and below), 0 where z > 0 or z is NaN: relu's
   * derivative as a mask, computed from z's bits without a branch on its sign.
   */
  private static long notAbove(double z) {
    long bits = Double.doubleToRawLongBits(z);
    long nan = (0x7ff0000000000000L - (bits & 0x7fffffffffffffffL)) >> 63;
    return ((bits | (bits - 1)) >> 63) & ~nan;
  }

  /** f(z), as {@link #forward} computes each element. */
  private double value(double z) {
    return switch (kind) {
      case SIGMOID -> Heads.sigmoid(z);
      case TANH -> Math.tanh(z);
      case RELU -> z > 0 ? z : 0.0;
      case LEAKY_RELU -> z > 0 ? z : slope * z;
      case IDENTITY -> z;
      case GELU -> z * normalCdf(z);
      case ELU -> z > 0 ? z : alpha * Math.expm1(z);
      case SELU -> z > 0 ? SELU_SCALE * z : SELU_SCALE_ALPHA * Math.expm1(z);
      case SOFTPLUS -> z > SOFTPLUS_THRESHOLD ? z : Math.log1p(Math.exp(z));
      case SILU -> z * Heads.sigmoid(z);
    };
  }

  /** f'(z) given a = f(z), as {@link #backward} multiplies each element by it. */
  private double derivative(double z, double a) {
    return switch (kind) {
      case SIGMOID -> a * (1 - a);
      case TANH -> 1 - a * a;
      case RELU -> z <= 0 ? 0.0 : 1.0;
      case LEAKY_RELU -> z <= 0 ? slope : 1.0;
      case IDENTITY -> 1.0;
      case GELU -> normalCdf(z) + z * INV_SQRT_2PI * Math.exp(-0.5 * z * z);
      case ELU -> z <= 0 ? alpha * Math.exp(z) : 1.0;
      case SELU -> z > 0 ? SELU_SCALE : SELU_SCALE_ALPHA * Math.exp(z);
      case SOFTPLUS -> z <= SOFTPLUS_THRESHOLD ? Heads.sigmoid(z) : 1.0;
      case SILU -> {
        double s = Heads.sigmoid(z);
        yield s * (1 + z * (1 - s));
      }
    };
  }

  /** The config spelling, e.g. "relu", "leaky-relu(0.01)" or "elu(0.5)" (plain "elu" for 1). */
  @Override
  public String toString() {
    if (kind == Kind.LEAKY_RELU) {
      return kind.configName + "(" + slope + ")";
    }
    return kind == Kind.ELU && alpha != 1.0 ? kind.configName + "(" + alpha + ")" : kind.configName;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Activation a && a.kind == kind && Double.compare(a.slope, slope) == 0
        && Double.compare(a.alpha, alpha) == 0;
  }

  @Override
  public int hashCode() {
    return (kind.hashCode() * 31 + Double.hashCode(slope)) * 31 + Double.hashCode(alpha);
  }
}
