package io.gradspark.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Rows held as compressed sparse rows (CSR): row r's nonzeros are {@code index[start[r] ..
 * start[r+1])} (0-based feature numbers, increasing) with their values in {@code value[...]}, so
 * a row costs 12 bytes a nonzero (an int and a double) instead of 8 bytes a feature. Immutable
 * once built; {@link Builder} appends rows.
 *
 * <p>When to keep rows sparse ({@link Storage}): below {@link #DENSITY_THRESHOLD} nonzeros per
 * cell. Memory alone would favour CSR up to a density of 2/3 (12 bytes against 8), but the dense
 * first layer runs as one BLAS product at several times the multiply-adds per second of the CSR
 * kernel's scattered ones, so the dense path stays faster until the data is about 10% nonzero.
 */
public final class SparseRows implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Rows are kept sparse in auto storage when fewer than this share of their cells are nonzero. */
  public static final double DENSITY_THRESHOLD = 0.1;

  /** How rows are cached: chosen by measured density (auto), or forced. */
  public enum Storage {
    AUTO, DENSE, SPARSE;

    /** Whether rows of this density (nonzeros over cells) are kept sparse. */
    public boolean sparse(double density) {
      return this == SPARSE || this == AUTO && density < DENSITY_THRESHOLD;
    }

    /** The setting's name: auto, dense, sparse. */
    public static Storage parse(String name) {
      return valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
    }
  }

  private final int rows;
  private final int cols;
  private final int[] start;
  private final int[] index;
  private final double[] value;

  private SparseRows(int rows, int cols, int[] start, int[] index, double[] value) {
    this.rows = rows;
    this.cols = cols;
    this.start = start;
    this.index = index;
    this.value = value;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  /** Nonzeros stored. */
  public int nonzeros() {
    return start[rows];
  }

  /** Row starts (rows + 1 of them). Not a copy: not to be modified. */
  public int[] start() {
    return start;
  }

  /** Feature numbers of the nonzeros. Not a copy: not to be modified. */
  public int[] index() {
    return index;
  }

  /** Values of the nonzeros. Not a copy: not to be modified. */
  public double[] value() {
    return value;
  }

  /** Feature j of row r. */
  public double feature(int r, int j) {
    int k = Arrays.binarySearch(index, start[r], start[r + 1], j);
    return k >= 0 ? value[k] : 0.0;
  }

  /** Writes row r densely into dst[off .. off+cols) (zeros included). dst: modified. */
  public void copyRow(int r, double[] dst, int off) {
    Arrays.fill(dst, off, off + cols, 0.0);
    for (int k = start[r]; k < start[r + 1]; k++) {
      dst[off + index[k]] = value[k];
    }
  }

  /** The same rows with every value multiplied by factor. */
  public SparseRows scaled(double factor) {
    double[] v = new double[nonzeros()];
    for (int k = 0; k < v.length; k++) {
      v[k] = value[k] * factor;
    }
    return new SparseRows(rows, cols, start, index, v);
  }

  /** Rows keep[0], keep[1], ... in that order. */
  public SparseRows select(int[] keep) {
    Builder b = new Builder(cols, keep.length, 0);
    for (int r : keep) {
      b.add(index, value, start[r], start[r + 1]);
    }
    return b.build();
  }

  /**
   * Rows ids[from .. from+n) (dense ids; this block's first row is firstId) as a CSR batch, in
   * the buffers of batch when they are large enough (else new ones). batch: modified; may be null.
   */
  public Batch gather(int[] ids, int from, int n, int firstId, Batch batch) {
    int nnz = 0;
    for (int r = 0; r < n; r++) {
      int local = ids[from + r] - firstId;
      nnz += start[local + 1] - start[local];
    }
    Batch out = batch != null && batch.index.length >= nnz && batch.start.length > n ? batch
        : new Batch(new int[Math.max(n + 1, batch == null ? 0 : batch.start.length)],
            new int[nnz], new double[nnz]);
    int at = 0;
    for (int r = 0; r < n; r++) {
      int local = ids[from + r] - firstId;
      out.start[r] = at;
      int len = start[local + 1] - start[local];
      System.arraycopy(index, start[local], out.index, at, len);
      System.arraycopy(value, start[local], out.value, at, len);
      at += len;
    }
    out.start[n] = at;
    return out;
  }

  /** CSR batch buffers: start (at least n + 1), index and value (at least the nonzeros). */
  public record Batch(int[] start, int[] index, double[] value) {}

  /** Appends rows; the arrays grow by doubling. */
  public static final class Builder {
    private final int cols;
    private int rows;
    private int[] start;
    private int[] index;
    private double[] value;

    /** cols: features a row; expected rows and nonzeros size the first arrays. */
    public Builder(int cols, int rows, int nonzeros) {
      this.cols = cols;
      this.start = new int[Math.max(1, rows) + 1];
      this.index = new int[Math.max(16, nonzeros)];
      this.value = new double[index.length];
    }

    /** A row of nonzeros idx[from..to) with values val[from..to). idx increasing, < cols. */
    public void add(int[] idx, double[] val, int from, int to) {
      int len = to - from;
      int at = start[rows];
      ensure(at + len);
      System.arraycopy(idx, from, index, at, len);
      System.arraycopy(val, from, value, at, len);
      endRow(at + len);
    }

    /** A dense row v[0..n): its nonzeros only. */
    public void addDense(double[] v, int n) {
      int at = start[rows];
      for (int j = 0; j < n; j++) {
        if (v[j] != 0.0) {
          ensure(at + 1);
          index[at] = j;
          value[at++] = v[j];
        }
      }
      endRow(at);
    }

    private void endRow(int end) {
      if (rows + 2 > start.length) {
        start = Arrays.copyOf(start, start.length * 2);
      }
      start[++rows] = end;
    }

    private void ensure(int size) {
      if (size > index.length) {
        int n = (int) Math.min(Integer.MAX_VALUE - 8, Math.max((long) size, 2L * index.length));
        index = Arrays.copyOf(index, n);
        value = Arrays.copyOf(value, n);
      }
    }

    /** The rows added so far (arrays trimmed to size). */
    public SparseRows build() {
      int nnz = start[rows];
      return new SparseRows(rows, cols, Arrays.copyOf(start, rows + 1),
          Arrays.copyOf(index, nnz), Arrays.copyOf(value, nnz));
    }
  }
}
