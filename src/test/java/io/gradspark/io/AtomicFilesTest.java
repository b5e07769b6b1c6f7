package io.gradspark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write that fails part-way leaves no temporary file and the target as it was. */
class AtomicFilesTest {
  @TempDir
  Path dir;

  /** Writes 100 KB (past the buffer, so bytes reach the temporary file), then throws. */
  private static AtomicFiles.Body failingWith(Throwable t) {
    return out -> {
      out.write(new byte[100_000]);
      if (t instanceof IOException io) {
        throw io;
      }
      if (t instanceof Error err) {
        throw err;
      }
      throw (RuntimeException) t;
    };
  }

  private void assertNothingLeft(Path target) throws IOException {
    assertEquals("old", Files.readString(target), "the target is untouched");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(target), files.toList(), "no temporary file left");
    }
  }

  @Test
  void anIOExceptionMidWriteLeavesNoTemporaryFile() throws IOException {
    Path target = Files.writeString(dir.resolve("model.npz"), "old");
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> AtomicFiles.write(target, "model", failingWith(new IOException("disk on fire"))));
    assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
    assertNothingLeft(target);
  }

  @Test
  void anErrorMidWriteLeavesNoTemporaryFileAndPropagates() throws IOException {
    Path target = Files.writeString(dir.resolve("model.npz"), "old");
    OutOfMemoryError oom = new OutOfMemoryError("test");
    assertSame(oom, assertThrows(OutOfMemoryError.class,
        () -> AtomicFiles.write(target, "model", failingWith(oom))));
    assertNothingLeft(target);
  }

  @Test
  void aFullDiskIsReportedWithAHint() throws IOException {
    Path target = Files.writeString(dir.resolve("history.json"), "old");
    for (Throwable full : List.of(new IOException("No space left on device"),
        new Error("java.io.IOException: No space left on device"))) { // like Hadoop's FSError
      GradsparkException e = assertThrows(GradsparkException.class,
          () -> AtomicFiles.write(target, "history", failingWith(full)));
      assertEquals("Could not write history " + target + ": no space left on device",
          e.getMessage());
      assertTrue(e.hint().contains("free space"), e.hint());
      assertNothingLeft(target);
    }
  }
}
