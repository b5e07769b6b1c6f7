package io.gradspark.train;

import io.gradspark.data.RowBlock;
import io.gradspark.eval.Evaluation;
import io.gradspark.nn.Dropout;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;

/**
 * The per-block work both engines do: fill a batch matrix from compactly stored rows and run the
 * network on it. Legend: n = rows in the batch, nIn = features.
 */
public final class Batches {
  /** Rows per forward pass when evaluating a whole block. */
  public static final int EVAL_CHUNK = 512;

  /**
   * Most rows per forward/backward pass. Larger batches (a full batch of 60,000 MNIST rows) are
   * summed chunk by chunk, which bounds the batch matrix at CHUNK x features doubles; batches up to
   * this size are one pass, as before.
   */
  public static final int CHUNK = 1024;

  /** Rows the batch matrix and workspace need for batches of batchSize rows: at most CHUNK. */
  public static int matrixRows(int batchSize) {
    return Math.max(1, Math.min(batchSize, CHUNK));
  }

  private Batches() {}

  /**
   * Loss and gradient sums of rows ids[0..count) of block (whose first row has id firstId), the
   * gradient sum written over grad (its values before do not matter), in passes of at most
   * ws.maxRows() rows. x (ws.maxRows(), nIn) and y are scratch buffers,
   * modified. Returns the loss sum. Unweighted and without dropout.
   */
  public static double gradient(
      Network net, double[] params, RowBlock block, int firstId, int[] ids, int count,
      double[] x, double[] y, double[] grad, Network.Workspace ws) {
    return gradient(net, params, block, firstId, ids, count, x, y, null, grad, ws, 0, 0);
  }

  /**
   * As above for training step rows of epoch {@code epoch} of a run with seed {@code seed}: rows
   * weighted as the block's weights say (w: a scratch buffer of ws.maxRows(), modified; unused
   * when the block is unweighted, may then be null), and the network's dropout with the masks of
   * {@link Dropout} for these rows' ids. Returns sum_i w_i loss_i. A network of {@link
   * Precision#FLOAT32} computes in float32 on rows rounded to float, and grad is the float32 sum
   * of its passes: the first pass's gradient written over it, the others' added as float32
   * additions (the bits of adding them all to zeros, without a pass that zeroes grad).
   */
  public static double gradient(
      Network net, double[] params, RowBlock block, int firstId, int[] ids, int count,
      double[] x, double[] y, double[] w, double[] grad, Network.Workspace ws, long seed,
      int epoch) {
    return gradient(net, params, block, firstId, ids, count, x, y, w, grad, ws, seed, epoch,
        false);
  }

  /**
   * As above; filled: the batch is one pass ({@link #onePass}) whose rows {@link #fill} has put
   * in x (or the workspace's float rows), y and w already, for this ids[0..count).
   */
  public static double gradient(
      Network net, double[] params, RowBlock block, int firstId, int[] ids, int count,
      double[] x, double[] y, double[] w, double[] grad, Network.Workspace ws, long seed,
      int epoch, boolean filled) {
    // dense float32 rows: the first pass writes its gradient over grad; every other pass adds
    boolean float32 = block.sparse() == null && net.precision() == Precision.FLOAT32;
    if (!float32 || count == 0) {
      java.util.Arrays.fill(grad, 0.0);
    }
    if (block.sparse() != null) {
      return SparseBatches.gradient(net, params, block, firstId, ids, count, y, w, grad, ws,
          seed, epoch);
    }
    if (filled && !onePass(block, count, ws)) {
      throw new IllegalArgumentException("a batch of " + count + " rows is not one pass");
    }
    boolean weighted = block.isWeighted();
    boolean drop = net.hasDropout();
    // float32: the rows go straight into the workspace's float matrix (x is then unused)
    float[] x32 = float32 ? ws.rows32() : null;
    double loss = 0;
    for (int start = 0; start < count; start += ws.maxRows()) {
      int n = Math.min(ws.maxRows(), count - start);
      if (!filled) {
        fill(net, block, firstId, ids, start, n, x, y, w, ws);
      }
      Dropout.Keys keys = drop ? new Dropout.Keys(seed, epoch, ids, start) : null;
      if (x32 == null) {
        loss += net.lossAndGradient(params, x, y, weighted ? w : null, keys, n, grad, ws);
      } else if (start == 0) {
        loss += net.lossAndGradientOver(params, x32, y, weighted ? w : null, keys, n, grad, ws);
      } else {
        loss += net.lossAndGradient(params, x32, y, weighted ? w : null, keys, n, grad, ws);
      }
    }
    return loss;
  }

