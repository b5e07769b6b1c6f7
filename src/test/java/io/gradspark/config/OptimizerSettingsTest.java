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
}
