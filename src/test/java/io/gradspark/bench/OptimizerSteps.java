package io.gradspark.bench;

import io.gradspark.optim.Adagrad;
import io.gradspark.optim.Adam;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.optim.Optimizer;
import io.gradspark.optim.RmsProp;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What an optimizer's step costs the driver: each method's {@link Optimizer#step} over
 * conf/mnist.conf's 50,890 parameters (784-64-10: weights and biases in runs, weight decay on the
 * weights), the median microseconds of STEPS steps after as many untimed ones. It uses only the
 * public API, so the same class times another build side by side in one command:
 *
 * <pre>
 * for b in /path/to/old/checkout .; do
 *   java -cp target/test-classes:$b/target/classes io.gradspark.bench.OptimizerSteps
 * done
 * </pre>
 */
public final class OptimizerSteps {
  private OptimizerSteps() {}

  public static void main(String[] args) {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
    int[] sizes = {784, 64, 10};
    boolean[] weights = new boolean[784 * 64 + 64 + 64 * 10 + 10];
    int at = 0;
    for (int l = 0; l + 1 < sizes.length; l++) {
      int w = sizes[l] * sizes[l + 1];
      Arrays.fill(weights, at, at + w, true); // then the layer's biases stay false
      at += w + sizes[l + 1];
    }
    LearningRateSchedule rate = new LearningRateSchedule.Constant(0.01);
    String[] names = {"sgd (heavy-ball)", "sgd (nesterov)", "adam", "adamw", "rmsprop",
        "adagrad"};
    Optimizer[] methods = {
        new MomentumSgd(MomentumSgd.Form.HEAVY_BALL, 0.9, 1e-4, rate, weights),
        new MomentumSgd(MomentumSgd.Form.NESTEROV, 0.9, 1e-4, rate, weights),
        new Adam(false, 0.9, 0.999, 1e-8, 1e-4, 0, rate, weights),
        new Adam(true, 0.9, 0.999, 1e-8, 1e-2, 0, rate, weights),
        new RmsProp(0.99, 1e-8, 1e-4, 0, rate, weights),
        new Adagrad(1e-10, 1e-4, 0, rate, weights)};
    SplittableRandom rng = new SplittableRandom(1);
    int n = weights.length;
    double[] params = new double[n];
    double[] next = new double[n];
    double[] gradSum = new double[n];
    for (int i = 0; i < n; i++) {
      params[i] = rng.nextGaussian() * 0.05;
      gradSum[i] = rng.nextGaussian();
    }
    System.out.printf(Locale.ROOT, "%,d parameters, medians of %d steps after %d untimed%n", n,
        steps, steps);
    for (int m = 0; m < methods.length; m++) {
      long[] nanos = new long[steps];
      for (int t = 0; t < 2 * steps; t++) {
        long t0 = System.nanoTime();
        methods[m].step(params, next, gradSum, 1 / 256.0,
            new LearningRateSchedule.Position(t, 196, 1_000_000));
        if (t >= steps) {
          nanos[t - steps] = System.nanoTime() - t0;
        }
      }
      Arrays.sort(nanos);
      System.out.printf(Locale.ROOT, "%-17s %7.1f us%n", names[m], nanos[steps / 2] / 1e3);
    }
  }
}
