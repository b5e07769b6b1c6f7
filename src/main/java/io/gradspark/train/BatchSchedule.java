package io.gradspark.train;

import io.gradspark.GradsparkException;
import io.gradspark.Seeds;
import io.gradspark.data.Permutation;
import java.io.Serializable;

/**
 * Which training rows form batch k of epoch e, computable anywhere without coordination.
 *
 * <p>Rows have dense ids 0..N-1. Epoch e uses a keyed permutation pi_e of [0, N) (a
 * {@link Permutation} keyed by the seed and e; the identity when shuffling is off), and batch k is the
 * rows with pi_e(id) in [k B, k B + size_k). Since pi_e inverts cheaply, the ids of batch k are
 * pi_e^-1(p) for those positions p: O(B) work, no shuffle, no state, exact batch sizes, any N. A
 * Spark partition holding ids [lo, hi) computes the same list and keeps its own ids.
 *
 * <p>Within a batch, rows are listed in position order, so every engine builds its batch matrix in
 * the same order. The last batch is short when B does not divide N, unless dropLast is set. A batch
 * size over N means full-batch training (B = N).
 */
public final class BatchSchedule implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int rows;
  private final int batchSize;
  private final long seed;
  private final boolean shuffle;
  private final boolean dropLast;

  public BatchSchedule(int rows, int batchSize, long seed, boolean shuffle, boolean dropLast) {
    if (rows < 1) {
      throw new GradsparkException("The training set is empty", "check the data source and split");
    }
    if (batchSize < 1) {
      throw new GradsparkException(
          "The batch size must be >= 1 but was " + batchSize, "e.g. 128");
    }
    this.rows = rows;
    this.batchSize = Math.min(batchSize, rows);
    this.seed = seed;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
  }

  public int rows() {
    return rows;
  }

  /** The run's seed: keys the batch order and the dropout masks ({@code nn.Dropout}). */
  public long seed() {
    return seed;
  }

  /** The batch size in use (the configured one, capped at the row count). */
  public int batchSize() {
    return batchSize;
  }

  public int stepsPerEpoch() {
    return dropLast ? rows / batchSize : (rows + batchSize - 1) / batchSize;
  }

  /** Rows in batch {@code step} (0-based). */
  public int batchRows(int step) {
    return Math.min(batchSize, rows - step * batchSize);
  }

  /** pi_e(id): the position of row id in epoch e's order (the forward definition). */
  public int position(int epoch, int id) {
    return shuffle ? permutation(epoch).apply(id) : id;
  }

  /** The ids of batch {@code step} of epoch {@code epoch} (both 0-based), in position order. */
  public int[] batch(int epoch, int step) {
    int[] out = new int[batchRows(step)];
    int n = batch(epoch, step, 0, rows, out);
    assert n == out.length;
    return out;
  }

  /**
   * The ids of the batch that lie in [lo, hi), in position order, written to out (length >= batch
   * size; modified). Returns how many.
   */
  public int batch(int epoch, int step, int lo, int hi, int[] out) {
    int first = step * batchSize;
    int size = batchRows(step);
    Permutation pi = shuffle ? permutation(epoch) : null;
    int count = 0;
    for (int p = first; p < first + size; p++) {
      int id = pi == null ? p : pi.inverse(p);
      if (id >= lo && id < hi) {
        out[count++] = id;
      }
    }
    return count;
  }

  private Permutation permutation(int epoch) {
    return new Permutation(rows, Seeds.mix(seed ^ Seeds.mix(epoch + 0x5DEECE66DL)));
  }

  @Override
  public String toString() {
    return "BatchSchedule{rows=" + rows + ", batchSize=" + batchSize + ", steps="
        + stepsPerEpoch() + ", seed=" + seed + ", shuffle=" + shuffle + ", dropLast=" + dropLast
        + "}";
  }
}
