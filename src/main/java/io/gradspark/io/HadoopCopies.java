package io.gradspark.io;

import io.gradspark.GradsparkException;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.fs.HadoopPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Reading a file of another file system (hdfs://, s3a://, file:) through a local temporary copy,
 * for the formats that need a local file: a zip (.npz) is read from its end. The copy is removed
 * when the read ends, however it ends.
 */
final class HadoopCopies {
  private HadoopCopies() {}

  /** read applied to a local copy of file; what names the file in errors ("model file"). */
  static <T> T read(String file, String what, Function<Path, T> read) {
    HadoopPaths.file(file, what); // refuses a missing file, a directory, an unknown scheme
    Path local = null;
    try {
      local = Files.createTempFile("gradspark-", "-" + HadoopFiles.name(file));
      HadoopFiles.copyToLocal(file, local);
      return read.apply(local);
    } catch (IOException e) {
      throw new GradsparkException("Cannot read " + what + " " + file + ": "
          + HadoopPaths.reason(e), "check the path and that its file system is reachable");
    } finally {
      if (local != null) {
        try {
          Files.deleteIfExists(local);
        } catch (IOException ignored) {
          // a temporary file: the system's cleaner removes it
        }
      }
    }
  }
}
