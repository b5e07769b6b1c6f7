package io.gradspark.data;

import io.gradspark.GradsparkException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The data file a command names, read by its name: IDX images when a labels file goes with it,
 * LIBSVM ({@code .libsvm}, {@code .svm}), CSV ({@code .csv}, {@code .txt}); any of them may end
 * in {@code .gz}. The one place that tells formats apart by name (evaluate --data, predict
 * --input).
 */
public final class DataFormats {
  private DataFormats() {}

  /** How a CSV file is read: the label column (or {@link CsvSource#NO_LABEL}), header, delimiter. */
  public record Csv(int labelColumn, boolean header, char delimiter) {}

  /**
   * file as a source of rows with `features` features; labels is IDX labels, or null. A name of
   * no known format is refused, or read as CSV when csvByDefault.
   */
  public static RowSource byName(Path file, Path labels, Csv csv, int features,
      boolean csvByDefault) {
    if (labels != null) {
      return new IdxSource(file, labels);
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    String plain = name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
    if (plain.endsWith(".libsvm") || plain.endsWith(".svm")) {
      return new LibsvmSource(file, features);
    }
    if (csvByDefault || plain.endsWith(".csv") || plain.endsWith(".txt")) {
      return new CsvSource(file, csv.labelColumn(), csv.header(), csv.delimiter());
    }
    throw new GradsparkException("Cannot tell the format of " + file + " from its name",
        "name CSV files *.csv and LIBSVM files *.libsvm (either may end in .gz); IDX images go "
            + "with a labels file");
  }
}
