package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.data.InMemorySource;
import io.gradspark.data.RowSource;
import io.gradspark.nn.Activation;
import io.gradspark.nn.GradientCheck;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.optim.Adagrad;
import io.gradspark.optim.Adam;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.optim.Optimizer;
import io.gradspark.optim.RmsProp;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.LocalEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * Every optimizer method (with weight decay and clipping) trained on Spark equals the same
 * training in one JVM to round-off, for 1, 2, 3 and 7 partitions, and two Spark runs with the same
 * partitioning are bit-identical.
 */
class OptimizersOnSparkTest {
  private static final int ROWS = 50;
  private static final int BATCH = 8;
  private static final int EPOCHS = 3; // x 7 steps

  private static Optimizer optimizer(Optimizer.Method m, Network net) {
    LearningRateSchedule lr = new LearningRateSchedule.Warmup(new LearningRateSchedule.Exponential(
        m == Optimizer.Method.SGD || m == Optimizer.Method.ADAGRAD ? 0.05 : 0.01, 0.8), 3, 0);
    boolean[] mask = net.weightMask();
    return switch (m) {
      case SGD -> new MomentumSgd(MomentumSgd.Form.HEAVY_BALL, 0.9, 1e-3, 0.5, lr, mask);
      case ADAM, ADAMW -> new Adam(m == Optimizer.Method.ADAMW, 0.9, 0.999, 1e-8, 1e-2, 0.5, lr,
          mask);
      case RMSPROP -> new RmsProp(0.99, 1e-8, 1e-3, 0.5, lr, mask);
      case ADAGRAD -> new Adagrad(1e-10, 1e-3, 0.5, lr, mask);
    };
  }

  private static double[] train(Optimizer.Method m, Network net, GradientEngine engine) {
    double[] params = net.initialParameters(Initializer.HE_NORMAL, 4);
    new Trainer(optimizer(m, net), EPOCHS, TrainingListener.NONE).fit(engine, params);
    return params;
  }

  @Test
  void everyOptimizerOnSparkEqualsLocalAndRepeatsBitForBit() {
    JavaSparkContext sc = SharedSpark.get();
    Network net = new Network(new int[] {6, 5, 4, 3}, List.of(Activation.TANH),
        Head.SOFTMAX_CROSS_ENTROPY);
    InMemorySource src = ArraySource.random(ROWS, 6, 3, 91, false);
    BatchSchedule schedule = new BatchSchedule(ROWS, BATCH, 17, true, false);
    RowSource rows = src;
    double worst = 0;
    for (Optimizer.Method m : Optimizer.Method.values()) {
      double[] local = train(m, net, new LocalEngine(net, schedule, rows.load(0, ROWS), null,
          null));
      double[] start = net.initialParameters(Initializer.HE_NORMAL, 4);
      assertTrue(GradientCheck.relativeDifference(start, local) > 1e-3, m + " trained");
      for (int p : new int[] {1, 2, 3, 7}) {
        double[] first;
        double[] second;
        try (SparkEngine spark = new SparkEngine(sc, net, schedule, src, null, null, p,
            StorageLevel.MEMORY_ONLY())) {
          first = train(m, net, spark);
          second = train(m, net, spark);
        }
        double d = GradientCheck.relativeDifference(local, first);
        worst = Math.max(worst, d);
        System.out.printf("%s P=%d: %d steps spark vs local, max relative parameter difference "
            + "%.3e; second spark run bit-identical: %s%n", m.configName(), p,
            EPOCHS * schedule.stepsPerEpoch(), d, java.util.Arrays.equals(first, second));
        assertTrue(d <= 1e-9, m + " P=" + p + ": relative difference " + d);
        assertArrayEquals(first, second, m + " P=" + p + ": two runs must be bit-identical");
      }
    }
    System.out.printf("every optimizer, spark vs local: max relative difference %.3e%n", worst);
  }
}
