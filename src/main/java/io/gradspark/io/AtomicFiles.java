package io.gradspark.io;

import io.gradspark.fs.HadoopFiles;
import io.gradspark.fs.HadoopPaths;
import java.nio.file.Path;

/**
 * Writes a file so that readers (and a rerun after a crash) see either the old file or the complete
 * new one, never a prefix: the bytes go to a temporary file in the same directory, are forced to disk,
 * and the temporary file is then renamed over the target. A local path is written with java.nio; a
 * path with a scheme (hdfs://, file:, any scheme whose file system is on the classpath) through
 * Hadoop: see {@link HadoopFiles#write(String, String, HadoopPaths.Body)}.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes the bytes produced by {@code body}. */
  public interface Body extends HadoopPaths.Body {}

  /**
   * Writes {@code file} atomically, creating missing parent directories; {@code what} names it in
   * errors. On any failure, an Error included, the temporary file is removed and the target is left
   * as it was; a full disk is reported as a GradsparkException with a hint.
   */
  public static void write(Path file, String what, Body body) {
    HadoopFiles.write(file, what, body);
  }

  /** {@link #write(Path, String, Body)} of a local path or a Hadoop one (a URI). */
  public static void write(String file, String what, Body body) {
    HadoopFiles.write(file, what, body);
  }
}
