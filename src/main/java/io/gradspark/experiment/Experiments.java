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
   *     another form of momentum, or none), or null
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

  private static final Experiment NEURON_0 = new Experiment("neuron-0", "99.24%", 0.9924, false,
      3, "spark", null, null, null, List.of(), ONE_PARTITION);
  private static final Experiment NEURON_7 = new Experiment("neuron-7", "98.40%", 0.9840, false,
      3, "spark", null, null, null, List.of(), ONE_PARTITION);
  private static final Experiment HIDDEN64_0 = new Experiment("hidden64-0", "99.17%", 0.9917,
      false, 3, "spark", null, null, null, List.of(), ONE_PARTITION);
  private static final Experiment HIDDEN64_7 = new Experiment("hidden64-7", "98.24%", 0.9824,
      false, 3, "spark", null, null, null, List.of(), ONE_PARTITION);

  public static final List<Experiment> ALL = List.of(
      NEURON_0, NEURON_7, HIDDEN64_0, HIDDEN64_7,
      check(NEURON_0),
      check(NEURON_7),
      check(HIDDEN64_0),
      check(HIDDEN64_7),
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
      new Experiment("hidden64-0-long", "99.17%", 0.9917, false, 2, "local", null, "hidden64-0",
          VAL_TURN_20_30, List.of(), List.of()),
      new Experiment("hidden64-7-long", "98.24%", 0.9824, false, 2, "local", null, "hidden64-7",
          VAL_TURN_20_30, List.of(), List.of()),
      new Experiment("neuron-0-10k", "test loss rising after ~2,400 epochs", Double.NaN, false,
          1, "local", null, "neuron-0", new Turn("test", "test loss rising after ~2,400 epochs"),
          List.of(), List.of()));

  /**
   * A run that tests a cause of another experiment's difference from its published figure: the
   * same conf with one change.
   *
   * @param of the experiment whose difference it tests
   * @param change what it changes, as a phrase ("the EMA form of momentum (...)")
   */
  public record Check(String of, String change) {}

  private static final String EMA = "the EMA form of momentum (v = μv + (1 − μ)g with the same "
      + "lr and μ: a tenth of heavy-ball's steady step)";

  /**
   * What a check's id adds to the id of the experiment it checks, which it is with the EMA form of
   * momentum.
   */
  private static final String EMA_CHECK = "-ema";

  /** The check of experiment of: its id, published figure and Spark settings, on one chart. */
  private static Experiment check(Experiment of) {
    return new Experiment(of.id() + EMA_CHECK, of.published(), of.target(), of.atLeast(),
        of.trials(), of.engine(), of.id(), null, null, List.of(), of.sparkSets());
  }

  /** The check with this id (an experiment made by check), or null. */
  public static Check checkOf(String id) {
    Experiment e = byId(id);
    return e != null && e.baseline() != null && id.equals(e.baseline() + EMA_CHECK)
        ? new Check(e.baseline(), EMA) : null;
  }

  private static final String FULL_BATCH_RATE = "The learning rate is not among the published "
      + "settings, so ours is a choice (1.0 with EMA momentum; 0.5 without, where plain "
      + "full-batch descent oscillates at 1.0: 28% over 3 seeds), and after 20 full-batch steps "
      + "the accuracy depends directly on it and on the seed (see the spread of the trials).";

  /** The 500-epoch runs with the EMA form of momentum, by hand: what they show, per digit. */
  private static String longEma(String id, int trials, String shows) {
    return "With the EMA form, which accounts for the 20-epoch figure (" + id.replace("-long", "")
        + "-ema), `repeat --config conf/experiments/" + id + ".conf --trials " + trials
        + " --set training.engine=local --set optimizer.form=ema` gives " + shows;
  }

  private static final String HIDDEN_LONG = ": the published accuracy is not that of 500 epochs "
      + "of either form of momentum. Nor is the published turn after 20-30 epochs: the EMA "
      + "form's validation loss is lowest at epoch 495 or 496 of 500 (seed 1; heavy-ball: "
      + "the turn in this experiment's section).";

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
      "hidden64-0", "Momentum off (plain SGD at lr 0.1, the EMA form's steady step) gives the "
          + "same by hand: `repeat --config conf/experiments/hidden64-0.conf --trials 3 --set "
          + "training.engine=local --set optimizer.momentum=0` 99.19% ± 0.03%, and lr 0.01 with "
          + "heavy-ball momentum 99.20% (seed 1). Unscaled pixels (`data.scale=1`) give 97.02%, "
          + "another initialisation (`model.init=uniform`) 99.66%: neither.",
      "hidden64-7", "Tried by hand without finding the rest: momentum off (98.51% ± 0.04%, the "
          + "same as the EMA form, as for hidden64-0), a tenth of that step again (lr 0.01 without "
          + "momentum: 97.96% after 20 epochs, seed 1), batches in file order (`training.shuffle="
          + "false` with the EMA form: 98.49% ± 0.05%), another initialisation with the EMA "
          + "form (`model.init=uniform`: 98.48% ± 0.04%; `he-normal`: 98.52% ± 0.03%), 500 "
          + "epochs with the EMA form (99.37%, seed 1). What remains is not explained; the "
          + "published figure is also below the published single neuron's on the same digit "
          + "(98.40%).",
      "neuron-0-long", longEma("neuron-0-long", 3, "99.21% ± 0.02% after 500 epochs (seeds "
          + "1-3), the published figure within two of its standard deviations: consistent with "
          + "500 epochs of that form too. Its mean validation loss is lowest at epoch 370, not "
          + "after 20-30."),
      "neuron-7-long", longEma("neuron-7-long", 3, "98.39% ± 0.01% after 500 epochs (seeds "
          + "1-3), the published figure within two of its standard deviations. Its mean "
          + "validation loss is lowest at epoch 116, not after 20-30."),
      "hidden64-0-long", longEma("hidden64-0-long", 1, "99.75% after 500 "
          + "epochs (seed 1)" + HIDDEN_LONG),
      "hidden64-7-long", longEma("hidden64-7-long", 1, "99.37% after 500 "
          + "epochs (seed 1)" + HIDDEN_LONG),
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
