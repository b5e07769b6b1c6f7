package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import org.junit.jupiter.api.Test;

class MoonsSourceTest {
  @Test
  void isDeterministicForASeed() {
    RowBlock a = new MoonsSource(500, 0.1, 7).load(0, 500);
    TestData.assertSameRows(a, 0, 500, new MoonsSource(500, 0.1, 7).load(0, 500));
  }

  @Test
  void differentSeedsDiffer() {
    RowBlock a = new MoonsSource(100, 0.1, 1).load(0, 100);
    RowBlock b = new MoonsSource(100, 0.1, 2).load(0, 100);
    int same = 0;
    for (int r = 0; r < 100; r++) {
      same += a.feature(r, 0) == b.feature(r, 0) ? 1 : 0;
    }
    assertEquals(0, same);
  }

  @Test
  void rangesEqualTheWholeLoad() {
    MoonsSource s = new MoonsSource(1000, 0.2, 42);
    RowBlock all = s.load(0, 1000);
    for (int[] r : new int[][] {{0, 1}, {1, 2}, {333, 777}, {999, 1000}}) {
      TestData.assertSameRows(all, r[0], r[1] - r[0], s.load(r[0], r[1]));
    }
  }

  @Test
  void isBalancedAndPlausible() {
    RowBlock b = new MoonsSource(10000, 0.1, 3).load(0, 10000);
    double ones = 0;
    for (int r = 0; r < b.rows(); r++) {
      ones += b.label(r);
      assertTrue(b.feature(r, 0) > -2 && b.feature(r, 0) < 3, "x of row " + r);
      assertTrue(b.feature(r, 1) > -1.5 && b.feature(r, 1) < 2, "y of row " + r);
    }
    assertEquals(5000, ones);
    assertEquals(1, b.label(3));
  }

  @Test
  void noiselessPointsLieOnTheirMoons() {
    RowBlock b = new MoonsSource(200, 0, 5).load(0, 200);
    for (int r = 0; r < 200; r++) {
      double x = b.feature(r, 0);
      double y = b.feature(r, 1);
      double radius = r % 2 == 0 ? Math.hypot(x, y) : Math.hypot(1 - x, 0.5 - y);
      assertEquals(1, radius, 1e-12);
      assertTrue(r % 2 == 0 ? y >= 0 : y <= 0.5);
    }
    assertNotEquals(b.feature(0, 0), b.feature(2, 0));
  }

  @Test
  void refusesBadParameters() {
    assertThrows(GradsparkException.class, () -> new MoonsSource(0, 0.1, 1));
    assertThrows(GradsparkException.class, () -> new MoonsSource(10, -0.1, 1));
    assertThrows(GradsparkException.class, () -> new MoonsSource(10, Double.NaN, 1));
    assertThrows(IllegalArgumentException.class, () -> new MoonsSource(10, 0.1, 1).load(5, 11));
  }
}
