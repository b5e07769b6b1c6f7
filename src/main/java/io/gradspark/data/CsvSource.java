package io.gradspark.data;

import java.nio.file.Path;

/**
 * Rows of a delimited text file (optionally gzipped): one row per non-blank line, every cell a finite
 * number, one cell the label and the rest the features. Cells are split at every delimiter; quoting is
 * not supported (numeric data needs none). Lines may end with \n or \r\n; blank lines are ignored.
 *
 * <p>The constructor parses the whole file once, so a bad cell or ragged line is reported before
 * training starts; {@link #load} parses only the requested rows (it still scans earlier lines to count
 * them).
 */
public final class CsvSource implements RowSource {
  private static final long serialVersionUID = 1L;
  private static final String KIND = "CSV";

  /** labelColumn value for files of features only (to predict on): every cell is a feature. */
  public static final int NO_LABEL = Integer.MIN_VALUE;

  private final String path;
  private final char delimiter;
  private final boolean header;
  private final int cells;
  private final int labelColumn;
  private final int rows;

  /**
   * labelColumn: 0-based, negative counts from the end (-1 = last), or {@link #NO_LABEL} (every
   * label is then 0). Refuses a delimiter that can occur
   * in a number or end a line, a missing or empty file (or a header only), fewer than two cells per
   * line, a label column outside the line, ragged lines and cells that are not finite numbers.
   */
  public CsvSource(Path file, int labelColumn, boolean header, char delimiter) {
    this.path = DataFiles.readable(file, KIND);
    if (Character.isLetterOrDigit(delimiter) || ".+-\r\n".indexOf(delimiter) >= 0) {
      throw new DataException(KIND + " file " + path + ": delimiter '" + delimiter
          + "' can occur inside numbers or end lines", "Use ',', ';', a tab or a space as the delimiter.");
    }
    this.delimiter = delimiter;
    this.header = header;
    this.cells = firstLineCells(labelColumn == NO_LABEL ? 1 : 2);
    int resolved = labelColumn == NO_LABEL ? -1 : labelColumn < 0 ? cells + labelColumn : labelColumn;
    if (labelColumn != NO_LABEL && (resolved < 0 || resolved >= cells)) {
      throw new DataException(KIND + " file " + path + ": label column " + labelColumn
          + " is outside the " + cells + " columns of the first line",
          "Label columns are 0-based from the start (0.." + (cells - 1)
              + ") or negative from the end (-1 = last).");
    }
    this.labelColumn = resolved;
    this.rows = DataFiles.rowCount(scan(0, 0, null, null), KIND, path,
        "The file has a header but no data lines; check the path.");
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return labelColumn < 0 ? cells : cells - 1;
  }

  /** Refuses a range outside [0, rows()]; a line damaged since construction fails naming the line. */
  @Override
  public RowBlock load(int from, int to) {
    DataFiles.checkRange(from, to, rows);
    double[] values = new double[DataFiles.cells(to - from, cols(), describe())];
    double[] labels = new double[to - from];
    long seen = scan(from, to, values, labels);
    if (seen < to) {
      throw new DataException(KIND + " file " + path + ": expected " + rows + " data rows but now found only "
          + seen, "Do not modify data files while a run is using them.");
    }
    return RowBlock.ofDoubles(values, to - from, cols(), labels);
  }

  @Override
  public String describe() {
    return KIND + " " + path + " (" + rows + " rows, " + cols() + " features, "
        + (labelColumn < 0 ? "no label" : "label column " + labelColumn) + ")";
  }

  /** The number of cells on the first non-blank line (the header, if there is one). */
  private int firstLineCells(int minimum) {
    try (LineReader in = new LineReader(path, KIND)) {
      for (String line; (line = in.next()) != null; ) {
        if (!line.isBlank()) {
          int found = count(line);
          if (found < minimum) {
            throw new DataException(
                in.where() + ": expected a label and at least one feature but found 1 cell",
                "Check the delimiter: '" + delimiter + "' does not occur on this line.");
          }
          return found;
        }
      }
    }
    throw new DataException(KIND + " file " + path + ": expected data lines but the file is empty",
        "Check the path.");
  }

  /**
   * Parses data rows [from, to) into values and labels and returns the number of data rows seen. With
   * values null it parses (validates) every row and counts them all.
   */
  private long scan(int from, int to, double[] values, double[] labels) {
    double[] scratch = new double[cols()];
    boolean skipHeader = header;
    long r = 0;
    try (LineReader in = new LineReader(path, KIND)) {
      for (String line; (values == null || r < to) && (line = in.next()) != null; ) {
        if (line.isBlank()) {
          continue;
        }
        if (skipHeader) {
          checkCells(line, in);
          skipHeader = false;
          continue;
        }
        if (values == null) {
          parse(line, in, scratch, 0);
        } else if (r >= from) {
          int i = (int) (r - from);
          labels[i] = parse(line, in, values, i * cols());
        }
        r++;
      }
      in.verifyRest();
    }
    return r;
  }

  private int count(String line) {
    int n = 1;
    for (int i = line.indexOf(delimiter); i >= 0; i = line.indexOf(delimiter, i + 1)) {
      n++;
    }
    return n;
  }

  private void checkCells(String line, LineReader in) {
    int found = count(line);
    if (found != cells) {
      throw new DataException(in.where() + ": expected " + cells + " cells (as on the first line) but found "
          + found, "Every line needs the same number of '" + delimiter
          + "'-separated cells; fix or remove this line (quoted cells are not supported).");
    }
  }

  /** Writes the line's features to dst[off..] and returns its label. */
  private double parse(String line, LineReader in, double[] dst, int off) {
    checkCells(line, in);
    double label = 0;
    int start = 0;
    int j = off;
    for (int c = 0; c < cells; c++) {
      int end = line.indexOf(delimiter, start);
      end = end < 0 ? line.length() : end;
      double v = DataFiles.finite(line.substring(start, end), in.where() + ", column " + (c + 1),
          "Every cell must be a finite number; fix or remove this line (if it is a header"
              + " line, declare that the file has a header).");
      if (c == labelColumn) {
        label = v;
      } else {
        dst[j++] = v;
      }
      start = end + 1;
    }
    return label;
  }
}
