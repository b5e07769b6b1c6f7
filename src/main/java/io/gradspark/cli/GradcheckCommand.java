package io.gradspark.cli;

import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainingJob;
import io.gradspark.config.RunSpecs;
import io.gradspark.spark.SparkEngines;
import io.gradspark.train.GradientEngine;
import io.gradspark.nn.GradientCheck;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientSum;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "gradcheck", mixinStandardHelpOptions = true,
    description = {
        "Check a network's gradient before a long run: the first batch's gradient computed "
            + "single-node, distributed on Spark (--partitions), and by central finite "
            + "differences on a sample of parameters. Prints the max relative differences and "
            + "exits 4 if one is above its tolerance.",
        "",
        "Example: submit/gradspark gradcheck --config conf/mnist.conf --partitions 3"},
    footer = {"", "Relative difference of the two backprop gradients: max|a-b| / max|a|. Of "
        + "finite differences: per parameter |fd-bp| / max(|fd|, |bp|, floor), five-point "
        + "stencil (h = 1e-3), parameters at a kink left out (relu, leaky-relu, elu and selu "
        + "at 0, softplus at 20); floor = max(1e-6, the "
        + "stencil's round-off for this batch's loss / tolerance).", "Exit codes: 0 both within "
        + "tolerance, 4 a difference above its tolerance, 2 bad input or settings, 1 internal "
        + "error."})
final class GradcheckCommand extends SharedOptions.OnSpark implements Callable<Integer> {

  @Mixin
  SharedOptions.ConfigFile configFile;

  @Mixin
  SharedOptions.Partitions partitions;

  @Option(names = "--samples", paramLabel = "N", defaultValue = "200",
      description = "Parameters checked by finite differences (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--rows", paramLabel = "N", defaultValue = "16",
      description = "Rows of the first batch used for finite differences (default: "
          + "${DEFAULT-VALUE}; fewer rows, fewer kinks).")
  int rows;

  @Option(names = "--tolerance", paramLabel = "T", defaultValue = "1e-6",
      description = "Largest acceptable finite-difference relative error (default: "
          + "${DEFAULT-VALUE}).")
  double tolerance;

  @Option(names = "--engine-tolerance", paramLabel = "T", defaultValue = "1e-10",
      description = "Largest acceptable single-node vs distributed difference (default: "
          + "${DEFAULT-VALUE}).")
  double engineTolerance;

  @Override
  public Integer call() {
    if (samples < 1 || rows < 1 || !(tolerance > 0) || !(engineTolerance > 0)) {
      throw new io.gradspark.GradsparkException(
          "--samples and --rows must be >= 1 and the tolerances > 0",
          "e.g. --samples 200 --rows 16 --tolerance 1e-6");
    }
    RunSpecs.Run run = RunSpecs.load(configFile.path, sets, TrainCommand.baseName(configFile.path));
    RunSpec spec = run.spec();
    if (spec.precision() != io.gradspark.nn.Precision.FLOAT64) {
      throw new io.gradspark.GradsparkException("gradcheck runs in float64 only, but "
          + "training.precision is " + spec.precision().configName() + " (" + configFile.path
          + " with its --set values): central differences at h = 1e-3 drown in float32's round-off (about 1e-7 of the "
          + "loss), so they could not tell a wrong gradient from a right one",
          "check the gradients with --set training.precision=float64 (the float32 path runs "
              + "the same layers; its tests compare it with float64)");
    }
    Datasets all = run.datasets();
    // the training rows only: no need to load validation and test sets
    Datasets data = new Datasets(all.train(), null, null);
    double[] params = TrainingJob.initialParameters(spec);
    BatchSchedule schedule = spec.schedule(data.train().rows());
    var block = data.train().load(0, data.train().rows());
    GradientSum a;
    try (GradientEngine local = Engines.local().create(spec, schedule, data)) {
      a = local.gradient(params, 0, 0);
    }
    double[] gradLocal = a.grad().clone();
    double lossLocal = a.lossSum();

    double engineDiff;
    int p;
    partitions.check();
    RunSpec onSpark = partitions.count > 0 ? spec.withPartitions(partitions.count) : spec;
    try (SparkHolder session = new SparkHolder(master, spec.name() + " gradcheck");
        GradientEngine spark = new SparkEngines(session::sc, false).create(onSpark, schedule,
            data)) {
      p = spark.partitions();
      GradientSum b = spark.gradient(params, 0, 0);
      engineDiff = Math.max(GradientCheck.relativeDifference(gradLocal, b.grad()),
          Math.abs(lossLocal - b.lossSum()) / Math.max(Math.abs(lossLocal), Double.MIN_NORMAL));
    }

    int n = Math.min(rows, schedule.batchRows(0));
    int[] ids = schedule.batch(0, 0);
    double[] x = new double[n * spec.network().inputSize()];
    double[] y = new double[n];
    for (int r = 0; r < n; r++) {
      block.copyRow(ids[r], x, r * spec.network().inputSize());
      y[r] = block.label(ids[r]);
    }
    int[] sample = sample(spec.network().numParams(), samples, spec.seed());
    // the data's loss sets the finite differences' round-off: smaller gradients are compared
    // absolutely at that level rather than relatively
    double lossSum = spec.network().lossAndGradient(params, x, y, n,
        new double[spec.network().numParams()], spec.network().workspace(n));
    double floor = Math.max(GradientCheck.DEFAULT_FLOOR,
        GradientCheck.noise(lossSum, GradientCheck.DEFAULT_STEP) / tolerance);
    GradientCheck.Result fd = GradientCheck.compare(spec.network(), params, x, y, n, sample,
        GradientCheck.DEFAULT_STEP, floor);

    System.out.printf(Locale.ROOT, "%s, %,d parameters, batch of %d rows%n",
        spec.network().describe(), spec.network().numParams(), a.count());
    boolean engineOk = engineDiff <= engineTolerance;
    boolean fdOk = fd.maxRelativeError() <= tolerance;
    System.out.printf(Locale.ROOT,
        "single-node vs distributed (%d partitions): max relative difference %.3e  %s%n", p,
        engineDiff, engineOk ? "ok" : "ABOVE TOLERANCE " + engineTolerance);
    System.out.printf(Locale.ROOT,
        "backprop vs finite differences (%d parameters, %d rows): max relative error %.3e  %s%n",
        fd.checked(), n, fd.maxRelativeError(), fdOk ? "ok" : "ABOVE TOLERANCE " + tolerance);
    System.out.printf(Locale.ROOT, "(relative to max(|fd|, |bp|, %.1e): gradients smaller than"
        + " that are checked absolutely, at the finite differences' round-off)%n", floor);
    if (fd.atKink() > 0) {
      System.out.printf(Locale.ROOT, "(%d sampled parameters sat at a kink and were left out)%n",
          fd.atKink());
    }
    return engineOk && fdOk ? 0 : Main.CHECK_FAILED;
  }

  /** count distinct parameter indices (all if count >= total), from the seed. */
  static int[] sample(int total, int count, long seed) {
    if (count >= total) {
      int[] all = new int[total];
      for (int i = 0; i < total; i++) {
        all[i] = i;
      }
      return all;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    java.util.Set<Integer> picked = new java.util.LinkedHashSet<>();
    while (picked.size() < count) {
      picked.add(rng.nextInt(total));
    }
    return picked.stream().mapToInt(Integer::intValue).toArray();
  }

}
