package io.gradspark.fs;

import java.io.IOException;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * Opens a Parquet file on any Hadoop file system with parquet-hadoop's low-level reader (footer,
 * row groups, column readers), in the Hadoop configuration {@link HadoopPaths} uses, so the data
 * package reads Parquet without seeing Hadoop's types.
 */
public final class ParquetFiles {
  private ParquetFiles() {}

  /**
   * A reader of the file (a qualified path from {@link HadoopPaths#files}); its footer is read.
   * Throws what parquet-hadoop throws for a file that is not Parquet (a RuntimeException naming
   * the magic number) and IOException for an unreadable one.
   */
  public static ParquetFileReader open(String path) throws IOException {
    HadoopPaths.fileSystem(path, "Parquet data");
    return ParquetFileReader.open(
        HadoopInputFile.fromPath(HadoopPaths.path(path), HadoopPaths.configuration()));
  }
}
