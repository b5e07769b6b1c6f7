package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradspark.api.TrainedModel;
import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowSource;
import io.gradspark.eval.Evaluation;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The distributed forward pass over a RowSource: per-partition outputs in input order, equal bit
 * for bit to the one-JVM forward pass, whatever the partitioning; evaluations merged in a fixed
 * order, with the one-JVM counts.
 */
class SparkModelSourceTest {

  @Test
  void predictAndEvaluateOnARowSourceMatchOneJvm() {
    Network net = new Network(new int[] {2, 8, 2}, List.of(Activation.parse("tanh", 0)),
        Head.SOFTMAX_CROSS_ENTROPY);
    TrainedModel m = new TrainedModel(net, net.initialParameters(Initializer.XAVIER_UNIFORM, 3),
        0.5, -1, Map.of(), null, Map.of());
    RowSource moons = new MoonsSource(1001, 0.2, 5);
    double[] expected = m.predict(moons.load(0, moons.rows()));
    Evaluation local = m.evaluate(moons);
    SparkModel model = Gradspark.of(SharedSpark.get(), m);
    double maxLoss = 0;
    for (int partitions : new int[] {1, 3, 8}) {
      List<SparkModel.Scores> parts = model.predict(moons, partitions).collect();
      assertEquals(partitions, parts.size());
      double[] all = new double[expected.length];
      int next = 0;
      for (int p = 0; p < partitions; p++) {
        SparkModel.Scores s = parts.get(p);
        assertEquals(p, s.partition());
        assertEquals(next, s.firstId(), "partition " + p + " starts where " + (p - 1) + " ends");
        System.arraycopy(s.values(), 0, all, 2 * s.firstId(), s.values().length);
        next += s.rows();
      }
      assertEquals(moons.rows(), next);
      assertArrayEquals(expected, all, "bit-identical outputs on " + partitions + " partitions");
      Evaluation ev = model.evaluate(moons, partitions);
      assertEquals(local.count(), ev.count());
      assertEquals(local.correct(), ev.correct());
      assertArrayEquals(local.confusionCounts(), ev.confusionCounts());
      assertEquals(ev, model.evaluate(moons, partitions), "the same partitioning: the same sum");
      maxLoss = Math.max(maxLoss, Math.abs(ev.meanLoss() - local.meanLoss()));
      assertEquals(local.meanLoss(), ev.meanLoss(), 1e-12 * local.meanLoss());
    }
    assertEquals(3, model.partitions(new MoonsSource(3, 0.1, 1), 8), "at most one per row");
    System.out.printf("RowSource on 1, 3, 8 partitions: outputs bit-identical; mean loss %.17g,"
        + " max |difference| %.3e%n", local.meanLoss(), maxLoss);
  }
}
