package io.gradspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.ArrayList;
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

  /** Delegates to an engine and records every gradient call: the params it saw and the sums. */
  private static final class Recording implements GradientEngine {
    final GradientEngine inner;
    final List<double[]> params = new ArrayList<>();
    final List<GradientSum> sums = new ArrayList<>();
    int validations;
    boolean nanFirstValidation;

    Recording(GradientEngine inner) {
      this.inner = inner;
    }

    @Override
    public BatchSchedule schedule() {
      return inner.schedule();
    }

    @Override
    public GradientSum gradient(double[] p, int epoch, int step) {
      GradientSum g = inner.gradient(p, epoch, step);
      params.add(p.clone());
      sums.add(new GradientSum(g.lossSum(), g.count(), g.grad().clone()));
      return g;
    }

    @Override
    public boolean has(DataSplit split) {
      return inner.has(split);
    }

    @Override
    public Evaluation evaluate(double[] p, DataSplit split) {
      if (split == DataSplit.VALIDATION && nanFirstValidation && validations++ == 0) {
        Evaluation nan = new Evaluation(inner.evaluate(p, split).classes());
        nan.add(Double.NaN, 0, 0);
        return nan;
      }
      return inner.evaluate(p, split);
    }

    @Override
    public String describe() {
      return "recording " + inner.describe();
    }
  }

  @Test
  void divergenceStopsAtTheFirstNonFiniteStepAndRestoresTheLastGoodParameters() {
    Network net = new Network(new int[] {1, 1}, List.of(), Head.IDENTITY_MSE);
    double[] x = new double[64];
    double[] y = new double[64];
    for (int i = 0; i < 64; i++) {
      x[i] = 10 + i;
      y[i] = 3 * x[i];
    }
    BatchSchedule schedule = new BatchSchedule(64, 8, 1, true, false);
    Recording engine = new Recording(
        new LocalEngine(net, schedule, RowBlock.ofDoubles(x, 64, 1, y), null, null));
    double[] params = {0.5, 0};
    DivergedException e = assertThrows(DivergedException.class,
        () -> new Trainer(sgd(net, 10, 0.9), 50, TrainingListener.NONE).fit(engine, params));
    System.out.println("divergence: " + e.getMessage() + " / " + e.hint());
    assertTrue(e.hint().contains("lower the learning rate"), e.hint());
    int calls = engine.sums.size();
    assertEquals((e.epoch() - 1) * schedule.stepsPerEpoch() + e.step(), calls,
        "the failing step is the last one the engine was asked for");
    // replay the optimizer on the recorded sums: every earlier step is finite, the failing one not
    MomentumSgd replay = sgd(net, 10, 0.9);
    long totalSteps = 50L * schedule.stepsPerEpoch();
    double[] p = engine.params.get(0).clone();
    double[] stepped = new double[p.length];
    for (int i = 0; i < calls; i++) {
      assertArrayEquals(engine.params.get(i), p, "params seen at step " + (i + 1));
      GradientSum g = engine.sums.get(i);
      boolean finite = replay.step(p, stepped, g.grad(), 1.0 / g.count(),
          new LearningRateSchedule.Position(i, schedule.stepsPerEpoch(), totalSteps))
          && Double.isFinite(g.lossSum());
      assertEquals(i == calls - 1, !finite, "step " + (i + 1) + " of " + calls + " finite: " + finite);
      System.arraycopy(stepped, 0, p, 0, p.length);
    }
    double[] lastGood = engine.params.get(calls - 1);
    assertArrayEquals(lastGood, params, "the caller's params are the last good ones");
    assertArrayEquals(lastGood, e.lastGoodParams());
  }

  @Test
  void theOptimizerSeesEachStepsPositionInTheWholeRun() {
    // a warmup of 1 epoch then a cosine, scaled by the linear rule: the rates depend on the
    // global step, so a trainer that passed the step within the epoch (or restarted the count)
    // would take other steps than this replay, which positions step i of the run at i
    Network net = new Network(new int[] {2, 8, 2}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY);
    MoonsSource moons = new MoonsSource(200, 0.1, 3);
    RowBlock train = moons.load(0, 200);
    BatchSchedule schedule = new BatchSchedule(200, 32, 1, true, false);
    LearningRateSchedule lr = new LearningRateSchedule.Warmup(
        LearningRateSchedule.linearScaling(new LearningRateSchedule.Cosine(0.05, 0.001), 32, 8),
        0, 1);
    Recording engine = new Recording(new LocalEngine(net, schedule, train, null, null));
    double[] params = net.initialParameters(Initializer.HE_NORMAL, 5);
    int epochs = 3;
    new Trainer(new MomentumSgd(MomentumSgd.Form.NESTEROV, 0.9, 1e-4, lr, net.weightMask()),
        epochs, TrainingListener.NONE).fit(engine, params);
    MomentumSgd replay = new MomentumSgd(MomentumSgd.Form.NESTEROV, 0.9, 1e-4, lr,
        net.weightMask());
    int steps = schedule.stepsPerEpoch() * epochs;
    assertEquals(steps, engine.sums.size());
    double[] p = engine.params.get(0).clone();
    for (int i = 0; i < steps; i++) {
      assertArrayEquals(engine.params.get(i), p, "params seen at step " + (i + 1));
      GradientSum g = engine.sums.get(i);
      replay.step(p, p, g.grad(), 1.0 / g.count(),
          new LearningRateSchedule.Position(i, schedule.stepsPerEpoch(), steps));
    }
    assertArrayEquals(p, params, "the trained parameters are the replay's");
    System.out.printf("warmup replay: %d steps bit-identical (max diff 0)%n", steps);
  }

  @Test
  void earlyStoppingWithANonFiniteFirstValidationLossKeepsTheCurrentParameters() {
    Network net = new Network(new int[] {2, 3, 2}, List.of(Activation.TANH),
        Head.SOFTMAX_CROSS_ENTROPY);
    RowBlock data = RowBlock.ofDoubles(new double[] {0, 1, 1, 0, 1, 1, 0, 0, 2, 2}, 5, 2,
        new double[] {0, 1, 1, 0, 1});
    BatchSchedule schedule = new BatchSchedule(5, 2, 1, true, false);
    Recording engine = new Recording(new LocalEngine(net, schedule, data, data, null));
    engine.nanFirstValidation = true;
    double[] params = net.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    double[] oneEpoch = params.clone();
    Trainer.Result r = new Trainer(sgd(net, 0.1, 0.9), 5, TrainingListener.NONE, 1)
        .fit(engine, params);
    new Trainer(sgd(net, 0.1, 0.9), 1, TrainingListener.NONE)
        .fit(new LocalEngine(net, schedule, data, data, null), oneEpoch);
    assertEquals(1, r.history().size(), "no better epoch than +infinity: stops after patience 1");
    assertEquals(1, r.keptEpoch());
    assertArrayEquals(oneEpoch, params, "keeps the parameters of the epoch it stopped at");
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
