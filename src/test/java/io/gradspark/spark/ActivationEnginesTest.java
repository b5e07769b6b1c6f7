package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.data.InMemorySource;
import io.gradspark.nn.Activation;
import io.gradspark.nn.GradientCheck;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientEngine;
import io.gradspark.train.LocalEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * A training with each new activation, and with label smoothing, on the Spark engine against the
 * local engine: 6 epochs x 7 steps of Nesterov momentum on 50 rows, 3 partitions. Round-off from
 * the partitions' summation order is all that may differ; two Spark runs are bit-identical.
 */
class ActivationEnginesTest {
  private static final int ROWS = 50;

  private static double[] train(Network net, GradientEngine engine) {
    MomentumSgd opt = new MomentumSgd(MomentumSgd.Form.NESTEROV, 0.9, 1e-4,
        new LearningRateSchedule.Constant(0.05), net.weightMask());
    double[] params = net.initialParameters(Initializer.HE_NORMAL, 4);
    new Trainer(opt, 6, TrainingListener.NONE).fit(engine, params);
    return params;
  }

  @Test
  void sparkTrainsEveryNewActivationAsLocalDoes() {
    JavaSparkContext sc = SharedSpark.get();
    double worst = 0;
    for (Activation a : List.of(Activation.GELU, Activation.ELU, Activation.elu(0.4),
        Activation.SELU, Activation.SOFTPLUS, Activation.SILU)) {
      for (Head head : Head.values()) {
        int out = head == Head.SIGMOID_BINARY_CROSS_ENTROPY ? 1 : 3;
        double eps = head == Head.SOFTMAX_CROSS_ENTROPY && a == Activation.GELU ? 0.1 : 0;
        Network net = new Network(new int[] {6, 5, 4, out}, List.of(a), head, eps);
        InMemorySource src = ArraySource.random(ROWS, 6, net.classes(), 17 + head.ordinal(),
            false);
        BatchSchedule schedule = new BatchSchedule(ROWS, 8, 11, true, false);
        double[] local = train(net, new LocalEngine(net, schedule, src.load(0, ROWS), null,
            null));
        double[] first;
        double[] second;
        try (SparkEngine spark = new SparkEngine(sc, net, schedule, src, null, null, 3,
            StorageLevel.MEMORY_ONLY())) {
          first = train(net, spark);
          second = train(net, spark);
        }
        double d = GradientCheck.relativeDifference(local, first);
        System.out.printf(Locale.ROOT, "42 steps spark vs local, %-24s max relative parameter "
            + "difference %.3e%n", net.describe(), d);
        assertTrue(d <= 1e-10, net.describe() + ": relative difference " + d);
        assertArrayEquals(first, second, net.describe() + ": two Spark runs differ");
        worst = Math.max(worst, d);
      }
    }
    System.out.printf(Locale.ROOT, "worst %.3e%n", worst);
  }
}
