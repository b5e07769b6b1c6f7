package io.gradspark.io;

import io.gradspark.GradsparkException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Writes a file so that readers (and a rerun after a crash) see either the old file or the complete new
 * one, never a prefix: the bytes go to a temporary file in the same directory, are forced to disk, and
 * the temporary file is then renamed over the target.
 */
public final class AtomicFiles {
  private static final SecureRandom RANDOM = new SecureRandom();

  private AtomicFiles() {}

  /** Writes the bytes produced by {@code body}. */
  public interface Body {
    void write(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code file} atomically, creating missing parent directories; {@code what} names it in
   * errors. On any failure, an Error included, the temporary file is removed and the target is left
   * as it was; a full disk is reported as a GradsparkException with a hint.
   */
  public static void write(Path file, String what, Body body) {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      // Not Files.createTempFile: that makes the file private (0600), and outputs should get the umask.
      tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
        body.write(out);
        out.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        // Still a rename within one directory of a complete file, just without the atomicity guarantee.
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      if (isDiskFull(e)) {
        throw diskFull(file, what, e);
      }
      throw new GradsparkException(
          "Could not write " + what + " " + file + ": " + e,
          "check that the directory exists, is writable and has free space",
          e);
    } catch (RuntimeException | Error e) {
      // e.g. Hadoop's FSError or an UncheckedIOException from body
      if (!(e instanceof GradsparkException) && isDiskFull(e)) {
        throw diskFull(file, what, e);
      }
      throw e;
    } finally {
      // also after an Error (OutOfMemoryError, Hadoop's FSError) or a RuntimeException from body
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException | RuntimeException ignored) {
          // The write already failed; that error is the one to report.
        }
      }
    }
  }

  private static GradsparkException diskFull(Path file, String what, Throwable e) {
    return new GradsparkException("Could not write " + what + " " + file
        + ": no space left on device", "free space on that file system, or write elsewhere", e);
  }

  /** Whether e or a cause says the disk is full (ENOSPC: "No space left on device"). */
  static boolean isDiskFull(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c.getMessage() != null && c.getMessage().contains("No space left on device")) {
        return true;
      }
    }
    return false;
  }
}
