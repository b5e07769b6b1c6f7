package io.gradspark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.LearningRateSchedule.Position;
import java.util.List;
import org.junit.jupiter.api.Test;

/** optimizer.warmup and optimizer.base-batch-size read into the schedule they describe. */
class OptimizerSettingsTest {

  private static LearningRateSchedule schedule(String... overrides) {
    return RunSpecs.optimizer(Settings.load(null, List.of(overrides))).schedule();
  }

  @Test
  void defaultsAreTheScheduleAsWritten() {
    assertEquals(new LearningRateSchedule.Constant(0.1), schedule());
  }

  @Test
  void warmupInStepsOrEpochsAndTheScalingRule() {
    // 0.1 tuned at 128 rows, trained at 512: 0.4, reached over 4 steps: 0.1, 0.2, 0.3, 0.4
    LearningRateSchedule s = schedule("optimizer.warmup=4 steps",
        "optimizer.base-batch-size=128", "training.batch-size=512");
    double[] expected = {0.1, 0.2, 0.3, 0.4, 0.4};
    for (int t = 0; t < expected.length; t++) {
      assertEquals(expected[t], s.at(new Position(t, 10, 100)), 1e-16, "step " + t);
    }
    LearningRateSchedule.Warmup w = assertInstanceOf(LearningRateSchedule.Warmup.class,
        schedule("optimizer.warmup=\"2 epochs\"", "optimizer.schedule=cosine"));
    assertEquals(2, w.epochs());
    // a cosine 0.1 -> 0.02 at base 256 and batch 64: 0.025 -> 0.005
    LearningRateSchedule c = schedule("optimizer.schedule=cosine",
        "optimizer.min-learning-rate=0.02", "optimizer.base-batch-size=256",
        "training.batch-size=64");
    assertEquals(0.025, c.at(new Position(0, 10, 100)), 1e-17);
    assertEquals(0.005, c.at(new Position(100, 10, 100)), 1e-17);
  }

  @Test
  void aBadWarmupNamesTheKey() {
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> schedule("optimizer.warmup=soon"));
    System.out.println(e.getMessage() + " / " + e.hint());
    assertTrue(e.getMessage().contains("optimizer.warmup"), e.getMessage());
    assertTrue(e.getMessage().contains("'soon'"), e.getMessage());
  }

  private static io.gradspark.api.RunSpec.Optimizer optimizer(String... overrides) {
    return RunSpecs.optimizer(Settings.load(null, List.of(overrides)));
  }

  @Test
  void methodsAndTheirSettingsAreRead() {
    io.gradspark.api.RunSpec.Optimizer sgd = optimizer();
    assertEquals(io.gradspark.optim.Optimizer.Method.SGD, sgd.method());
    assertEquals(0.0, sgd.clipNorm());
    io.gradspark.api.RunSpec.Optimizer adam = optimizer("optimizer.method=adam",
        "optimizer.beta1=0.8", "optimizer.beta2=0.99", "optimizer.clip-norm=2");
    assertEquals(io.gradspark.optim.Optimizer.Method.ADAM, adam.method());
    assertEquals(0.8, adam.beta1());
    assertEquals(0.99, adam.beta2());
    assertEquals(1e-8, adam.epsilon(), "default epsilon: torch's for adam");
    assertEquals(2.0, adam.clipNorm());
    assertEquals(1e-10, optimizer("optimizer.method=adagrad").epsilon(), "torch's for adagrad");
    assertEquals(1e-5, optimizer("optimizer.method=adagrad", "optimizer.epsilon=1e-5")
        .epsilon());
    assertEquals(0.9, optimizer("optimizer.method=rmsprop", "optimizer.alpha=0.9").alpha());
    assertTrue(adam.toString().startsWith("Adam{beta1=0.8"), adam.toString());
    assertTrue(optimizer("optimizer.method=adamw").build(new io.gradspark.nn.Network(
        new int[] {2, 2}, List.of(), io.gradspark.nn.Head.SOFTMAX_CROSS_ENTROPY))
        instanceof io.gradspark.optim.Adam);
  }

  @Test
  void newSchedulesAreRead() {
    LearningRateSchedule e = schedule("optimizer.schedule=exponential", "optimizer.step-gamma=0.9");
    assertEquals(new LearningRateSchedule.Exponential(0.1, 0.9), e);
    LearningRateSchedule m = schedule("optimizer.schedule=multistep",
        "optimizer.milestones=[1, 3]", "optimizer.step-gamma=0.1");
    assertEquals(new LearningRateSchedule.MultiStep(0.1, List.of(1, 3), 0.1), m);
    LearningRateSchedule p = schedule("optimizer.schedule=plateau",
        "optimizer.plateau.patience=2", "optimizer.min-learning-rate=0.001");
    assertEquals(new LearningRateSchedule.Plateau(0.1, 0.1, 2, 1e-4, 0.001), p);
  }

  @Test
  void badOptimizerSettingsAreRefusedWithKeyAndHint() {
    String[][] cases = {
        {"optimizer.method=adma", "optimizer.method", "did you mean adam?"},
        {"optimizer.beta1=1", "optimizer.beta1", "0.9"},
        {"optimizer.beta2=-0.5", "optimizer.beta2", "0.999"},
        {"optimizer.epsilon=-1e-8", "optimizer.epsilon", "1e-10"},
        {"optimizer.alpha=1.5", "optimizer.alpha", "0.99"},
        {"optimizer.clip-norm=-1", "optimizer.clip-norm", "--set"},
        {"optimizer.plateau.factor=1", "optimizer.plateau.factor", "0.1"},
        {"optimizer.milestones=[3, 2]", "optimizer.milestones", "e.g."},
    };
    for (String[] c : cases) {
      String[] overrides = c[1].startsWith("optimizer.plateau") || c[1].contains("milestones")
          ? new String[] {c[0], "optimizer.schedule="
              + (c[1].contains("milestones") ? "multistep" : "plateau")}
          : new String[] {c[0]};
      GradsparkException e = assertThrows(GradsparkException.class, () -> optimizer(overrides));
      System.out.println(e.getMessage() + " / " + e.hint());
      assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
      assertTrue(e.hint() != null && e.hint().contains(c[2]), c[0] + ": " + e.hint());
    }
    GradsparkException e = assertThrows(GradsparkException.class, () -> RunSpecs.spec(
        Settings.load(null, List.of("optimizer.schedule=plateau")), "x"));
    System.out.println(e.getMessage() + " / " + e.hint());
    assertTrue(e.getMessage().contains("optimizer.schedule"), e.getMessage());
    assertTrue(e.getMessage().contains("validation"), e.getMessage());
  }
}
