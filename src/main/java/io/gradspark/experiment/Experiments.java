package io.gradspark.experiment;

import java.util.List;

/**
 * The from-scratch experiments the report reproduces, one conf each under conf/experiments/, with
 * the published test accuracy to reach or beat. The figures are facts about other people's runs,
 * so they live here, not in the confs (which hold only what our runs need).
 */
public final class Experiments {
  private Experiments() {}

  /**
   * One experiment.
   *
   * @param id the conf's name (conf/experiments/ID.conf)
   * @param published the published figure as quoted
   * @param target the published test accuracy as a fraction, to compare with
   * @param trials trials of a full report (moons: the published figure is a mean of 10)
   * @param engine the engine of a full report with --engine auto: spark where a step is big
   *     enough for Spark's per-step cost (about 15-20 ms of scheduling on this kind of machine) not
   *     to dominate, i.e. full batch; local (the same math in one JVM, equal to round-off) for
   *     thousands of small mini-batch steps
   * @param baseline the experiment this one is compared with on one chart (the same network with
   *     momentum), or null
   */
  public record Experiment(String id, String published, double target, int trials, String engine,
      String baseline) {}

  public static final List<Experiment> ALL = List.of(
      new Experiment("neuron-0", "99.24%", 0.9924, 3, "local", null),
      new Experiment("neuron-7", "98.40%", 0.9840, 3, "local", null),
      new Experiment("hidden64-0", "99.17%", 0.9917, 3, "local", null),
      new Experiment("hidden64-7", "98.24%", 0.9824, 3, "local", null),
      new Experiment("multiclass-64", "97.2% or better", 0.972, 3, "local", null),
      new Experiment("relu-deep", "98.42% (reference implementations ~98.0%)", 0.9842, 3,
          "local", null),
      new Experiment("relu-deep-nomomentum", "97.51%", 0.9751, 3, "local", "relu-deep"),
      new Experiment("full-batch", "84.13%", 0.8413, 3, "spark", null),
      new Experiment("full-batch-nomomentum", "65.16%", 0.6516, 3, "spark", "full-batch"),
      new Experiment("wide-1000", ">= 98%", 0.98, 3, "local", null),
      new Experiment("moons", ">= 97% (mean of 10 trials)", 0.97, 10, "local", null));

  /** The experiment with this id, or null. */
  public static Experiment byId(String id) {
    return ALL.stream().filter(e -> e.id().equals(id)).findFirst().orElse(null);
  }
}
