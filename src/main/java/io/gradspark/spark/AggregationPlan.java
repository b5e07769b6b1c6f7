package io.gradspark.spark;

import io.gradspark.train.CanonicalSum;
import io.gradspark.GradsparkException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a job's P per-partition results (gradient sums of W doubles, or evaluations) reach the driver,
 * chosen from the bytes they would bring there, never from P alone: {@code DIRECT} when all P fit
 * comfortably, else a {@code TREE} whose executors merge groups of consecutive partitions level by
 * level so that only {@link #driverResults()} results arrive. A pure function of P, the result's
 * size, {@code spark.driver.maxResultSize} and the driver's heap ({@link #choose}).
 *
 * <p>The rule. A result is {@code 8 W + }{@link #RESULT_OVERHEAD} bytes. The driver may receive at
 * once at most F = min(maxResultSize / {@link #LIMIT_SHARE}, heap / {@link #HEAP_SHARE} / 2) / bytes
 * results, and at least 1:
 * <ul>
 *   <li>half of {@code spark.driver.maxResultSize} (0 = no limit), because the costs of being wrong
 *       are lopsided: a tree level costs a shuffle stage (milliseconds to a step of large arrays),
 *       while passing the limit fails the run in its first step; the half absorbs what the
 *       estimate does not count (Spark's per-task metrics and accumulator updates grow with its
 *       version and settings);
 *   <li>a quarter of the driver's heap, each result counted twice (it arrives as bytes, then
 *       becomes an array): the rest holds the parameters, the optimizer's state, the broadcast
 *       and its blocks, the merge and Spark itself.
 * </ul>
 * P &lt;= F: DIRECT. Else TREE with the fewest levels: groups of 2^s consecutive, aligned partitions
 * (CanonicalSum's own subtrees, so that each group's sum collapses to ONE result), the smallest
 * total s with ceil(P / 2^s) &lt;= F, split over levels of at most {@link #MAX_LEVEL_SHIFT} (a task
 * merges at most 16 results, so an executor holds a bounded number of W-sized arrays too). When
 * even one result exceeds the limit, nothing can train: {@link #choose} refuses, naming the value
 * spark.driver.maxResultSize needs.
 *
 * <p>Why not Spark's {@code treeAggregate}: it groups partition i with the others of the same
 * i mod n (RDD.treeAggregate, Spark 4.1), which are never siblings in the canonical merge order,
 * so each of its final tasks carried all of its group's sums unmerged: measured, 33 partitions at
 * depth 2 sent 5 results holding 33.45 arrays' bytes to the driver, 64 partitions 8 results of
 * 64.84 arrays, as many bytes as a direct collect.
 *
 * @param aggregation DIRECT or TREE
 * @param partitions P
 * @param shifts per tree level, log2 of its group size (empty for DIRECT)
 * @param resultBytes estimated bytes of one result as Spark counts it
 * @param maxResultSize spark.driver.maxResultSize in bytes (0: no limit)
 * @param fanIn the most results the driver may receive at once (F above)
 * @param reason why this plan, for messages (e.g. what a direct collect would have brought)
 */
public record AggregationPlan(SparkEngine.Aggregation aggregation, int partitions,
    List<Integer> shifts, long resultBytes, long maxResultSize, long fanIn, String reason) {

  /**
   * Bytes one result carries besides its 8-byte values: Java serialization's class descriptors,
   * the CanonicalSum's map and merge function, the task's metrics and accumulator updates
   * (measured by SparkEngineTest in Spark 4.1, local mode: ~2.5 KB for a direct result, ~4.2 KB
   * for a tree's); 16 KiB leaves room for more metrics on a cluster.
   */
  public static final long RESULT_OVERHEAD = 16 << 10;
  /** The share of spark.driver.maxResultSize the results may use: half (see the class comment). */
  public static final long LIMIT_SHARE = 2;
  /** The share of the driver's heap the arriving results may use: a quarter. */
  public static final long HEAP_SHARE = 4;
  /** A tree level merges at most 2^4 = 16 results in one task. */
  public static final int MAX_LEVEL_SHIFT = 4;

  public AggregationPlan {
    shifts = List.copyOf(shifts);
  }

  /** Bytes of one gradient sum of the given number of parameters (8 bytes each) as a result. */
  public static long gradientBytes(long parameters) {
    return Math.addExact(Math.multiplyExact(8L, parameters), RESULT_OVERHEAD);
  }

  /**
   * The plan for P gradient sums of the given parameters; refuses (a GradsparkException naming
   * spark.driver.maxResultSize and the value to raise it to) when not even one sum fits the limit.
   * maxResultSize: bytes, 0 = no limit; driverHeap: bytes the driver's JVM may use.
   */
  public static AggregationPlan choose(int partitions, long parameters, long maxResultSize,
      long driverHeap) {
    return plan(partitions, gradientBytes(parameters), maxResultSize, driverHeap, null,
        String.format(Locale.ROOT, "gradient sum of %,d parameters", parameters));
  }

  /**
   * As {@link #choose}, with the aggregation forced by the caller (bench compares them; null
   * chooses): DIRECT even when it does not fit (the job may then fail as Spark's limit says);
   * TREE with at least the levels the bound needs and at least one level of groups of about
   * sqrt(P) partitions (as Spark's treeAggregate at its default depth of 2).
   */
  public static AggregationPlan forced(SparkEngine.Aggregation aggregation, int partitions,
      long parameters, long maxResultSize, long driverHeap) {
    return plan(partitions, gradientBytes(parameters), maxResultSize, driverHeap, aggregation,
        String.format(Locale.ROOT, "gradient sum of %,d parameters", parameters));
  }

  /**
   * The plan for P results of resultBytes each (what: the result, for the refusal's message);
   * forced null chooses.
   */
  static AggregationPlan plan(int partitions, long resultBytes, long maxResultSize,
      long driverHeap, SparkEngine.Aggregation forced, String what) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1 but was " + partitions);
    }
    if (maxResultSize < 0) {
      throw new IllegalArgumentException("maxResultSize must be >= 0 but was " + maxResultSize);
    }
    if (maxResultSize > 0 && resultBytes > maxResultSize) {
      long mib = (LIMIT_SHARE * resultBytes + (1 << 20) - 1) >> 20;
      throw new GradsparkException(String.format(Locale.ROOT,
          "One partition's %s is %s as a Spark task result, more than spark.driver.maxResultSize "
              + "(%s): not even one can reach the driver", what, mib(resultBytes),
          mib(maxResultSize)),
          String.format(Locale.ROOT, "raise spark.driver.maxResultSize to %dm or more, or 0 for "
              + "no limit (JAVA_OPTS=-Dspark.driver.maxResultSize=%dm for submit/gradspark, a "
              + "line in conf/spark-defaults.conf, or --conf with spark-submit), or shrink "
              + "model.layers", mib, mib));
    }
    long byLimit = maxResultSize == 0 ? Long.MAX_VALUE
        : Math.max(1, maxResultSize / LIMIT_SHARE / resultBytes);
    long byHeap = driverHeap <= 0 ? Long.MAX_VALUE
        : Math.max(1, driverHeap / HEAP_SHARE / 2 / resultBytes);
    long fanIn = Math.min(byLimit, byHeap);
    long directBytes = partitions * resultBytes;
    String direct = String.format(Locale.ROOT, "all %d partition results would be %s", partitions,
        mib(directBytes));
    String over = byLimit <= byHeap
        ? String.format(Locale.ROOT, "over half of spark.driver.maxResultSize (%s)",
            mib(maxResultSize))
        : String.format(Locale.ROOT, "over a quarter of the driver's heap (%s), each counted "
            + "twice (bytes, then array)", mib(driverHeap));
    if (forced == SparkEngine.Aggregation.DIRECT
        || (forced == null && partitions <= fanIn)) {
      return new AggregationPlan(SparkEngine.Aggregation.DIRECT, partitions, List.of(),
          resultBytes, maxResultSize, fanIn, direct + (partitions <= fanIn ? ", within bounds"
              : ", " + over + "; direct aggregation chosen by the caller"));
    }
    int total = 0; // the smallest s with ceil(P / 2^s) <= fanIn
    while (groups(partitions, total) > fanIn) {
      total++;
    }
    boolean bound = total > 0;
    if (forced != null) {
      // at least one level of groups of about sqrt(P): ceil(log2(P) / 2), and at least 1
      total = Math.max(total, Math.max(1, (ceilLog2(partitions) + 1) / 2));
    }
    int levels = (total + MAX_LEVEL_SHIFT - 1) / MAX_LEVEL_SHIFT;
    List<Integer> shifts = new ArrayList<>();
    for (int l = 0; l < levels; l++) {
      shifts.add(total / levels + (l < total % levels ? 1 : 0));
    }
    return new AggregationPlan(SparkEngine.Aggregation.TREE, partitions, shifts, resultBytes,
        maxResultSize, fanIn, bound ? direct + ", " + over : direct
            + ", within bounds; tree aggregation chosen by the caller");
  }

  /** ceil(P / 2^shift): the groups (results) after merging groups of 2^shift partitions. */
  static long groups(int partitions, int shift) {
    return shift >= 31 ? 1 : (partitions + (1L << shift) - 1) >> shift;
  }

  private static int ceilLog2(int n) {
    return n <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(n - 1);
  }

  /** Tree levels (0 for DIRECT). */
  public int levels() {
    return shifts.size();
  }

  /** log2 of the partitions each result at the driver covers. */
  public int totalShift() {
    int s = 0;
    for (int x : shifts) {
      s += x;
    }
    return s;
  }

  /** The results that reach the driver: P for DIRECT, the last level's groups for TREE. */
  public long driverResults() {
    return groups(partitions, totalShift());
  }

  /** Estimated bytes that reach the driver per job. */
  public long driverBytes() {
    return driverResults() * resultBytes;
  }

  /** Estimated bytes a direct collect of every partition's result would bring. */
  public long directBytes() {
    return partitions * resultBytes;
  }

  /**
   * E.g. "tree aggregation, 1 level (a task merges 8): 2 of 16 results reach the driver; all 16
   * partition results would be 122.3 MiB, over half of spark.driver.maxResultSize (64.0 MiB)".
   */
  public String describe() {
    if (aggregation == SparkEngine.Aggregation.DIRECT) {
      return String.format(Locale.ROOT, "direct aggregation: %d results of %s reach the driver; "
          + "%s", partitions, mib(resultBytes), reason);
    }
    StringBuilder groups = new StringBuilder();
    for (int s : shifts) {
      groups.append(groups.length() == 0 ? "" : ", then ").append(1L << s);
    }
    return String.format(Locale.ROOT, "tree aggregation, %d level%s (a task merges %s): %d of "
        + "%d results reach the driver; %s", levels(), levels() == 1 ? "" : "s", groups,
        driverResults(), partitions, reason);
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
