package io.gradspark.cli;

import io.gradspark.GradsparkException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A run's output directory, published whole or not at all: files are written into a hidden staging
 * directory next to it, which is renamed into place at the end. A failed run leaves no half-written
 * directory under the final name.
 */
final class RunDirectory {
  private final Path target;
  private final Path staging;
  /** A signal removes the staging directory. */
  private final AutoCloseable unregister;

  private RunDirectory(Path target, Path staging) {
    this.target = target;
    this.staging = staging;
    this.unregister = Signals.onSignal(() -> {
      removeTree(staging);
      System.err.println("Interrupted (" + Signals.received() + "): nothing written to " + target);
    });
  }

  /** --out, or runs/NAME-yyyyMMdd-HHmmss. Refuses an existing non-empty directory. */
  static Path choose(Path out, String name) {
    Path dir = out != null ? out : Path.of("runs",
        name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (Files.exists(dir)) {
      boolean empty;
      try (Stream<Path> s = Files.list(dir)) {
        // a lock file alone: a run is claiming it (refused at its claim), or one was refused
        empty = s.allMatch(p -> p.getFileName().toString().equals(LOCK));
      } catch (IOException e) {
        throw new GradsparkException("Output " + dir + " exists and is not a readable directory",
            "choose another --out");
      }
      if (!empty) {
        throw new GradsparkException("Output directory " + dir + " exists and is not empty",
            "choose another --out, or remove that directory");
      }
    }
    return dir.toAbsolutePath().normalize();
  }

  /** The lock file by which a train run owns its directory (kept: its lock dies with the JVM). */
  static final String LOCK = ".lock";

  /**
   * A train run's exclusive hold on its directory (a path from {@link #choose}): target is created
   * if need be and its {@value #LOCK} file locked (an OS lock, released when the JVM ends however
   * it ends, so a killed run can be resumed). A second run on the same directory, in this JVM or
   * another, is refused; so is a fresh run (not --resume) whose directory is no longer empty.
   */
  static FileChannel claim(Path target, boolean fresh) {
    FileChannel ch = null;
    try {
      Files.createDirectories(target);
      ch = FileChannel.open(target.resolve(LOCK), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new GradsparkException("Output directory " + target
            + " is in use by another run", fresh ? "choose another --out"
            : "wait for that run to end; a run directory is trained by one run at a time");
      }
      if (fresh) {
        try (Stream<Path> s = Files.list(target)) {
          if (s.anyMatch(p -> !p.getFileName().toString().equals(LOCK))) {
            throw new GradsparkException("Output directory " + target
                + " exists and is not empty (another run has started writing there)",
                "choose another --out, or remove that directory");
          }
        }
      }
      return ch;
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // refusing anyway
        }
      }
      if (e instanceof GradsparkException g) {
        throw g;
      }
      throw new GradsparkException("Cannot create the output directory " + target + ": " + e,
          "check that its parent is writable, or choose another --out");
    }
  }

  /** Starts writing outputs for target (a path from {@link #choose}) in a staging directory. */
  static RunDirectory create(Path target) {
    try {
      Path parent = target.getParent();
      Files.createDirectories(parent);
      Path staging = Files.createTempDirectory(parent, "." + target.getFileName() + ".partial-");
      try {
        // a temporary directory is private (rwx------); a run directory is an ordinary one
        Files.setPosixFilePermissions(staging,
            java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: keep its defaults
      }
      return new RunDirectory(target, staging);
    } catch (IOException e) {
      throw new GradsparkException("Cannot create the output directory " + target + ": " + e,
          "check that its parent is writable, or choose another --out");
    }
  }

  /** Where to write a file that will be published as target/name. */
  Path file(String name) {
    return staging.resolve(name);
  }

  Path target() {
    return target;
  }

  /**
   * Moves the staged files into place as one directory. Refuses, and leaves target as it is, when
   * another run has put something there meanwhile.
   */
  void publish() {
    try {
      if (Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.delete(target); // an empty directory, checked by choose(); else refused below
      }
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
      throw new GradsparkException("Output directory " + target + " was filled by another "
          + "run while this one ran: nothing written", "choose another --out");
    } catch (IOException e) {
      throw new GradsparkException("Cannot move the outputs into " + target + ": " + e,
          "check that " + target.getParent() + " is writable, or choose another --out");
    } finally {
      closeQuietly(unregister);
    }
  }

  /** Removes the staging directory (after a failure). */
  void discard() {
    closeQuietly(unregister);
    removeTree(staging);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // unregistering cannot fail
    }
  }

  /** Removes dir and everything in it, as far as it can. */
  static void removeTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // best effort: a leftover hidden .partial directory is harmless
    }
  }
}
