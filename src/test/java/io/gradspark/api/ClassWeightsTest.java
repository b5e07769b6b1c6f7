package io.gradspark.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.data.ClassWeights;
import io.gradspark.data.InMemorySource;
import io.gradspark.data.RowBlock;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientSum;
import io.gradspark.train.LocalEngine;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Class weights as the data pipeline applies them: "balanced" counted over the training rows
 * after the validation holdout and the one-vs-all relabelling (scikit-learn's n / (K n_k)), and
 * the loss the driver divides out, against torch.nn.CrossEntropyLoss(weight=w) with reduction
 * "mean" computed by hand: sum_i w_{y_i} (-log softmax(z_i)_{y_i}) / sum_i w_{y_i}.
 */
class ClassWeightsTest {
  private static final int ROWS = 60;

  /** Features x_ij ~ N(0, 1), labels 0..9 with class 7 rare (4 of the rows). */
  private static InMemorySource digits() {
    SplittableRandom rng = new SplittableRandom(3);
    double[] x = new double[ROWS * 3];
    double[] y = new double[ROWS];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextGaussian();
    }
    for (int r = 0; r < ROWS; r++) {
      y[r] = r % 15 == 2 ? 7 : (r * 3) % 7; // 7 at rows 2, 17, 32, 47; never otherwise
    }
    return InMemorySource.ofDoubles(x, ROWS, 3, y, "digits");
  }

  @Test
  void balancedWeightsCountTheTrainingRowsAfterHoldoutAndOneVsAll() {
    Network net = new Network(new int[] {3, 4, 1}, List.of(Activation.TANH),
        Head.SIGMOID_BINARY_CROSS_ENTROPY);
    RunSpec spec = RunSpec.builder(net).prepare(RunSpec.DataPrep.scaledBy(1.0).withOneVsAll(7)
        .withHoldout(20, RunSpec.ValidationMode.LAST, 1)
        .withClassWeights(ClassWeights.BALANCED)).build();
    Datasets d = Datasets.prepare(spec, digits(), null);
    RowBlock train = d.train().load(0, d.train().rows());
    // the first 40 rows train: class 7 (label 1 after one-vs-all) at rows 2, 17, 32
    assertEquals(40, train.rows());
    double w1 = 40.0 / (2 * 3);
    double w0 = 40.0 / (2 * 37);
    for (int r = 0; r < 40; r++) {
      assertEquals(train.label(r) == 1 ? w1 : w0, train.weight(r), 0.0, "row " + r);
    }
    assertEquals(3, (int) java.util.stream.IntStream.range(0, 40)
        .filter(r -> train.label(r) == 1).count());
    // validation rows are not weighted
    assertTrue(!d.validation().load(0, 20).isWeighted());
    assertTrue(spec.data().weightedLoss());
  }

  @Test
  void theWeightedLossIsTorchsWeightedCrossEntropyMean() {
    // no hidden layer, so z = W x + b is computed here by hand, independently of the kernels
    Network net = new Network(new int[] {3, 10}, List.of(), Head.SOFTMAX_CROSS_ENTROPY);
    double[] classWeights = {0.5, 2, 1, 4, 0.25, 1, 3, 8, 1, 1};
    RunSpec spec = RunSpec.builder(net).prepare(RunSpec.DataPrep.NONE
        .withClassWeights(new ClassWeights(classWeights))).build();
    Datasets d = Datasets.prepare(spec, digits(), null);
    BatchSchedule schedule = new BatchSchedule(ROWS, ROWS, 1, false, false);
    double[] params = net.initialParameters(Initializer.XAVIER_NORMAL, 5);
    GradientSum g = new LocalEngine(net, schedule, d.train().load(0, ROWS), null, null)
        .gradient(params, 0, 0);
    RowBlock raw = digits().load(0, ROWS);
    double num = 0;
    double den = 0;
    double[] grad = new double[net.numParams()];
    for (int r = 0; r < ROWS; r++) {
      double[] z = new double[10];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < 10; k++) {
        z[k] = params[30 + k];
        for (int j = 0; j < 3; j++) {
          z[k] += params[k * 3 + j] * raw.feature(r, j);
        }
        max = Math.max(max, z[k]);
      }
      double sum = 0;
      for (int k = 0; k < 10; k++) {
        sum += Math.exp(z[k] - max);
      }
      int y = (int) raw.label(r);
      double w = classWeights[y];
      num += w * -(z[y] - max - Math.log(sum));
      den += w;
      for (int k = 0; k < 10; k++) {
        double delta = w * (Math.exp(z[k] - max) / sum - (k == y ? 1 : 0));
        grad[30 + k] += delta;
        for (int j = 0; j < 3; j++) {
          grad[k * 3 + j] += delta * raw.feature(r, j);
        }
      }
    }
    double diff = Math.abs(g.lossSum() / g.weightSum() - num / den);
    for (int i = 0; i < grad.length; i++) {
      diff = Math.max(diff, Math.abs(g.grad()[i] / g.weightSum() - grad[i] / den));
    }
    System.out.printf("weighted cross-entropy mean %.6f vs torch's formula by hand: max "
        + "difference (loss and mean gradient) %.2e%n", num / den, diff);
    assertEquals(den, g.weightSum(), 1e-12);
    assertEquals(ROWS, g.count());
    assertTrue(diff <= 1e-14, "difference " + diff);
  }

  @Test
  void impossibleWeightsAreRefused() {
    Network net = new Network(new int[] {3, 10}, List.of(), Head.SOFTMAX_CROSS_ENTROPY);
    GradsparkException count = assertThrows(GradsparkException.class, () -> Datasets.prepare(
        RunSpec.builder(net).prepare(RunSpec.DataPrep.NONE
            .withClassWeights(new ClassWeights(new double[] {1, 2}))).build(), digits(), null));
    assertTrue(count.getMessage().contains("2 weights but the head has 10 classes"),
        count.getMessage());
    // balanced needs every class: 9 never occurs
    GradsparkException missing = assertThrows(GradsparkException.class, () -> Datasets.prepare(
        RunSpec.builder(net).prepare(RunSpec.DataPrep.NONE
            .withClassWeights(ClassWeights.BALANCED)).build(), digits(), null));
    assertTrue(missing.getMessage().contains("no training row has class 8"),
        missing.getMessage());
    // only class 9 weighs anything, and no row has it
    double[] onlyNine = new double[10];
    onlyNine[9] = 1;
    GradsparkException zero = assertThrows(GradsparkException.class, () -> Datasets.prepare(
        RunSpec.builder(net).prepare(RunSpec.DataPrep.NONE
            .withClassWeights(new ClassWeights(onlyNine))).build(), digits(), null));
    assertTrue(zero.getMessage().contains("every training row has weight 0"), zero.getMessage());
    for (double[] bad : new double[][] {{1, -1}, {0, 0}, {1, Double.NaN}}) {
      assertThrows(GradsparkException.class, () -> new ClassWeights(bad));
    }
  }
}
