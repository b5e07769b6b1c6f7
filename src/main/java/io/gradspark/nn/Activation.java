package io.gradspark.nn;

import io.gradspark.GradsparkException;
import io.gradspark.Named;
import java.io.Serializable;

/**
 * Elementwise hidden-layer activation a = f(z) and its derivative. Immutable; leaky ReLU carries its
 * negative slope.
 */
public final class Activation implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The kinds, by the names used in config files. */
  public enum Kind implements Named {
    SIGMOID("sigmoid"),
    TANH("tanh"),
    RELU("relu"),
    LEAKY_RELU("leaky-relu"),
    IDENTITY("identity");

    private final String configName;

    Kind(String configName) {
      this.configName = configName;
    }

    @Override
    public String configName() {
      return configName;
    }
  }

  public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0);
  public static final Activation TANH = new Activation(Kind.TANH, 0);
  public static final Activation RELU = new Activation(Kind.RELU, 0);
  public static final Activation IDENTITY = new Activation(Kind.IDENTITY, 0);

  private final Kind kind;
  private final double slope;

  private Activation(Kind kind, double slope) {
    this.kind = kind;
    this.slope = slope;
  }

  /** Leaky ReLU: f(z) = z for z > 0, slope * z otherwise. Refuses slope outside [0, 1). */
  public static Activation leakyRelu(double slope) {
    if (!(slope >= 0 && slope < 1)) {
      throw new GradsparkException(
          "Leaky ReLU slope must be in [0, 1) but was " + slope, "a common choice is 0.01");
    }
    return new Activation(Kind.LEAKY_RELU, slope);
  }

  /** By config name (sigmoid, tanh, relu, leaky-relu, identity); slope is used by leaky-relu only. */
  public static Activation parse(String name, double leakySlope) {
    return switch (Named.parse(Kind.values(), name, "activation")) {
      case SIGMOID -> SIGMOID;
      case TANH -> TANH;
      case RELU -> RELU;
      case LEAKY_RELU -> leakyRelu(leakySlope);
      case IDENTITY -> IDENTITY;
    };
  }

  public Kind kind() {
    return kind;
  }

  public double slope() {
    return slope;
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
        for (int i = 0; i < len; i++) {
          a[i] = z[i] > 0 ? z[i] : 0.0;
        }
      }
      case LEAKY_RELU -> {
        for (int i = 0; i < len; i++) {
          a[i] = z[i] > 0 ? z[i] : slope * z[i];
        }
      }
      case IDENTITY -> System.arraycopy(z, 0, a, 0, len);
    }
  }

  /**
   * d[i] *= f'(z[i]), turning dL/da into dL/dz. Uses whichever of z and a gives the derivative
   * cheaply (sigmoid and tanh from a). z, a: not modified; d: modified. At z = 0, ReLU's derivative
   * is taken as 0 (and leaky ReLU's as its slope).
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
        for (int i = 0; i < len; i++) {
          if (z[i] <= 0) {
            d[i] = 0;
          }
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
    }
  }

  /** The config spelling, e.g. "relu" or "leaky-relu(0.01)". */
  @Override
  public String toString() {
    return kind == Kind.LEAKY_RELU ? kind.configName + "(" + slope + ")" : kind.configName;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Activation a && a.kind == kind && Double.compare(a.slope, slope) == 0;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Double.hashCode(slope);
  }
}
