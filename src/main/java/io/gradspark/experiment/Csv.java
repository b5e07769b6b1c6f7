package io.gradspark.experiment;

/** CSV cells for the tables repeat and sweep write (RFC 4180 quoting, read by pandas as is). */
public final class Csv {
  private Csv() {}

  /** The cell as is, or in double quotes (inner quotes doubled) when it holds , " or a newline. */
  public static String quote(String cell) {
    if (cell.indexOf(',') < 0 && cell.indexOf('"') < 0 && cell.indexOf('\n') < 0
        && cell.indexOf('\r') < 0) {
      return cell;
    }
    return '"' + cell.replace("\"", "\"\"") + '"';
  }
}
