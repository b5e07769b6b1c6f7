package io.gradspark.nn;

import io.gradspark.GradsparkException;
import io.gradspark.Seeds;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A feed-forward network's architecture: layer sizes, one activation per hidden layer, and the output
 * head. It holds no parameters: those live in one flat {@code double[]} whose layout this class
 * defines, layer by layer W_l (nOut, nIn row-major) then b_l (nOut). Gradients share that layout, so
 * optimizers, broadcasts and checkpoints all deal with one array.
 *
 * <p>Legend for the kernels: n = rows in the batch, L = number of dense layers, a_0 = x,
 * z_l = a_{l-1} W_l^T + b_l, a_l = f_l(z_l) for hidden layers, and the head turns z_L into the loss.
 */
public final class Network implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int[] sizes;
  private final Activation[] hidden;
  private final Head head;
  private final double labelSmoothing;
  private final int[] weightOffset;
  private final int[] biasOffset;
  private final int numParams;
  /** Dropout rate of each hidden layer (all 0: none); applied only where keys are given. */
  private final double[] dropout;
  /** The arithmetic of {@link #lossAndGradient} (evaluation and predictions are in double). */
  private final Precision precision;

  /**
   * sizes: input, hidden..., output (at least 2 entries, all >= 1); hidden: one activation per hidden
   * layer (sizes.length - 2 of them), or a single one applied to every hidden layer. Refuses an
   * impossible description with a message saying what is wrong.
   */
  public Network(int[] sizes, List<Activation> hidden, Head head) {
    this(sizes, hidden, head, 0);
  }

  /**
   * As {@link #Network(int[], List, Head)}, with the softmax head's label smoothing eps in [0, 1)
   * (see {@link Heads}); refuses eps &gt; 0 with another head.
   */
  public Network(int[] sizes, List<Activation> hidden, Head head, double labelSmoothing) {
    if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
      throw new GradsparkException(
          "Label smoothing must be in [0, 1) but was " + labelSmoothing,
          "0 turns it off; 0.1 is the usual choice");
    }
    if (labelSmoothing > 0 && head != Head.SOFTMAX_CROSS_ENTROPY) {
      throw new GradsparkException("Label smoothing " + labelSmoothing + " needs the softmax "
          + "head, but the head is " + head.configName() + ": it smooths a one-hot target over "
          + "K classes, and " + head.configName() + " has no such target",
          "set label smoothing to 0, or use the softmax head");
    }
    if (sizes == null || sizes.length < 2) {
      throw new GradsparkException(
          "A network needs at least 2 layer sizes (input and output) but got "
              + (sizes == null ? "none" : Arrays.toString(sizes)),
          "give the input size, any hidden sizes and the output size, e.g. [784, 64, 10]");
    }
    for (int i = 0; i < sizes.length; i++) {
      if (sizes[i] < 1) {
        throw new GradsparkException(
            "Layer size " + i + " of " + Arrays.toString(sizes) + " is " + sizes[i]
                + "; every layer needs at least 1 unit");
      }
    }
    int hiddenLayers = sizes.length - 2;
    List<Activation> acts = new ArrayList<>();
    if (hidden.size() == 1 && hiddenLayers > 1) {
      for (int i = 0; i < hiddenLayers; i++) {
        acts.add(hidden.get(0));
      }
    } else if (hidden.size() == hiddenLayers || (hiddenLayers == 0 && hidden.size() <= 1)) {
      acts.addAll(hiddenLayers == 0 ? List.of() : hidden);
    } else {
      throw new GradsparkException(
          "The network " + Arrays.toString(sizes) + " has " + hiddenLayers
              + " hidden layers but " + hidden.size() + " activations were given",
          "give one activation for all hidden layers, or exactly one per hidden layer");
    }
    head.checkOutputs(sizes[sizes.length - 1]);
    this.sizes = sizes.clone();
    this.hidden = acts.toArray(new Activation[0]);
    this.head = head;
    this.labelSmoothing = labelSmoothing;
    int layers = sizes.length - 1;
    this.weightOffset = new int[layers];
    this.biasOffset = new int[layers];
    long off = 0;
    for (int l = 0; l < layers; l++) {
      weightOffset[l] = (int) off;
      off += (long) sizes[l] * sizes[l + 1];
      biasOffset[l] = (int) off;
      off += sizes[l + 1];
    }
    if (off > Integer.MAX_VALUE - 8) {
      throw new GradsparkException(
          "The network " + Arrays.toString(sizes) + " has " + off
              + " parameters; at most about 2^31 fit in one array");
    }
    this.numParams = (int) off;
    this.dropout = new double[hiddenLayers];
    this.precision = Precision.FLOAT64;
  }

  /** The same network with dropout rates ({@link Dropout#rates}) and a training precision. */
  private Network(Network net, double[] dropout, Precision precision) {
    this.sizes = net.sizes;
    this.hidden = net.hidden;
    this.head = net.head;
    this.labelSmoothing = net.labelSmoothing;
    this.weightOffset = net.weightOffset;
    this.biasOffset = net.biasOffset;
    this.numParams = net.numParams;
    this.dropout = dropout;
    this.precision = precision;
  }

  /**
   * This network with inverted dropout on its hidden activations during training (see {@link
   * Dropout}): rates, one for every hidden layer or one per hidden layer, each in [0, 1). The
   * parameters, evaluation and predictions are those of this network: dropout only changes
   * {@link #lossAndGradient} when it is given the rows' {@link Dropout.Keys}.
   */
  public Network withDropout(double... rates) {
    return new Network(this, Dropout.rates(rates, sizes.length - 2), precision);
  }

  /**
   * This network training in another precision ({@link Precision}): {@link #lossAndGradient}
   * then computes in float32 for FLOAT32. The parameters stay double, and so do evaluation and
   * predictions.
   */
  public Network withPrecision(Precision p) {
    return new Network(this, dropout, java.util.Objects.requireNonNull(p, "precision"));
  }

  /** The arithmetic of {@link #lossAndGradient}: FLOAT64 unless {@link #withPrecision}. */
  public Precision precision() {
    return precision;
  }

  /** The dropout rate of hidden layer l (0 = none). */
  public double dropout(int l) {
    return dropout[l];
  }

  /** Whether some hidden layer has dropout. */
  public boolean hasDropout() {
    for (double p : dropout) {
      if (p > 0) {
        return true;
      }
    }
    return false;
  }

  /** Number of dense layers (sizes.length - 1). */
  public int layers() {
    return sizes.length - 1;
  }

  public int[] sizes() {
    return sizes.clone();
  }

  public int inputSize() {
    return sizes[0];
  }

  public int outputSize() {
    return sizes[sizes.length - 1];
  }

  public Head head() {
    return head;
  }

  /** The softmax head's label smoothing eps (0 = off, always 0 for the other heads). */
  public double labelSmoothing() {
    return labelSmoothing;
  }

  /** Activation of hidden layer l (0-based; l < layers() - 1). */
  public Activation activation(int l) {
    return hidden[l];
  }

  public List<Activation> activations() {
    return List.of(hidden);
  }

  public int numParams() {
    return numParams;
  }

  /** Offset of layer l's W (nOut, nIn) in the flat parameter vector. */
  public int weightOffset(int l) {
    return weightOffset[l];
  }

  /** Offset of layer l's b (nOut) in the flat parameter vector. */
  public int biasOffset(int l) {
    return biasOffset[l];
  }

  /** For each parameter: true for weights, false for biases (what weight decay applies to). */
  public boolean[] weightMask() {
    boolean[] mask = new boolean[numParams];
    for (int l = 0; l < layers(); l++) {
      Arrays.fill(mask, weightOffset[l], biasOffset[l], true);
    }
    return mask;
  }

  /** Classes the labels range over (see {@link Head#classes}); 0 for regression. */
  public int classes() {
    return head.classes(outputSize());
  }

  /** Fresh parameters: each layer from its own stream derived from seed, so layers are independent. */
  public double[] initialParameters(Initializer init, long seed) {
    double[] params = new double[numParams];
    for (int l = 0; l < layers(); l++) {
      SplittableRandom rng = new SplittableRandom(Seeds.mix(seed * 31 + l));
      init.fill(params, weightOffset[l], biasOffset[l], sizes[l], sizes[l + 1], rng);
    }
    return params;
  }

  /** Scratch buffers for batches of up to maxRows rows. Not thread-safe: one per thread. */
  public Workspace workspace(int maxRows) {
    return new Workspace(this, maxRows);
  }

  /**
   * Forward and backward over a batch: returns the loss SUM over its n rows and ADDS the gradient of
   * that sum to dParams (callers zero it when they start a new sum, and divide by the row count once
   * when they read the mean). x (n, nIn) row-major and y (n labels): not modified; params: not
   * modified; dParams: modified (accumulated).
   */
  public double lossAndGradient(
      double[] params, double[] x, double[] y, int n, double[] dParams, Workspace ws) {
    return lossAndGradient(params, x, y, null, null, n, dParams, ws);
  }

  /**
   * As above, for rows with weights and dropout: returns sum_i w_i loss_i and adds the gradient
   * of that sum. w (n weights, not modified) null means every weight is 1 (and multiplies
   * nothing, so the result is bit for bit the unweighted one); keys null means no dropout, else
   * the hidden layers with a rate drop units as {@link Dropout} defines for the rows keys name.
   */
  public double lossAndGradient(double[] params, double[] x, double[] y, double[] w,
      Dropout.Keys keys, int n, double[] dParams, Workspace ws) {
    return lossAndGradient(params, dense(x), y, w, keys, n, dParams, ws);
  }

  /**
   * The rows a first layer reads: its forward product and its weight gradient are all that
   * depends on how the rows are held (dense (n, nIn) here, compressed sparse rows in {@link
   * SparseInput}); every later layer, the activations and the dropout are the same code.
   */
  interface Input {
    /** z = x W^T + b, W (nOut, nIn) at params[w], b at params[b]; z (n, nOut): overwritten. */
    void forward(double[] params, int w, int b, int n, int nIn, int nOut, double[] z);

    /** dW += dZ^T x and db += column sums of dZ, ACCUMULATED into grad; no dX. */
    void backward(double[] params, double[] dZ, int n, int nIn, int nOut, int w, int b,
        double[] grad);
  }

  /** Dense rows x (n, nIn), not modified: {@link Dense}'s BLAS products. */
  private static Input dense(double[] x) {
    return new Input() {
      @Override
      public void forward(double[] params, int w, int b, int n, int nIn, int nOut, double[] z) {
        Dense.forward(x, n, nIn, nOut, params, w, b, z);
      }

      @Override
      public void backward(double[] params, double[] dZ, int n, int nIn, int nOut, int w, int b,
          double[] grad) {
        Dense.backward(x, dZ, n, nIn, nOut, params, w, b, grad, null);
      }
    };
  }

  /**
   * {@link #lossAndGradient(double[], double[], double[], double[], Dropout.Keys, int, double[],
   * Workspace)} for the rows x reads, dense or sparse; the same passes and dropout masks.
   */
  double lossAndGradient(double[] params, Input x, double[] y, double[] w, Dropout.Keys keys,
      int n, double[] dParams, Workspace ws) {
    ws.check(n);
    boolean drop = keys != null && hasDropout();
    forward(params, x, n, ws, drop ? keys : null);
    int layers = layers();
    int nOut = outputSize();
    double lossSum = Heads.lossAndDelta(head, labelSmoothing, ws.z[layers - 1], y, w, n, nOut,
        ws.dZ[layers - 1]);
    for (int l = layers - 1; l >= 1; l--) {
      double[] in = ws.input(l, drop && dropout[l - 1] > 0);
      double[] dIn = ws.dZ[l - 1];
      Dense.backward(in, ws.dZ[l], n, sizes[l], sizes[l + 1], params, weightOffset[l],
          biasOffset[l], dParams, dIn);
      int cells = n * sizes[l];
      if (drop && dropout[l - 1] > 0) {
        // a~ = a * factor, so dL/da = dL/da~ * factor
        double[] factor = ws.factor[l - 1];
        for (int c = 0; c < cells; c++) {
          dIn[c] *= factor[c];
        }
      }
      hidden[l - 1].backward(ws.z[l - 1], ws.a[l - 1], dIn, cells);
    }
    x.backward(params, ws.dZ[0], n, sizes[0], sizes[1], weightOffset[0], biasOffset[0],
        dParams);
    return lossSum;
  }

  /**
   * {@link #lossAndGradient(double[], double[], double[], double[], Dropout.Keys, int, double[],
   * Workspace)} in float32, for a network of {@link Precision#FLOAT32}: the rows x (n, nIn) are
   * floats ({@link Workspace#rows32}), params are rounded to float, the dense layers run sgemm
   * and the head runs in double on the float logits. The batch's gradient is a float32 sum, and
   * it is added to dParams as a float32 addition ({@link Precision#add}), so dParams stays a
   * vector of floats when it starts as one (zeros). Returns the loss sum (in double).
   */
  public double lossAndGradient(double[] params, float[] x, double[] y, double[] w,
      Dropout.Keys keys, int n, double[] dParams, Workspace ws) {
    return float32Pass(params, x, null, y, w, keys, n, dParams, ws, false);
  }

  /**
   * As {@link #lossAndGradient(double[], float[], double[], double[], Dropout.Keys, int,
   * double[], Workspace)}, but the batch's gradient is WRITTEN over dParams: the bits adding it
   * to zeros would give, without zeroing dParams first or reading it (a batch's first pass).
   */
  public double lossAndGradientOver(double[] params, float[] x, double[] y, double[] w,
      Dropout.Keys keys, int n, double[] dParams, Workspace ws) {
    return float32Pass(params, x, null, y, w, keys, n, dParams, ws, true);
  }

  /**
   * The float32 pass of {@link #lossAndGradient(double[], float[], double[], double[],
   * Dropout.Keys, int, double[], Workspace)}, its first layer on the float rows x or, when csr
   * is not null, on compressed sparse rows ({@link SparseInput}, whose values are rounded to
   * float as dense rows are).
   */
  double float32Pass(double[] params, float[] x, SparseInput.Rows csr, double[] y, double[] w,
      Dropout.Keys keys, int n, double[] dParams, Workspace ws, boolean over) {
    ws.check(n);
    Workspace.Float32 f = ws.float32();
    float[] p = f.params;
    for (int i = 0; i < numParams; i++) {
      p[i] = (float) params[i];
    }
    boolean drop = keys != null && hasDropout();
    int layers = layers();
    for (int l = 0; l < layers; l++) {
      if (l == 0 && csr != null) {
        SparseInput.forward(csr, n, sizes[0], sizes[1], p, weightOffset[0], biasOffset[0],
            f.z[0]);
      } else {
        float[] in = l == 0 ? x : f.input(l, drop && dropout[l - 1] > 0);
        Dense.forward(in, n, sizes[l], sizes[l + 1], p, weightOffset[l], biasOffset[l], f.z[l]);
      }
      if (l < layers - 1) {
        int cells = n * sizes[l + 1];
        hidden[l].forward(f.z[l], f.a[l], cells);
        if (drop && dropout[l] > 0) {
          ws.dropoutBuffers(l);
          f.dropoutBuffer(l);
          Dropout.factors(keys, n, l, sizes[l + 1], dropout[l], ws.factor[l]);
          float[] a = f.a[l];
          double[] factor = ws.factor[l];
          float[] kept = f.dropped[l];
          for (int c = 0; c < cells; c++) {
            kept[c] = (float) (a[c] * factor[c]);
          }
        }
      }
    }
    // the head in double on the (n, K) logits: its loss sums and log-sum-exp stay accurate
    int nOut = outputSize();
    int outCells = n * nOut;
    double[] logits = ws.z[layers - 1];
    float[] zL = f.z[layers - 1];
    for (int c = 0; c < outCells; c++) {
      logits[c] = zL[c];
    }
    double lossSum = Heads.lossAndDelta(head, labelSmoothing, logits, y, w, n, nOut,
        ws.dZ[layers - 1]);
    double[] deltas = ws.dZ[layers - 1];
    float[] dZL = f.dZ[layers - 1];
    for (int c = 0; c < outCells; c++) {
      dZL[c] = (float) deltas[c];
    }
    float[] g = f.grad;
    java.util.Arrays.fill(g, 0f);
    for (int l = layers - 1; l >= 0; l--) {
      if (l == 0 && csr != null) {
        SparseInput.backward(csr, f.dZ[0], n, sizes[0], sizes[1], weightOffset[0],
            biasOffset[0], g);
        continue;
      }
      float[] in = l == 0 ? x : f.input(l, drop && dropout[l - 1] > 0);
      float[] dIn = l == 0 ? null : f.dZ[l - 1];
      Dense.backward(in, f.dZ[l], n, sizes[l], sizes[l + 1], p, weightOffset[l], biasOffset[l],
          g, dIn);
      if (dIn != null) {
        int cells = n * sizes[l];
        if (drop && dropout[l - 1] > 0) {
          double[] factor = ws.factor[l - 1];
          for (int c = 0; c < cells; c++) {
            dIn[c] = (float) (dIn[c] * factor[c]);
          }
        }
        hidden[l - 1].backward(f.z[l - 1], f.a[l - 1], dIn, cells);
      }
    }
    if (over) {
      // (float) (0.0 + g) is g, but for -0f, which 0.0 + g turns into +0.0 as well
      for (int i = 0; i < numParams; i++) {
        dParams[i] = g[i] + 0.0;
      }
    } else {
      for (int i = 0; i < numParams; i++) {
        dParams[i] = (float) (dParams[i] + g[i]);
      }
    }
    return lossSum;
  }

  /** Forward only: adds each row's loss, label and prediction to scores. x, y, params: not modified. */
  public void evaluate(double[] params, double[] x, double[] y, int n, RowScores scores,
      Workspace ws) {
    evaluate(params, dense(x), y, n, scores, ws);
  }

  /** {@link #evaluate(double[], double[], double[], int, RowScores, Workspace)} for x. */
  void evaluate(double[] params, Input x, double[] y, int n, RowScores scores, Workspace ws) {
    ws.check(n);
    forward(params, x, n, ws, null);
    Heads.evaluate(head, labelSmoothing, ws.z[layers() - 1], y, n, outputSize(), scores);
  }

  /** The head's outputs (n, K) into out: class probabilities, or values for MSE. out: modified. */
  public void predict(double[] params, double[] x, int n, double[] out, Workspace ws) {
    predict(params, dense(x), n, out, ws);
  }

  /** {@link #predict(double[], double[], int, double[], Workspace)} for x. */
  void predict(double[] params, Input x, int n, double[] out, Workspace ws) {
    ws.check(n);
    forward(params, x, n, ws, null);
    Heads.outputs(head, ws.z[layers() - 1], n, outputSize(), out);
  }

  /**
   * z_l and a_l of every layer; with keys, a hidden layer with a rate also gets its dropout
   * factors and a~_l = a_l * factor (the next layer's input; a_l stays for the backward pass).
   */
  private void forward(double[] params, Input x, int n, Workspace ws, Dropout.Keys keys) {
    ws.float64();
    int layers = layers();
    boolean drop = keys != null;
    for (int l = 0; l < layers; l++) {
      if (l == 0) {
        x.forward(params, weightOffset[0], biasOffset[0], n, sizes[0], sizes[1], ws.z[0]);
      } else {
        Dense.forward(ws.input(l, drop && dropout[l - 1] > 0), n, sizes[l], sizes[l + 1], params,
            weightOffset[l], biasOffset[l], ws.z[l]);
      }
      if (l < layers - 1) {
        int cells = n * sizes[l + 1];
        hidden[l].forward(ws.z[l], ws.a[l], cells);
        if (drop && dropout[l] > 0) {
          ws.dropoutBuffers(l);
          Dropout.factors(keys, n, l, sizes[l + 1], dropout[l], ws.factor[l]);
          double[] a = ws.a[l];
          double[] factor = ws.factor[l];
          double[] kept = ws.dropped[l];
          for (int c = 0; c < cells; c++) {
            kept[c] = a[c] * factor[c];
          }
        }
      }
    }
  }

  /** e.g. "784-64-10 sigmoid/softmax", or "784-64-10 gelu/softmax-ls0.1" with label smoothing. */
  public String describe() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < sizes.length; i++) {
      s.append(i == 0 ? "" : "-").append(sizes[i]);
    }
    s.append(' ');
    List<String> names = new ArrayList<>();
    for (Activation a : hidden) {
      if (!names.contains(a.toString())) {
        names.add(a.toString());
      }
    }
    s.append(String.join(",", names)).append(names.isEmpty() ? "" : "/").append(head.configName());
    if (labelSmoothing > 0) {
      s.append("-ls").append(labelSmoothing);
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return "Network{" + describe() + ", params=" + numParams
        + (hasDropout() ? ", dropout=" + Arrays.toString(dropout) : "")
        + (precision == Precision.FLOAT64 ? "" : ", " + precision.configName()) + "}";
  }

  /**
   * Per-layer scratch: z_l and a_l (n, nOut_l), and dZ_l, reused across batches; with dropout,
   * a hidden layer's factors and a~_l too (allocated on first use: no cost without dropout). A
   * float32 network's training passes use float copies of them ({@link Float32}) and of the
   * rows, parameters and gradient; the double ones are then allocated only when evaluation (in
   * double) first needs them, except the output layer's, where the head runs in double.
   */
  public static final class Workspace {
    private final int[] sizes;
    private final int maxRows;
    private final int numParams;
    final double[][] z;
    final double[][] a;
    final double[][] dZ;
    final double[][] factor;
    final double[][] dropped;
    private boolean float64;
    private Float32 float32;

    private Workspace(Network net, int maxRows) {
      this.sizes = net.sizes;
      this.maxRows = maxRows;
      this.numParams = net.numParams;
      int layers = net.layers();
      z = new double[layers][];
      a = new double[layers][];
      dZ = new double[layers][];
      factor = new double[layers][];
      dropped = new double[layers][];
      z[layers - 1] = new double[maxRows * net.outputSize()];
      dZ[layers - 1] = new double[maxRows * net.outputSize()];
      if (net.precision == Precision.FLOAT64) {
        float64();
      }
    }

    /** Allocates the double buffers (once). */
    void float64() {
      if (!float64) {
        int layers = sizes.length - 1;
        for (int l = 0; l < layers - 1; l++) {
          int cells = maxRows * sizes[l + 1];
          z[l] = new double[cells];
          a[l] = new double[cells];
          dZ[l] = new double[cells];
        }
        float64 = true;
      }
    }

    /** The float32 buffers (allocated once). */
    Float32 float32() {
      if (float32 == null) {
        float32 = new Float32(sizes, maxRows, numParams);
      }
      return float32;
    }

    /**
     * The float batch matrix (maxRows, nIn) a float32 network's {@link #lossAndGradient(double[],
     * float[], double[], double[], Dropout.Keys, int, double[], Workspace)} reads: filled by the
     * caller, reused from batch to batch.
     */
    public float[] rows32() {
      return float32().rows();
    }

    public int maxRows() {
      return maxRows;
    }

    /** Layer l's input (l >= 1): a~_{l-1} when its units were dropped, else a_{l-1}. */
    double[] input(int l, boolean dropped) {
      return dropped ? this.dropped[l - 1] : a[l - 1];
    }

    void dropoutBuffers(int l) {
      if (factor[l] == null) {
        factor[l] = new double[maxRows * sizes[l + 1]];
        dropped[l] = new double[maxRows * sizes[l + 1]];
      }
    }

    void check(int n) {
      if (n < 1 || n > maxRows) {
        throw new IllegalArgumentException("Expected 1.." + maxRows + " rows but found " + n);
      }
    }

    /**
     * A float32 pass's buffers: the rounded parameters, the batch's float32 gradient, z_l, a_l,
     * dZ_l (and a~_l with dropout) of every layer as floats, and the dense rows x (maxRows,
     * nIn), allocated when first asked for (CSR rows need none).
     */
    static final class Float32 {
      private float[] x;
      final float[] params;
      final float[] grad;
      final float[][] z;
      final float[][] a;
      final float[][] dZ;
      final float[][] dropped;
      private final int[] sizes;
      private final int maxRows;

      Float32(int[] sizes, int maxRows, int numParams) {
        this.sizes = sizes;
        this.maxRows = maxRows;
        int layers = sizes.length - 1;
        params = new float[numParams];
        grad = new float[numParams];
        z = new float[layers][];
        a = new float[layers][];
        dZ = new float[layers][];
        dropped = new float[layers][];
        for (int l = 0; l < layers; l++) {
          int cells = maxRows * sizes[l + 1];
          z[l] = new float[cells];
          a[l] = l < layers - 1 ? new float[cells] : null;
          dZ[l] = new float[cells];
        }
      }

      /** The dense rows' float matrix (maxRows, nIn). */
      float[] rows() {
        if (x == null) {
          x = new float[maxRows * sizes[0]];
        }
        return x;
      }

      /** Layer l's input (l >= 1): a~_{l-1} when its units were dropped, else a_{l-1}. */
      float[] input(int l, boolean wasDropped) {
        return wasDropped ? dropped[l - 1] : a[l - 1];
      }

      void dropoutBuffer(int l) {
        if (dropped[l] == null) {
          dropped[l] = new float[maxRows * sizes[l + 1]];
        }
      }
    }
  }
}
