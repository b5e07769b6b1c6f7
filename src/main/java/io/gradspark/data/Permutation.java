package io.gradspark.data;

import io.gradspark.Seeds;

/**
 * A keyed pseudo-random permutation of [0, n) that is cheap to evaluate in both directions, with no
 * table: a 4-round balanced Feistel network on the smallest even-bit domain 2^(2h) >= n, restricted to
 * [0, n) by cycle-walking (re-apply until the value falls inside; the domain is under 4n, so under 4
 * rounds of walking are expected). Cycle-walking a permutation of the larger domain yields a
 * permutation of [0, n) (Black and Rogaway, "Ciphers with Arbitrary Finite Domains", 2002).
 *
 * <p>Statistical quality is that of the round function (SplitMix64's finaliser), ample for shuffling
 * training rows; it is not a cipher. Instances are immutable and tiny, so every Spark task can rebuild
 * the same permutation from (n, key).
 */
public final class Permutation {
  private static final int ROUNDS = 4;

  private final int n;
  private final int halfBits;
  private final long halfMask;
  private final long[] roundKeys = new long[ROUNDS];

  /** n >= 1; key: any 64-bit value (derive it from the seed and epoch with {@link Seeds#mix}). */
  public Permutation(int n, long key) {
    if (n < 1) {
      throw new IllegalArgumentException("Expected n >= 1 but found " + n);
    }
    int bits = 64 - Long.numberOfLeadingZeros(Math.max(1, n - 1));
    this.n = n;
    this.halfBits = Math.max(1, (bits + 1) / 2);
    this.halfMask = (1L << halfBits) - 1;
    long k = key;
    for (int r = 0; r < ROUNDS; r++) {
      k = Seeds.mix(k + 0x9E3779B97F4A7C15L);
      roundKeys[r] = k;
    }
  }

  public int size() {
    return n;
  }

  /** pi(i) for i in [0, n). */
  public int apply(int i) {
    long x = i;
    do {
      x = encrypt(x);
    } while (x >= n);
    return (int) x;
  }

  /** pi^-1(p) for p in [0, n): the i with apply(i) == p. */
  public int inverse(int p) {
    long x = p;
    do {
      x = decrypt(x);
    } while (x >= n);
    return (int) x;
  }

  private long encrypt(long x) {
    long left = x >>> halfBits;
    long right = x & halfMask;
    for (int r = 0; r < ROUNDS; r++) {
      long next = left ^ (Seeds.mix(right ^ roundKeys[r]) & halfMask);
      left = right;
      right = next;
    }
    return (left << halfBits) | right;
  }

  private long decrypt(long x) {
    long left = x >>> halfBits;
    long right = x & halfMask;
    for (int r = ROUNDS - 1; r >= 0; r--) {
      long prev = right ^ (Seeds.mix(left ^ roundKeys[r]) & halfMask);
      right = left;
      left = prev;
    }
    return (left << halfBits) | right;
  }
}
