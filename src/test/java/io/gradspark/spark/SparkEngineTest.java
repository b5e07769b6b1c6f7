package io.gradspark.spark;

import io.gradspark.data.InMemorySource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.eval.Evaluation;
import io.gradspark.nn.Activation;
import io.gradspark.nn.GradientCheck;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientSum;
import io.gradspark.train.LocalEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The distributed engine against the single-node one: same batches, same sums up to summation order.
 * Relative difference of two vectors is max_i |a_i - b_i| / max_i |a_i| (round-off measured against
 * the vector's scale; an elementwise ratio is meaningless where a sum cancels to ~0).
 */
class SparkEngineTest {
  private static final int[] PARTITIONS = {1, 2, 3, 7};
  private static final int ROWS = 50;
  private static final int BATCH = 8;


  static Network network(Head head, Activation act) {
    int out = head == Head.SIGMOID_BINARY_CROSS_ENTROPY ? 1 : 3;
    return new Network(new int[] {6, 5, 4, out}, List.of(act), head);
  }

  /** A step of epoch 0 in which some partition of the given layout holds none of the batch rows. */
  static int stepWithAnIdlePartition(BatchSchedule s, int partitions) {
    int[] out = new int[s.batchSize()];
    for (int k = 0; k < s.stepsPerEpoch(); k++) {
      for (int p = 0; p < partitions; p++) {
        int lo = p * ROWS / partitions;
        int hi = (p + 1) * ROWS / partitions;
        if (s.batch(0, k, lo, hi, out) == 0) {
          return k;
        }
      }
    }
    return -1;
  }

  @Test
  void distributedLossAndGradientEqualSingleNode() {
    JavaSparkContext sc = SharedSpark.get();
    double worst = 0;
    List<Activation> acts = List.of(Activation.SIGMOID, Activation.RELU, Activation.TANH,
        Activation.leakyRelu(0.01), Activation.GELU, Activation.ELU, Activation.SELU,
        Activation.SOFTPLUS, Activation.SILU);
    for (Head head : Head.values()) {
      for (Activation act : acts) {
        Network net = network(head, act);
        InMemorySource src = ArraySource.random(ROWS, 6, net.classes(), head.ordinal() * 10L + 1,
            act == Activation.RELU);
        BatchSchedule schedule = new BatchSchedule(ROWS, BATCH, 5, true, false);
        LocalEngine local = new LocalEngine(net, schedule, src.load(0, ROWS), null, null);
        double[] params = net.initialParameters(Initializer.XAVIER_NORMAL, 9);
        for (int partitions : PARTITIONS) {
          int step = partitions == 7 ? stepWithAnIdlePartition(schedule, 7) : 3;
          assertTrue(step >= 0, "no step leaves a partition idle");
          try (SparkEngine spark = new SparkEngine(sc, net, schedule, src, null, null, partitions,
              StorageLevel.MEMORY_ONLY())) {
            GradientSum a = local.gradient(params, 0, step);
            double lossA = a.lossSum();
            double[] gradA = a.grad().clone();
            GradientSum b = spark.gradient(params, 0, step);
            assertEquals(a.count(), b.count());
            double d = Math.max(GradientCheck.relativeDifference(gradA, b.grad()),
                Math.abs(lossA - b.lossSum()) / Math.abs(lossA));
            worst = Math.max(worst, d);
            assertTrue(d <= 1e-12, net.describe() + " P=" + partitions + ": rel diff " + d);
          }
        }
      }
    }
    System.out.printf("spark vs local loss/gradient: max relative difference %.3e%n", worst);
  }

  /**
   * float32: the distributed sums equal the single-node ones to float32 round-off (the engines
   * add the rows' float gradients in different orders), for every head and a smooth, a
   * piecewise and a saturating activation, with an idle partition at P = 7.
   */
  @Test
  void float32DistributedLossAndGradientEqualSingleNodeToFloatRoundOff() {
    JavaSparkContext sc = SharedSpark.get();
    double worst = 0;
    for (Head head : Head.values()) {
      for (Activation act : List.of(Activation.RELU, Activation.TANH, Activation.GELU)) {
        Network net = network(head, act).withPrecision(Precision.FLOAT32);
        InMemorySource src = ArraySource.random(ROWS, 6, net.classes(), head.ordinal() * 10L + 1,
            act == Activation.RELU);
        BatchSchedule schedule = new BatchSchedule(ROWS, BATCH, 5, true, false);
        LocalEngine local = new LocalEngine(net, schedule, src.load(0, ROWS), null, null);
        double[] params = Precision.FLOAT32.round(
            net.initialParameters(Initializer.XAVIER_NORMAL, 9), null);
        for (int partitions : new int[] {3, 7}) {
          int step = partitions == 7 ? stepWithAnIdlePartition(schedule, 7) : 3;
          try (SparkEngine spark = new SparkEngine(sc, net, schedule, src, null, null, partitions,
              StorageLevel.MEMORY_ONLY())) {
            GradientSum a = local.gradient(params, 0, step);
            double lossA = a.lossSum();
            double[] gradA = a.grad().clone();
            GradientSum b = spark.gradient(params, 0, step);
            assertEquals(a.count(), b.count());
            assertEquals(Precision.FLOAT32, b.precision());
            for (double v : b.grad()) {
              assertEquals(v, (double) (float) v, 0.0, "a float32 sum holds floats");
            }
            double d = Math.max(GradientCheck.relativeDifference(gradA, b.grad()),
                Math.abs(lossA - b.lossSum()) / Math.abs(lossA));
            worst = Math.max(worst, d);
            assertTrue(d <= 1e-6, net.describe() + " P=" + partitions + ": rel diff " + d);
          }
        }
      }
    }
    System.out.printf("float32 spark vs local loss/gradient: max relative difference %.3e%n",
        worst);
  }

  private static double[] train(Network net, BatchSchedule schedule, io.gradspark.data.RowSource src,
      SparkEngine spark, LearningRateSchedule lr) {
    MomentumSgd opt = new MomentumSgd(MomentumSgd.Form.NESTEROV, 0.9, 1e-4, lr, net.weightMask());
    double[] params = net.initialParameters(Initializer.HE_NORMAL, 4);
    var engine = spark != null ? spark
        : new LocalEngine(net, schedule, src.load(0, src.rows()), null, null);
    new Trainer(opt, 8, TrainingListener.NONE).fit(engine, params); // 8 epochs x 7 steps = 56
    return params;
  }

  /**
   * 56 steps agree with the single-node run to the precision's round-off (float64: 1e-9;
   * float32: 1e-6, float's 6e-8 a rounding grown over the steps), and two distributed runs are
   * bit-identical in either precision.
   */
  @ParameterizedTest
  @EnumSource(Precision.class)
  void fiftyStepsOfMomentumSgdAgreeAndDistributedRunsAreBitIdentical(Precision precision) {
    JavaSparkContext sc = SharedSpark.get();
    Network net = network(Head.SOFTMAX_CROSS_ENTROPY, Activation.RELU).withPrecision(precision);
    double tolerance = precision == Precision.FLOAT32 ? 1e-6 : 1e-9;
    InMemorySource src = ArraySource.random(ROWS, 6, 3, 77, false);
    BatchSchedule schedule = new BatchSchedule(ROWS, BATCH, 11, true, false);
    // a constant rate, and a 2-epoch warmup into a cosine scaled by the linear rule
    List<LearningRateSchedule> rates = List.of(new LearningRateSchedule.Constant(0.05),
        new LearningRateSchedule.Warmup(LearningRateSchedule.linearScaling(
            new LearningRateSchedule.Cosine(0.02, 0.001), BATCH, BATCH / 4), 0, 2));
    for (LearningRateSchedule lr : rates) {
      double[] local = train(net, schedule, src, null, lr);
      double[] first;
      double[] second;
      try (SparkEngine spark = new SparkEngine(sc, net, schedule, src, null, null, 3,
          StorageLevel.MEMORY_ONLY())) {
        first = train(net, schedule, src, spark, lr);
        second = train(net, schedule, src, spark, lr);
      }
      double d = GradientCheck.relativeDifference(local, first);
      System.out.printf("56 steps spark vs local, %s, %s: max relative parameter difference "
          + "%.3e%n", precision.configName(), lr, d);
      assertTrue(d <= tolerance, "relative difference " + d);
      assertArrayEquals(first, second, "two distributed runs must be bit-identical");
    }
  }

  @Test
  void mnistStaysBytesInTheCacheUnderOneKilobytePerRow() {
    JavaSparkContext sc = SharedSpark.get();
    io.gradspark.data.RowSource mnist = io.gradspark.data.Views.scaled(
        io.gradspark.data.Views.range(new io.gradspark.data.IdxSource(
            java.nio.file.Path.of("data/mnist/train-images-idx3-ubyte.gz"),
            java.nio.file.Path.of("data/mnist/train-labels-idx1-ubyte.gz")), 0, 5000), 1 / 255.0);
    Network net = new Network(new int[] {784, 16, 10}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY);
    BatchSchedule schedule = new BatchSchedule(5000, 128, 1, true, false);
    try (SparkEngine spark = new SparkEngine(sc, net, schedule, mnist, null, null, 2,
        StorageLevel.MEMORY_ONLY())) {
      double perRow = spark.cachedBytes(DataSplit.TRAIN) / 5000.0;
      System.out.printf("MNIST cache footprint: %.0f bytes per row (784 pixels + label)%n", perRow);
      assertTrue(perRow >= 784 && perRow <= 1024, perRow + " bytes per row");
    }
  }

  @Test
  void fullBatchesLargerThanAChunkAgreeWithOnePass() {
    JavaSparkContext sc = SharedSpark.get();
    int rows = 2500; // > Batches.CHUNK: the engines sum it in passes of at most 1024 rows
    Network net = network(Head.SOFTMAX_CROSS_ENTROPY, Activation.RELU);
    InMemorySource src = ArraySource.random(rows, 6, 3, 31, true);
    BatchSchedule schedule = new BatchSchedule(rows, rows, 2, true, false);
    double[] params = net.initialParameters(Initializer.HE_NORMAL, 3);
    io.gradspark.data.RowBlock all = src.load(0, rows);
    double[] x = new double[rows * 6];
    double[] y = new double[rows];
    int[] ids = schedule.batch(0, 0);
    for (int r = 0; r < rows; r++) {
      all.copyRow(ids[r], x, r * 6);
      y[r] = all.label(ids[r]);
    }
    double[] onePass = new double[net.numParams()];
    double lossOnePass = net.lossAndGradient(params, x, y, rows, onePass, net.workspace(rows));
    GradientSum local = new LocalEngine(net, schedule, all, null, null).gradient(params, 0, 0);
    double d = GradientCheck.relativeDifference(onePass, local.grad());
    try (SparkEngine spark = new SparkEngine(sc, net, schedule, src, null, null, 2,
        StorageLevel.MEMORY_ONLY())) {
      GradientSum s = spark.gradient(params, 0, 0);
      assertEquals(rows, s.count());
      d = Math.max(d, GradientCheck.relativeDifference(onePass, s.grad()));
      d = Math.max(d, Math.abs(lossOnePass - s.lossSum()) / lossOnePass);
    }
    System.out.printf("full batch of %d rows in chunks vs one pass: max relative difference %.3e%n",
        rows, d);
    assertTrue(d <= 1e-12, "relative difference " + d);
  }

  @ParameterizedTest
  @EnumSource(Precision.class)
  void directAndTreeAggregationAreBitIdentical(Precision precision) {
    JavaSparkContext sc = SharedSpark.get();
    Network net = network(Head.SOFTMAX_CROSS_ENTROPY, Activation.TANH).withPrecision(precision);
    InMemorySource src = ArraySource.random(ROWS, 6, 3, 21, false);
    BatchSchedule schedule = new BatchSchedule(ROWS, BATCH, 11, true, false);
    double[] params = net.initialParameters(Initializer.XAVIER_UNIFORM, 8);
    for (int partitions : PARTITIONS) {
      GradientSum[] sums = new GradientSum[2];
      for (SparkEngine.Aggregation a : SparkEngine.Aggregation.values()) {
        try (SparkEngine spark = new SparkEngine(sc, net, schedule, src, null, null, partitions,
            StorageLevel.MEMORY_ONLY(), a)) {
          sums[a.ordinal()] = spark.gradient(params, 1, 2);
          assertEquals(1, spark.stepTimes().size());
        }
      }
      assertArrayEquals(sums[0].grad(), sums[1].grad(), "P=" + partitions);
      assertEquals(sums[0].lossSum(), sums[1].lossSum(), 0.0);
    }
  }

  @Test
  void sameJvmHandOffIsBitIdenticalToTheSumsThroughSpark() throws Exception {
    JavaSparkContext sc = SharedSpark.get();
    // 4,003 parameters: a sum's 32 KB dwarf the ~1 KB of a task result's own metrics
    Network net = new Network(new int[] {6, 400, 3}, List.of(Activation.TANH),
        Head.SOFTMAX_CROSS_ENTROPY);
    InMemorySource src = ArraySource.random(ROWS, 6, 3, 23, false);
    BatchSchedule schedule = new BatchSchedule(ROWS, BATCH, 13, true, false);
    double[] params = net.initialParameters(Initializer.XAVIER_UNIFORM, 9);
    for (int partitions : PARTITIONS) {
      for (SparkEngine.Aggregation a : SparkEngine.Aggregation.values()) {
        try (SparkEngine spark = new SparkEngine(sc, net, schedule, src, null, null, partitions,
            StorageLevel.MEMORY_ONLY(), a)) {
          // the first step and the last, short one (2 rows): every step takes the same path
          int last = schedule.stepsPerEpoch() - 1;
          for (int step : new int[] {0, last}) {
            final int k = step;
            GradientSum[] sums = new GradientSum[2];
            List<List<Long>> sizes = new java.util.ArrayList<>();
            for (boolean sameJvm : new boolean[] {true, false}) {
              spark.sameJvmHandoff(sameJvm);
              sizes.add(
                  resultSizes(sc, () -> sums[sameJvm ? 0 : 1] = spark.gradient(params, 0, k)));
            }
            String at = a + " P=" + partitions + " step " + k;
            assertArrayEquals(sums[1].grad(), sums[0].grad(), at);
            assertEquals(sums[1].lossSum(), sums[0].lossSum(), 0.0, at);
            assertEquals(sums[1].count(), sums[0].count(), at);
            if (a == SparkEngine.Aggregation.DIRECT) {
              // handed over in this JVM, a sum does not come back as a task's result
              for (long size : sizes.get(0)) {
                assertTrue(size < 8 * net.numParams(), at + ": " + size + " bytes");
              }
            }
            assertEquals(0, JobStep.SameJvm.open(), "a step's slot is closed after it");
          }
        }
      }
    }
  }

  /**
   * The serialized sizes of the result tasks (what reaches the driver, as Spark counts it against
   * spark.driver.maxResultSize) of the jobs that work runs.
   */
  private static List<Long> resultSizes(JavaSparkContext sc, Runnable work) throws Exception {
    java.util.Queue<Long> sizes = new java.util.concurrent.ConcurrentLinkedQueue<>();
    org.apache.spark.scheduler.SparkListener listener =
        new org.apache.spark.scheduler.SparkListener() {
          @Override
          public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
            if (end.taskType().equals("ResultTask")) {
              sizes.add(end.taskMetrics().resultSize());
            }
          }
        };
    sc.sc().listenerBus().waitUntilEmpty(10_000);
    sc.sc().addSparkListener(listener);
    try {
      work.run();
      sc.sc().listenerBus().waitUntilEmpty(10_000);
    } finally {
      sc.sc().removeSparkListener(listener);
    }
    return List.copyOf(sizes);
  }

  /** Shuffles the driver's map output tracker holds (a tree step's W-sized map outputs). */
  private static int shuffles() {
    return ((org.apache.spark.MapOutputTrackerMaster) org.apache.spark.SparkEnv.get()
        .mapOutputTracker()).shuffleStatuses().size();
  }

  @Test
  void onlyThePlannedNumberOfSumsReachTheDriverAndTheyMatchTheEstimate() throws Exception {
    JavaSparkContext sc = SharedSpark.get();
    Network net = new Network(new int[] {20, 500, 10}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY); // 15,510 parameters: 124,080 bytes a sum
    long w = net.numParams();
    int rows = 640;
    InMemorySource src = ArraySource.random(rows, 20, 10, 5, false);
    BatchSchedule schedule = new BatchSchedule(rows, rows / 2, 3, true, false);
    double[] params = net.initialParameters(Initializer.HE_NORMAL, 6);
    long bytes = AggregationPlan.gradientBytes(w);
    // limits that leave room for 2 sums (16 partitions: one level of groups of 8) and for 1
    // (40 partitions: two levels of 8), as a lowered spark.driver.maxResultSize would
    int[] partitions = {16, 40};
    long[] limits = {4 * bytes, 2 * bytes};
    for (int i = 0; i < partitions.length; i++) {
      int p = partitions[i];
      AggregationPlan direct = AggregationPlan.forced(SparkEngine.Aggregation.DIRECT, p, w, 0, 0);
      AggregationPlan tree = SparkEngine.Aggregation.choose(p, w, limits[i], 1L << 32);
      assertEquals(SparkEngine.Aggregation.TREE, tree.aggregation(), tree.describe());
      assertTrue(tree.directBytes() > limits[i], "a direct collect would pass the limit");
      GradientSum[] sums = new GradientSum[2];
      List<List<Long>> sizes = new java.util.ArrayList<>();
      for (AggregationPlan plan : List.of(direct, tree)) {
        try (SparkEngine spark = new SparkEngine(sc, net, schedule, src, null, null, p,
            StorageLevel.MEMORY_ONLY(), plan)) {
          spark.sameJvmHandoff(false); // the sums through Spark's result path, as on a cluster
          GradientSum[] got = new GradientSum[1];
          int shuffles = shuffles();
          sizes.add(resultSizes(sc, () -> got[0] = spark.gradient(params, 1, 1)));
          sums[plan == direct ? 0 : 1] = got[0];
          assertEquals(shuffles, shuffles(), "a step's shuffles are removed after it");
        }
      }
      List<Long> atDriver = sizes.get(1);
      long total = atDriver.stream().mapToLong(Long::longValue).sum();
      System.out.printf("P=%d, W=%d: direct %d results of %d..%d bytes; %s: measured %d results, "
          + "%d bytes (%.2f sums; estimate %d bytes a sum, limit %d)%n", p, w,
          sizes.get(0).size(), java.util.Collections.min(sizes.get(0)),
          java.util.Collections.max(sizes.get(0)), tree.describe(), atDriver.size(), total,
          total / (8.0 * w), bytes, limits[i]);
      // direct: one sum per partition (every partition has rows of this batch), each within the
      // estimate: the estimate is what Spark counts
      assertEquals(p, sizes.get(0).size());
      for (long size : sizes.get(0)) {
        assertTrue(size >= 8 * w && size <= bytes, size + " bytes");
      }
      // tree: the planned results, each ONE sum (a group's canonical subtree collapses)
      assertEquals(tree.driverResults(), atDriver.size());
      for (long size : atDriver) {
        assertTrue(size >= 8 * w && size <= bytes, size + " bytes: more than one sum");
      }
      assertTrue(total <= limits[i] / 2, total + " bytes at the driver");
      assertArrayEquals(sums[0].grad(), sums[1].grad(), "P=" + p);
      assertEquals(sums[0].lossSum(), sums[1].lossSum(), 0.0);
      assertEquals(sums[0].count(), sums[1].count());
    }
  }

  @Test
  void distributedEvaluationEqualsSingleNodeExactly() {
    JavaSparkContext sc = SharedSpark.get();
    Network net = network(Head.SOFTMAX_CROSS_ENTROPY, Activation.SIGMOID);
    InMemorySource train = ArraySource.random(ROWS, 6, 3, 3, true);
    InMemorySource test = ArraySource.random(1234, 6, 3, 4, true);
    BatchSchedule schedule = new BatchSchedule(ROWS, BATCH, 11, true, false);
    double[] params = net.initialParameters(Initializer.XAVIER_UNIFORM, 2);
    Evaluation expected = new LocalEngine(net, schedule, train.load(0, ROWS), null,
        test.load(0, test.rows())).evaluate(params, DataSplit.TEST);
    for (int partitions : PARTITIONS) {
      try (SparkEngine spark = new SparkEngine(sc, net, schedule, train, null, test, partitions,
          StorageLevel.MEMORY_ONLY())) {
        Evaluation got = spark.evaluate(params, DataSplit.TEST);
        assertEquals(expected.count(), got.count());
        assertEquals(expected.correct(), got.correct());
        assertArrayEquals(expected.confusionCounts(), got.confusionCounts());
        double d = Math.abs(expected.lossSum() - got.lossSum()) / expected.lossSum();
        System.out.printf("evaluation P=%d: accuracy %.4f both, loss rel diff %.2e%n", partitions,
            got.accuracy(), d);
        assertTrue(d <= 1e-12);
      }
    }
  }
}
