package io.gradspark.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.optim.LearningRateSchedule.Constant;
import io.gradspark.optim.LearningRateSchedule.Exponential;
import io.gradspark.optim.LearningRateSchedule.Position;
import io.gradspark.optim.LearningRateSchedule.Warmup;
import io.gradspark.optim.Optimizer.Method;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every optimizer method against an independent re-implementation of its formula (the textbook
 * form, written out plainly below: bias-corrected m-hat and v-hat for Adam, a separate clipping
 * pass, decay added in its own loop) over several steps, with weight decay on weights but not
 * biases, clipping, and a warmup into an exponential schedule. Each prints its max difference.
 */
class OptimizersTest {
  private static final int N = 7;
  private static final int STEPS = 12;
  private static final int PER_EPOCH = 3;
  private static final double WD = 0.05;
  private static final double CLIP = 0.8;
  private static final double B1 = 0.8;
  private static final double B2 = 0.95;
  private static final double EPS = 1e-6;
  private static final double ALPHA = 0.9;

  /** Weights and biases alternate: parameters 1, 4 are biases. */
  private static boolean[] mask() {
    boolean[] m = new boolean[N];
    for (int i = 0; i < N; i++) {
      m[i] = i % 3 != 1;
    }
    return m;
  }

  private static LearningRateSchedule schedule() {
    return new Warmup(new Exponential(0.05, 0.7), 2, 0);
  }

  /** The rate the test computes itself: 2 warmup steps, then 0.05 x 0.7^epoch after them. */
  private static double rate(int t) {
    if (t < 2) {
      return 0.05 * (t + 1) / 2;
    }
    return 0.05 * Math.pow(0.7, (t - 2) / PER_EPOCH);
  }

  /** The gradient SUMS of step t over `rows` rows, large enough that clipping bites sometimes. */
  private static double[] gradSum(int t, int rows) {
    Random r = new Random(100 + t);
    double[] g = new double[N];
    double size = t % 2 == 0 ? 0.3 : 2.0;
    for (int i = 0; i < N; i++) {
      g[i] = r.nextGaussian() * size * rows;
    }
    return g;
  }

  private static Optimizer create(Method m, double clip) {
    return switch (m) {
      case SGD -> new MomentumSgd(MomentumSgd.Form.NESTEROV, 0.9, WD, clip, schedule(), mask());
      case ADAM, ADAMW -> new Adam(m == Method.ADAMW, B1, B2, EPS, WD, clip, schedule(), mask());
      case RMSPROP -> new RmsProp(ALPHA, EPS, WD, clip, schedule(), mask());
      case ADAGRAD -> new Adagrad(EPS, WD, clip, schedule(), mask());
    };
  }

  /** The reference: the formulas as written in the docs, one plain loop per stage. */
  private static double[] reference(Method m, double clip, double[] w0) {
    double[] w = w0.clone();
    double[] a = new double[N]; // velocity, m, s or G
    double[] b = new double[N]; // v
    boolean[] weight = mask();
    int rows = 5;
    for (int t = 0; t < STEPS; t++) {
      double lr = rate(t);
      double[] g = gradSum(t, rows);
      for (int i = 0; i < N; i++) {
        g[i] = g[i] / rows;
      }
      if (clip > 0) {
        double norm = 0;
        for (double x : g) {
          norm += x * x;
        }
        norm = Math.sqrt(norm);
        if (norm + 1e-6 > clip) {
          for (int i = 0; i < N; i++) {
            g[i] = g[i] * clip / (norm + 1e-6);
          }
        }
      }
      for (int i = 0; i < N; i++) {
        if (!weight[i]) {
          continue;
        }
        if (m == Method.ADAMW) {
          w[i] = w[i] - lr * WD * w[i];
        } else {
          g[i] = g[i] + WD * w[i];
        }
      }
      int step = t + 1;
      for (int i = 0; i < N; i++) {
        switch (m) {
          case SGD -> {
            a[i] = 0.9 * a[i] + g[i];
            w[i] = w[i] - lr * (g[i] + 0.9 * a[i]);
          }
          case ADAM, ADAMW -> {
            a[i] = B1 * a[i] + (1 - B1) * g[i];
            b[i] = B2 * b[i] + (1 - B2) * g[i] * g[i];
            double mHat = a[i] / (1 - Math.pow(B1, step));
            double vHat = b[i] / (1 - Math.pow(B2, step));
            w[i] = w[i] - lr * mHat / (Math.sqrt(vHat) + EPS);
          }
          case RMSPROP -> {
            a[i] = ALPHA * a[i] + (1 - ALPHA) * g[i] * g[i];
            w[i] = w[i] - lr * g[i] / (Math.sqrt(a[i]) + EPS);
          }
          case ADAGRAD -> {
            a[i] = a[i] + g[i] * g[i];
            w[i] = w[i] - lr * g[i] / (Math.sqrt(a[i]) + EPS);
          }
        }
      }
    }
    return w;
  }

