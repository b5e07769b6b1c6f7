package io.gradspark.train;

import java.io.Serializable;
import java.util.TreeMap;
import java.util.function.BinaryOperator;

/**
 * Per-partition results combined in an order fixed by partition index, whatever order Spark hands
 * them over in, so that floating-point sums come out bit-identical from run to run.
 *
 * <p>The order is a binary tree over partition indices 0..P-1: a node at level k, index i covers
 * partitions [i 2^k, (i+1) 2^k) and its value is always left.merge(right). A node is formed as soon as
 * both children are present (a right child that lies wholly past P is empty, and the node is its left
 * child); partial accumulators hold the nodes formed so far. However Spark groups and orders the
 * merges, every node, and so the root, gets the same value.
 *
 * @param <T> a partial result with an associative (up to round-off) merge, e.g. a gradient sum
 */
public final class CanonicalSum<T> implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A serializable merge: {@code left.merge(right)}, may modify and return left. */
  public interface Merge<T> extends BinaryOperator<T>, Serializable {}

  private final int partitions;
  private final Merge<T> merge;
  private final TreeMap<Long, T> nodes = new TreeMap<>(); // key: level << 32 | index

  public CanonicalSum(int partitions, Merge<T> merge) {
    this.partitions = partitions;
    this.merge = merge;
  }

  /**
   * The results of partitions 0..P-1 (by index) merged in the canonical order; a single one (P = 1,
   * or a root the tasks of a tree merged in that order already) as it is.
   */
  public static <T> T merged(T[] byPartition, Merge<T> merge) {
    if (byPartition.length == 1) {
      return byPartition[0];
    }
    CanonicalSum<T> sum = new CanonicalSum<>(byPartition.length, merge);
    for (int p = 0; p < byPartition.length; p++) {
      sum.add(p, byPartition[p]);
    }
    return sum.result();
  }

  /** Adds partition p's result (leaf p) and returns this. */
  public CanonicalSum<T> add(int p, T value) {
    insert(0, p, value);
    return this;
  }

  /** Adds every node of other into this and returns this. */
  public CanonicalSum<T> merge(CanonicalSum<T> other) {
    other.nodes.forEach((key, value) -> insert((int) (key >>> 32), (int) (long) key, value));
    return this;
  }

  /** The combined value of all P partitions; refuses if some partition is missing. */
  public T result() {
    int level = 0;
    while ((1L << level) < partitions) {
      level++;
    }
    T root = nodes.get(key(level, 0));
    if (root == null || nodes.size() != 1) {
      throw new IllegalStateException(
          "Expected results from all " + partitions + " partitions but have nodes " + nodes.keySet());
    }
    return root;
  }

  private void insert(int level, int index, T value) {
    while ((1L << level) < partitions) {
      int sibling = index ^ 1;
      long siblingStart = (long) sibling << level;
      if (siblingStart >= partitions) {
        // the sibling's range is empty: the parent is this node alone
      } else {
        T other = nodes.remove(key(level, sibling));
        if (other == null) {
          break;
        }
        value = (index & 1) == 0 ? merge.apply(value, other) : merge.apply(other, value);
      }
      level++;
      index >>= 1;
    }
    nodes.put(key(level, index), value);
  }

  private static long key(int level, int index) {
    return ((long) level << 32) | (index & 0xffffffffL);
  }
}
