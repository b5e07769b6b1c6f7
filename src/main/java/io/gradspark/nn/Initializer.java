package io.gradspark.nn;

import io.gradspark.Named;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Weight initialisation schemes, by config name. Every scheme draws from a generator seeded by the
 * caller (no global RNG), so the same seed gives the same parameters on any machine.
 */
public enum Initializer implements Named {
  /** Glorot and Bengio (2010): U(-s, s), s = sqrt(6 / (nIn + nOut)); biases 0. */
  XAVIER_UNIFORM("xavier-uniform", "xavier"),
  /** Glorot and Bengio (2010): N(0, 2 / (nIn + nOut)); biases 0. */
  XAVIER_NORMAL("xavier-normal", null),
  /** He et al. (2015), for ReLU layers: N(0, 2 / nIn); biases 0. */
  HE_NORMAL("he-normal", "he"),
  /**
   * U(-1/sqrt(nIn), 1/sqrt(nIn)) for weights AND biases, the default of PyTorch's Linear and of
   * LeCun's early nets (the scheme is defined for both, so biases are not zeroed).
   */
  UNIFORM("uniform", null);

  private final String configName;
  private final List<String> aliases;

  Initializer(String configName, String alias) {
    this.configName = configName;
    this.aliases = alias == null ? List.of() : List.of(alias);
  }

  @Override
  public String configName() {
    return configName;
  }

  @Override
  public List<String> aliases() {
    return aliases;
  }

  /** By config name or alias: xavier-uniform (xavier), xavier-normal, he-normal (he), uniform. */
  public static Initializer parse(String name) {
    return Named.parse(values(), name, "initializer");
  }

  /**
   * Fills W (nOut x nIn at params[w]) and b (nOut at params[b]) for one layer. params: modified.
   */
  void fill(double[] params, int w, int b, int nIn, int nOut, SplittableRandom rng) {
    int count = nIn * nOut;
    switch (this) {
      case XAVIER_UNIFORM -> uniform(params, w, count, Math.sqrt(6.0 / (nIn + nOut)), rng);
      case XAVIER_NORMAL -> normal(params, w, count, Math.sqrt(2.0 / (nIn + nOut)), rng);
      case HE_NORMAL -> normal(params, w, count, Math.sqrt(2.0 / nIn), rng);
      case UNIFORM -> {
        double s = 1.0 / Math.sqrt(nIn);
        uniform(params, w, count, s, rng);
        uniform(params, b, nOut, s, rng);
        return;
      }
    }
    Arrays.fill(params, b, b + nOut, 0.0);
  }

  private static void uniform(double[] p, int off, int count, double s, SplittableRandom rng) {
    for (int i = 0; i < count; i++) {
      p[off + i] = (2 * rng.nextDouble() - 1) * s;
    }
  }

  /** Gaussian by Box-Muller from the given generator (java.util.Random's is not seedable per call). */
  private static void normal(double[] p, int off, int count, double std, SplittableRandom rng) {
    for (int i = 0; i < count; i += 2) {
      double u1 = 1.0 - rng.nextDouble(); // (0, 1]: log never sees 0
      double u2 = rng.nextDouble();
      double r = Math.sqrt(-2 * Math.log(u1));
      p[off + i] = std * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < count) {
        p[off + i + 1] = std * r * Math.sin(2 * Math.PI * u2);
      }
    }
  }
}
