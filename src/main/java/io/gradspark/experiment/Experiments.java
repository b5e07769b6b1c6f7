package io.gradspark.experiment;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The from-scratch experiments the report reproduces, one conf each under conf/experiments/, with
 * the published figures to compare with. The figures are facts about other people's runs, so they
 * live here, not in the confs (which hold only what our runs need).
 */
public final class Experiments {
  private Experiments() {}

  /**
   * Where a published study says a loss stops falling: which loss, and the statement.
   *
   * @param loss "validation" or "test"
   * @param published the published statement, as quoted (with the epochs it names)
   */
  public record Turn(String loss, String published) {}

  /**
   * One experiment.
   *
   * @param id the conf's name (conf/experiments/ID.conf)
   * @param published the published figure as quoted
   * @param target the published test accuracy as a fraction, to compare with (NaN: none)
   * @param atLeast whether the published figure is a bound ("97.2% or better"): ours above it is
   *     no difference to explain
   * @param trials trials of a full report (per grid point for a sweep)
   * @param engine the engine of a full report with --engine auto: spark where the whole
   *     experiment fits the report's budget at Spark's per-step cost here, local (the same math in
   *     one JVM, equal to round-off) where its hundreds of thousands of small steps would not
   * @param baseline the experiment this one is compared with on one chart (the same network with
   *     momentum), or null
   * @param longOf the experiment this one trains for longer (the same network and settings), or
   *     null
   * @param turn where the published study saw the loss turn, or null
   * @param grid a sweep's --grid values (one point per value), empty for a plain experiment
   * @param sparkSets settings added when the experiment runs on Spark (e.g. one partition for a
   *     step too small to split)
   */
  public record Experiment(String id, String published, double target, boolean atLeast,
      int trials, String engine, String baseline, String longOf, Turn turn, List<String> grid,
      List<String> sparkSets) {

    public Experiment {
      grid = List.copyOf(grid);
      sparkSets = List.copyOf(sparkSets);
    }

    /** A plain experiment: no long version of another, no turn, no grid, no Spark settings. */
    public Experiment(String id, String published, double target, int trials, String engine,
        String baseline) {
      this(id, published, target, false, trials, engine, baseline, null, null, List.of(),
          List.of());
    }

    public boolean isSweep() {
      return !grid.isEmpty();
    }
  }

  /**
   * One partition per trial: the trials of an experiment run side by side, one per task slot (a
   * step session holds its slots), which keeps every core busy without splitting a step.
   */
  private static final List<String> ONE_PARTITION = List.of("training.partitions=1");

  private static final Turn VAL_TURN_20_30 = new Turn("validation",
      "validation loss lowest after 20-30 epochs, rising later");

  /** The hidden-layer widths of the two-moons sweep: every h from 3 to 40. */
  public static final String MOONS_GRID = "model.layers=" + IntStream.rangeClosed(3, 40)
      .mapToObj(h -> "[2," + h + ",2]").collect(Collectors.joining(";"));

  public static final List<Experiment> ALL = List.of(
      new Experiment("neuron-0", "99.24%", 0.9924, false, 3, "spark", null, null, null,
          List.of(), ONE_PARTITION),
      new Experiment("neuron-7", "98.40%", 0.9840, false, 3, "spark", null, null, null,
          List.of(), ONE_PARTITION),
      new Experiment("hidden64-0", "99.17%", 0.9917, false, 3, "spark", null, null, null,
          List.of(), ONE_PARTITION),
      new Experiment("hidden64-7", "98.24%", 0.9824, false, 3, "spark", null, null, null,
          List.of(), ONE_PARTITION),
      new Experiment("multiclass-64", "97.2% or better", 0.972, true, 3, "spark", null, null,
          null, List.of(), ONE_PARTITION),
      new Experiment("relu-deep", "98.42% (reference implementations ~98.0%)", 0.9842, false, 3,
          "spark", null, null, null, List.of(), ONE_PARTITION),
      new Experiment("relu-deep-nomomentum", "97.51%", 0.9751, false, 3, "spark", "relu-deep",
          null, null, List.of(), ONE_PARTITION),
      new Experiment("full-batch", "84.13%", 0.8413, 3, "spark", null),
      new Experiment("full-batch-nomomentum", "65.16%", 0.6516, 3, "spark", "full-batch"),
      new Experiment("wide-1000", ">= 98%", 0.98, true, 3, "spark", null, null, null, List.of(),
          ONE_PARTITION),
      new Experiment("moons", ">= 97% (mean of 10 trials)", 0.97, true, 10, "spark", null, null,
          null, List.of(), ONE_PARTITION),
      new Experiment("moons-sweep", "mean test accuracy rises with h, then falls once "
          + "overfitting sets in", Double.NaN, false, 3, "local", null, null, null,
          List.of(MOONS_GRID), List.of()),
      new Experiment("neuron-0-long", "99.24%", 0.9924, false, 3, "local", null, "neuron-0",
          VAL_TURN_20_30, List.of(), List.of()),
      new Experiment("neuron-7-long", "98.40%", 0.9840, false, 3, "local", null, "neuron-7",
          VAL_TURN_20_30, List.of(), List.of()),
      new Experiment("hidden64-0-long", "99.17%", 0.9917, false, 3, "local", null, "hidden64-0",
          VAL_TURN_20_30, List.of(), List.of()),
      new Experiment("hidden64-7-long", "98.24%", 0.9824, false, 2, "local", null, "hidden64-7",
          VAL_TURN_20_30, List.of(), List.of()),
      new Experiment("neuron-0-10k", "test loss rising after ~2,400 epochs", Double.NaN, false,
          1, "local", null, "neuron-0", new Turn("test", "test loss rising after ~2,400 epochs"),
          List.of(), List.of()));

