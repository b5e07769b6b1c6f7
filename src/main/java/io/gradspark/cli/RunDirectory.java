package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.fs.LockFile;
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
import java.util.List;
import java.util.stream.Stream;

/**
 * A run's output directory, published whole or not at all: files are written into a hidden staging
 * directory next to it, which is renamed into place at the end. A failed run leaves no half-written
 * directory under the final name.
 *
 * <p>Directories are paths as {@link HadoopFiles} takes them: a plain path is a local directory, a
 * URI (hdfs://, file:, any scheme whose file system is on the classpath) one on that file system.
 * The staging directory of a directory on another file system is a local temporary one, copied
 * next to the target under a hidden name when the run is done and renamed into place there.
 */
final class RunDirectory {
  private final String target;
  private final Path staging;
  /** A signal removes the staging directory. */
  private final AutoCloseable unregister;
  /** The hidden copy on the target's file system while it is published, or null. */
  private volatile String uploading;

  private RunDirectory(String target, Path staging) {
    this.target = target;
    this.staging = staging;
    this.unregister = Signals.onSignal(() -> {
      removeTree(staging);
      String u = uploading;
      if (u != null) {
        HadoopFiles.deleteQuietly(u);
      }
      System.err.println("Interrupted (" + Signals.received() + "): nothing written to " + target);
    });
  }

