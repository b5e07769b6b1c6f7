package io.gradspark.data;

import io.gradspark.GradsparkException;
import io.gradspark.fs.HadoopPaths;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The data file a command names, read by its name: IDX images when a labels file goes with it,
 * LIBSVM ({@code .libsvm}, {@code .svm}), CSV ({@code .csv}, {@code .txt}); any of them may end
 * in {@code .gz}; Parquet ({@code .parquet}). The one place that tells formats apart by name
 * (evaluate --data, predict --input).
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

  private static String plainName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".gz") ? lower.substring(0, lower.length() - 3) : lower;
  }

  private static boolean known(String plain) {
    return plain.endsWith(".libsvm") || plain.endsWith(".svm") || plain.endsWith(".csv")
        || plain.endsWith(".txt") || plain.endsWith(".parquet");
  }
}
