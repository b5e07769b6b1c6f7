package io.gradspark.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradspark.GradsparkException;
import io.gradspark.optim.MomentumSgd.Form;
import org.junit.jupiter.api.Test;

/**
 * Each momentum form against three steps worked out by hand (w0 = 1, lr = 0.1, mu = 0.9, gradients
 * 0.5, -0.25, 1.0); the arithmetic is in the comments.
 */
class MomentumSgdTest {
  private static final double[] GRADS = {0.5, -0.25, 1.0};

  private static double[] run(Form form, double mu) {
    MomentumSgd opt = new MomentumSgd(
        form, mu, 0.0, new LearningRateSchedule.Constant(0.1), new boolean[] {true});
    double[] w = {1.0};
    double[] trace = new double[3];
    for (int t = 0; t < 3; t++) {
      opt.step(w, new double[] {GRADS[t]}, 0, t / 3.0);
      trace[t] = w[0];
    }
    return trace;
  }

  private static void assertTrace(double[] expected, double[] actual) {
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs(expected[i] - actual[i]));
    }
    System.out.printf("momentum trace max abs diff %.2e%n", max);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-14, "after step " + (i + 1));
    }
  }

  @Test
  void heavyBall() {
    // v1 = 0.5, w1 = 0.95; v2 = 0.45 - 0.25 = 0.2, w2 = 0.93; v3 = 0.18 + 1 = 1.18, w3 = 0.812
    assertTrace(new double[] {0.95, 0.93, 0.812}, run(Form.HEAVY_BALL, 0.9));
  }

  @Test
  void ema() {
    // v1 = 0.05, w1 = 0.995; v2 = 0.045 - 0.025 = 0.02, w2 = 0.993; v3 = 0.018 + 0.1, w3 = 0.9812
    assertTrace(new double[] {0.995, 0.993, 0.9812}, run(Form.EMA, 0.9));
  }

  @Test
  void nesterov() {
    // v1 = 0.5, w1 = 1 - 0.1 (0.5 + 0.45) = 0.905; v2 = 0.2, w2 = 0.905 - 0.1 (-0.25 + 0.18) = 0.912;
    // v3 = 1.18, w3 = 0.912 - 0.1 (1 + 1.062) = 0.7058
    assertTrace(new double[] {0.905, 0.912, 0.7058}, run(Form.NESTEROV, 0.9));
  }

  @Test
  void zeroMomentumIsPlainSgdInEveryForm() {
    // w = 1 - 0.05 + 0.025 - 0.1
    for (Form f : Form.values()) {
      assertTrace(new double[] {0.95, 0.975, 0.875}, run(f, 0.0));
    }
  }

  @Test
  void weightDecayAppliesToWeightsNotBiases() {
    // weight: g1 = 0.5 + 0.1*1 = 0.6, v1 = 0.6, w1 = 0.94; g2 = 0.594, v2 = 1.134, w2 = 0.8266;
    // g3 = 0.58266, v3 = 1.60326, w3 = 0.666274. bias (no decay): 0.95, 0.855, 0.7195.
    MomentumSgd opt = new MomentumSgd(Form.HEAVY_BALL, 0.9, 0.1,
        new LearningRateSchedule.Constant(0.1), new boolean[] {true, false});
    double[] p = {1.0, 1.0};
    double[][] expected = {{0.94, 0.95}, {0.8266, 0.855}, {0.666274, 0.7195}};
    for (int t = 0; t < 3; t++) {
      opt.step(p, new double[] {0.5, 0.5}, 0, 0);
      assertTrace(expected[t], p.clone());
    }
  }

  @Test
  void velocityRestoresExactly() {
    MomentumSgd a = new MomentumSgd(Form.NESTEROV, 0.9, 0.0,
        new LearningRateSchedule.Constant(0.1), new boolean[] {true});
    double[] w = {1.0};
    a.step(w, new double[] {0.5}, 0, 0);
    MomentumSgd b = new MomentumSgd(Form.NESTEROV, 0.9, 0.0,
        new LearningRateSchedule.Constant(0.1), new boolean[] {true});
    b.restore(a.velocity());
    double[] w2 = w.clone();
    a.step(w, new double[] {-0.25}, 0, 0);
    b.step(w2, new double[] {-0.25}, 0, 0);
    assertEquals(w[0], w2[0], 0.0);
    a.reset();
    assertEquals(0.0, a.velocity()[0], 0.0);
  }

  @Test
  void schedules() {
    LearningRateSchedule step = new LearningRateSchedule.StepDecay(0.1, 2, 0.5);
    assertEquals(0.1, step.at(0, 0), 0);
    assertEquals(0.1, step.at(1, 0.3), 0);
    assertEquals(0.05, step.at(2, 0.5), 1e-17);
    assertEquals(0.025, step.at(5, 0.9), 1e-17);
    LearningRateSchedule cos = new LearningRateSchedule.Cosine(0.1, 0.01);
    assertEquals(0.1, cos.at(0, 0), 1e-17);
    assertEquals(0.055, cos.at(3, 0.5), 1e-15);
    assertEquals(0.01, cos.at(9, 1.0), 1e-15);
  }

  @Test
  void refusesBadSettings() {
    boolean[] mask = {true};
    LearningRateSchedule lr = new LearningRateSchedule.Constant(0.1);
    assertThrows(GradsparkException.class, () -> new MomentumSgd(Form.EMA, 1.0, 0, lr, mask));
    assertThrows(GradsparkException.class, () -> new MomentumSgd(Form.EMA, -0.1, 0, lr, mask));
    assertThrows(GradsparkException.class, () -> new MomentumSgd(Form.EMA, 0.9, -1, lr, mask));
    assertThrows(GradsparkException.class, () -> new LearningRateSchedule.Constant(0));
    assertThrows(GradsparkException.class, () -> new LearningRateSchedule.Constant(Double.NaN));
    assertThrows(GradsparkException.class, () -> new LearningRateSchedule.StepDecay(0.1, 0, 0.5));
    assertThrows(GradsparkException.class, () -> Form.parse("adam"));
  }
}
