package io.gradspark.data;

import java.nio.file.Path;

/**
 * Rows of LIBSVM (SVMlight) text, optionally gzipped: {@code label index:value index:value ...}
 * with 1-based, strictly increasing indices, densified to a fixed number of features (absent
 * indices are 0). Text from '#' to the end of a line is a comment; blank and comment-only lines are
 * ignored.
 *
 * <p>As for {@link CsvSource}, the data is a path on any Hadoop file system (a file, a directory of
 * part files or a glob); the constructor counts the splits' lines and {@link #load} reads and checks
 * only the splits that hold the requested rows.
 */
public final class LibsvmSource implements RowSource {
  private static final long serialVersionUID = 1L;
  private static final String KIND = "LIBSVM";
  private static final String HINT_PAIR =
      "Each feature is written index:value, e.g. 3:0.5, separated by spaces.";

  private final TextFiles text;
  private final int features;
  private final int rows;
  private final long nonzeros;
  private final boolean sparse;

  /** A local file, counted in this JVM. */
  public LibsvmSource(Path file, int features) {
    this(DataFiles.local(file, KIND), features, SplitTasks.LOCAL);
  }

  /** Refuses features < 1 and a missing path or one without data lines; storage auto. */
  public LibsvmSource(String path, int features, SplitTasks tasks) {
    this(path, features, tasks, SparseRows.Storage.AUTO);
  }

  /**
   * As above; storage: the rows cached dense, or sparse (CSR), or as their density (the
   * counting pass counts the nonzeros) says.
   */
  public LibsvmSource(String path, int features, SplitTasks tasks,
      SparseRows.Storage storage) {
    if (features < 1) {
      throw new DataException(
          KIND + " data " + path + ": expected a feature count >= 1 but found " + features,
          "Declare how many features the rows have (the largest index in the file).");
    }
    this.features = features;
    this.text = TextFiles.open(path, KIND, LibsvmLines.INSTANCE, false, tasks);
    this.rows = DataFiles.rowCount(text.rows(), KIND, text.describe(),
        "The data has no data lines; check the path.");
    this.nonzeros = text.weight();
    this.sparse = storage.sparse(density());
  }

  /** Nonzeros over cells (rows x features), from the counting pass. */
  public double density() {
    return (double) nonzeros / ((double) rows * features);
  }

  @Override
  public boolean sparse() {
    return sparse;
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return features;
  }

  /** Refuses a range outside [0, rows()]; a bad line fails naming its file and line. */
  @Override
  public RowBlock load(int from, int to) {
    DataFiles.checkRange(from, to, rows);
    if (sparse) {
      return loadSparse(from, to);
    }
    double[] values = new double[DataFiles.cells(to - from, features, describe())];
    double[] labels = new double[to - from];
    text.read(from, to, LibsvmLines.INSTANCE, new TextFiles.Row() {
      @Override
      public void parse(long id, String line, String where) {
        int i = (int) (id - from);
        labels[i] = LibsvmSource.this.parse(content(line), where, values, i * features);
      }

      @Override
      public void header(String line, String where) {
        // LIBSVM has no header
      }
    });
    return RowBlock.ofDoubles(values, to - from, features, labels);
  }

  private RowBlock loadSparse(int from, int to) {
    double[] labels = new double[to - from];
    long expect = nonzeros / rows * (to - from);
    SparseRows.Builder csr = new SparseRows.Builder(features, to - from,
        (int) Math.min(expect, 1 << 24));
    int[] index = new int[64];
    double[] value = new double[64];
    text.read(from, to, LibsvmLines.INSTANCE, new TextFiles.Row() {
      private int[] idx = index;
      private double[] val = value;

      @Override
      public void parse(long id, String line, String where) {
        String content = content(line);
        int pairs = countPairs(content);
        if (pairs > idx.length) {
          idx = new int[Math.max(pairs, 2 * idx.length)];
          val = new double[idx.length];
        }
        int[] n = {0};
        labels[(int) (id - from)] = LibsvmSource.this.parse(content, where, (i, v) -> {
          idx[n[0]] = i;
          val[n[0]++] = v;
        });
        csr.add(idx, val, 0, n[0]);
      }

      @Override
      public void header(String line, String where) {
        // LIBSVM has no header
      }
    });
    return RowBlock.ofSparse(csr.build(), labels);
  }

  @Override
  public String describe() {
    return KIND + " " + text.describe() + " (" + rows + " rows, " + features + " features, "
        + String.format(java.util.Locale.ROOT, "%.3g%% nonzero, cached %s)", 100 * density(),
            sparse ? "sparse" : "dense");
  }

  private static int countPairs(String content) {
    int n = 0;
    for (int i = 0; i < content.length(); i++) {
      if (content.charAt(i) == ':') {
        n++;
      }
    }
    return n;
  }

  /** The line without its comment, stripped. */
  private static String content(String line) {
    int hash = line.indexOf('#');
    return (hash < 0 ? line : line.substring(0, hash)).strip();
  }

  /** Content lines are those with something before any '#'. */
  private enum LibsvmLines implements TextFiles.Lines {
    INSTANCE;

    @Override
    public boolean isContent(String line) {
      return !content(line).isEmpty();
    }

    @Override
    public int cells(String line) {
      return -1;
    }

    @Override
    public long weight(String line) {
      return countPairs(content(line));
    }
  }

  /** A parsed feature: 0-based index and value. */
  private interface Pair {
    void accept(int index, double value);
  }

  /** Writes the line's features to dst[off..] (absent ones stay as they are) and returns its label. */
  private double parse(String content, String where, double[] dst, int off) {
    return parse(content, where, (i, v) -> dst[off + i] = v);
  }

  /** Hands the line's features (in index order, 0-based) to out and returns its label. */
  private double parse(String content, String where, Pair out) {
    String[] tokens = content.split("\\s+");
    double label =
        DataFiles.finite(tokens[0], where + ", label", "The first item of a line is its label.");
    int previous = 0;
    for (int k = 1; k < tokens.length; k++) {
      String pair = tokens[k];
      int colon = pair.indexOf(':');
      int index;
      try {
        index = colon > 0 ? Integer.parseInt(pair.substring(0, colon)) : -1;
      } catch (NumberFormatException e) {
        index = -1;
      }
      if (index < 0 || colon == pair.length() - 1) {
        throw new DataException(where + ": expected index:value with an integer index but found \""
            + DataFiles.abbreviate(pair) + "\"", HINT_PAIR);
      }
      if (index < 1 || index > features) {
        throw new DataException(where + ": feature index " + index + " is outside 1.." + features
            + " (the declared feature count)", index < 1 ? "Indices are 1-based: add 1 to 0-based indices."
            : "If the rows really have more features, declare a feature count of at least " + index + ".");
      }
      if (index <= previous) {
        throw new DataException(where + ": feature indices must strictly increase but " + index
            + " follows " + previous, "Sort each line's pairs by index and remove duplicate indices.");
      }
      out.accept(index - 1, DataFiles.finite(pair.substring(colon + 1),
          where + ", feature " + index, HINT_PAIR));
      previous = index;
    }
    return label;
  }
}
