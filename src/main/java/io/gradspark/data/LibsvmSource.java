package io.gradspark.data;

import java.nio.file.Path;

/**
 * Rows of a LIBSVM (SVMlight) text file, optionally gzipped: {@code label index:value index:value ...}
 * with 1-based, strictly increasing indices, densified to a fixed number of features (absent indices are
 * 0). Text from '#' to the end of a line is a comment; blank and comment-only lines are ignored.
 *
 * <p>The constructor parses the whole file once so that bad lines are reported before training starts.
 */
public final class LibsvmSource implements RowSource {
  private static final long serialVersionUID = 1L;
  private static final String KIND = "LIBSVM";
  private static final String HINT_PAIR =
      "Each feature is written index:value, e.g. 3:0.5, separated by spaces.";

  private final String path;
  private final int features;
  private final int rows;

  /**
   * Refuses features < 1, a missing or empty file, and lines with a non-numeric label or value, a
   * malformed pair, an index outside 1..features, or indices that do not strictly increase.
   */
  public LibsvmSource(Path file, int features) {
    this.path = DataFiles.readable(file, KIND);
    if (features < 1) {
      throw new DataException(
          KIND + " file " + path + ": expected a feature count >= 1 but found " + features,
          "Declare how many features the rows have (the largest index in the file).");
    }
    this.features = features;
    this.rows = DataFiles.rowCount(scan(0, 0, null, null), KIND, path,
        "The file has no data lines; check the path.");
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return features;
  }

  /** Refuses a range outside [0, rows()]; a line damaged since construction fails naming the line. */
  @Override
  public RowBlock load(int from, int to) {
    DataFiles.checkRange(from, to, rows);
    double[] values = new double[DataFiles.cells(to - from, features, describe())];
    double[] labels = new double[to - from];
    long seen = scan(from, to, values, labels);
    if (seen < to) {
      throw new DataException(
          KIND + " file " + path + ": expected " + rows + " data lines but now found only " + seen,
          "Do not modify data files while a run is using them.");
    }
    return RowBlock.ofDoubles(values, to - from, features, labels);
  }

  @Override
  public String describe() {
    return KIND + " " + path + " (" + rows + " rows, " + features + " features)";
  }

  /**
   * Parses data rows [from, to) into values and labels and returns the number of data rows seen. With
   * values null it parses (validates) every row and counts them all.
   */
  private long scan(int from, int to, double[] values, double[] labels) {
    double[] scratch = new double[features];
    long r = 0;
    try (LineReader in = new LineReader(path, KIND)) {
      for (String line; (values == null || r < to) && (line = in.next()) != null; ) {
        int hash = line.indexOf('#');
        String content = (hash < 0 ? line : line.substring(0, hash)).strip();
        if (content.isEmpty()) {
          continue;
        }
        if (values == null) {
          parse(content, in, scratch, 0);
        } else if (r >= from) {
          int i = (int) (r - from);
          labels[i] = parse(content, in, values, i * features);
        }
        r++;
      }
      in.verifyRest();
    }
    return r;
  }

  /** Writes the line's features to dst[off..] (absent ones stay as they are) and returns its label. */
  private double parse(String content, LineReader in, double[] dst, int off) {
    String[] tokens = content.split("\\s+");
    double label =
        DataFiles.finite(tokens[0], in.where() + ", label", "The first item of a line is its label.");
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
        throw new DataException(in.where() + ": expected index:value with an integer index but found \""
            + DataFiles.abbreviate(pair) + "\"", HINT_PAIR);
      }
      if (index < 1 || index > features) {
        throw new DataException(in.where() + ": feature index " + index + " is outside 1.." + features
            + " (the declared feature count)", index < 1 ? "Indices are 1-based: add 1 to 0-based indices."
            : "If the rows really have more features, declare a feature count of at least " + index + ".");
      }
      if (index <= previous) {
        throw new DataException(in.where() + ": feature indices must strictly increase but " + index
            + " follows " + previous, "Sort each line's pairs by index and remove duplicate indices.");
      }
      dst[off + index - 1] = DataFiles.finite(pair.substring(colon + 1), in.where() + ", feature " + index,
          HINT_PAIR);
      previous = index;
    }
    return label;
  }
}