  private static double[] start() {
    double[] w = new double[N];
    Random r = new Random(7);
    for (int i = 0; i < N; i++) {
      w[i] = r.nextGaussian();
    }
    return w;
  }

  private static double[] run(Optimizer opt, double[] w0) {
    double[] w = w0.clone();
    double[] next = new double[N];
    for (int t = 0; t < STEPS; t++) {
      // the trainer's double buffering: from one array into another
      assertTrue(opt.step(w, next, gradSum(t, 5), 1.0 / 5, new Position(t, PER_EPOCH, STEPS)));
      double[] swap = w;
      w = next;
      next = swap;
    }
    return w;
  }

  @Test
  void everyMethodMatchesItsFormulaWithDecayClippingAndASchedule() {
    for (Method m : Method.values()) {
      for (double clip : new double[] {0, CLIP}) {
        double[] w0 = start();
        double[] got = run(create(m, clip), w0);
        double[] want = reference(m, clip, w0);
        double max = 0;
        for (int i = 0; i < N; i++) {
          max = Math.max(max, Math.abs(got[i] - want[i]));
        }
        System.out.printf("%s clip %.1f: %d steps, max |w - reference| = %.2e%n",
            m.configName(), clip, STEPS, max);
        assertTrue(max <= 1e-13, m + " clip " + clip + ": " + max);
        double moved = 0;
        for (int i = 0; i < N; i++) {
          moved = Math.max(moved, Math.abs(got[i] - w0[i]));
        }
        assertTrue(moved > 1e-3, m + " moved the parameters by only " + moved);
      }
    }
  }

  @Test
  void clippingChangesTheStepOnlyWhenTheNormExceedsTheLimit() {
    // g = (3, 4) / 1: norm 5; clip 1 scales by 1 / (5 + 1e-6); plain SGD, lr 1: w = -g * that
    MomentumSgd sgd = new MomentumSgd(MomentumSgd.Form.HEAVY_BALL, 0, 0, 1.0, new Constant(1),
        new boolean[] {true, true});
    double[] w = {0, 0};
    sgd.step(w, new double[] {3, 4}, new Position(0, 1, 1));
    double[] expected = {-3 / (5 + 1e-6), -4 / (5 + 1e-6)};
    System.out.printf("clip (3, 4) to 1: max diff %.2e%n",
        Math.max(Math.abs(w[0] - expected[0]), Math.abs(w[1] - expected[1])));
    assertArrayEquals(expected, w, 1e-16);
    // under the limit: untouched, bit for bit
    MomentumSgd loose = new MomentumSgd(MomentumSgd.Form.HEAVY_BALL, 0, 0, 6.0, new Constant(1),
        new boolean[] {true, true});
    double[] u = {0, 0};
    loose.step(u, new double[] {3, 4}, new Position(0, 1, 1));
    assertArrayEquals(new double[] {-3, -4}, u, 0.0);
  }

  @Test
  void adamsFirstStepWorkedByHand() {
    // w0 = 1, g = 0.5, lr 0.1: m1 = 0.05, v1 = 0.00025; m-hat = 0.5, v-hat = 0.25:
    // w1 = 1 - 0.1 x 0.5 / (0.5 + 1e-8) = 0.9000000019999999..
    Adam adam = new Adam(false, 0.9, 0.999, 1e-8, 0, 0, new Constant(0.1), new boolean[] {true});
    double[] w = {1};
    adam.step(w, new double[] {0.5}, new Position(0, 1, 2));
    System.out.printf("adam step 1 by hand: diff %.2e%n", Math.abs(w[0] - (1 - 0.05 / 0.50000001)));
    assertEquals(1 - 0.05 / 0.50000001, w[0], 1e-16);
    assertEquals(1, adam.state().steps());
    // AdamW with decay 0.1: w = 1 x (1 - 0.01) first, then the same Adam step
    Adam adamw = new Adam(true, 0.9, 0.999, 1e-8, 0.1, 0, new Constant(0.1),
        new boolean[] {true});
    double[] v = {1};
    adamw.step(v, new double[] {0.5}, new Position(0, 1, 2));
    assertEquals(0.99 - 0.05 / 0.50000001, v[0], 1e-16);
  }

