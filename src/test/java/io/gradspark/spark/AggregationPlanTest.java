package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import io.gradspark.spark.SparkEngine.Aggregation;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The aggregation rule as a pure function of P, W, spark.driver.maxResultSize and the heap. */
class AggregationPlanTest {
  private static final long MIB = 1 << 20;
  private static final long GIB = 1 << 30;

  /** 784-4096-4096-10: 20,037,642 parameters, the network of the measured failure. */
  private static final long BIG = new Network(new int[] {784, 4096, 4096, 10},
      List.of(Activation.RELU), Head.SOFTMAX_CROSS_ENTROPY).numParams();

  @Test
  void twentyMillionParametersOnEightPartitionsUnderOneGibibyteAreNotCollectedDirectly() {
    // the measured failure: 7 of 8 direct results were 1075.4 MiB > 1024 MiB
    assertEquals(20_037_642, BIG);
    AggregationPlan plan = Aggregation.choose(8, BIG, GIB, 4 * GIB);
    System.out.println("784-4096-4096-10 on 8 partitions, 1 GiB limit, 4 GiB heap: "
        + plan.describe());
    assertEquals(Aggregation.TREE, plan.aggregation());
    assertTrue(plan.directBytes() > GIB, "a direct collect would pass the limit");
    assertTrue(plan.driverBytes() <= GIB / 2, plan.driverBytes() + " bytes at the driver");
    assertEquals(3, plan.fanIn()); // 512 MiB / 160.3 MB
    assertEquals(2, plan.driverResults());
    assertEquals(List.of(2), plan.shifts()); // one level of groups of 4
    // the same on many partitions: still at most 3 sums reach the driver
    for (int p : new int[] {16, 64, 200, 1000}) {
      AggregationPlan many = Aggregation.choose(p, BIG, GIB, 4 * GIB);
      assertTrue(many.driverResults() <= 3, many.describe());
      assertTrue(many.shifts().stream().allMatch(s -> s <= AggregationPlan.MAX_LEVEL_SHIFT));
    }
  }

  @Test
  void oneMillionParametersOnSixteenPartitionsUnderSixtyFourMebibytes() {
    // the integration test's setting (ResultLimitIT): 16 x 8 MB would be 128 MB
    AggregationPlan plan = Aggregation.choose(16, 1_000_000, 64 * MIB, GIB);
    System.out.println("1M parameters on 16 partitions, 64 MiB limit: " + plan.describe());
    assertEquals(Aggregation.TREE, plan.aggregation());
    assertEquals(4, plan.fanIn()); // 32 MiB / 8.0 MB
    assertEquals(4, plan.driverResults());
    assertEquals(List.of(2), plan.shifts());
    assertTrue(plan.describe().contains("over half of spark.driver.maxResultSize (64.0 MiB)"),
        plan.describe());
  }

  @Test
  void smallNetworksStayDirect() {
    // 784-64-10 (50,890 parameters) and 784-192-10 under Spark's defaults and a 1 GiB driver:
    // the runJob path, as up to 32 partitions before, and beyond
    for (long w : new long[] {50_890, 152_650}) {
      for (int p = 1; p <= 64; p++) {
        assertEquals(Aggregation.DIRECT, Aggregation.choose(p, w, GIB, GIB).aggregation(),
            "P=" + p + ", W=" + w);
      }
    }
  }

  @Test
  void noLimitStillBoundsTheArraysByTheDriversHeap() {
    // spark.driver.maxResultSize=0: no limit, but a 1 GiB heap takes one 160 MB sum at a time
    AggregationPlan plan = Aggregation.choose(8, BIG, 0, GIB);
    assertEquals(Aggregation.TREE, plan.aggregation());
    assertEquals(1, plan.fanIn());
    assertEquals(1, plan.driverResults());
    assertTrue(plan.describe().contains("driver's heap"), plan.describe());
    // and with neither bound, direct
    assertEquals(Aggregation.DIRECT, Aggregation.choose(8, BIG, 0, 0).aggregation());
  }

