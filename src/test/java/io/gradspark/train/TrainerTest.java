package io.gradspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowBlock;
import io.gradspark.data.Views;
import io.gradspark.eval.EpochStats;
import io.gradspark.eval.Evaluation;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerTest {

  static MomentumSgd sgd(Network net, double lr, double mu) {
    return new MomentumSgd(MomentumSgd.Form.HEAVY_BALL, mu, 0.0,
        new LearningRateSchedule.Constant(lr), net.weightMask());
  }

  @Test
  void solvesXorWithTwoFourOneSigmoid() {
    Network net = new Network(new int[] {2, 4, 1}, List.of(Activation.SIGMOID),
        Head.SIGMOID_BINARY_CROSS_ENTROPY);
    RowBlock xor = RowBlock.ofDoubles(new double[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2,
        new double[] {0, 1, 1, 0});
    BatchSchedule schedule = new BatchSchedule(4, 4, 1, true, false);
    LocalEngine engine = new LocalEngine(net, schedule, xor, null, xor);
    double[] params = net.initialParameters(Initializer.XAVIER_UNIFORM, 3);
    Trainer.Result r = new Trainer(sgd(net, 0.5, 0.9), 1000, TrainingListener.NONE)
        .fit(engine, params);
    EpochStats last = r.history().get(r.history().size() - 1);
    System.out.printf("xor: final train loss %.4f, accuracy %.2f%n", last.trainLoss(),
        last.testAccuracy());
    assertEquals(1.0, last.testAccuracy(), 0);
    assertTrue(last.testLoss() < 0.05, "XOR loss " + last.testLoss());
    assertEquals(1000, r.steps());
  }

  @Test
  void twoMoonsReachesNinetySevenPercent() {
    Network net = new Network(new int[] {2, 64, 2}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY);
    MoonsSource moons = new MoonsSource(5000, 0.1, 7);
    RowBlock train = Views.range(moons, 0, 3750).load(0, 3750);
    RowBlock test = Views.range(moons, 3750, 5000).load(0, 1250);
    BatchSchedule schedule = new BatchSchedule(3750, 32, 1, true, false);
    LocalEngine engine = new LocalEngine(net, schedule, train, null, test);
    double[] params = net.initialParameters(Initializer.HE_NORMAL, 5);
    Trainer.Result r = new Trainer(sgd(net, 0.1, 0.9), 20, TrainingListener.NONE)
        .fit(engine, params);
    double acc = r.history().get(r.history().size() - 1).testAccuracy();
    System.out.printf("two moons 2-64-2 relu/softmax: test accuracy %.4f after 20 epochs%n", acc);
    assertTrue(acc >= 0.97, "test accuracy " + acc);
  }

  @Test
  void divergenceStopsWithEpochStepAndLastFiniteParameters() {
    Network net = new Network(new int[] {1, 1}, List.of(), Head.IDENTITY_MSE);
    double[] x = new double[64];
    double[] y = new double[64];
    for (int i = 0; i < 64; i++) {
      x[i] = 10 + i;
      y[i] = 3 * x[i];
    }
    BatchSchedule schedule = new BatchSchedule(64, 8, 1, true, false);
    LocalEngine engine = new LocalEngine(net, schedule, RowBlock.ofDoubles(x, 64, 1, y), null, null);
    double[] params = {0.5, 0};
    DivergedException e = assertThrows(DivergedException.class,
        () -> new Trainer(sgd(net, 10, 0.9), 50, TrainingListener.NONE).fit(engine, params));
    System.out.println("divergence: " + e.getMessage() + " / " + e.hint());
    assertTrue(e.getMessage().contains("epoch " + e.epoch() + ", step " + e.step()));
    assertTrue(e.hint().contains("lower the learning rate"), e.hint());
    for (double p : e.lastGoodParams()) {
      assertTrue(Double.isFinite(p));
    }
  }

  @Test
  void historyRecordsEveryEpoch() {
    Network net = new Network(new int[] {2, 3, 2}, List.of(Activation.TANH),
        Head.SOFTMAX_CROSS_ENTROPY);
    RowBlock data = RowBlock.ofDoubles(new double[] {0, 1, 1, 0, 1, 1, 0, 0, 2, 2}, 5, 2,
        new double[] {0, 1, 1, 0, 1});
    BatchSchedule schedule = new BatchSchedule(5, 2, 1, true, false);
    LocalEngine engine = new LocalEngine(net, schedule, data, data, null);
    Trainer.Result r = new Trainer(sgd(net, 0.1, 0.0), 3, TrainingListener.NONE)
        .fit(engine, net.initialParameters(Initializer.XAVIER_UNIFORM, 1));
    assertEquals(3, r.history().size());
    assertEquals(3, r.history().get(2).steps());
    assertTrue(Double.isNaN(r.history().get(0).testLoss()));
    assertTrue(Double.isFinite(r.history().get(0).valLoss()));
    Evaluation ev = engine.evaluate(net.initialParameters(Initializer.XAVIER_UNIFORM, 1),
        DataSplit.VALIDATION);
    assertEquals(5, ev.count());
  }
}
