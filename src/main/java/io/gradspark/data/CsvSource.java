package io.gradspark.data;

import java.nio.file.Path;

/**
 * Rows of delimited text (optionally gzipped): one row per non-blank line, every cell a finite
 * number, one cell the label and the rest the features. Cells are split at every delimiter; quoting
 * is not supported (numeric data needs none). Lines end with \n or \r\n; blank lines are ignored.
 *
 * <p>The data is a path on any Hadoop file system: one file, a directory of part files, or a
 * glob, read in name order (with a header, every file starts with one, as Spark writes them). The
 * constructor runs the counting pass over the files' splits (through {@link SplitTasks}: on the
 * executors on Spark) and reads no row itself; {@link #load} reads and checks only the splits that
 * hold the requested rows, so a bad cell or ragged line is reported, with its file and line, when
 * the engine loads the data, before training starts.
 *
 * <p>A line may carry a row weight in a column of its own ({@link #NO_WEIGHT} for none): its
 * index counts the cells of the whole line, as the label column's does (before the label is
 * taken out), and it is neither label nor feature. Weights must be finite and >= 0.
 */
public final class CsvSource implements RowSource {
  private static final long serialVersionUID = 1L;
  private static final String KIND = "CSV";

  /** labelColumn value for files of features only (to predict on): every cell is a feature. */
  public static final int NO_LABEL = Integer.MIN_VALUE;

  /** weightColumn value for rows without weights. */
  public static final int NO_WEIGHT = Integer.MIN_VALUE;

  private final TextFiles text;
  private final CsvLines lines;
  private final int cells;
  private final int labelColumn;
  private final int weightColumn; // resolved, or -1 for none
  private final int rows;

  /** A local file, counted in this JVM (see the main constructor). */
  public CsvSource(Path file, int labelColumn, boolean header, char delimiter) {
    this(DataFiles.local(file, KIND), labelColumn, header, delimiter, SplitTasks.LOCAL);
  }

  /**
   * labelColumn: 0-based, negative counts from the end (-1 = last), or {@link #NO_LABEL} (every
   * label is then 0). Refuses a delimiter that can occur in a number or end a line, a missing path
   * or one without data lines (or headers only), fewer than two cells on the first line, and a
   * label column outside it.
   */
  public CsvSource(String path, int labelColumn, boolean header, char delimiter,
      SplitTasks tasks) {
    this(path, labelColumn, NO_WEIGHT, header, delimiter, tasks, Long.MAX_VALUE);
  }

  /**
   * As above, with row weights in column weightColumn (counted over the whole line as labelColumn
   * is: 0-based, negative from the end; {@link #NO_WEIGHT} for none). Refuses a weight column
   * outside the first line or equal to the label column.
   */
  public CsvSource(String path, int labelColumn, int weightColumn, boolean header,
      char delimiter, SplitTasks tasks) {
    this(path, labelColumn, weightColumn, header, delimiter, tasks, Long.MAX_VALUE);
  }

  /** As above, with splits of at most maxSplit bytes (tests). */
  CsvSource(String path, int labelColumn, boolean header, char delimiter, SplitTasks tasks,
      long maxSplit) {
    this(path, labelColumn, NO_WEIGHT, header, delimiter, tasks, maxSplit);
  }

  private CsvSource(String path, int labelColumn, int weightColumn, boolean header,
      char delimiter, SplitTasks tasks, long maxSplit) {
    if (Character.isLetterOrDigit(delimiter) || ".+-\r\n".indexOf(delimiter) >= 0) {
      throw new DataException(KIND + " data " + path + ": delimiter '" + delimiter
          + "' can occur inside numbers or end lines", "Use ',', ';', a tab or a space as the delimiter.");
    }
    this.lines = new CsvLines(delimiter);
    this.text = TextFiles.open(path, KIND, lines, header, tasks, maxSplit);
    int minimum = labelColumn == NO_LABEL ? 1 : 2;
    this.cells = text.firstCells();
    if (cells < 0) {
      throw new DataException(KIND + " data " + text.describe()
          + ": expected data lines but the data is empty", "Check the path.");
    }
    if (cells < minimum) {
      throw new DataException(KIND + " data " + text.describe()
          + ": expected a label and at least one feature but found 1 cell on the first line",
          "Check the delimiter: '" + delimiter + "' does not occur on that line.");
    }
    int resolved = labelColumn == NO_LABEL ? -1 : labelColumn < 0 ? cells + labelColumn : labelColumn;
    if (labelColumn != NO_LABEL && (resolved < 0 || resolved >= cells)) {
      throw new DataException(KIND + " data " + text.describe() + ": label column " + labelColumn
          + " is outside the " + cells + " columns of the first line",
          "Label columns are 0-based from the start (0.." + (cells - 1)
              + ") or negative from the end (-1 = last).");
    }
    this.labelColumn = resolved;
    int weight = weightColumn == NO_WEIGHT ? -1
        : weightColumn < 0 ? cells + weightColumn : weightColumn;
    if (weightColumn != NO_WEIGHT && (weight < 0 || weight >= cells || weight == resolved
        || cells - (resolved < 0 ? 0 : 1) < 2)) {
      throw new DataException(KIND + " data " + text.describe() + ": weight column " + weightColumn
          + (weight == resolved ? " is the label column " + labelColumn
              : weight < 0 || weight >= cells ? " is outside the " + cells
                  + " columns of the first line" : " leaves no feature"),
          "Weight columns count the cells of the whole line, as label columns do: 0-based from"
              + " the start (0.." + (cells - 1) + ") or negative from the end (-1 = last).");
    }
    this.weightColumn = weight;
    this.rows = DataFiles.rowCount(text.rows(), KIND, text.describe(),
        "The data has a header but no data lines; check the path.");
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cells - (labelColumn < 0 ? 0 : 1) - (weightColumn < 0 ? 0 : 1);
  }