  /**
   * --out (a local path or a Hadoop one), or runs/NAME-yyyyMMdd-HHmmss; the result is where it
   * is ({@link HadoopFiles#location}: a local directory absolute, a URI as given). Refuses an
   * existing non-empty directory, and a scheme with no file system on the classpath, naming the
   * connector.
   */
  static String choose(String out, String name) {
    String dir = out != null ? out : Path.of("runs",
        name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))
        .toString();
    if (HadoopFiles.viaHadoop(dir)) {
      HadoopFiles.fileSystem(dir, "--out"); // refuses a scheme with no file system
    }
    String location = HadoopFiles.location(dir);
    if (HadoopFiles.exists(location)) {
      List<String> names;
      try {
        names = HadoopFiles.list(location);
      } catch (GradsparkException e) {
        throw new GradsparkException("Output " + location + " exists and is not a readable "
            + "directory", "choose another --out");
      }
      // a lock file alone: a run is claiming it (refused at its claim), or one was refused
      if (!names.stream().allMatch(n -> n.equals(LOCK))) {
        throw new GradsparkException("Output directory " + location + " exists and is not empty",
            "choose another --out, or remove that directory");
      }
    }
    return location;
  }

  /** {@link #choose(String, String)} of a local --out (null: the default under runs/). */
  static Path choose(Path out, String name) {
    return Path.of(choose(out == null ? null : HadoopFiles.of(out), name));
  }

  /** The lock file by which a train run owns its directory. */
  static final String LOCK = ".lock";

  /**
   * A train run's exclusive hold on its directory (a path from {@link #choose}): target is created
   * if need be and its {@value #LOCK} file locked. A local directory gets an OS lock, released
   * when the JVM ends however it ends, so a killed run can be resumed (the file is kept). A
   * directory on another file system gets a {@link LockFile}: created exclusively, naming this
   * host and process, its heartbeat refreshed while the run trains, deleted when it ends; one
   * left by a killed run is stale (its process gone, or no heartbeat for a minute) and is taken
   * over. A second run on the same directory, in this JVM or another, is refused; so is a fresh
   * run (not --resume) whose directory is no longer empty.
   */
  static AutoCloseable claim(String target, boolean fresh) {
    return HadoopFiles.viaHadoop(target) ? claimHadoop(target, fresh)
        : claimLocal(Path.of(target), fresh);
  }

  private static AutoCloseable claimLocal(Path target, boolean fresh) {
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
        throw inUse(target.toString(), fresh, "");
      }
      if (fresh) {
        try (Stream<Path> s = Files.list(target)) {
          if (s.anyMatch(p -> !p.getFileName().toString().equals(LOCK))) {
            throw notEmptyAnyMore(target.toString());
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

  private static AutoCloseable claimHadoop(String target, boolean fresh) {
    HadoopFiles.mkdirs(target, "the output directory");
    String file = HadoopFiles.resolve(target, LOCK);
    LockFile.Attempt a;
    try {
      a = LockFile.tryAcquire(file);
    } catch (IOException | RuntimeException e) {
      if (e instanceof GradsparkException g) {
        throw g;
      }
      throw new GradsparkException("Cannot lock the output directory " + target + ": "
          + io.gradspark.fs.HadoopPaths.reason(e), "check that it is writable and its file "
          + "system reachable, or choose another --out");
    }
    if (a.lock() == null) {
      throw inUse(target, fresh, " (" + a.holder().describe() + ")");
    }
    if (fresh && !HadoopFiles.list(target).stream().allMatch(n -> n.equals(LOCK))) {
      a.lock().close();
      throw notEmptyAnyMore(target);
    }
    return a.lock();
  }

  private static GradsparkException inUse(String target, boolean fresh, String holder) {
    return new GradsparkException("Output directory " + target + " is in use by another run"
        + holder, fresh ? "choose another --out"
        : "wait for that run to end; a run directory is trained by one run at a time"
            + (holder.isEmpty() ? "" : ". A run that was killed leaves its lock file " + LOCK
                + ", which is taken over once " + LockFile.STALE_MS / 1000 + " s have passed "
                + "without its heartbeat (at once from its own host), or remove it by hand"));
  }

  private static GradsparkException notEmptyAnyMore(String target) {
    return new GradsparkException("Output directory " + target
        + " exists and is not empty (another run has started writing there)",
        "choose another --out, or remove that directory");
  }

  /** Starts writing outputs for target (a path from {@link #choose}) in a staging directory. */
  static RunDirectory create(String target) {
    try {
      Path staging;
      if (HadoopFiles.viaHadoop(target)) {
        staging = Files.createTempDirectory("gradspark-" + HadoopFiles.name(target) + "-");
      } else {
        Path parent = Path.of(target).getParent();
        Files.createDirectories(parent);
        staging = Files.createTempDirectory(parent, "." + Path.of(target).getFileName()
            + ".partial-");
      }
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

  /** {@link #create(String)} of a local directory. */
  static RunDirectory create(Path target) {
    return create(HadoopFiles.of(target.toAbsolutePath().normalize()));
  }

  /** Where to write a file that will be published as target/name (a local path). */
  Path file(String name) {
    return staging.resolve(name);
  }

  String target() {
    return target;
  }

  /**
   * Moves the staged files into place as one directory. Refuses, and leaves target as it is, when
   * another run has put something there meanwhile.
   */
  void publish() {
    try {
      if (HadoopFiles.viaHadoop(target)) {
        publishHadoop();
        return;
      }
      Path t = Path.of(target);
      if (Files.isDirectory(t, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.delete(t); // an empty directory, checked by choose(); else refused below
      }
      Files.move(staging, t, StandardCopyOption.ATOMIC_MOVE);
    } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
      throw filled();
    } catch (IOException e) {
      throw new GradsparkException("Cannot move the outputs into " + target + ": " + e,
          "check that " + HadoopFiles.parent(target) + " is writable, or choose another --out");
    } finally {
      closeQuietly(unregister);
    }
  }

  /**
   * The staged files copied next to target under a hidden name, then renamed into place: one
   * rename on the name node, which refuses a target that exists by then.
   */
  private void publishHadoop() throws IOException {
    String parent = HadoopFiles.parent(target);
    HadoopFiles.mkdirs(parent, "the output directory's parent");
    String copy = HadoopFiles.resolve(parent, "." + HadoopFiles.name(target) + ".partial-"
        + Long.toHexString(System.nanoTime()));
    uploading = copy;
    try {
      HadoopFiles.copyFromLocal(staging, copy);
      if (HadoopFiles.isDirectory(target) && HadoopFiles.list(target).isEmpty()) {
        HadoopFiles.delete(target); // an empty directory, checked by choose()
      }
      if (!HadoopFiles.rename(copy, target)) {
        throw filled();
      }
      uploading = null;
    } finally {
      if (uploading != null) {
        HadoopFiles.deleteQuietly(copy);
        uploading = null;
      }
      removeTree(staging);
    }
  }

  private GradsparkException filled() {
    return new GradsparkException("Output directory " + target + " was filled by another "
        + "run while this one ran: nothing written", "choose another --out");
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
