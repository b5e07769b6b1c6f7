package io.gradspark;

/** Derives independent 64-bit seeds and keys from one seed, the same on every machine. */
public final class Seeds {
  private Seeds() {}

  /** SplitMix64's finaliser: a bijective 64-bit mixer used to derive keys and round values. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