  /**
   * Refuses a range outside [0, rows()]; a bad line fails naming its file and line. Features that
   * are all integers in 0..255 (pixels, as in MNIST's CSV) are held as bytes, 1 byte a value
   * instead of 8, as IDX data is; the values are the same.
   */
  @Override
  public RowBlock load(int from, int to) {
    DataFiles.checkRange(from, to, rows);
    int cols = cols();
    int cells = DataFiles.cells(to - from, cols, describe());
    double[] labels = new double[to - from];
    double[] weights = weightColumn < 0 ? null : new double[to - from];
    double[] row = new double[cols];
    Compact block = new Compact(cells);
    text.read(from, to, lines, new TextFiles.Row() {
      @Override
      public void parse(long id, String line, String where) {
        int i = (int) (id - from);
        labels[i] = CsvSource.this.parse(line, where, row, 0, weights, i);
        block.put(i * cols, row);
      }

      @Override
      public void header(String line, String where) {
        checkCells(line, where);
      }
    });
    RowBlock b = block.bytes != null ? RowBlock.ofBytes(block.bytes, to - from, cols, 1.0, labels)
        : RowBlock.ofDoubles(block.doubles, to - from, cols, labels);
    return weights == null ? b : b.withWeights(weights);
  }

  /** Rows as bytes while every value is an integer in 0..255, as doubles from the first that is not. */
  private static final class Compact {
    byte[] bytes;
    double[] doubles;

    Compact(int cells) {
      bytes = new byte[cells];
    }

    void put(int off, double[] row) {
      if (bytes != null) {
        for (int j = 0; j < row.length; j++) {
          double v = row[j];
          if (v >= 0 && v <= 255 && v == (int) v && !(v == 0 && 1 / v < 0)) {
            bytes[off + j] = (byte) (int) v;
          } else {
            doubles = new double[bytes.length];
            for (int k = 0; k < off + j; k++) {
              doubles[k] = bytes[k] & 0xff;
            }
            bytes = null;
            System.arraycopy(row, j, doubles, off + j, row.length - j);
            return;
          }
        }
      } else {
        System.arraycopy(row, 0, doubles, off, row.length);
      }
    }
  }

  /** How many splits the data was cut into (tests). */
  int splits() {
    return text.splits();
  }

  @Override
  public String describe() {
    return KIND + " " + text.describe() + " (" + rows + " rows, " + cols() + " features, "
        + (labelColumn < 0 ? "no label" : "label column " + labelColumn)
        + (weightColumn < 0 ? "" : ", weight column " + weightColumn) + ")";
  }

  /** Content lines are the non-blank ones; their cells are counted at every delimiter. */
  private record CsvLines(char delimiter) implements TextFiles.Lines {
    @Override
    public boolean isContent(String line) {
      return !line.isBlank();
    }

    @Override
    public int cells(String line) {
      int n = 1;
      for (int i = line.indexOf(delimiter); i >= 0; i = line.indexOf(delimiter, i + 1)) {
        n++;
      }
      return n;
    }

    @Override
    public boolean allNumbers(String line) {
      int from = 0;
      while (true) {
        int to = line.indexOf(delimiter, from);
        String cell = (to < 0 ? line.substring(from) : line.substring(from, to)).strip();
        try {
          Double.parseDouble(cell);
        } catch (NumberFormatException e) {
          return false;
        }
        if (to < 0) {
          return true;
        }
        from = to + 1;
      }
    }
  }

  private void checkCells(String line, String where) {
    int found = lines.cells(line);
    if (found != cells) {
      throw new DataException(where + ": expected " + cells + " cells (as on the first line) but found "
          + found, "Every line needs the same number of '" + lines.delimiter()
          + "'-separated cells; fix or remove this line (quoted cells are not supported).");
    }
  }

  /**
   * The value of a cell of 1 to 9 plain digits (pixels, counts, labels: most cells of numeric
   * CSV), without making a string of it; -1 for any other cell, which Double.parseDouble reads.
   */
  private static double smallInteger(String line, int start, int end) {
    if (end - start < 1 || end - start > 9) {
      return -1;
    }
    int v = 0;
    for (int i = start; i < end; i++) {
      int d = line.charAt(i) - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      v = 10 * v + d;
    }
    return v;
  }

  /**
   * Writes the line's features to dst[off..] and its weight to weights[i] (when weighted; refused
   * unless finite and >= 0) and returns its label.
   */
  private double parse(String line, String where, double[] dst, int off, double[] weights,
      int i) {
    checkCells(line, where);
    char delimiter = lines.delimiter();
    double label = 0;
    int start = 0;
    int j = off;
    for (int c = 0; c < cells; c++) {
      int end = line.indexOf(delimiter, start);
      end = end < 0 ? line.length() : end;
      double v = smallInteger(line, start, end);
      if (v < 0) {
        v = DataFiles.finite(line.substring(start, end), where + ", column " + (c + 1),
            "Every cell must be a finite number; fix or remove this line (if it is a header"
                + " line, declare that the file has a header).");
      }
      if (c == labelColumn) {
        label = v;
      } else if (c == weightColumn) {
        if (v < 0) {
          throw new DataException(where + ", column " + (c + 1) + ": the row weight is " + v
              + " but weights must be >= 0", "Fix the weight, or remove the line.");
        }
        weights[i] = v;
      } else {
        dst[j++] = v;
      }
      start = end + 1;
    }
    return label;
  }
}