  @Test
  void aRestoredStateContinuesBitForBitAndAnotherMethodsIsRefused() {
    for (Method m : Method.values()) {
      Optimizer a = create(m, CLIP);
      Optimizer b = create(m, CLIP);
      double[] w = start();
      for (int t = 0; t < 5; t++) {
        a.step(w, w, gradSum(t, 5), 0.2, new Position(t, PER_EPOCH, STEPS));
      }
      OptimizerState saved = a.state();
      assertEquals(5, saved.steps());
      b.restore(saved);
      double[] w2 = w.clone();
      for (int t = 5; t < STEPS; t++) {
        a.step(w, w, gradSum(t, 5), 0.2, new Position(t, PER_EPOCH, STEPS));
        b.step(w2, w2, gradSum(t, 5), 0.2, new Position(t, PER_EPOCH, STEPS));
      }
      assertArrayEquals(w, w2, m.configName());
      // the saved state is a copy: stepping on did not change it
      assertFalse(java.util.Arrays.equals(saved.buffers().values().iterator().next(),
          a.state().buffers().values().iterator().next()));
      a.reset();
      assertEquals(0, a.state().steps());
      for (double[] buf : a.state().buffers().values()) {
        assertArrayEquals(new double[N], buf, 0.0);
      }
      Method other = m == Method.SGD ? Method.ADAM : Method.SGD;
      GradsparkException e = assertThrows(GradsparkException.class,
          () -> create(other, 0).restore(saved));
      assertTrue(e.getMessage().contains(m.configName()), e.getMessage());
    }
  }

  @Test
  void aNonFiniteGradientIsReportedEvenWhenClipped() {
    for (Method m : Method.values()) {
      double[] g = gradSum(0, 5);
      g[3] = Double.POSITIVE_INFINITY;
      double[] w = start();
      assertFalse(create(m, CLIP).step(w, new double[N], g, 0.2, new Position(0, 1, 1)), m + "");
      assertFalse(create(m, 0).step(w, new double[N], g, 0.2, new Position(0, 1, 1)), m + "");
    }
  }

  @Test
  void badSettingsAreRefused() {
    LearningRateSchedule lr = new Constant(0.1);
    boolean[] mask = {true};
    assertThrows(GradsparkException.class, () -> new Adam(false, 1.0, 0.999, 1e-8, 0, 0, lr,
        mask));
    assertThrows(GradsparkException.class, () -> new Adam(false, -0.1, 0.999, 1e-8, 0, 0, lr,
        mask));
    assertThrows(GradsparkException.class, () -> new Adam(true, 0.9, 1.5, 1e-8, 0, 0, lr, mask));
    assertThrows(GradsparkException.class, () -> new Adam(true, 0.9, 0.99, -1e-8, 0, 0, lr,
        mask));
    assertThrows(GradsparkException.class, () -> new RmsProp(1.0, 1e-8, 0, 0, lr, mask));
    assertThrows(GradsparkException.class, () -> new Adagrad(-1, 0, 0, lr, mask));
    assertThrows(GradsparkException.class, () -> new Adagrad(1e-10, -1, 0, lr, mask));
    assertThrows(GradsparkException.class, () -> new Adagrad(1e-10, 0, -1, lr, mask));
    GradsparkException e = assertThrows(GradsparkException.class, () -> Method.parse("adma"));
    System.out.println(e.getMessage() + " / " + e.hint());
    assertTrue(e.hint().startsWith("did you mean adam?"), e.hint());
    assertEquals(Method.ADAMW, Method.parse(" AdamW "));
    assertEquals(1e-10, Method.ADAGRAD.defaultEpsilon());
    assertEquals(1e-8, Method.RMSPROP.defaultEpsilon());
  }
}
