package io.gradspark.spark.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.train.GradientSum;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The tree exchange's schedule: the tasks' merges of their segments, put side by side by the
 * driver, are bit for bit the canonical merge of the whole sums (empty partitions included, and
 * fewer parameters than tasks); the segments cut the vector exactly; no task receives more than
 * one sum's bytes of sums (but for the rounding of segments of fewer values than tasks), every
 * task's link carries at most about two vectors each way, and the driver's one each way.
 */
class ExchangeTreeTest {
  @Test
  void segmentMergesAreBitForBitTheCanonicalMergeOfTheWholeSums() {
    Random random = new Random(23);
    int cases = 0;
    int orderMatters = 0;
    for (int p = 1; p <= 40; p++) {
      for (int w : new int[] {1, 3, p + 1, 97, 2 * ExchangeTask.CHUNK + 5}) {
        if (w > 1000 && p % 8 != 0) {
          continue; // the long vectors at a few P: chunks, not the order, are what they add
        }
        GradientSum[] leaves = new GradientSum[p];
        for (int t = 0; t < p; t++) {
          if (p > 1 && random.nextInt(5) == 0) {
            leaves[t] = new GradientSum(); // a partition without rows in the step
            continue;
          }
          double[] g = new double[w];
          for (int i = 0; i < w; i++) {
            g[i] = random.nextGaussian() * Math.pow(10, random.nextInt(17) - 8);
          }
          leaves[t] = new GradientSum(random.nextDouble() * 1e3, 1 + random.nextInt(9),
              random.nextDouble() * 10, g);
        }
        GradientSum canonical = ExchangeTree.merge(copies(leaves, 0, w));
        GradientSum sequential = new GradientSum();
        for (GradientSum leaf : copies(leaves, 0, w)) {
          sequential.merge(leaf);
        }
        ExchangeTree tree = new ExchangeTree(p, false);
        GradientSum[] segments = new GradientSum[p];
        for (int s = 0; s < p; s++) {
          segments[s] = ExchangeTree.merge(copies(leaves, tree.from(s, w), tree.to(s, w)));
        }
        GradientSum driver = tree.driverSum(segments, w);
        String at = "P=" + p + " W=" + w;
        assertEquals(canonical.count(), driver.count(), at);
        if (canonical.count() == 0) {
          continue;
        }
        assertEquals(canonical.lossSum(), driver.lossSum(), 0.0, at);
        assertEquals(canonical.weightSum(), driver.weightSum(), 0.0, at);
        assertArrayEquals(canonical.grad(), driver.grad(), at);
        cases++;
        if (!java.util.Arrays.equals(canonical.grad(), sequential.grad())) {
          orderMatters++;
        }
      }
    }
    System.out.printf("%d cases bit for bit the canonical merge; in %d of them adding the P sums"
        + " one after the other gives other bits%n", cases, orderMatters);
    assertTrue(orderMatters > cases / 4, "the data tell the orders apart: " + orderMatters);
  }

  @Test
  void theSegmentsCutTheVectorAndNoLinkCarriesMoreThanAboutTwoVectors() {
    for (int p = 1; p <= 300; p++) {
      for (int w : new int[] {1, p, 1_863_690}) {
        ExchangeTree tree = new ExchangeTree(p, false);
        long driverOut = 0;
        int expect = 0;
        for (int t = 0; t < p; t++) {
          int seg = tree.to(t, w) - tree.from(t, w);
          assertEquals(expect, tree.from(t, w), "P=" + p + " W=" + w + " task " + t);
          assertTrue(seg >= w / p && seg <= w / p + 1, "segment " + seg);
          expect = tree.to(t, w);
          driverOut += seg;
          // values in: the others' segments of the parameters and P-1 copies of this segment of
          // their sums; out: this segment to P-1 tasks, the rest of its sum, this segment up
          long sumsIn = (long) (p - 1) * seg;
          long in = seg + (w - seg) + sumsIn;
          long out = (long) (p - 1) * seg + (w - seg) + seg;
          assertTrue(sumsIn < w + p, "P=" + p + " task " + t + " receives " + sumsIn + " of sums");
          assertTrue(in <= 2L * w + p && out <= 2L * w + p, "P=" + p + ": " + in + ", " + out);
          assertEquals(p - 1, tree.peers(t).length);
        }
        assertEquals(w, expect, "the segments end at W");
        assertEquals(w, driverOut, "the driver sends one vector (and receives one)");
      }
    }
  }

  @Test
  void theStarSendsEveryTaskTheWholeVector() {
    ExchangeTree star = new ExchangeTree(5, true);
    for (int t = 0; t < 5; t++) {
      assertEquals(0, star.from(t, 100));
      assertEquals(100, star.to(t, 100));
      assertEquals(0, star.peers(t).length);
    }
  }

  /** The leaves with copies of their values [from, to) (the merge merges into its leaves). */
  private static GradientSum[] copies(GradientSum[] leaves, int from, int to) {
    GradientSum[] c = new GradientSum[leaves.length];
    for (int t = 0; t < leaves.length; t++) {
      GradientSum l = leaves[t];
      c[t] = l.count() == 0 ? new GradientSum() : new GradientSum(l.lossSum(), l.count(),
          l.weightSum(), java.util.Arrays.copyOfRange(l.grad(), from, to));
    }
    return c;
  }
}
