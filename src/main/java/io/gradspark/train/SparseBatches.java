package io.gradspark.train;

import io.gradspark.data.RowBlock;
import io.gradspark.data.SparseRows;
import io.gradspark.eval.Evaluation;
import io.gradspark.nn.Dropout;
import io.gradspark.nn.Network;
import io.gradspark.nn.SparseInput;

/**
 * {@link Batches} for blocks of compressed sparse rows: the batch's rows are gathered as CSR (no
 * dense batch matrix of n x features, which at 100,000 features would be 800 KB a row) and the
 * network runs its sparse first layer ({@link SparseInput}). Same contracts as {@link Batches}.
 */
final class SparseBatches {
  private SparseBatches() {}

  /**
   * {@link Batches#gradient} for block.sparse() != null, with the network's dropout as the
   * dense rows have it (masks of the rows' ids in epoch {@code epoch} of a run with seed
   * {@code seed}); y and w: scratch (ws.maxRows()), modified (w unused, may be null, when the
   * block is unweighted).
   */
  static double gradient(Network net, double[] params, RowBlock block, int firstId, int[] ids,
      int count, double[] y, double[] w, double[] grad, Network.Workspace ws, long seed,
      int epoch) {
    boolean drop = net.hasDropout();
    boolean weighted = block.isWeighted();
    SparseRows rows = block.sparse();
    SparseRows.Batch batch = null;
    double loss = 0;
    for (int start = 0; start < count; start += ws.maxRows()) {
      int n = Math.min(ws.maxRows(), count - start);
      batch = rows.gather(ids, start, n, firstId, batch);
      for (int r = 0; r < n; r++) {
        int local = ids[start + r] - firstId;
        y[r] = block.label(local);
        if (weighted) {
          w[r] = block.weight(local);
        }
      }
      loss += SparseInput.lossAndGradient(net, params, batch.start(), batch.index(),
          batch.value(), y, weighted ? w : null,
          drop ? new Dropout.Keys(seed, epoch, ids, start) : null, n, grad, ws);
    }
    return loss;
  }

  /** {@link Batches#evaluate} for block.sparse() != null. */
  static void evaluate(Network net, double[] params, RowBlock block, Evaluation ev) {
    int rows = block.rows();
    int chunk = Math.min(Batches.EVAL_CHUNK, rows);
    int[] ids = new int[chunk];
    double[] y = new double[chunk];
    Network.Workspace ws = net.workspace(chunk);
    SparseRows.Batch batch = null;
    for (int start = 0; start < rows; start += chunk) {
      int n = Math.min(chunk, rows - start);
      for (int r = 0; r < n; r++) {
        ids[r] = start + r;
        y[r] = block.label(start + r);
      }
      batch = block.sparse().gather(ids, 0, n, 0, batch);
      SparseInput.evaluate(net, params, batch.start(), batch.index(), batch.value(), y, n, ev,
          ws);
    }
  }
}
