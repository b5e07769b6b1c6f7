package io.gradspark.spark;

import io.gradspark.spark.session.ExchangeTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tree exchange's placement: evaluated as the tasks evaluate it (each task merges its node's
 * halves, left first), it builds the very expression {@link CanonicalSum} builds, for every P up
 * to 200; no task receives more than two sums, or sends more than two; every task gets the
 * parameters exactly once.
 */
class ExchangeTreeTest {
  @Test
  void theTasksMergeInTheCanonicalOrderAndNoTaskReceivesMoreThanTwoSums() {
    for (int p = 1; p <= 200; p++) {
      ExchangeTree tree = new ExchangeTree(p, false);
      CanonicalSum<String> canonical = new CanonicalSum<>(p, (a, b) -> "(" + a + "+" + b + ")");
      for (int t = 0; t < p; t++) {
        canonical.add(t, "x" + t);
      }
      Map<Integer, String> memo = new HashMap<>();
      assertEquals(canonical.result(), value(tree, tree.root(), memo), "P=" + p);
      assertEquals(ExchangeTree.DRIVER, tree.receiver(tree.root()));
      int[] received = new int[p];
      int[] sent = new int[p];
      int[] parameters = new int[p];
      parameters[ExchangeTree.sender(tree.root())]++;
      for (int t = 0; t < p; t++) {
        for (int n : tree.incoming(t)) {
          received[t]++;
          sent[ExchangeTree.sender(n)]++;
          assertTrue(ExchangeTree.sender(n) != t, "P=" + p + " task " + t + " sends to itself");
          if (tree.carriesParameters(n)) {
            parameters[ExchangeTree.sender(n)]++;
          }
        }
      }
      sent[ExchangeTree.sender(tree.root())]++;
      for (int t = 0; t < p; t++) {
        assertTrue(received[t] <= 2, "P=" + p + " task " + t + " receives " + received[t]);
        assertTrue(sent[t] <= 2, "P=" + p + " task " + t + " sends " + sent[t]);
        assertEquals(1, parameters[t], "P=" + p + " task " + t + " gets the parameters");
        assertEquals(tree.leafLink(t) ? 2 : 1, sent[t], "P=" + p + " task " + t + "'s links up");
      }
    }
  }

  @Test
  void theStarSendsEveryLeafToTheDriver() {
    ExchangeTree star = new ExchangeTree(5, true);
    for (int t = 0; t < 5; t++) {
      assertTrue(star.toDriver(t));
      assertEquals(0, star.incoming(t).length);
      assertTrue(!star.leafLink(t));
    }
  }

  /** Node n's value as the tasks compute it: a leaf's own, a node's left.merge(right). */
  private static String value(ExchangeTree tree, int n, Map<Integer, String> memo) {
    if (n >= 0) {
      return "x" + n;
    }
    int g = ExchangeTree.nodeIndex(n);
    String left = value(tree, tree.left(g), memo);
    String right = value(tree, tree.right(g), memo);
    assertEquals(g, tree.receiver(tree.left(g)), "N_" + g + " receives its left half");
    assertEquals(g, tree.receiver(tree.right(g)), "N_" + g + " receives its right half");
    assertTrue(memo.put(g, left) == null, "N_" + g + " evaluated once");
    return "(" + left + "+" + right + ")";
  }
}
