package io.gradspark.spark.session;

import io.gradspark.train.CanonicalSum;
import io.gradspark.train.GradientSum;

/**
 * Where the merges of the canonical tree ({@link CanonicalSum}) run when a step session's tasks
 * exchange their sums as a tree, and which bytes go where.
 *
 * <p>The order of the canonical tree is per element: element i of the merged gradient is the
 * canonical tree's expression over the P partitions' element i, whatever the other elements do.
 * So the vector is cut into P segments (segment s: [s W / P, (s + 1) W / P)), and task s merges
 * segment s of all P leaves in the canonical tree, with {@link CanonicalSum} and {@link
 * GradientSum#merge} themselves, the very additions the driver of a star makes (an empty leaf, a
 * partition without rows in the step, is skipped as merge skips it). The driver sends task s
 * segment s of the parameters, the tasks pass their segments to each other (an all-gather),
 * each task sends segment s of its sum to task s (a reduce-scatter), and the driver receives
 * segment s of the merged sum from task s, with the merged scalars (loss sum, count, weight sum:
 * each task merges all P leaves' scalars in the canonical tree too, so any one's are the
 * driver's). Every task's link then carries about two vectors each way a step whatever P is
 * (1/P of the parameters from the driver and (P-1)/P from the others in, its own segment to P-1
 * tasks out; (P-1)/P of a sum out and in, 1/P up to the driver), every task receives less than
 * one sum's bytes, and the driver's link carries one vector each way: 2 W 8 bytes a step.
 *
 * <p>A star: every task gets the whole parameter vector from the driver and sends its whole sum,
 * which the driver merges in the canonical tree.
 */
public final class ExchangeTree {
  private final int partitions;
  /** The star: every task's parameters and sum through the driver. */
  private final boolean star;

  /** The tree over P partitions; star: none, each task's leaf goes to the driver. */
  public ExchangeTree(int partitions, boolean star) {
    if (partitions < 1) {
      throw new IllegalArgumentException("a tree over " + partitions + " partitions");
    }
    this.partitions = partitions;
    this.star = star;
  }

  public int partitions() {
    return partitions;
  }

  public boolean star() {
    return star;
  }

  /** The first element of task s's segment of a vector of w (the star: the whole vector). */
  int from(int s, int w) {
    return star ? 0 : (int) ((long) s * w / partitions);
  }

  /** One past the last element of task s's segment. */
  int to(int s, int w) {
    return star ? w : (int) ((long) (s + 1) * w / partitions);
  }

  /** The tasks t exchanges segments with: every other one in a tree, none in a star. */
  int[] peers(int t) {
    if (star) {
      return new int[0];
    }
    int[] peers = new int[partitions - 1];
    for (int k = 1; k < partitions; k++) {
      peers[k - 1] = (t + k) % partitions; // each task starts with the next: no task is first
    }
    return peers;
  }

  /**
   * Segment s's merge: leaves[p] is partition p's sum with segment s of its gradient (count 0:
   * empty), merged in the canonical tree as {@link CanonicalSum} merges whole sums (the leaves'
   * arrays are merged into).
   */
  static GradientSum merge(GradientSum[] leaves) {
    CanonicalSum<GradientSum> sum = new CanonicalSum<>(leaves.length, GradientSum::merge);
    for (int p = 0; p < leaves.length; p++) {
      sum.add(p, leaves[p]);
    }
    return sum.result();
  }

  /**
   * The driver's merged sum of a step: in a star the canonical merge of the P sums; in a tree
   * the P merged segments side by side (segments[s] as task s sent it, each with the same merged
   * scalars) in a vector of w.
   */
  GradientSum driverSum(GradientSum[] sums, int w) {
    if (star) {
      return merge(sums);
    }
    GradientSum first = sums[0];
    for (GradientSum s : sums) {
      if (s.count() != first.count()) {
        throw new IllegalStateException("the tasks merged different counts: " + s.count()
            + " and " + first.count());
      }
    }
    if (first.count() == 0) {
      return new GradientSum();
    }
    double[] grad = new double[w];
    for (int s = 0; s < partitions; s++) {
      System.arraycopy(sums[s].grad(), 0, grad, from(s, w), to(s, w) - from(s, w));
    }
    return new GradientSum(first.lossSum(), first.count(), first.weightSum(), grad,
        first.precision());
  }
}
