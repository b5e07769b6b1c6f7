package io.gradspark.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output operations on a file: URI, which goes through Hadoop's file system exactly as an
 * hdfs:// path does (the same code path, on the local disk), and on plain paths (java.nio).
 */
class HadoopFilesTest {
  @TempDir
  Path tmp;

  /** The file: path of a local one, as Hadoop writes it (characters as written). */
  private static String uri(Path p) {
    return "file:" + p.toAbsolutePath();
  }

  private static HadoopPaths.Body text(String s) {
    return out -> out.write(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aFileUriIsWrittenAtomicallyThroughHadoop() throws IOException {
    Path dir = tmp.resolve("run dir"); // a space, as written
    String file = HadoopFiles.resolve(uri(dir), "summary.json");
    assertTrue(HadoopFiles.viaHadoop(file), file);
    HadoopFiles.write(file, "summary", text("one"));
    assertEquals("one", Files.readString(dir.resolve("summary.json")));
    HadoopFiles.write(file, "summary", text("two")); // replaces
    assertEquals("two", Files.readString(dir.resolve("summary.json")));
    assertEquals(List.of("summary.json"), HadoopFiles.list(uri(dir)), "no temporary file left");

    // a body that fails part-way: the old file stays, no temporary file is left
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> HadoopFiles.write(file, "summary", out -> {
          out.write(new byte[100_000]);
          throw new IOException("disk on fire");
        }));
    assertTrue(e.getMessage().contains("Could not write summary " + file), e.getMessage());
    assertEquals("two", Files.readString(dir.resolve("summary.json")));
    assertEquals(List.of("summary.json"), HadoopFiles.list(uri(dir)));

    // a full disk says so
    GradsparkException full = assertThrows(GradsparkException.class,
        () -> HadoopFiles.write(file, "summary", out -> {
          throw new IOException("No space left on device");
        }));
    assertEquals("Could not write summary " + file + ": no space left on device",
        full.getMessage());

    // a directory in the way is refused, not written into
    Files.createDirectories(dir.resolve("model.npz/inside"));
    String blocked = HadoopFiles.resolve(uri(dir), "model.npz");
    GradsparkException d = assertThrows(GradsparkException.class,
        () -> HadoopFiles.write(blocked, "model", text("x")));
    assertTrue(d.getMessage().contains("is a directory"), d.getMessage());
    assertEquals(List.of("inside"), HadoopFiles.list(blocked));
    assertEquals(List.of("model.npz", "summary.json"), HadoopFiles.list(uri(dir)));
  }

  @Test
  void plainPathsAndFileUrisNameTheSameFiles() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("a b"));
    String plain = dir.toString();
    String fileUri = uri(dir);
    assertFalse(HadoopFiles.viaHadoop(plain));
    assertEquals(plain, HadoopFiles.location(plain));
    assertEquals("file:" + dir + "/x", HadoopFiles.resolve(fileUri, "x"));
    assertEquals("file:" + dir, HadoopFiles.location("file://" + dir + "/"));
    assertEquals(dir.resolve("x").toString(), HadoopFiles.resolve(plain, "x"));
    assertEquals("x", HadoopFiles.name(HadoopFiles.resolve(fileUri, "x")));
    assertEquals(HadoopFiles.location(fileUri),
        HadoopFiles.parent(HadoopFiles.resolve(fileUri, "x")));
    HadoopFiles.write(HadoopFiles.resolve(plain, "p.txt"), "text", text("plain"));
    assertArrayEquals("plain".getBytes(StandardCharsets.UTF_8),
        HadoopFiles.readIfExists(HadoopFiles.resolve(fileUri, "p.txt")));
    assertTrue(HadoopFiles.isFile(HadoopFiles.resolve(fileUri, "p.txt")));
    assertTrue(HadoopFiles.isDirectory(fileUri));
    assertFalse(HadoopFiles.exists(HadoopFiles.resolve(fileUri, "nothing")));
    assertEquals(null, HadoopFiles.readIfExists(HadoopFiles.resolve(fileUri, "nothing")));
  }

  @Test
  void exclusiveCreateRenameCopyAndDelete() throws IOException {
    String dir = uri(tmp.resolve("d"));
    HadoopFiles.mkdirs(dir, "directory");
    String lock = HadoopFiles.resolve(dir, ".lock");
    assertTrue(HadoopFiles.createExclusive(lock, new byte[] {1}));
    assertFalse(HadoopFiles.createExclusive(lock, new byte[] {2}), "one creator wins");
    assertArrayEquals(new byte[] {1}, HadoopFiles.readIfExists(lock));

    // rename refuses an existing target (HDFS's FileSystem.rename would move into it)
    Path local = Files.createDirectories(tmp.resolve("staged/sub"));
    Files.writeString(local.resolve("f.txt"), "f");
    String copy = HadoopFiles.resolve(dir, ".copy");
    HadoopFiles.copyFromLocal(tmp.resolve("staged"), copy);
    String target = HadoopFiles.resolve(dir, "target");
    HadoopFiles.mkdirs(HadoopFiles.resolve(target, "theirs"), "directory");
    assertFalse(HadoopFiles.rename(copy, target));
    assertEquals(List.of("theirs"), HadoopFiles.list(target));
    assertTrue(HadoopFiles.delete(target));
    assertTrue(HadoopFiles.rename(copy, target));
    assertEquals("f", Files.readString(tmp.resolve("d/target/sub/f.txt")));
    assertFalse(HadoopFiles.exists(copy));

    HadoopFiles.deleteIfEmpty(target); // not empty: stays
    assertTrue(HadoopFiles.isDirectory(target));
    assertTrue(HadoopFiles.delete(target));
    assertFalse(HadoopFiles.delete(target), "nothing left to remove");
    GradsparkException e = assertThrows(GradsparkException.class, () -> HadoopFiles.list(target));
    assertTrue(e.getMessage().contains("No directory"), e.getMessage());
  }

  @Test
  void aSchemeWithNoFileSystemIsRefusedNamingTheConnector() {
    GradsparkException s3a = assertThrows(GradsparkException.class,
        () -> HadoopFiles.fileSystem("s3a://bucket/runs/x", "--out"));
    assertTrue(s3a.getMessage().contains("No Hadoop file system for scheme \"s3a\" (--out "
        + "s3a://bucket/runs/x)"), s3a.getMessage());
    assertTrue(s3a.hint().contains("hadoop-aws"), s3a.hint());
    GradsparkException write = assertThrows(GradsparkException.class,
        () -> HadoopFiles.write("s3a://bucket/x/model.npz", "model", text("x")));
    assertTrue(write.hint().contains("hadoop-aws"), write.hint());
    GradsparkException gs = assertThrows(GradsparkException.class,
        () -> HadoopFiles.fileSystem("gs://bucket/x", "--out"));
    assertTrue(gs.hint().contains("gcs-connector"), gs.hint());
  }
}
