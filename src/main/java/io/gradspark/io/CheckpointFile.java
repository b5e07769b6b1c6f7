package io.gradspark.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.GradsparkException;
import io.gradspark.eval.EpochStats;
import io.gradspark.optim.Optimizer;
import io.gradspark.optim.OptimizerState;
import io.gradspark.optim.ReduceOnPlateau;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A training checkpoint as an {@code .npz}: arrays {@code params}, the optimizer's buffers (named
 * as {@link Optimizer.Method#buffers()}: {@code velocity} for sgd, {@code exp_avg} and
 * {@code exp_avg_sq} for adam and adamw, {@code square_avg} for rmsprop, {@code sum} for adagrad),
 * {@code best} (the early-stopping copy, when there is one) and {@code history} (epochs x 9: the
 * {@link EpochStats} fields in order, NaN where not measured), plus {@code checkpoint.json} with the
 * {@link TrainingState} scalars (the optimizer's method, step count and plateau record among them)
 * and a SHA-256 of the arrays. Version 1 (before the optimizer methods) held sgd's velocity only
 * and still loads, as sgd at step 0 with no plateau record. The format behind
 * {@link Trainer.Checkpoints} implementations. Written atomically (temp file and
 * rename); every entry is CRC-checked when read, and the SHA-256 catches a file that was rewritten
 * or mixed up. Anything else is refused.
 */
public final class CheckpointFile {
  private static final String JSON_ENTRY = "checkpoint.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private CheckpointFile() {}

  /** A loaded checkpoint: where training stands (with the optimizer's state) and the parameters. */
  public record Loaded(TrainingState state, double[] params) {}

  /**
   * Writes a checkpoint of the parameters params at state at (a null optimizer state is written as
   * sgd's, zeros). Arrays: not modified.
   */
  public static void save(Path file, TrainingState at, double[] params) {
    OptimizerState opt = at.optimizer() == null
        ? OptimizerState.sgd(new double[params.length]) : at.optimizer();
    TrainingState.Best best = at.best();
    List<Npz.Array> arrays = new ArrayList<>();
    arrays.add(new Npz.Array("params", new int[] {params.length}, params));
    for (String name : opt.method().buffers()) {
      double[] b = opt.buffer(name);
      arrays.add(new Npz.Array(name, new int[] {b.length}, b));
    }
    if (best.params() != null) {
      arrays.add(new Npz.Array("best", new int[] {params.length}, best.params()));
    }
    double[] h = history(at.history());
    arrays.add(new Npz.Array("history", new int[] {at.history().size(), 9}, h));
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("format", "gradspark-checkpoint");
    d.put("version", 2);
    d.put("epoch", at.epoch());
    d.put("step", at.step());
    d.put("epoch_loss_sum", at.epochLossSum());
    d.put("epoch_rows", at.epochRows());
    d.put("epoch_weight_sum", at.epochWeightSum());
    d.put("epoch_seconds", at.epochSeconds());
    d.put("train_seconds", at.trainSeconds());
    d.put("steps", at.steps());
    d.put("best_val_loss", Double.isInfinite(best.valLoss()) ? "inf" : best.valLoss());
    d.put("best_epoch", best.epoch());
    d.put("since_best", best.sinceBest());
    d.put("optimizer", opt.method().configName());
    d.put("optimizer_steps", opt.steps());
    ReduceOnPlateau.State plateau = opt.plateau();
    d.put("plateau_best", Double.isInfinite(plateau.best()) ? "inf" : plateau.best());
    d.put("plateau_bad_epochs", plateau.badEpochs());
    d.put("plateau_reductions", plateau.reductions());
    d.put("sha256", sha256(arrays));
    Npz.write(file, arrays, Map.of(JSON_ENTRY, RunFiles.toJson(d).getBytes(StandardCharsets.UTF_8)));
  }

  /** Reads a checkpoint for a network of numParams parameters; refuses a damaged or foreign one. */
  public static Loaded load(Path file, int numParams) {
    return load(file, file.toString(), numParams);
  }

  /** {@link #load(Path, int)} of a local copy, named name in messages (where it really is). */
  public static Loaded load(Path local, String name, int numParams) {
    String file = name;
    Set<String> names = new HashSet<>(Set.of("params", "best", "history"));
    for (Optimizer.Method m : Optimizer.Method.values()) {
      names.addAll(m.buffers());
    }
    Npz.Contents c = Npz.read(local, name, names, Set.of(JSON_ENTRY));
    JsonNode d;
    try {
      d = JSON.readTree(c.requireExtra(JSON_ENTRY));
    } catch (IOException e) {
      throw bad(file, "its checkpoint.json is not valid JSON");
    }
    int version = d == null ? 0 : d.path("version").asInt();
    if (d == null || !"gradspark-checkpoint".equals(d.path("format").asText())
        || version != 1 && version != 2) {
      throw bad(file, "it is not a version-1 or version-2 Gradspark checkpoint");
    }
    Npz.Array params = c.requireFinite("params", numParams);
    Optimizer.Method method;
    try {
      method = version == 1 ? Optimizer.Method.SGD
          : Optimizer.Method.parse(d.path("optimizer").asText());
    } catch (GradsparkException e) {
      throw bad(file, "its optimizer '" + d.path("optimizer").asText() + "' is unknown");
    }
    List<Npz.Array> buffers = new ArrayList<>();
    Map<String, double[]> state = new LinkedHashMap<>();
    for (String b : method.buffers()) {
      Npz.Array a = c.requireFinite(b, numParams);
      buffers.add(a);
      state.put(b, a.data());
    }
    Npz.Array best = c.arrays().containsKey("best") ? c.requireFinite("best", numParams) : null;
    Npz.Array history = c.require("history");
    if (history.shape().length != 2 || history.shape()[1] != 9) {
      throw bad(file, "its history array has shape " + Arrays.toString(history.shape())
          + " but expected (epochs, 9)");
    }
    List<Npz.Array> arrays = new ArrayList<>(List.of(params));
    arrays.addAll(buffers);
    if (best != null) {
      arrays.add(best);
    }
    arrays.add(history);
    if (!sha256(arrays).equals(d.path("sha256").asText())) {
      throw bad(file, "its arrays do not match the SHA-256 recorded in it (the file is damaged)");
    }
    String bestLoss = d.path("best_val_loss").asText();
    OptimizerState optimizer;
    try {
      String plateauBest = d.path("plateau_best").asText("inf");
      optimizer = new OptimizerState(method, d.path("optimizer_steps").asLong(0), state,
          new ReduceOnPlateau.State(
              plateauBest.equals("inf") ? Double.POSITIVE_INFINITY
                  : Double.parseDouble(plateauBest),
              d.path("plateau_bad_epochs").asInt(0), d.path("plateau_reductions").asInt(0)));
    } catch (IllegalArgumentException e) {
      throw bad(file, "its optimizer record is inconsistent: " + e.getMessage());
    }
    TrainingState at = TrainingState.builder()
        .at(d.path("epoch").asInt(), d.path("step").asInt())
        .epochSoFar(d.path("epoch_loss_sum").asDouble(), d.path("epoch_rows").asLong(),
            d.path("epoch_seconds").asDouble())
        // checkpoints from before row weights: unweighted, the weight sum is the row count
        .epochWeightSum(d.has("epoch_weight_sum") ? d.path("epoch_weight_sum").asDouble()
            : d.path("epoch_rows").asLong())
        .done(epochs(history.data()), d.path("train_seconds").asDouble(), d.path("steps").asLong())
        .optimizer(optimizer)
        .best(new TrainingState.Best(
            bestLoss.equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bestLoss),
            d.path("best_epoch").asInt(), d.path("since_best").asInt(),
            best == null ? null : best.data()))
        .build();
    if (at.epoch() < 0 || at.step() < 0 || at.history().size() != at.epoch()) {
      throw bad(file, "its position (epoch " + at.epoch() + ", step " + at.step()
          + ") does not match its " + at.history().size() + " epochs of history");
    }
    return new Loaded(at, params.data());
  }

  private static double[] history(List<EpochStats> h) {
    double[] v = new double[h.size() * 9];
    for (int i = 0; i < h.size(); i++) {
      EpochStats s = h.get(i);
      double[] row = {s.epoch(), s.steps(), s.trainLoss(), s.valLoss(), s.valAccuracy(),
          s.testLoss(), s.testAccuracy(), s.seconds(), s.samplesPerSecond()};
      System.arraycopy(row, 0, v, i * 9, 9);
    }
    return v;
  }

  private static List<EpochStats> epochs(double[] v) {
    List<EpochStats> h = new ArrayList<>();
    for (int o = 0; o < v.length; o += 9) {
      h.add(new EpochStats((int) v[o], (int) v[o + 1], v[o + 2], v[o + 3], v[o + 4], v[o + 5],
          v[o + 6], v[o + 7], v[o + 8]));
    }
    return List.copyOf(h);
  }

  private static String sha256(List<Npz.Array> arrays) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Npz.Array a : arrays) {
        md.update(a.name().getBytes(StandardCharsets.UTF_8));
        ByteBuffer b = ByteBuffer.allocate(8 * a.data().length);
        b.asDoubleBuffer().put(a.data());
        md.update(b.array());
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  private static GradsparkException bad(String file, String what) {
    return new GradsparkException("Checkpoint " + file + " cannot be used: " + what,
        "resume from an earlier checkpoint in the same directory, or start a new run");
  }
}
