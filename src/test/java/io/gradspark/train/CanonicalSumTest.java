package io.gradspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The combined value must not depend on the order or grouping in which partials arrive. */
class CanonicalSumTest {

  /** A value that records the exact tree of merges it went through, e.g. "((0+1)+2)". */
  private static String merge(String a, String b) {
    return "(" + a + "+" + b + ")";
  }

  @Test
  void anyArrivalOrderAndGroupingGivesTheSameTree() {
    for (int partitions : new int[] {1, 2, 3, 5, 7, 8, 13}) {
      String expected = null;
      Random rng = new Random(partitions);
      for (int trial = 0; trial < 50; trial++) {
        List<Integer> order = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
          order.add(p);
        }
        Collections.shuffle(order, rng);
        // split the arrivals into random groups (Spark's partial aggregations), then merge groups
        List<CanonicalSum<String>> groups = new ArrayList<>();
        for (int p : order) {
          if (groups.isEmpty() || rng.nextInt(3) == 0) {
            groups.add(new CanonicalSum<>(partitions, CanonicalSumTest::merge));
          }
          groups.get(groups.size() - 1).add(p, Integer.toString(p));
        }
        Collections.shuffle(groups, rng);
        CanonicalSum<String> total = groups.get(0);
        for (int g = 1; g < groups.size(); g++) {
          total.merge(groups.get(g));
        }
        String tree = total.result();
        if (expected == null) {
          expected = tree;
          System.out.println("canonical tree for " + partitions + " partitions: " + tree);
        }
        assertEquals(expected, tree);
      }
    }
  }

  @Test
  void theTreeIsPairwiseNotALeftFold() {
    // 1 + 1e16 rounds to 1e16 and -1e16 + 1 to -1e16 (the spacing there is 2), so the order of the
    // additions decides the result: a left fold gives 1.5, the documented tree 0.5
    double[] v = {1.0, 1e16, -1e16, 1.0, 0.5};
    double tree = ((v[0] + v[1]) + (v[2] + v[3])) + v[4];
    double fold = (((v[0] + v[1]) + v[2]) + v[3]) + v[4];
    assertEquals(0.5, tree);
    assertEquals(1.5, fold);
    Random rng = new Random(7);
    double maxDiff = 0;
    for (int trial = 0; trial < 50; trial++) {
      List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3, 4));
      Collections.shuffle(order, rng);
      CanonicalSum<double[]> sum = new CanonicalSum<>(v.length, (a, b) -> {
        a[0] += b[0];
        return a;
      });
      for (int p : order) {
        sum.add(p, new double[] {v[p]});
      }
      double got = sum.result()[0];
      maxDiff = Math.max(maxDiff, Math.abs(got - tree));
      assertEquals(Double.doubleToRawLongBits(tree), Double.doubleToRawLongBits(got),
          "arrival order " + order + " gave " + got);
    }
    System.out.println("pairwise tree vs expected, max |difference|: " + maxDiff);
    assertEquals("(((0+1)+(2+3))+4)", treeOf(5));
  }

  private static String treeOf(int partitions) {
    CanonicalSum<String> s = new CanonicalSum<>(partitions, CanonicalSumTest::merge);
    for (int p = 0; p < partitions; p++) {
      s.add(p, Integer.toString(p));
    }
    return s.result();
  }
}