  private static final String FULL_BATCH_RATE = "The learning rate is not among the published "
      + "settings, so ours is a choice (1.0 with EMA momentum; 0.5 without, where plain "
      + "full-batch descent oscillates at 1.0: 28% over 3 seeds), and after 20 full-batch steps "
      + "the accuracy depends directly on it and on the seed (see the spread of the trials).";

  private static final String STEP_NOT_LONG = "What explains the 20-epoch figure (the step size, "
      + "see hidden64-0 and hidden64-7) was not run for 500 epochs.";

  private static final String NEURON_10K = "Found by a run: one step per epoch. Full-batch "
      + "descent with the same lr 0.1 and momentum 0.9 (`train --config "
      + "conf/experiments/neuron-0.conf --set training.engine=local --set "
      + "training.batch-size=50000 --set training.epochs=4000 --set "
      + "training.early-stopping.patience=0`, seed 1) has its test loss lowest at epoch 2,307 "
      + "(0.02354) and rising after it (+0.5% by epoch 4,000) while its training and validation "
      + "losses still fall: the published turn at ~2,400 epochs. Mini-batches of 128, 391 steps "
      + "an epoch, get there in the 11 epochs above (~4,300 steps).";

  /**
   * Causes found by hand for an experiment's difference from its published figure, by id: what
   * was tried, and what it showed. The report adds what its own long runs show.
   */
  private static final Map<String, String> REASONS = Map.of(
      "relu-deep", "The study quotes ~98.0% for its reference implementations of the same "
          + "network beside its own 98.42%: the figure a faithful reimplementation compares with.",
      "full-batch", FULL_BATCH_RATE,
      "full-batch-nomomentum", FULL_BATCH_RATE,
      "hidden64-0", "Found by a run: the step size. With momentum off (plain SGD at the same lr "
          + "0.1: a tenth of the step that heavy-ball momentum 0.9 settles to), `repeat --config "
          + "conf/experiments/hidden64-0.conf --trials 3 --set training.engine=local --set "
          + "optimizer.momentum=0` gives 99.19% ± 0.03% (seeds 1-3, 20 epochs), the published "
          + "99.17% within 2σ: the published figure is that of a network trained with a tenth of "
          + "our step (lr 0.01 with momentum 0.9 gives the same, 99.20% for seed 1). Unscaled "
          + "pixels (`data.scale=1`) give 97.02%, another initialisation (`model.init=uniform`) "
          + "99.66%: neither.",
      "hidden64-7", "The step size explains most of it: with momentum off, as for hidden64-0, "
          + "`repeat --config conf/experiments/hidden64-7.conf --trials 3 --set "
          + "training.engine=local --set optimizer.momentum=0` gives 98.51% ± 0.04%, +0.27 pp "
          + "from the published 98.24% (from +1.08 pp); a step a tenth of that again (lr 0.01, "
          + "no momentum) gives 97.96% after 20 epochs (seed 1), below it. No step size we tried "
          + "gives this digit's figure as it gives digit 0's; the remaining 0.27 pp is not "
          + "explained.",
      "hidden64-0-long", STEP_NOT_LONG,
      "hidden64-7-long", STEP_NOT_LONG,
      "neuron-0-10k", NEURON_10K);

  /** The cause found for an experiment's difference from the published figure, or null. */
  public static String reason(String id) {
    return REASONS.get(id);
  }

  /** The experiment with this id, or null. */
  public static Experiment byId(String id) {
    return ALL.stream().filter(e -> e.id().equals(id)).findFirst().orElse(null);
  }
}