  /** Whether a batch of count rows of block is one pass of ws (dense: its rows can be filled). */
  public static boolean onePass(RowBlock block, int count, Network.Workspace ws) {
    return block.sparse() == null && count <= ws.maxRows();
  }

  /**
   * Copies rows ids[start .. start + n) of dense block (first id firstId) into a pass's batch
   * matrix: x, or the workspace's float rows for a float32 network; their labels into y and,
   * weighted, their weights into w. n: at most ws.maxRows().
   */
  public static void fill(Network net, RowBlock block, int firstId, int[] ids, int start, int n,
      double[] x, double[] y, double[] w, Network.Workspace ws) {
    fillPart(net, block, firstId, ids, start, 0, n, x, y, w, ws);
  }

  /**
   * Rows [from, to) of the pass that starts at ids[start], each into its own row of the pass's
   * batch matrix, label and weight, as {@link #fill} writes them: threads that fill disjoint
   * ranges of one pass give the matrix one thread's fill gives, once the float rows of a float32
   * workspace exist ({@link Network.Workspace#rows32} makes them on its first call).
   */
  public static void fillPart(Network net, RowBlock block, int firstId, int[] ids, int start,
      int from, int to, double[] x, double[] y, double[] w, Network.Workspace ws) {
    boolean weighted = block.isWeighted();
    int n = to - from;
    if (net.precision() == Precision.FLOAT32) {
      block.copyRows(ids, start + from, n, firstId, ws.rows32(), from);
    } else {
      block.copyRows(ids, start + from, n, firstId, x, from);
    }
    for (int r = from; r < to; r++) {
      int local = ids[start + r] - firstId;
      y[r] = block.label(local);
      if (weighted) {
        w[r] = block.weight(local);
      }
    }
  }

  /**
   * sum_i w_i over rows ids[0..count) of block (first id firstId), added in id-list order: the
   * weight sum of a batch; the row count (as a double, exact) for an unweighted block.
   */
  public static double weightSum(RowBlock block, int firstId, int[] ids, int count) {
    if (!block.isWeighted()) {
      return count;
    }
    double sum = 0;
    for (int i = 0; i < count; i++) {
      sum += block.weight(ids[i] - firstId);
    }
    return sum;
  }

  /** Adds a forward-only evaluation of every row of block to ev, EVAL_CHUNK rows at a time. */
  public static void evaluate(Network net, double[] params, RowBlock block, Evaluation ev) {
    int rows = block.rows();
    if (rows == 0) {
      return;
    }
    if (block.sparse() != null) {
      SparseBatches.evaluate(net, params, block, ev);
      return;
    }
    int chunk = Math.min(EVAL_CHUNK, rows);
    int nIn = block.cols();
    double[] x = new double[chunk * nIn];
    double[] y = new double[chunk];
    Network.Workspace ws = net.workspace(chunk);
    for (int start = 0; start < rows; start += chunk) {
      int n = Math.min(chunk, rows - start);
      for (int r = 0; r < n; r++) {
        block.copyRow(start + r, x, r * nIn);
        y[r] = block.label(start + r);
      }
      net.evaluate(params, x, y, n, ev, ws);
    }
  }
}
