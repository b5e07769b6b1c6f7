package io.gradspark.spark.session;

/**
 * Where the merges of the canonical tree ({@code CanonicalSum}) run when a step session's tasks
 * exchange their sums as a tree: which task merges which node, and which links join the tasks.
 *
 * <p>The canonical tree over partitions 0..P-1 has a node for each aligned range [i 2^k, (i+1)
 * 2^k); a node whose right half lies wholly past P is its left half itself. The P-1 nodes with
 * two non-empty halves split their range at a point m in 1..P-1, and each m is the split of
 * exactly one of them (the level is one more than m's trailing zeros): node N_g, g = m - 1, is
 * merged by task g, in-order placement. So every task merges at most one node and receives at
 * most two sums a step (its node's halves, less its own leaf when that is the left half), and the
 * busiest task's bytes do not grow with P (a binomial tree would give task 0 log2(P) sums).
 *
 * <p>Links: each task sends its node's merged sum (task P-1, which merges none, its own leaf) up
 * its <em>primary</em> link to the task merging the parent node (the root's merger to the
 * driver); the parameters come down the same link. A task whose leaf is a right half, or a left
 * half below another task's node, also sends its leaf up a <em>leaf link</em>, which carries no
 * parameters. A node's value is always left.merge(right), as in {@code CanonicalSum}: the same
 * additions in the same order, so the tree's sum is bit for bit the driver's.
 */
public final class ExchangeTree {
  /** The driver, as the receiver of the root's sum. */
  public static final int DRIVER = -1;

  private final int partitions;
  /** The star: every task sends its leaf to the driver, which merges all P. */
  private final boolean star;
  /** Node codes: leaf t is t; node N_g is -(g + 2) (so -1 stays free for the driver). */
  private final int root;
  private final int[] parentOfLeaf;
  private final int[] parentOfNode;

  /** The tree over P partitions; star: none, each task's leaf goes to the driver. */
  public ExchangeTree(int partitions, boolean star) {
    if (partitions < 1) {
      throw new IllegalArgumentException("a tree over " + partitions + " partitions");
    }
    this.partitions = partitions;
    this.star = star;
    this.parentOfLeaf = new int[partitions];
    this.parentOfNode = new int[Math.max(0, partitions - 1)];
    int size = 1;
    while (size < partitions) {
      size <<= 1;
    }
    this.root = effective(0, size);
    java.util.Arrays.fill(parentOfLeaf, DRIVER);
    java.util.Arrays.fill(parentOfNode, DRIVER);
    for (int g = 0; g < partitions - 1; g++) {
      setParent(left(g), g);
      setParent(right(g), g);
    }
  }

  private void setParent(int child, int g) {
    if (child >= 0) {
      parentOfLeaf[child] = g;
    } else {
      parentOfNode[nodeIndex(child)] = g;
    }
  }

  public int partitions() {
    return partitions;
  }

  public boolean star() {
    return star;
  }

  /** Whether partition p's task connects to the driver (the root's merger; a star's every one). */
  public boolean toDriver(int p) {
    return receiver(primary(p)) == DRIVER;
  }

  /** The node code of N_g. */
  public static int node(int g) {
    return -(g + 2);
  }

  /** g of node code n (n < -1). */
  public static int nodeIndex(int n) {
    return -n - 2;
  }

  /** The task that sends node n up: leaf t's task t, N_g's merger g. */
  public static int sender(int n) {
    return n >= 0 ? n : nodeIndex(n);
  }

  /** The node that stands for the aligned range [lo, lo + size) cut at P. */
  private int effective(int lo, int size) {
    while (size > 1) {
      int mid = lo + size / 2;
      if (mid >= partitions) {
        size /= 2;
      } else {
        return node(mid - 1);
      }
    }
    return lo;
  }

  /** N_g's left half (a node code). */
  public int left(int g) {
    int mid = g + 1;
    int half = Integer.lowestOneBit(mid);
    return effective(mid - half, half);
  }

  /** N_g's right half (a node code). */
  public int right(int g) {
    int mid = g + 1;
    return effective(mid, Integer.lowestOneBit(mid));
  }

  /** The root's node code (leaf 0 when P = 1). */
  public int root() {
    return root;
  }

  /** What task t sends up its primary link: N_t, or its leaf for the last task. */
  public int primary(int t) {
    return t < partitions - 1 && !star ? node(t) : t;
  }

  /** The task merging n's parent, or DRIVER for the root. */
  public int receiver(int n) {
    if (star) {
      return DRIVER;
    }
    int parent = n >= 0 ? parentOfLeaf[n] : parentOfNode[nodeIndex(n)];
    return parent == DRIVER ? DRIVER : parent;
  }

  /**
   * Whether task t sends its leaf up a leaf link of its own (its leaf is not its primary, and it
   * is not the left half of t's own node).
   */
  public boolean leafLink(int t) {
    return primary(t) != t && receiver(t) != t;
  }

  /** The nodes whose sums task t receives (its node's halves sent by other tasks), left first. */
  public int[] incoming(int t) {
    if (t >= partitions - 1 || star) {
      return new int[0];
    }
    int l = left(t);
    int r = right(t);
    return l == t ? new int[] {r} : new int[] {l, r};
  }

  /** Whether the link carrying node n is its sender's primary one (parameters come down it). */
  public boolean carriesParameters(int n) {
    return primary(sender(n)) == n;
  }
}
