package io.gradspark.onnx;

import com.google.protobuf.ByteString;
import io.gradspark.GradsparkException;
import io.gradspark.io.AtomicFiles;
import io.gradspark.io.ModelFile;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import io.gradspark.onnx.proto.Onnx.AttributeProto;
import io.gradspark.onnx.proto.Onnx.GraphProto;
import io.gradspark.onnx.proto.Onnx.ModelProto;
import io.gradspark.onnx.proto.Onnx.NodeProto;
import io.gradspark.onnx.proto.Onnx.OperatorSetIdProto;
import io.gradspark.onnx.proto.Onnx.StringStringEntryProto;
import io.gradspark.onnx.proto.Onnx.TensorProto;
import io.gradspark.onnx.proto.Onnx.TensorShapeProto;
import io.gradspark.onnx.proto.Onnx.TypeProto;
import io.gradspark.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a trained network as an ONNX model that computes exactly what {@code predict} computes:
 * input {@value #INPUT} (batch, nIn) of raw features, then {@code Mul} by the input scale (omitted
 * when it is 1), per dense layer a {@code Gemm} (x W^T + b, W stored as Gradspark's (nOut, nIn),
 * transB = 1), per hidden layer its activation, and the head: {@code Softmax} over the outputs
 * (output {@code probabilities}), {@code Sigmoid} of the single logit (output {@code probability},
 * the positive class), or the raw outputs for MSE (output {@code outputs}). The batch dimension is
 * the symbolic {@code batch}. Opset {@value #OPSET}, IR version {@value #IR_VERSION}.
 *
 * <p>Leaky ReLU becomes {@code LeakyRelu}, whose slope attribute is a float32; a float64 model whose
 * slope a float32 cannot hold exactly (0.01) gets {@code Max(z, slope * z)} instead, the same
 * function with the slope as a float64 constant (for slope in [0, 1) the larger of z and slope * z
 * is z when z > 0 and slope * z otherwise), so nothing is rounded that training did not round.
 *
 * <p>gelu, elu, selu, softplus and silu are composed of elementary operators ({@link
 * OnnxActivations}): ONNX Runtime's Erf, Elu, Selu and Softplus kernels take float32 only, Selu's
 * constants are float32 attributes, and Softplus has no threshold.
 */
public final class OnnxExport {
  public static final String INPUT = "features";
  public static final int OPSET = 17;
  public static final int IR_VERSION = 8;
  /** One protobuf message holds at most 2 GiB; leave room for everything but the parameters. */
  static final long MAX_PARAMETER_BYTES = (1L << 31) - (16L << 20);

  private OnnxExport() {}

  /** The element type of the exported model's inputs, parameters and outputs. */
  public enum DType {
    FLOAT64("float64", TensorProto.DataType.DOUBLE, 8),
    FLOAT32("float32", TensorProto.DataType.FLOAT, 4);

    private final String configName;
    private final TensorProto.DataType onnxType;
    private final int bytes;

    DType(String configName, TensorProto.DataType onnxType, int bytes) {
      this.configName = configName;
      this.onnxType = onnxType;
      this.bytes = bytes;
    }

    public String configName() {
      return configName;
    }

    /** float64 or float32 (also double, float). */
    public static DType parse(String name) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      return switch (n) {
        case "float64", "double" -> FLOAT64;
        case "float32", "float" -> FLOAT32;
        default -> throw new GradsparkException("Unknown --dtype '" + name + "'",
            "use float64 (what training computed; the default) or float32");
      };
    }

    @Override
    public String toString() {
      return configName;
    }
  }

  /** The name of the model's output for a network with this head. */
  public static String outputName(Head head) {
    return switch (head) {
      case SOFTMAX_CROSS_ENTROPY -> "probabilities";
      case SIGMOID_BINARY_CROSS_ENTROPY -> "probability";
      case IDENTITY_MSE -> "outputs";
    };
  }

  /** Writes a model file's network as ONNX to out (atomically), with its description as metadata. */
  public static void write(ModelFile.Loaded m, DType dtype, Path out) {
    write(m, dtype, out.toString());
  }

  /**
   * Writes the network with these parameters as ONNX to out (atomically: the whole file or
   * nothing). params: not modified; metadata: more metadata properties (key, value).
   */
  public static void write(Network net, double[] params, double inputScale,
      Map<String, String> metadata, DType dtype, Path out) {
    write(net, params, inputScale, metadata, dtype, out.toString());
  }

  /** {@link #write(ModelFile.Loaded, DType, Path)} to a local path or a Hadoop one (a URI). */
  public static void write(ModelFile.Loaded m, DType dtype, String out) {
    write(m.net(), m.params(), m.inputScale(), metadata(m), dtype, out);
  }

  /** {@link #write(Network, double[], double, Map, DType, Path)} to a local or a Hadoop path. */
  public static void write(Network net, double[] params, double inputScale,
      Map<String, String> metadata, DType dtype, String out) {
    ModelProto model = model(net, params, inputScale, metadata, dtype);
    AtomicFiles.write(out, "ONNX model", model::writeTo);
  }

  /**
   * The metadata properties of a model file: network, scale, one-vs-all, training settings, and
   * trained_precision, the arithmetic that trained the parameters (training.precision: float64
   * or float32; float64 for a model file from before the setting, all trained in float64). The
   * exported tensors are in the export's own dtype whatever trained them.
   */
  public static Map<String, String> metadata(ModelFile.Loaded m) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("one_vs_all", Integer.toString(m.oneVsAll()));
    com.fasterxml.jackson.databind.JsonNode training = m.description().get("training");
    p.put("trained_precision", training != null && training.has("precision")
        ? training.get("precision").asText() : "float64");
    if (training != null) {
      p.put("training", training.toString());
    }
    p.put("model.json", m.description().toString());
    return p;
  }

  /** Refuses a network that no single ONNX file can hold in this dtype, saying why. */
  public static void checkExportable(Network net, DType dtype) {
    long bytes = (long) net.numParams() * dtype.bytes;
    if (bytes > MAX_PARAMETER_BYTES) {
      throw new GradsparkException(String.format(Locale.ROOT,
          "The network %s cannot be exported to ONNX as %s: its %,d parameters take %,d bytes, "
              + "and an ONNX file is one protobuf message of at most 2 GiB",
          net.describe(), dtype, net.numParams(), bytes),
          dtype == DType.FLOAT64 && bytes / 2 <= MAX_PARAMETER_BYTES
              ? "export it with --dtype float32 (half the size)"
              : "ONNX's external-data layout for larger models is not supported by this exporter");
    }
  }

  /** The ONNX model of the network's inference path. params: not modified. */
  public static ModelProto model(Network net, double[] params, double inputScale,
      Map<String, String> metadata, DType dtype) {
    checkExportable(net, dtype);
    if (params.length != net.numParams()) {
      throw new IllegalArgumentException("Expected " + net.numParams() + " parameters but found "
          + params.length);
    }
    Graph g = new Graph(dtype);
    String x = INPUT;
    if (inputScale != 1.0) {
      x = g.node("Mul", "scale_input", List.of(x, g.scalar("input_scale", inputScale)), "scaled");
    }
    int[] sizes = net.sizes();
    Head head = net.head();
    for (int l = 0; l < net.layers(); l++) {
      int nIn = sizes[l];
      int nOut = sizes[l + 1];
      boolean last = l == net.layers() - 1;
      String w = g.tensor("W" + (l + 1), params, net.weightOffset(l), nOut, nIn);
      String b = g.tensor("b" + (l + 1), params, net.biasOffset(l), nOut);
      String z = last && head == Head.IDENTITY_MSE ? outputName(head) : "z" + (l + 1);
      x = g.node("Gemm", "dense" + (l + 1), List.of(x, w, b), z, g.intAttribute("transB", 1));
      if (!last) {
        x = activation(g, net.activation(l), x, "a" + (l + 1));
      }
    }
    switch (head) {
      case SOFTMAX_CROSS_ENTROPY ->
          g.node("Softmax", "softmax", List.of(x), outputName(head), g.intAttribute("axis", 1));
      case SIGMOID_BINARY_CROSS_ENTROPY ->
          g.node("Sigmoid", "sigmoid", List.of(x), outputName(head));
      case IDENTITY_MSE -> { }
    }

    Map<String, String> props = new LinkedHashMap<>();
    props.put("network", net.describe());
    props.put("head", head.configName());
    props.put("input_scale", Double.toString(inputScale));
    props.put("dtype", dtype.configName());
    props.putAll(metadata);
    GraphProto graph = g.graph
        .setName("gradspark")
        .setDocString(doc(net, inputScale, dtype))
        .addInput(g.valueInfo(INPUT, net.inputSize(),
            "raw features, as in the files training read; the model applies the input scale"))
        .addOutput(g.valueInfo(outputName(head), net.outputSize(), outputDoc(head)))
        .build();
    ModelProto.Builder model = ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setProducerName("gradspark")
        .setProducerVersion("0.1.0")
        .setDomain("io.gradspark")
        .setModelVersion(1)
        .setDocString("Gradspark " + net.describe() + ": " + graph.getDocString())
        .setGraph(graph);
    props.forEach((k, v) ->
        model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return model.build();
  }

  private static String activation(Graph g, Activation a, String z, String out) {
    return switch (a.kind()) {
      case SIGMOID -> g.node("Sigmoid", out, List.of(z), out);
      case TANH -> g.node("Tanh", out, List.of(z), out);
      case RELU -> g.node("Relu", out, List.of(z), out);
      case LEAKY_RELU -> {
        if (g.dtype == DType.FLOAT32 || (double) (float) a.slope() == a.slope()) {
          yield g.node("LeakyRelu", out, List.of(z), out,
              g.floatAttribute("alpha", (float) a.slope()));
        }
        String slope = g.scalar(out + "_slope", a.slope());
        String scaled = g.node("Mul", out + "_negative", List.of(z, slope), out + "_negative");
        yield g.node("Max", out, List.of(z, scaled), out);
      }
      case IDENTITY -> z;
      case GELU, ELU, SELU, SOFTPLUS, SILU -> OnnxActivations.composed(g, a, z, out);
    };
  }

  private static String outputDoc(Head head) {
    return switch (head) {
      case SOFTMAX_CROSS_ENTROPY -> "class probabilities (softmax of the last layer), one column "
          + "per class; the predicted class is the column of the largest";
      case SIGMOID_BINARY_CROSS_ENTROPY -> "probability of the positive class (sigmoid of the "
          + "single logit); the predicted class is 1 when it is >= 0.5";
      case IDENTITY_MSE -> "the last layer's raw outputs (an MSE head: values, or one-hot scores "
          + "whose largest is the predicted class)";
    };
  }

  private static String doc(Network net, double inputScale, DType dtype) {
    String type = dtype == DType.FLOAT64 ? "double" : "float";
    return String.format(Locale.ROOT,
        "Input '%s': %s [batch, %d], raw features (the model multiplies them by %s). Output '%s': "
            + "%s [batch, %d], %s.",
        INPUT, type, net.inputSize(), inputScale, outputName(net.head()), type,
        net.outputSize(), outputDoc(net.head()));
  }

  /** The graph under construction: nodes and initializers of one element type. */
  static final class Graph {
    final GraphProto.Builder graph = GraphProto.newBuilder();
    final DType dtype;
    private final Map<Long, String> constants = new HashMap<>();
    private int count;

    Graph(DType dtype) {
      this.dtype = dtype;
    }

    /** Adds a node; returns its output's name. */
    String node(String op, String name, List<String> inputs, String output,
        AttributeProto... attributes) {
      graph.addNode(NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs)
          .addOutput(output).addAllAttribute(List.of(attributes)));
      return output;
    }

    /** Adds values[off ..] of the given shape as an initializer; returns its name. */
    String tensor(String name, double[] values, int off, int... dims) {
      int count = 1;
      for (int d : dims) {
        count *= d;
      }
      ByteBuffer buf = ByteBuffer.allocate(count * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < count; i++) {
        if (dtype == DType.FLOAT64) {
          buf.putDouble(values[off + i]);
        } else {
          buf.putFloat((float) values[off + i]);
        }
      }
      TensorProto.Builder t = TensorProto.newBuilder().setName(name)
          .setDataType(dtype.onnxType.getNumber()).setRawData(ByteString.copyFrom(buf.flip()));
      for (int d : dims) {
        t.addDims(d);
      }
      graph.addInitializer(t);
      return name;
    }

    /** A scalar (rank 0) constant. */
    String scalar(String name, double value) {
      return tensor(name, new double[] {value}, 0);
    }

    /** A shared scalar constant of this value (one initializer per value, named c0, c1, ...). */
    String constant(double value) {
      return constants.computeIfAbsent(Double.doubleToLongBits(value),
          bits -> scalar("c" + constants.size(), value));
    }

    /** A node whose output (and name) is prefix_N, N counting every such node of the graph. */
    String op(String prefix, String op, String... inputs) {
      String out = prefix + "_" + count++;
      return node(op, out, List.of(inputs), out);
    }

    AttributeProto intAttribute(String name, long value) {
      return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
          .setI(value).build();
    }

    AttributeProto floatAttribute(String name, float value) {
      return AttributeProto.newBuilder().setName(name)
          .setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    /** A [batch, columns] tensor of this graph's element type. */
    ValueInfoProto valueInfo(String name, int columns, String doc) {
      TensorShapeProto shape = TensorShapeProto.newBuilder()
          .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
          .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(columns))
          .build();
      return ValueInfoProto.newBuilder().setName(name).setDocString(doc)
          .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
              .setElemType(dtype.onnxType.getNumber()).setShape(shape)))
          .build();
    }
  }
}
