package io.gradspark.cli;

import io.gradspark.GradsparkException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

  private RunDirectory(Path target, Path staging) {
    this.target = target;
    this.staging = staging;
  }

  /** --out, or runs/NAME-yyyyMMdd-HHmmss. Refuses an existing non-empty directory. */
  static Path choose(Path out, String name) {
    Path dir = out != null ? out : Path.of("runs",
        name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (Files.exists(dir)) {
      boolean empty;
      try (Stream<Path> s = Files.list(dir)) {
        empty = s.findAny().isEmpty();
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

  /** Creates target (a path from {@link #choose}) to write outputs into directly. */
  static void ensure(Path target) {
    try {
      Files.createDirectories(target);
    } catch (IOException e) {
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

  /** Moves the staged files into place as one directory. */
  void publish() {
    try {
      Files.deleteIfExists(target); // an empty directory, checked by choose()
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new GradsparkException("Cannot move the outputs into " + target + ": " + e,
          "the outputs are in " + staging);
    }
  }

  /** Removes the staging directory (after a failure). */
  void discard() {
    try (Stream<Path> s = Files.walk(staging)) {
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
