package io.gradspark.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.optim.LearningRateSchedule.Exponential;
import io.gradspark.optim.LearningRateSchedule.MultiStep;
import io.gradspark.optim.LearningRateSchedule.Plateau;
import io.gradspark.optim.LearningRateSchedule.Position;
import io.gradspark.optim.LearningRateSchedule.Warmup;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The exponential, multistep and plateau schedules against rates worked out by hand. */
class SchedulesTest {

  private static double maxDiff(double[] expected, double[] actual) {
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs(expected[i] - actual[i]));
    }
    return max;
  }

  private static double[] rates(LearningRateSchedule s, int perEpoch, int steps) {
    double[] r = new double[steps];
    for (int t = 0; t < steps; t++) {
      r[t] = s.at(new Position(t, perEpoch, steps));
    }
    return r;
  }

  @Test
  void exponentialMultipliesByGammaAfterEveryEpoch() {
    // 2 steps per epoch: 0.2, 0.2, 0.1, 0.1, 0.05, 0.05
    double[] got = rates(new Exponential(0.2, 0.5), 2, 6);
    double[] want = {0.2, 0.2, 0.1, 0.1, 0.05, 0.05};
    System.out.printf("exponential: max diff %.2e%n", maxDiff(want, got));
    assertTrue(maxDiff(want, got) <= 1e-17);
    // after a 1-epoch warmup, epochs count from its end: ramp 0.1, 0.2, then 0.2, 0.2, 0.1, 0.1
    double[] warm = rates(new Warmup(new Exponential(0.2, 0.5), 0, 1), 2, 6);
    double[] wantWarm = {0.1, 0.2, 0.2, 0.2, 0.1, 0.1};
    System.out.printf("exponential after warmup: max diff %.2e%n", maxDiff(wantWarm, warm));
    assertTrue(maxDiff(wantWarm, warm) <= 1e-17);
  }

  @Test
  void multistepCountsMilestonesAsMultiStepLrSteppedPerEpoch() {
    // milestones [1, 3], gamma 0.1, 1 step per epoch: epoch 0 at 1, epochs 1-2 at 0.1, 3 on 0.01
    double[] got = rates(new MultiStep(1.0, List.of(1, 3), 0.1), 1, 6);
    double[] want = {1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1};
    System.out.printf("multistep: max diff %.2e%n", maxDiff(want, got));
    assertTrue(maxDiff(want, got) <= 1e-17);
    // 3 steps per epoch: steps 0-2 epoch 0, 3-8 epochs 1-2, 9.. epoch 3
    double[] perStep = rates(new MultiStep(1.0, List.of(1, 3), 0.5), 3, 12);
    assertEquals(1.0, perStep[2]);
    assertEquals(0.5, perStep[3]);
    assertEquals(0.5, perStep[8]);
    assertEquals(0.25, perStep[9]);
    assertEquals(1.0, new MultiStep(1.0, List.of(), 0.5).at(new Position(99, 1, 100)));
    assertThrows(GradsparkException.class, () -> new MultiStep(1, List.of(3, 1), 0.5));
    assertThrows(GradsparkException.class, () -> new MultiStep(1, List.of(0, 1), 0.5));
    assertThrows(GradsparkException.class, () -> new MultiStep(1, List.of(2, 2), 0.5));
  }

  /** A plain replay of torch's ReduceLROnPlateau.step (mode min, rel, cooldown 0). */
  private static double[] torchPlateau(double lr, double factor, int patience, double threshold,
      double minLr, double[] losses) {
    double best = Double.POSITIVE_INFINITY;
    int bad = 0;
    double[] after = new double[losses.length];
    for (int e = 0; e < losses.length; e++) {
      if (losses[e] < best * (1 - threshold)) {
        best = losses[e];
        bad = 0;
      } else {
        bad += 1;
      }
      if (bad > patience) {
        double next = Math.max(lr * factor, minLr);
        if (lr - next > 1e-8) {
          lr = next;
        }
        bad = 0;
      }
      after[e] = lr;
    }
    return after;
  }

  @Test
  void plateauReducesAsReduceLrOnPlateau() {
    // patience 1, threshold 0.01 (1%), factor 0.5, floor 0.03:
    // 1.0 best; 0.995 not 1% better (bad 1); 0.99 bad 2 > 1: reduce to 0.05, bad 0;
    // 0.5 best; 0.6 bad 1; 0.7 bad 2: 0.025 -> floor 0.03; 0.4 best; 0.45, 0.45: floor stays
    double[] losses = {1.0, 0.995, 0.99, 0.5, 0.6, 0.7, 0.4, 0.45, 0.45};
    Plateau p = new Plateau(0.1, 0.5, 1, 0.01, 0.03);
    ReduceOnPlateau r = new ReduceOnPlateau(p);
    double[] got = new double[losses.length];
    for (int e = 0; e < losses.length; e++) {
      r.observe(losses[e]);
      got[e] = p.at(new Position(e, 1, 100), r.reductions());
    }
    double[] want = torchPlateau(0.1, 0.5, 1, 0.01, 0.03, losses);
    double[] byHand = {0.1, 0.1, 0.05, 0.05, 0.05, 0.03, 0.03, 0.03, 0.03};
    System.out.printf("plateau: max diff vs replay %.2e, vs by hand %.2e%n", maxDiff(want, got),
        maxDiff(byHand, got));
    assertTrue(maxDiff(want, got) == 0.0);
    assertTrue(maxDiff(byHand, got) <= 1e-17);
    assertEquals(3, r.reductions(), "the third reduction changes nothing at the floor");
    assertEquals(0.4, r.state().best());
    // under a warmup and the scaling rule: the ramp goes to the reduced rate, scaled
    LearningRateSchedule s = new Warmup(LearningRateSchedule.linearScaling(p, 64, 32), 4, 0);
    assertEquals(p, s.plateau());
    assertEquals(2 * 0.05 * 2 / 4, s.at(new Position(1, 10, 100), 1), 1e-17);
    assertEquals(2 * 0.05, s.at(new Position(50, 10, 100), 1), 1e-17);
    assertEquals(null, new Exponential(0.1, 0.5).plateau());
  }

  @Test
  void plateauRefusesARunWithoutValidationLossesAndBadSettings() {
    ReduceOnPlateau r = new ReduceOnPlateau(new Plateau(0.1, 0.5, 1, 0.01, 0));
    GradsparkException e = assertThrows(GradsparkException.class, () -> r.observe(Double.NaN));
    assertTrue(e.getMessage().contains("validation"), e.getMessage());
    assertThrows(GradsparkException.class, () -> new Plateau(0.1, 1.0, 1, 0.01, 0));
    assertThrows(GradsparkException.class, () -> new Plateau(0.1, 0.5, -1, 0.01, 0));
    assertThrows(GradsparkException.class, () -> new Plateau(0.1, 0.5, 1, -0.01, 0));
    assertThrows(GradsparkException.class, () -> new Plateau(0.1, 0.5, 1, 0.01, 0.2));
    assertThrows(GradsparkException.class, () -> new Exponential(0.1, 0));
  }
}
