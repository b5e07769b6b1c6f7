package io.gradspark.spark;

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
}
