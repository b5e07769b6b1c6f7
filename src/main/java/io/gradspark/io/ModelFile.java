package io.gradspark.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.GradsparkException;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A trained model as {@code model.npz}: NumPy arrays {@code W1, b1, ..., WL, bL} (W_l of shape
 * (nOut, nIn), the layout of PyTorch's Linear.weight; b_l of shape (nOut,), float64) plus
 * {@code model.json}, which describes the architecture and how inputs were prepared (the feature
 * scale and one-vs-all class, so {@code predict} prepares raw inputs the same way). No Java
 * serialization anywhere: {@code numpy.load("model.npz")} opens it.
 */
public final class ModelFile {
  public static final String DESCRIPTION = "model.json";
  private static final int MAX_LAYERS = 128;
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelFile() {}

  /**
   * What a model file holds.
   *
   * @param inputScale factor the features were multiplied by in training
   * @param oneVsAll the class relabelled as 1 for a binary model, or -1
   */
  public record Loaded(Network net, double[] params, double inputScale, int oneVsAll,
      JsonNode description) {}

  /** Writes the model atomically. params: not modified; extra: more fields for model.json. */
  public static void save(Path file, Network net, double[] params, double inputScale, int oneVsAll,
      Map<String, Object> extra) {
    save(HadoopFiles.of(file), net, params, inputScale, oneVsAll, extra);
  }

  /** {@link #save(Path, Network, double[], double, int, Map)} to a local or a Hadoop path. */
  public static void save(String file, Network net, double[] params, double inputScale,
      int oneVsAll, Map<String, Object> extra) {
    List<Npz.Array> arrays = new ArrayList<>();
    int[] sizes = net.sizes();
    for (int l = 0; l < net.layers(); l++) {
      int nIn = sizes[l];
      int nOut = sizes[l + 1];
      int w = net.weightOffset(l);
      int b = net.biasOffset(l);
      arrays.add(new Npz.Array("W" + (l + 1), new int[] {nOut, nIn},
          Arrays.copyOfRange(params, w, w + nOut * nIn)));
      arrays.add(new Npz.Array("b" + (l + 1), new int[] {nOut},
          Arrays.copyOfRange(params, b, b + nOut)));
    }
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("format", "gradspark-model");
    d.put("version", 1);
    d.put("layers", sizes);
    List<String> acts = new ArrayList<>();
    List<Double> slopes = new ArrayList<>();
    List<Double> alphas = new ArrayList<>();
    for (Activation a : net.activations()) {
      acts.add(a.kind().configName());
      slopes.add(a.slope());
      alphas.add(a.alpha());
    }
    d.put("activations", acts);
    d.put("leaky_slopes", slopes);
    d.put("elu_alphas", alphas);
    d.put("head", net.head().configName());
    // not needed to predict; it makes 'evaluate' report the loss training reported
    d.put("label_smoothing", net.labelSmoothing());
    d.put("arrays", "W1, b1, ..., WL, bL; W shape (out, in), b shape (out,), float64");
    d.put("input_scale", inputScale);
    d.put("one_vs_all", oneVsAll);
    d.putAll(extra);
    Npz.write(file, arrays, Map.of(DESCRIPTION, RunFiles.toJson(d).getBytes(StandardCharsets.UTF_8)));
  }

  /** Reads and checks a model file; refuses anything that is not exactly a Gradspark model. */
  public static Loaded load(Path file) {
    return load(file, file.toString());
  }

  /**
   * {@link #load(Path)} of a local path or a Hadoop one (a URI): a file on another file system is
   * copied to a local temporary file to be read (a zip is read from its end), and named by its
   * URI in every message.
   */
  public static Loaded load(String file) {
    if (!HadoopFiles.viaHadoop(file)) {
      return load(Path.of(file));
    }
    return HadoopCopies.read(file, "model file", local -> load(local, file));
  }

  private static Loaded load(Path file, String name) {
    Set<String> allowed = new HashSet<>();
    for (int l = 1; l <= MAX_LAYERS; l++) {
      allowed.add("W" + l);
      allowed.add("b" + l);
    }
    Npz.Contents c = Npz.read(file, name, allowed, Set.of(DESCRIPTION));
    JsonNode d;
    try {
      d = JSON.readTree(c.requireExtra(DESCRIPTION));
    } catch (IOException e) {
      throw bad(name, "its model.json is not valid JSON (" + e.getMessage() + ")");
    }
    if (d == null || !"gradspark-model".equals(d.path("format").asText())
        || d.path("version").asInt() != 1) {
      throw bad(name, "its model.json does not describe a version-1 Gradspark model");
    }
    Network net;
    try {
      int[] sizes = ints(d.path("layers"));
      List<Activation> acts = new ArrayList<>();
      JsonNode names = d.path("activations");
      JsonNode slopes = d.path("leaky_slopes");
      JsonNode alphas = d.path("elu_alphas");
      for (int i = 0; i < names.size(); i++) {
        acts.add(Activation.parse(names.get(i).asText(), slopes.path(i).asDouble(0.01),
            alphas.path(i).asDouble(1.0)));
      }
      net = new Network(sizes, acts, Head.parse(d.path("head").asText()),
          d.path("label_smoothing").asDouble(0));
    } catch (GradsparkException e) {
      throw bad(name, "its model.json describes an impossible network: " + e.getMessage());
    }
    if (c.arrays().size() != 2 * net.layers()) {
      throw bad(name, "it holds " + c.arrays().size() + " arrays but a " + net.layers()
          + "-layer network needs " + 2 * net.layers() + " (W1, b1, ..., W" + net.layers() + ", b"
          + net.layers() + ")");
    }
    double[] params = new double[net.numParams()];
    int[] sizes = net.sizes();
    for (int l = 0; l < net.layers(); l++) {
      Npz.Array w = c.requireFinite("W" + (l + 1), sizes[l + 1], sizes[l]);
      Npz.Array b = c.requireFinite("b" + (l + 1), sizes[l + 1]);
      System.arraycopy(w.data(), 0, params, net.weightOffset(l), w.data().length);
      System.arraycopy(b.data(), 0, params, net.biasOffset(l), b.data().length);
    }
    double scale = d.path("input_scale").asDouble(1.0);
    if (scale == 0 || !Double.isFinite(scale)) {
      throw bad(name, "its input scale is " + scale + " but must be finite and non-zero");
    }
    return new Loaded(net, params, scale,
        d.path("one_vs_all").asInt(-1), d);
  }

  private static int[] ints(JsonNode n) {
    int[] v = new int[n.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = n.get(i).asInt();
    }
    return v;
  }

  private static GradsparkException bad(String file, String what) {
    return new GradsparkException("Model file " + file + " cannot be used: " + what,
        "pass a model.npz written by 'gradspark train'");
  }
}
