package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.data.InMemorySource;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.eval.EpochStats;
import io.gradspark.nn.Activation;
import io.gradspark.nn.GradientCheck;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.GradientSum;
import io.gradspark.train.LocalEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Row weights and dropout on Spark against the local engine: the same sums up to summation order
 * for P = 1, 2, 3, 7 (jobs, step sessions in this JVM and over TCP), bit-identical for the same
 * partitioning, a row's dropout mask the same in whichever partition holds it, and weight 1
 * everywhere giving the unweighted run's bits.
 */
class WeightsAndDropoutSparkTest {
  private static final int[] PARTITIONS = {1, 2, 3, 7};
  private static final int ROWS = 50;
  private static final int BATCH = 8;

  /** Random rows with random weights in [0, 3), every fifth row weighing 0. */
  static InMemorySource weighted(InMemorySource src, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] w = new double[src.rows()];
    for (int r = 0; r < w.length; r++) {
      w[r] = r % 5 == 4 ? 0.0 : 3 * rng.nextDouble();
    }
    return new InMemorySource(src.block().withWeights(w), "weighted test arrays");
  }

  private static Network network(Head head) {
    int out = head == Head.SIGMOID_BINARY_CROSS_ENTROPY ? 1 : 3;
    return new Network(new int[] {6, 7, 5, out}, List.of(Activation.TANH), head)
        .withDropout(0.3, 0.5);
  }

  private static SparkEngine spark(Network net, BatchSchedule schedule, RowSource src, int p) {
    return new SparkEngine(SharedSpark.get(), net, schedule, src, null, null, p,
        StorageLevel.MEMORY_ONLY(), SparkEngine.Aggregation.DIRECT);
  }

  /** Every step's sums of epochs 0 and 1 (copies: an engine may reuse what it returned). */
  private static List<GradientSum> sums(GradientEngine engine, double[] params) {
    List<GradientSum> out = new ArrayList<>();
    for (int e = 0; e < 2; e++) {
      for (int k = 0; k < engine.schedule().stepsPerEpoch(); k++) {
        GradientSum g = engine.gradient(params, e, k);
        out.add(new GradientSum(g.lossSum(), g.count(), g.weightSum(), g.grad().clone()));
      }
    }
    return out;
  }

  private static void assertBitIdentical(List<GradientSum> a, List<GradientSum> b, String at) {
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i).grad(), b.get(i).grad(), at + " sum " + i);
      assertEquals(a.get(i).lossSum(), b.get(i).lossSum(), 0.0, at + " sum " + i);
      assertEquals(a.get(i).weightSum(), b.get(i).weightSum(), 0.0, at + " sum " + i);
      assertEquals(a.get(i).count(), b.get(i).count(), at + " sum " + i);
    }
  }

  /**
   * In either precision (float32 at P = 3, where sessions run, with parameters rounded to
   * float as the trainer sends them): every path bit for bit, and local to the precision's
   * round-off (float64: 1e-12; float32: 1e-6).
   */
  @ParameterizedTest
  @EnumSource(Precision.class)
  void weightedDropoutSumsEqualLocalAndRepeatBitForBitOnEveryPath(Precision precision) {
    double worst = 0;
    boolean f32 = precision == Precision.FLOAT32;
    double tolerance = f32 ? 1e-6 : 1e-12;
    for (Head head : List.of(Head.SOFTMAX_CROSS_ENTROPY, Head.SIGMOID_BINARY_CROSS_ENTROPY)) {
      Network net = network(head).withPrecision(precision);
      InMemorySource src = weighted(ArraySource.random(ROWS, 6, net.classes(), 3, false), 4);
      BatchSchedule schedule = new BatchSchedule(ROWS, BATCH, 9, true, false);
      double[] params = precision.round(net.initialParameters(Initializer.XAVIER_NORMAL, 2),
          null);
      List<GradientSum> local =
          sums(new LocalEngine(net, schedule, src.load(0, ROWS), null, null), params);
      for (int p : f32 ? new int[] {3} : PARTITIONS) {
        List<List<GradientSum>> byPath = new ArrayList<>();
        // a job per step (twice: the same partitioning), a session in this JVM, one over TCP
        for (int path = 0; path < 4; path++) {
          try (SparkEngine engine = spark(net, schedule, src, p)) {
            engine.stepSessions(path >= 2);
            if (path == 3) {
              engine.sameJvmHandoff(false);
            }
            byPath.add(sums(engine, params));
          }
        }
        String at = head + " P=" + p;
        for (int path = 1; path < 4; path++) {
          assertBitIdentical(byPath.get(0), byPath.get(path), at + " path " + path);
        }
        for (int i = 0; i < local.size(); i++) {
          GradientSum a = local.get(i);
          GradientSum b = byPath.get(0).get(i);
          assertEquals(a.count(), b.count(), at);
          double d = Math.max(GradientCheck.relativeDifference(a.grad(), b.grad()),
              Math.max(Math.abs(a.lossSum() - b.lossSum()) / Math.abs(a.lossSum()),
                  Math.abs(a.weightSum() - b.weightSum()) / a.weightSum()));
          worst = Math.max(worst, d);
          assertTrue(d <= tolerance, at + " sum " + i + ": relative difference " + d);
        }
      }
    }
    System.out.printf("weights + dropout, %s, spark (jobs, sessions, TCP) vs local: max "
        + "relative difference %.3e; same partitioning bit-identical%n", precision.configName(),
        worst);
  }

  @Test
  void aRowsDropoutMaskIsTheSameInWhicheverPartitionHoldsIt() {
    // batches of one row: a step's sum is that row's alone, with no summation order to differ,
    // so any other mask than the local engine's would show in the bits of the gradient
    Network net = network(Head.SOFTMAX_CROSS_ENTROPY);
    InMemorySource src = ArraySource.random(21, 6, 3, 5, true);
    BatchSchedule schedule = new BatchSchedule(21, 1, 6, true, false);
    double[] params = net.initialParameters(Initializer.XAVIER_NORMAL, 3);
    List<GradientSum> local =
        sums(new LocalEngine(net, schedule, src.load(0, 21), null, null), params);
    List<GradientSum> undropped = sums(new LocalEngine(new Network(new int[] {6, 7, 5, 3},
        List.of(Activation.TANH), Head.SOFTMAX_CROSS_ENTROPY), schedule, src.load(0, 21), null,
        null), params);
    int differ = 0;
    for (int i = 0; i < local.size(); i++) {
      differ += Arrays.equals(local.get(i).grad(), undropped.get(i).grad()) ? 0 : 1;
    }
    assertTrue(differ > local.size() / 2, "dropout changes most rows' gradients: " + differ);
    for (int p : PARTITIONS) {
      try (SparkEngine engine = spark(net, schedule, src, p)) {
        engine.stepSessions(false);
        assertBitIdentical(local, sums(engine, params), "P=" + p);
      }
    }
    System.out.println("dropout masks: 42 one-row steps bit-identical to local for P = 1, 2, 3, "
        + "7 (each row in another partition at another offset)");
  }

  private static Trainer.Result train(Network net, BatchSchedule schedule, GradientEngine engine,
      double[] params) {
    MomentumSgd opt = new MomentumSgd(MomentumSgd.Form.HEAVY_BALL, 0.9, 1e-4,
        new LearningRateSchedule.Constant(0.05), net.weightMask());
    return new Trainer(opt, 4, TrainingListener.NONE).fit(engine, params);
  }

  @Test
  void trainingWithWeightsAndDropoutAgreesWithLocalAndRepeatsBitForBit() {
    Network net = network(Head.SOFTMAX_CROSS_ENTROPY);
    InMemorySource src = weighted(ArraySource.random(ROWS, 6, 3, 13, false), 14);
    BatchSchedule schedule = new BatchSchedule(ROWS, BATCH, 15, true, false);
    double[] local = net.initialParameters(Initializer.HE_NORMAL, 4);
    Trainer.Result l =
        train(net, schedule, new LocalEngine(net, schedule, src.load(0, ROWS), null, null), local);
    double worst = 0;
    for (int p : PARTITIONS) {
      double[][] runs = new double[2][];
      for (int run = 0; run < 2; run++) {
        runs[run] = net.initialParameters(Initializer.HE_NORMAL, 4);
        try (SparkEngine engine = spark(net, schedule, src, p)) {
          Trainer.Result r = train(net, schedule, engine, runs[run]);
          EpochStats a = l.history().get(3);
          EpochStats b = r.history().get(3);
          worst = Math.max(worst, Math.abs(a.trainLoss() - b.trainLoss()) / a.trainLoss());
        }
      }
      assertArrayEquals(runs[0], runs[1], "P=" + p + ": two runs must be bit-identical");
      worst = Math.max(worst, GradientCheck.relativeDifference(local, runs[0]));
    }
    System.out.printf("28 steps with weights + dropout, spark vs local, P = 1, 2, 3, 7: max "
        + "relative difference %.3e%n", worst);
    assertTrue(worst <= 1e-9, "relative difference " + worst);
  }

  @Test
  void weightOneEverywhereTrainsTheUnweightedRunsBits() {
    Network net = new Network(new int[] {6, 7, 3}, List.of(Activation.SIGMOID),
        Head.SOFTMAX_CROSS_ENTROPY);
    InMemorySource plain = ArraySource.random(ROWS, 6, 3, 23, true);
    double[] ones = new double[ROWS];
    Arrays.fill(ones, 1.0);
    InMemorySource weighted = new InMemorySource(plain.block().withWeights(ones), "ones");
    BatchSchedule schedule = new BatchSchedule(ROWS, BATCH, 3, true, false);
    double[][] params = new double[4][];
    List<List<EpochStats>> histories = new ArrayList<>();
    int i = 0;
    for (InMemorySource src : List.of(plain, weighted)) {
      RowBlock block = src.load(0, ROWS);
      params[i] = net.initialParameters(Initializer.XAVIER_UNIFORM, 6);
      histories.add(train(net, schedule, new LocalEngine(net, schedule, block, null, null),
          params[i++]).history());
      params[i] = net.initialParameters(Initializer.XAVIER_UNIFORM, 6);
      try (SparkEngine engine = spark(net, schedule, src, 3)) {
        histories.add(train(net, schedule, engine, params[i++]).history());
      }
    }
    assertArrayEquals(params[0], params[2], "local: weight 1 everywhere vs no weights");
    assertArrayEquals(params[1], params[3], "spark: weight 1 everywhere vs no weights");
    assertEquals(histories.get(0), histories.get(2).stream().map(s -> withSpeed(s,
        histories.get(0).get(s.epoch() - 1))).toList());
    assertEquals(histories.get(1).get(3).trainLoss(), histories.get(3).get(3).trainLoss(), 0.0);
    System.out.println("weight 1 everywhere: parameters and training losses bit-identical to "
        + "unweighted (local and spark P=3)");
  }

  /** s with the timing fields of t (the rest must be equal bit for bit). */
  private static EpochStats withSpeed(EpochStats s, EpochStats t) {
    return new EpochStats(s.epoch(), s.steps(), s.trainLoss(), s.valLoss(), s.valAccuracy(),
        s.testLoss(), s.testAccuracy(), t.seconds(), t.samplesPerSecond());
  }
}
