package io.gradspark.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gradspark.GradsparkException;
import io.gradspark.optim.LearningRateSchedule.Constant;
import io.gradspark.optim.LearningRateSchedule.Cosine;
import io.gradspark.optim.LearningRateSchedule.Position;
import io.gradspark.optim.LearningRateSchedule.StepDecay;
import io.gradspark.optim.LearningRateSchedule.Warmup;
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
      opt.step(w, new double[] {GRADS[t]}, new Position(t, 3, 3));
      trace[t] = w[0];
    }
    return trace;
  }

  private static void assertTrace(double[] expected, double[] actual) {
    assertTrace(expected, actual, 1e-14);
  }

  private static void assertTrace(double[] expected, double[] actual, double tolerance) {
    assertEquals(expected.length, actual.length, "length");
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs(expected[i] - actual[i]));
    }
    System.out.printf("trace max abs diff %.2e%n", max);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tolerance, "after step " + (i + 1));
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
      opt.step(p, new double[] {0.5, 0.5}, new Position(t, 3, 3));
      assertTrace(expected[t], p.clone());
    }
  }

  @Test
  void eachFormGivesThePerParameterFormulasBitsOverRunsOfWeightsAndBiases() {
    // the update runs one loop per run of weights or of biases; the formulas as one loop over
    // every parameter with the branch inside (the code it replaced) must give the same bits
    java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
    int[] runLengths = {37, 5, 100, 1, 1, 64, 3};
    int n = java.util.Arrays.stream(runLengths).sum();
    boolean[] decayed = new boolean[n];
    for (int r = 0, at = 0; r < runLengths.length; at += runLengths[r], r++) {
      java.util.Arrays.fill(decayed, at, at + runLengths[r], r % 2 == 0);
    }
    for (Form form : Form.values()) {
      double mu = 0.9;
      double wd = 1e-3;
      MomentumSgd opt = new MomentumSgd(form, mu, wd, new Constant(0.05), decayed);
      double[] w = new double[n];
      for (int i = 0; i < n; i++) {
        w[i] = rng.nextGaussian();
      }
      double[] refW = w.clone();
      double[] refV = new double[n];
      double max = 0;
      for (int t = 0; t < 5; t++) {
        double[] grad = new double[n];
        for (int i = 0; i < n; i++) {
          grad[i] = t == 2 && i % 17 == 0 ? -0.0 : rng.nextGaussian() * 7;
        }
        double scale = 1 / 7.0;
        double[] next = new double[n];
        org.junit.jupiter.api.Assertions.assertTrue(
            opt.step(w, next, grad, scale, new Position(t, 5, 5)), "finite");
        for (int i = 0; i < n; i++) {
          double g = decayed[i] ? grad[i] * scale * 1.0 + wd * refW[i] : grad[i] * scale * 1.0;
          double x = switch (form) {
            case HEAVY_BALL -> {
              refV[i] = mu * refV[i] + g;
              yield refW[i] - 0.05 * refV[i];
            }
            case EMA -> {
              refV[i] = mu * refV[i] + (1 - mu) * g;
              yield refW[i] - 0.05 * refV[i];
            }
            case NESTEROV -> {
              refV[i] = mu * refV[i] + g;
              yield refW[i] - 0.05 * (g + mu * refV[i]);
            }
          };
          max = Math.max(max, Math.abs(x - next[i]));
          assertEquals(Double.doubleToRawLongBits(x), Double.doubleToRawLongBits(next[i]),
              form + ", step " + t + ", parameter " + i + (decayed[i] ? " (weight)" : " (bias)"));
        }
        refW = next.clone();
        w = next;
      }
      System.out.printf("%s over %d runs of weights and biases: max difference from the "
          + "per-parameter formulas %.1e%n", form, runLengths.length, max);
      double[] grad = new double[n];
      grad[n - 2] = Double.NaN;
      org.junit.jupiter.api.Assertions.assertFalse(
          opt.step(w, new double[n], grad, 1, new Position(5, 6, 6)),
          "a NaN gradient in the last run makes a parameter not finite");
    }
  }

  @Test
  void velocityRestoresExactly() {
    MomentumSgd a = new MomentumSgd(Form.NESTEROV, 0.9, 0.0,
        new LearningRateSchedule.Constant(0.1), new boolean[] {true});
    double[] w = {1.0};
    a.step(w, new double[] {0.5}, new Position(0, 2, 2));
    MomentumSgd b = new MomentumSgd(Form.NESTEROV, 0.9, 0.0,
        new LearningRateSchedule.Constant(0.1), new boolean[] {true});
    b.restore(a.velocity());
    double[] w2 = w.clone();
    a.step(w, new double[] {-0.25}, new Position(1, 2, 2));
    b.step(w2, new double[] {-0.25}, new Position(1, 2, 2));
    assertEquals(w[0], w2[0], 0.0);
    a.reset();
    assertEquals(0.0, a.velocity()[0], 0.0);
  }

  @Test
  void schedules() {
    // 10 steps per epoch, 100 in all: step 13 is in epoch 1, step 25 in epoch 2, step 55 in 5
    LearningRateSchedule step = new LearningRateSchedule.StepDecay(0.1, 2, 0.5);
    assertEquals(0.1, step.at(new Position(0, 10, 100)), 0);
    assertEquals(0.1, step.at(new Position(13, 10, 100)), 0);
    assertEquals(0.05, step.at(new Position(25, 10, 100)), 1e-17);
    assertEquals(0.025, step.at(new Position(55, 10, 100)), 1e-17);
    LearningRateSchedule cos = new LearningRateSchedule.Cosine(0.1, 0.01);
    assertEquals(0.1, cos.at(new Position(0, 10, 100)), 1e-17);
    assertEquals(0.055, cos.at(new Position(50, 10, 100)), 1e-15);
    assertEquals(0.01, cos.at(new Position(100, 10, 100)), 1e-15);
  }

  /** The rates of steps 0..steps-1 of a run with stepsPerEpoch steps per epoch. */
  private static double[] rates(LearningRateSchedule s, int stepsPerEpoch, int steps) {
    double[] r = new double[steps];
    for (int t = 0; t < steps; t++) {
      r[t] = s.at(new Position(t, stepsPerEpoch, steps));
    }
    return r;
  }

  @Test
  void warmupRampsLinearlyToTheFirstRateThenRunsTheScheduleOnTheRest() {
    // constant 0.4, warmup 4 steps: (t + 1) / 4 x 0.4 = 0.1, 0.2, 0.3, 0.4, then 0.4
    assertTrace(new double[] {0.1, 0.2, 0.3, 0.4, 0.4, 0.4},
        rates(new Warmup(new Constant(0.4), 4, 0), 3, 6));
    // cosine 0.4 -> 0, warmup 2 epochs of 2 steps (T = 4) in 12 steps: 0.1 .. 0.4, then the
    // cosine over the remaining 8 steps: step 4 + j gets 0.2 (1 + cos(pi j / 8)):
    // j = 1: 0.2 (1 + 0.9238795325) = 0.3847759065; j = 2: 0.2 (1 + 0.7071067812) = 0.3414213562;
    // j = 4: 0.2; j = 6: 0.2 (1 - 0.7071067812) = 0.0585786438; j = 7: 0.0152240935
    assertTrace(new double[] {0.1, 0.2, 0.3, 0.4, 0.4, 0.3847759065, 0.3414213562,
        0.2765366865, 0.2, 0.1234633135, 0.0585786438, 0.0152240935},
        rates(new Warmup(new Cosine(0.4, 0), 0, 2), 2, 12), 1e-10);
    // step decay 0.4, halved every epoch of 4 steps, after a 1-epoch warmup: epochs count from
    // the end of the warmup, so steps 4-7 get 0.4 and 8-11 get 0.2
    assertTrace(new double[] {0.1, 0.2, 0.3, 0.4, 0.4, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.2},
        rates(new Warmup(new StepDecay(0.4, 1, 0.5), 0, 1), 4, 12));
    // a warmup longer than the run lasts the run: T = 3 steps, 0.4 / 3 x (t + 1)
    assertTrace(new double[] {0.4 / 3, 0.8 / 3, 0.4},
        rates(new Warmup(new Cosine(0.4, 0), 0, 5), 3, 3));
  }

  @Test
  void warmupIsAPureFunctionOfTheStepPosition() {
    // what resume relies on: the same position gives the same bits, whatever came before
    LearningRateSchedule s = new Warmup(new Cosine(0.3, 0.001), 0, 1);
    double[] all = rates(s, 196, 784);
    for (int t : new int[] {0, 97, 195, 196, 500, 783}) {
      assertEquals(all[t], s.at(new Position(t, 196, 784)), 0.0, "step " + t);
    }
  }

  @Test
  void linearScalingRuleMultipliesEveryRateByBatchOverBase() {
    // base 0.1 at 256 rows -> 0.4 at 1024; a cosine 0.1 -> 0.01 becomes 0.4 -> 0.04
    assertEquals(0.4, LearningRateSchedule.linearScaling(new Constant(0.1), 1024, 256)
        .at(new Position(7, 10, 100)), 1e-16);
    LearningRateSchedule cos = LearningRateSchedule.linearScaling(new Cosine(0.1, 0.01), 1024,
        256);
    assertEquals(0.4, cos.at(new Position(0, 10, 100)), 1e-16);
    assertEquals(0.22, cos.at(new Position(50, 10, 100)), 1e-15);
    assertEquals(0.04, cos.at(new Position(100, 10, 100)), 1e-15);
    // smaller batches scale down: 0.1 x 64 / 256
    assertEquals(0.025, LearningRateSchedule.linearScaling(new Constant(0.1), 64, 256)
        .at(new Position(0, 1, 1)), 1e-17);
    Constant same = new Constant(0.1);
    assertSame(same, LearningRateSchedule.linearScaling(same, 256, 256));
    assertEquals(0.4, new Warmup(cos, 0, 3).peak(), 1e-16, "peak: the first rate after warmup");
    // with a warmup: 0.1 x 4 = 0.4 reached over 2 steps
    assertTrace(new double[] {0.2, 0.4, 0.4}, rates(new Warmup(
        LearningRateSchedule.linearScaling(new Constant(0.1), 1024, 256), 2, 0), 3, 3));
  }

  @Test
  void momentumStepsUseTheWarmupRate() {
    // heavy ball, mu 0.9, warmup of 3 steps to 0.1: rates 1/30, 2/30, 0.1.
    // v1 = 0.5, w1 = 1 - 0.5 / 30 = 0.98333..; v2 = 0.2, w2 = w1 - 0.4 / 30 = 0.97;
    // v3 = 1.18, w3 = 0.97 - 0.118 = 0.852
    MomentumSgd opt = new MomentumSgd(Form.HEAVY_BALL, 0.9, 0.0,
        new Warmup(new Constant(0.1), 3, 0), new boolean[] {true});
    double[] w = {1.0};
    double[] trace = new double[3];
    double[] used = new double[3];
    for (int t = 0; t < 3; t++) {
      used[t] = opt.step(w, new double[] {GRADS[t]}, new Position(t, 3, 3));
      trace[t] = w[0];
    }
    assertTrace(new double[] {1.0 / 30, 2.0 / 30, 0.1}, used);
    assertTrace(new double[] {1 - 0.5 / 30, 0.97, 0.852}, trace);
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
    assertThrows(GradsparkException.class, () -> new Warmup(lr, 0, 0));
    assertThrows(GradsparkException.class, () -> new Warmup(lr, 2, 1));
    assertThrows(GradsparkException.class,
        () -> LearningRateSchedule.linearScaling(lr, 0, 256));
  }
}