  @Test
  void refusesWhenNotEvenOneSumFitsAndSaysWhatToRaiseTheLimitTo() {
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> Aggregation.choose(8, BIG, 100 * MIB, 4 * GIB));
    System.out.println("error: " + e.getMessage() + "\nhint: " + e.hint());
    assertTrue(e.getMessage().contains("spark.driver.maxResultSize (100.0 MiB)"), e.getMessage());
    assertTrue(e.getMessage().contains("20,037,642 parameters"), e.getMessage());
    // twice the 160.3 MB sum, rounded up to MiB: a one-result tree fits it comfortably
    assertTrue(e.hint().contains("spark.driver.maxResultSize to 306m or more"), e.hint());
    assertTrue(e.hint().contains("0 for no limit"), e.hint());
    AggregationPlan raised = Aggregation.choose(8, BIG, 306 * MIB, 4 * GIB);
    assertTrue(raised.driverBytes() <= 306 * MIB / 2, raised.describe());
    // just above one sum: trains, one result at a time
    assertEquals(1, Aggregation.choose(8, BIG, AggregationPlan.gradientBytes(BIG), 4 * GIB)
        .driverResults());
  }

  @Test
  void theRuleHoldsForAnyInput() {
    SplittableRandom rng = new SplittableRandom(11);
    for (int i = 0; i < 20_000; i++) {
      int p = 1 + rng.nextInt(rng.nextBoolean() ? 40 : 5000);
      long w = 1 + rng.nextLong(50_000_000);
      long limit = rng.nextInt(8) == 0 ? 0 : MIB * (1 + rng.nextLong(8 * 1024));
      long heap = MIB * (64 + rng.nextLong(64 * 1024));
      long bytes = AggregationPlan.gradientBytes(w);
      if (limit > 0 && bytes > limit) {
        assertThrows(GradsparkException.class, () -> Aggregation.choose(p, w, limit, heap));
        continue;
      }
      AggregationPlan plan = Aggregation.choose(p, w, limit, heap);
      String what = "P=" + p + " W=" + w + " limit=" + limit + " heap=" + heap + ": "
          + plan.describe();
      assertTrue(plan.fanIn() >= 1, what);
      assertTrue(limit == 0 || plan.fanIn() == 1 || plan.fanIn() * bytes <= limit / 2, what);
      assertTrue(plan.fanIn() == 1 || 8 * plan.fanIn() * bytes <= heap, what);
      assertTrue(limit == 0 || plan.driverBytes() <= limit, what); // never past the limit
      if (plan.aggregation() == Aggregation.DIRECT) {
        assertTrue(p <= plan.fanIn(), what);
        assertEquals(0, plan.levels(), what);
        assertEquals(p, plan.driverResults(), what);
      } else {
        assertTrue(p > plan.fanIn(), what);
        assertTrue(plan.driverResults() <= plan.fanIn(), what);
        int s = plan.totalShift();
        assertTrue(AggregationPlan.groups(p, s - 1) > plan.fanIn(), "not the fewest: " + what);
        assertEquals((s + AggregationPlan.MAX_LEVEL_SHIFT - 1) / AggregationPlan.MAX_LEVEL_SHIFT,
            plan.levels(), "not the fewest levels: " + what);
        assertTrue(plan.shifts().stream().allMatch(
            x -> x >= 1 && x <= AggregationPlan.MAX_LEVEL_SHIFT), what);
      }
    }
  }

  @Test
  void aForcedAggregationIsKeptAndATreeHasAtLeastOneLevel() {
    for (int p : new int[] {1, 2, 3, 7, 16, 33}) {
      AggregationPlan tree = AggregationPlan.forced(Aggregation.TREE, p, 1000, GIB, GIB);
      assertEquals(Aggregation.TREE, tree.aggregation());
      assertTrue(tree.levels() >= 1, tree.describe());
      assertTrue(tree.driverResults() * tree.driverResults() <= 2 * p, tree.describe()); // ~sqrt(P)
      assertEquals(Aggregation.DIRECT,
          AggregationPlan.forced(Aggregation.DIRECT, p, 1000, GIB, GIB).aggregation());
    }
    // a forced tree still honours the bound; a forced direct is the caller's risk
    assertEquals(1, AggregationPlan.forced(Aggregation.TREE, 64, BIG, 0, GIB).driverResults());
    AggregationPlan direct = AggregationPlan.forced(Aggregation.DIRECT, 8, BIG, GIB, 4 * GIB);
    assertEquals(8, direct.driverResults());
    assertTrue(direct.describe().contains("chosen by the caller"), direct.describe());
  }
}
