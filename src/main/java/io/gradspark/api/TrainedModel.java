package io.gradspark.api;

import io.gradspark.data.RowBlock;
import io.gradspark.data.SparseRows;
import io.gradspark.data.RowSource;
import io.gradspark.eval.EpochStats;
import io.gradspark.eval.Evaluation;
import io.gradspark.io.ModelFile;
import io.gradspark.io.RunFiles;
import io.gradspark.nn.Network;
import io.gradspark.nn.SparseInput;
import io.gradspark.onnx.OnnxExport;
import io.gradspark.train.Batches;
import io.gradspark.train.Trainer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A trained network: its description and parameters, how it prepares inputs (feature scale,
 * one-vs-all class), the training settings model.json records, and, when it comes from a run
 * rather than a file, the run's result (history, final evaluations; null for a file) and summary
 * (summary.json's content; the caller may add entries before writing it). Saves as model.npz
 * and ONNX; predicts and evaluates in this JVM (the Spark package does both on executors, for
 * RDDs).
 */
public record TrainedModel(Network network, double[] parameters, double scale, int oneVsAll,
    Map<String, Object> settings, Trainer.Result result, Map<String, Object> summary) {

  /** A model.npz, as {@code train} writes it (without history). */
  public static TrainedModel load(Path modelFile) {
    return of(ModelFile.load(modelFile));
  }

  /** A model.npz on a local path or a Hadoop one (a URI: hdfs://, s3a://, file:). */
  public static TrainedModel load(String modelFile) {
    return of(ModelFile.load(modelFile));
  }

  private static TrainedModel of(ModelFile.Loaded m) {
    return new TrainedModel(m.net(), m.params(), m.inputScale(), m.oneVsAll(), Map.of(), null,
        Map.of());
  }

  /** The parameters (one flat vector, see {@link Network}); a copy. */
  @Override
  public double[] parameters() {
    return parameters.clone();
  }

  /** Per-epoch history (empty for a model loaded from a file). */
  public List<EpochStats> history() {
    return result == null ? List.of() : result.history();
  }

  /** Writes model.npz atomically: W (out, in) and b (out,) float64 per layer plus model.json. */
  public void save(Path file) {
    ModelFile.save(file, network, parameters, scale, oneVsAll, Map.of("training", settings));
  }

  /** {@link #save(Path)} to a local path or a Hadoop one (a URI). */
  public void save(String file) {
    ModelFile.save(file, network, parameters, scale, oneVsAll, Map.of("training", settings));
  }

  /**
   * Writes the model as ONNX (the whole inference path: scale, layers, activations, the head's
   * outputs), in float64 or float32, with the training settings as metadata.
   */
  public void exportOnnx(Path file, OnnxExport.DType dtype) {
    Map<String, String> metadata = new java.util.LinkedHashMap<>();
    metadata.put("one_vs_all", Integer.toString(oneVsAll));
    if (!settings.isEmpty()) {
      metadata.put("training", RunFiles.toJson(settings));
    }
    OnnxExport.write(network, parameters, scale, metadata, dtype, file);
  }

  /** The source prepared for this model as in training (features checked, scale, labels checked). */
  public RowSource prepare(RowSource raw, String what) {
    return Datasets.input(raw, network, oneVsAll, scale, what);
  }

  /** Loss, accuracy and confusion counts on a labelled dataset, prepared as in training. */
  public Evaluation evaluate(RowSource raw) {
    RowSource s = prepare(raw, "evaluation");
    Evaluation ev = new Evaluation(network.classes());
    Batches.evaluate(network, parameters, s.load(0, s.rows()), ev);
    return ev;
  }

  /**
   * The head's outputs (softmax probabilities, the sigmoid probability, or raw MSE outputs) for
   * each row of block, whose features are not yet scaled: rows x outputSize, row-major.
   */
  public double[] predict(RowBlock block) {
    return predict(network, parameters, scale == 1.0 ? block : block.scaled(scale));
  }

  /** Outputs for rows of an already scaled block, computed Batches.CHUNK rows at a time. */
  public static double[] predict(Network net, double[] params, RowBlock block) {
    int n = block.rows();
    int k = net.outputSize();
    double[] out = new double[n * k];
    int chunk = Math.max(1, Math.min(Batches.CHUNK, n));
    double[] part = new double[chunk * k];
    Network.Workspace ws = net.workspace(chunk);
    if (block.sparse() != null) {
      // sparse rows stay sparse: no dense chunk of rows x features
      int[] ids = new int[chunk];
      SparseRows.Batch batch = null;
      for (int start = 0; start < n; start += chunk) {
        int rows = Math.min(chunk, n - start);
        for (int r = 0; r < rows; r++) {
          ids[r] = start + r;
        }
        batch = block.sparse().gather(ids, 0, rows, 0, batch);
        SparseInput.predict(net, params, batch.start(), batch.index(), batch.value(), rows, part,
            ws);
        System.arraycopy(part, 0, out, start * k, rows * k);
      }
      return out;
    }
    double[] x = new double[chunk * net.inputSize()];
    for (int start = 0; start < n; start += chunk) {
      int rows = Math.min(chunk, n - start);
      for (int r = 0; r < rows; r++) {
        block.copyRow(start + r, x, r * net.inputSize());
      }
      net.predict(params, x, rows, part, ws);
      System.arraycopy(part, 0, out, start * k, rows * k);
    }
    return out;
  }
}
