package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PermutationTest {

  @Test
  void isABijectionWithMatchingInverse() {
    for (int n : new int[] {1, 2, 3, 4, 5, 17, 64, 65, 1000, 4097}) {
      Permutation p = new Permutation(n, 12345L + n);
      boolean[] hit = new boolean[n];
      for (int i = 0; i < n; i++) {
        int j = p.apply(i);
        assertTrue(j >= 0 && j < n);
        assertTrue(!hit[j], "duplicate image " + j + " for n=" + n);
        hit[j] = true;
        assertEquals(i, p.inverse(j));
      }
    }
  }

  @Test
  void shufflesWell() {
    // a random permutation has ~1 fixed point; the identity-like failure modes have many
    int n = 10000;
    Permutation p = new Permutation(n, 7);
    int fixed = 0;
    long displacement = 0;
    for (int i = 0; i < n; i++) {
      fixed += p.apply(i) == i ? 1 : 0;
      displacement += Math.abs(p.apply(i) - i);
    }
    System.out.printf("permutation n=%d: %d fixed points, mean displacement %.1f (random: ~%d)%n",
        n, fixed, displacement / (double) n, n / 3);
    assertTrue(fixed < 10);
    assertTrue(Math.abs(displacement / (double) n - n / 3.0) < n * 0.03);
  }
}
