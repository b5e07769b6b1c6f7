package io.gradspark.data;

import io.gradspark.fs.HadoopPaths;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Rows of Parquet files as Spark writes them: one file, a directory of part files (names starting
 * with {@code _} or {@code .}, such as {@code _SUCCESS}, skipped) or a glob, on any Hadoop file
 * system, in name order. The label is a numeric column named {@link #DEFAULT_LABEL} unless told;
 * the features are one Spark ML vector column (dense and sparse rows mixed, as {@code
 * VectorAssembler} writes them) or a list of numeric columns (int, long, float, double).
 *
 * <p>The row group is the split, as in Spark's Parquet reader: the constructor reads only the
 * files' footers (and, for a vector column, the first row of each file for its size), one task
 * per file through {@link SplitTasks}, so on Spark the executors do it and the driver reads no
 * data row. Dense ids follow from the row groups' row counts in the footers (files in name order,
 * row groups in file order), so they do not depend on how the file system splits the files.
 * {@link #load} reads only the row groups that hold the requested rows.
 *
 * <p>Integer feature columns whose footer statistics say 0..255 in every row group (pixels) cache
 * as bytes, as IDX does; other rows as doubles. Refusals name the file, and for a bad row its row
 * group and row: not a Parquet file, a missing column (listing the columns there are), a column
 * that is not numeric, a null, vectors of different sizes.
 */
public final class ParquetSource implements RowSource {
  private static final long serialVersionUID = 1L;
  /** The label column's name unless told otherwise. */
  public static final String DEFAULT_LABEL = "label";
  /** The vector column's name unless told otherwise. */
  public static final String DEFAULT_FEATURES = "features";

  /**
   * Test seam: data rows decoded in this JVM, by the name of the decoding thread (Spark's executor
   * threads are "Executor task launch worker ..."), so a test can show the driver decodes none.
   */
  private static final Map<String, LongAdder> ROWS_DECODED = new ConcurrentHashMap<>();

  private final String path;
  private final ParquetRowGroups.Columns columns;
  private final String[] files;
  private final int[] groupFile;
  private final int[] groupIndex;
  /** Per row group: rows before it (dataset), rows before it in its file; one more at the end. */
  private final long[] rowsBefore;
  private final long[] inFileBefore;
  private final int cols;
  private final String sizeFrom;
  private final boolean bytes;
  private final int rows;
  private final long values;
  private final boolean sparse;

  /** A vector column (features) and a label column, counted by tasks; storage auto. */
  public static ParquetSource vector(String path, String label, String features,
      SplitTasks tasks) {
    return vector(path, label, features, tasks, SparseRows.Storage.AUTO);
  }

  /**
   * As above; storage: rows cached dense, sparse (CSR), or as their density says (the values the
   * footers count over rows x size).
   */
  public static ParquetSource vector(String path, String label, String features,
      SplitTasks tasks, SparseRows.Storage storage) {
    return new ParquetSource(path, new ParquetRowGroups.Columns(label, features, null), tasks,
        storage);
  }

  /** Numeric feature columns (at least one) and a label column, counted by tasks. */
  public static ParquetSource columns(String path, String label, List<String> features,
      SplitTasks tasks) {
    return columns(path, label, features, tasks, SparseRows.Storage.AUTO);
  }

  /** As above; storage: dense, sparse, or auto (numeric columns are dense then). */
  public static ParquetSource columns(String path, String label, List<String> features,
      SplitTasks tasks, SparseRows.Storage storage) {
    if (features.isEmpty()) {
      throw new DataException(ParquetRowGroups.KIND + " data " + path
          + ": expected at least one feature column but the list is empty",
          "List the feature columns, or name a vector column instead.");
    }
    return new ParquetSource(path, new ParquetRowGroups.Columns(label, null,
        List.copyOf(features)), tasks, storage);
  }

  /** A vector column "features" and a label column "label", counted in this JVM. */
  public ParquetSource(String path) {
    this(path, new ParquetRowGroups.Columns(DEFAULT_LABEL, DEFAULT_FEATURES, null),
        SplitTasks.LOCAL, SparseRows.Storage.AUTO);
  }

  /** What the footer task found in one file. */
  private record Footer(long[] groupRows, int cols, int sizeGroup, boolean bytes, long values)
      implements Serializable {}

  private ParquetSource(String path, ParquetRowGroups.Columns columns, SplitTasks tasks,
      SparseRows.Storage storage) {
    this.path = path;
    this.columns = columns;
    List<HadoopPaths.FileEntry> entries =
        HadoopPaths.files(path, ParquetRowGroups.KIND + " data");
    String[] names = new String[entries.size()];
    for (int f = 0; f < names.length; f++) {
      names[f] = entries.get(f).path();
    }
    this.files = names;
    List<Footer> footers = tasks.run("Gradspark: read the footers of " + names.length
        + " Parquet files of " + path, names.length, f -> footer(names[f], columns));
    int groups = 0;
    for (Footer ft : footers) {
      groups += ft.groupRows().length;
    }
    groupFile = new int[groups];
    groupIndex = new int[groups];
    rowsBefore = new long[groups + 1];
    inFileBefore = new long[groups + 1];
    int g = 0;
    int size = -1;
    String from = null;
    boolean allBytes = true;
    long stored = 0;
    for (int f = 0; f < footers.size(); f++) {
      Footer ft = footers.get(f);
      stored += ft.values();
      long inFile = 0;
      for (int k = 0; k < ft.groupRows().length; k++) {
        groupFile[g] = f;
        groupIndex[g] = k;
        inFileBefore[g] = inFile;
        rowsBefore[g + 1] = rowsBefore[g] + ft.groupRows()[k];
        inFile += ft.groupRows()[k];
        g++;
      }
      if (ft.cols() < 0) {
        continue; // a file without rows
      }
      allBytes &= ft.bytes();
      String here = "file " + DataFiles.display(names[f]) + ", row group " + ft.sizeGroup()
          + ", row 0";
      if (size < 0) {
        size = ft.cols();
        from = here;
      } else if (size != ft.cols()) {
        throw new DataException(ParquetRowGroups.KIND + " " + here + ": the vectors have size "
            + ft.cols() + " but those of " + from + " have size " + size,
            "Write vectors of one size (one VectorAssembler over the same columns).");
      }
    }
    long total = rowsBefore[groups];
    this.rows = DataFiles.rowCount(total, ParquetRowGroups.KIND, path,
        "The files have no rows; check the path.");
    this.cols = size;
    this.sizeFrom = from;
    this.values = columns.vector() != null ? stored : (long) rows * cols;
    this.sparse = storage.sparse(density());
    this.bytes = allBytes && !sparse;
  }

  /**
   * Stored values over cells (rows x features): for a vector column what the footers count
   * (a dense row stores every feature, a sparse one its nonzeros); 1 for numeric columns.
   */
  public double density() {
    return (double) values / ((double) rows * cols);
  }

  @Override
  public boolean sparse() {
    return sparse;
  }

  private static Footer footer(String file, ParquetRowGroups.Columns columns) {
    try (ParquetRowGroups r = new ParquetRowGroups(file, columns)) {
      long[] groupRows = r.groupRows();
      if (columns.vector() == null) {
        return new Footer(groupRows, columns.features().size(), 0, r.byteRange(), 0);
      }
      long before = 0;
      for (int g = 0; g < groupRows.length; g++) {
        if (groupRows[g] > 0) {
          int size = r.firstSize(g, before);
          decoded(1);
          return new Footer(groupRows, size, g, false, r.vectorValues());
        }
        before += groupRows[g];
      }
      return new Footer(groupRows, -1, 0, false, 0);
    }
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }

  /** Whether rows cache as bytes (integer feature columns within 0..255). */
  public boolean isBytes() {
    return bytes;
  }

  /** Refuses a range outside [0, rows()]; a bad row fails naming its file, row group and row. */
  @Override
  public RowBlock load(int from, int to) {
    DataFiles.checkRange(from, to, rows);
    if (sparse) {
      return loadSparse(from, to);
    }
    int n = to - from;
    int cells = DataFiles.cells(n, cols, describe());
    double[] labels = new double[n];
    byte[] b = bytes ? new byte[cells] : null;
    double[] v = bytes ? null : new double[cells];
    read(from, to, new LabelsInto(labels) {
      @Override
      public void dense(int r, double[] x, int count) {
        int off = r * cols;
        if (b != null) {
          for (int j = 0; j < count; j++) {
            b[off + j] = (byte) x[j]; // 0..255 by the footer statistics
          }
        } else {
          System.arraycopy(x, 0, v, off, count);
        }
      }

      @Override
      public void sparse(int r, int size, int[] index, double[] x, int nnz) {
        int off = r * cols;
        for (int k = 0; k < nnz; k++) {
          v[off + index[k]] = x[k];
        }
      }
    });
    return b != null ? RowBlock.ofBytes(b, n, cols, 1.0, labels)
        : RowBlock.ofDoubles(v, n, cols, labels);
  }

  private RowBlock loadSparse(int from, int to) {
    int n = to - from;
    double[] labels = new double[n];
    SparseRows.Builder csr = new SparseRows.Builder(cols, n,
        (int) Math.min((long) (density() * cols * n), 1 << 24));
    read(from, to, new LabelsInto(labels) {
      @Override
      public void dense(int r, double[] x, int count) {
        csr.addDense(x, count);
      }

      @Override
      public void sparse(int r, int size, int[] index, double[] x, int nnz) {
        csr.add(index, x, 0, nnz);
      }
    });
    return RowBlock.ofSparse(csr.build(), labels);
  }

  /**
   * Decodes rows [from, to) into sink as rows 0..to-from-1, reading only the row groups that
   * hold them, a file opened once for its consecutive row groups.
   */
  void read(int from, int to, ParquetRowGroups.Sink sink) {
    int g = group(from);
    ParquetRowGroups open = null;
    int openFile = -1;
    try {
      for (long at = from; at < to; g++) {
        long start = rowsBefore[g];
        long end = rowsBefore[g + 1];
        if (end <= at) {
          continue;
        }
        if (groupFile[g] != openFile) {
          if (open != null) {
            open.close();
          }
          openFile = groupFile[g];
          open = new ParquetRowGroups(files[openFile], columns);
        }
        int skip = (int) (at - start);
        int count = (int) (Math.min(end, to) - at);
        int base = (int) (at - from);
        open.read(groupIndex[g], inFileBefore[g], skip, count, cols, shifted(sink, base));
        decoded(skip + count);
        at += count;
      }
    } finally {
      if (open != null) {
        open.close();
      }
    }
  }

  /** A sink that keeps row r's label in labels[r]; the features are the subclass's. */
  private abstract static class LabelsInto implements ParquetRowGroups.Sink {
    private final double[] labels;

    LabelsInto(double[] labels) {
      this.labels = labels;
    }

    @Override
    public final void label(int r, double y) {
      labels[r] = y;
    }
  }

  private static ParquetRowGroups.Sink shifted(ParquetRowGroups.Sink sink, int base) {
    return base == 0 ? sink : new ParquetRowGroups.Sink() {
      @Override
      public void label(int r, double y) {
        sink.label(base + r, y);
      }

      @Override
      public void dense(int r, double[] v, int n) {
        sink.dense(base + r, v, n);
      }

      @Override
      public void sparse(int r, int size, int[] index, double[] v, int nnz) {
        sink.sparse(base + r, size, index, v, nnz);
      }
    };
  }

  /** The row group holding row id (the last one whose first row is at or before it). */
  private int group(long id) {
    int lo = 0;
    int hi = groupFile.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (rowsBefore[mid] <= id) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  private static void decoded(long n) {
    ROWS_DECODED.computeIfAbsent(Thread.currentThread().getName(), k -> new LongAdder()).add(n);
  }

  /** Test seam: rows decoded in this JVM so far, by thread name (see {@link #ROWS_DECODED}). */
  public static Map<String, Long> rowsDecodedByThread() {
    Map<String, Long> out = new TreeMap<>();
    ROWS_DECODED.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  @Override
  public String describe() {
    String features = columns.vector() != null
        ? "vector column " + columns.vector() + " of size " + cols + " (as in " + sizeFrom + ")"
        : cols + " feature columns" + (bytes ? " (bytes)" : "");
    features += String.format(java.util.Locale.ROOT, ", %.3g%% stored, cached %s",
        100 * density(), sparse ? "sparse" : "dense");
    return ParquetRowGroups.KIND + " " + DataFiles.display(path) + " (" + rows + " rows in "
        + groupFile.length + " row groups of " + files.length + " files, " + features
        + (columns.label() == null ? "" : ", label " + columns.label()) + ")";
  }

  /** The files read, in order (qualified paths). */
  List<String> files() {
    return new ArrayList<>(List.of(files));
  }
}
