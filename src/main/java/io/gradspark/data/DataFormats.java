package io.gradspark.data;

import io.gradspark.GradsparkException;
import io.gradspark.fs.HadoopPaths;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The data file a command names, read by its name: IDX images when a labels file goes with it,
 * LIBSVM ({@code .libsvm}, {@code .svm}), CSV ({@code .csv}, {@code .txt}); any of them may end
 * in {@code .gz}; Parquet ({@code .parquet}). The one place that tells formats apart (evaluate --data, predict --input), in
 * this order: the path's own name (a trailing slash ignored: "data.libsvm/"), else the name of
 * the first file of the directory or glob, else that file's first content line (a label, then
 * index:value pairs, is LIBSVM: Spark writes LIBSVM as part-00000 without an extension).
 */
public final class DataFormats {
  private DataFormats() {}

  /** How a CSV file is read: the label column (or {@link CsvSource#NO_LABEL}), header, delimiter. */
  public record Csv(int labelColumn, boolean header, char delimiter) {}

  /**
   * file (a path on any Hadoop file system: a file, or for text formats a directory of part files
   * or a glob, whose first file's name then tells the format when the path's own does not) as a
   * source of rows with `features` features; labels is the IDX labels file, or null. A name of
   * no known format is refused, or read as CSV when csvByDefault. Text data is counted by tasks.
   */
  public static RowSource byName(String file, String labels, Csv csv, int features,
      boolean csvByDefault, SplitTasks tasks) {
    return byName(file, labels, csv, Parquet.DEFAULT, features, csvByDefault, tasks);
  }

  /**
   * How a Parquet file is read: the label column's name (null: none, every label 0), and the
   * vector column, or the numeric feature columns when the list is not empty.
   */
  public record Parquet(String label, String vector, List<String> columns) {
    /** The columns Spark ML names: "label" and the vector "features". */
    public static final Parquet DEFAULT =
        new Parquet(ParquetSource.DEFAULT_LABEL, ParquetSource.DEFAULT_FEATURES, List.of());
  }

  /**
   * As above, Parquet ({@code .parquet}, as Spark names its part files) read with the columns
   * parquet names; a CSV without label ({@link CsvSource#NO_LABEL}) reads Parquet without one.
   */
  public static RowSource byName(String file, String labels, Csv csv, Parquet parquet,
      int features, boolean csvByDefault, SplitTasks tasks) {
    if (labels != null) {
      return new IdxSource(file, labels);
    }
    String plain = plainName(HadoopPaths.name(file));
    if (!known(plain)) {
      // a directory (or a file of no known name): its first file's name tells the format, so a
      // directory of *.libsvm parts is LIBSVM even where unknown names default to CSV
      List<HadoopPaths.FileEntry> files = HadoopPaths.files(file, "data");
      plain = plainName(HadoopPaths.name(files.get(0).path()));
      if (!known(plain) && looksLikeLibsvm(files.get(0).path())) {
        // Spark's part-00000 of MLUtils.saveAsLibSVMFile: no name says it, its lines do
        plain = ".libsvm";
      }
    }
    if (plain.endsWith(".parquet")) {
      String label = csv.labelColumn() == CsvSource.NO_LABEL ? null : parquet.label();
      return parquet.columns().isEmpty()
          ? ParquetSource.vector(file, label, parquet.vector(), tasks)
          : ParquetSource.columns(file, label, parquet.columns(), tasks);
    }
    if (plain.endsWith(".libsvm") || plain.endsWith(".svm")) {
      return new LibsvmSource(file, features, tasks);
    }
    if (csvByDefault || plain.endsWith(".csv") || plain.endsWith(".txt")) {
      return new CsvSource(file, csv.labelColumn(), csv.header(), csv.delimiter(), tasks);
    }
    throw new GradsparkException("Cannot tell the format of " + file + " from its name",
        "name CSV files *.csv and LIBSVM files *.libsvm (either may end in .gz); IDX images go "
            + "with a labels file");
  }

  /** As above, for a local file, counted in this JVM. */
  public static RowSource byName(Path file, Path labels, Csv csv, int features,
      boolean csvByDefault) {
    return byName(file.toAbsolutePath().normalize().toString(),
        labels == null ? null : labels.toAbsolutePath().normalize().toString(), csv, features,
        csvByDefault, SplitTasks.LOCAL);
  }

  /** index:value pairs after the first token (a LIBSVM line: "1 3:0.5 10:1"). */
  private static final java.util.regex.Pattern LIBSVM_LINE = java.util.regex.Pattern.compile(
      "\\s*\\S+(\\s+\\d+:\\S+)+\\s*(#.*)?");

  /**
   * Whether the first content line of file (within its first 64 KiB; gzip decompressed) is a
   * LIBSVM line: a label, then index:value pairs. A CSV line of numbers never has a colon.
   */
  static boolean looksLikeLibsvm(String file) {
    try (java.io.InputStream raw = new java.io.BufferedInputStream(HadoopPaths.open(file, 0))) {
      raw.mark(2);
      boolean gz = raw.read() == 0x1f && raw.read() == 0x8b;
      raw.reset();
      java.io.InputStream in = gz ? new java.util.zip.GZIPInputStream(raw) : raw;
      byte[] head = in.readNBytes(1 << 16);
      for (String line : new String(head, java.nio.charset.StandardCharsets.UTF_8)
          .split("\r?\n")) {
        String t = line.strip();
        if (!t.isEmpty() && !t.startsWith("#")) {
          return LIBSVM_LINE.matcher(t).matches();
        }
      }
      return false;
    } catch (java.io.IOException | RuntimeException e) {
      return false; // the reader of the format chosen reports what is wrong with the file
    }
  }

  private static String plainName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".gz") ? lower.substring(0, lower.length() - 3) : lower;
  }

  private static boolean known(String plain) {
    return plain.endsWith(".libsvm") || plain.endsWith(".svm") || plain.endsWith(".csv")
        || plain.endsWith(".txt") || plain.endsWith(".parquet");
  }
}
