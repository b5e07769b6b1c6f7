package io.gradspark.spark;

import io.gradspark.train.CanonicalSum;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.api.java.function.PairFunction;
import scala.Tuple2;

/**
 * Per-partition results merged along the canonical tree by Spark jobs: a tree job's step sums and
 * every evaluation that runs as a job.
 */
final class TreeSum {
  private TreeSum() {}

  /**
   * The partition results of rdd (leaf computes partition p's) merged along the plan's tree: each
   * level's tasks merge groups of 2^shift consecutive, aligned results (canonical subtrees, so a
   * group's CanonicalSum holds one node: one array), in a shuffle stage; the last level's results
   * (all P for a plan without levels) come to the driver, which merges them. Each level's shuffle
   * is removed right after: a step's map outputs are W-sized arrays, and left to the context
   * cleaner (which waits for the garbage collector) they would pile up on the executors' disks.
   */
  static <T> CanonicalSum<T> of(JavaSparkContext sc, JavaRDD<Part> rdd,
      AggregationPlan how, PartFunction<T> leaf, CanonicalSum.Merge<T> merge) {
    int p = rdd.getNumPartitions();
    List<Integer> shifts = how.shifts();
    JavaPairRDD<Integer, CanonicalSum<T>> level =
        rdd.mapPartitionsToPair(new Leaves<>(leaf, merge, p, shifts.isEmpty() ? 0 : shifts.get(0)));
    List<Integer> shuffles = new ArrayList<>();
    try {
      int covered = 0;
      for (int l = 0; l < shifts.size(); l++) {
        if (l > 0) {
          level = level.mapToPair(new Regroup<>(shifts.get(l)));
        }
        covered += shifts.get(l);
        Function2<CanonicalSum<T>, CanonicalSum<T>, CanonicalSum<T>> comb = CanonicalSum::merge;
        level = level.reduceByKey(
            new org.apache.spark.HashPartitioner((int) AggregationPlan.groups(p, covered)), comb);
        if (level.rdd().dependencies().head() instanceof ShuffleDependency<?, ?, ?> d) {
          shuffles.add(d.shuffleId());
        }
      }
      CanonicalSum<T> sum = new CanonicalSum<>(p, merge);
      for (CanonicalSum<T> s : level.values().collect()) {
        sum.merge(s);
      }
      return sum;
    } finally {
      scala.Option<org.apache.spark.ContextCleaner> cleaner = sc.sc().cleaner();
      if (cleaner.isDefined()) {
        shuffles.forEach(id -> cleaner.get().doCleanupShuffle(id, false));
      }
    }
  }

  /** Partition p's result, computed on its executor: a gradient sum, an evaluation. */
  interface PartFunction<T> extends java.io.Serializable {
    T apply(Part part);
  }

  /** A tree's leaves: each partition's result as a CanonicalSum, keyed by its first group. */
  private record Leaves<T>(PartFunction<T> leaf, CanonicalSum.Merge<T> merge, int partitions,
      int shift) implements PairFlatMapFunction<java.util.Iterator<Part>, Integer, CanonicalSum<T>> {
    @Override
    public java.util.Iterator<Tuple2<Integer, CanonicalSum<T>>> call(
        java.util.Iterator<Part> parts) {
      Part part = parts.next();
      CanonicalSum<T> s = new CanonicalSum<>(partitions, merge).add(part.index(), leaf.apply(part));
      return List.of(new Tuple2<>(part.index() >> shift, s)).iterator();
    }
  }

  /** The next level's key of a group: its index shifted by the level's shift. */
  private record Regroup<T>(int shift)
      implements PairFunction<Tuple2<Integer, CanonicalSum<T>>, Integer, CanonicalSum<T>> {
    @Override
    public Tuple2<Integer, CanonicalSum<T>> call(Tuple2<Integer, CanonicalSum<T>> group) {
      return new Tuple2<>(group._1() >> shift, group._2());
    }
  }
}
