package io.gradspark.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HadoopPaths on the local file system (a temporary directory, written as a plain path) and on a
 * real HDFS ({@link MiniHdfs}, files in 64 KiB blocks): the files of a path, reads at an offset,
 * refusals that name the path, schemes without a file system, the bytes-read counter.
 */
class HadoopPathsTest {
  /** Block size of the HDFS test files: a 300 KB file spans five blocks. */
  private static final int BLOCK = 64 * 1024;
  private static final AtomicInteger DIRS = new AtomicInteger();

  @TempDir
  Path tmp;

  /** Where a test's files go: a directory as a user writes it, and a way to put files there. */
  private interface Place {
    /** The directory ("/tmp/junit.../" or "hdfs://127.0.0.1:PORT/hadoop-paths/3"). */
    String root();

    /** Writes root/rel (parents created); returns the path as a user writes it. */
    String write(String rel, byte[] bytes);

    /** Creates the directory root/rel. */
    String mkdir(String rel);

    /** The qualified path HadoopPaths reports for root/rel. */
    String qualified(String rel);

    /** The block size files() reports for a file written here. */
    long blockSize();
  }

  private Place place(String kind) throws IOException {
    if (kind.equals("local")) {
      Path dir = tmp.resolve("data");
      Files.createDirectories(dir);
      return new Place() {
        public String root() {
          return dir.toString();
        }

        public String write(String rel, byte[] bytes) {
          try {
            Path f = dir.resolve(rel);
            Files.createDirectories(f.getParent());
            Files.write(f, bytes);
            return f.toString();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }

        public String mkdir(String rel) {
          try {
            return Files.createDirectories(dir.resolve(rel)).toString();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }

        public String qualified(String rel) {
          return "file:" + dir.resolve(rel).toAbsolutePath();
        }

        public long blockSize() {
          return 32L << 20; // fs.local.block.size: what the local file system reports
        }
      };
    }
    MiniHdfs hdfs = MiniHdfs.get();
    String root = hdfs.mkdirs("/hadoop-paths/" + DIRS.incrementAndGet());
    return new Place() {
      public String root() {
        return root;
      }

      public String write(String rel, byte[] bytes) {
        return hdfs.write(root + "/" + rel, bytes, BLOCK);
      }

      public String mkdir(String rel) {
        return hdfs.mkdirs(root + "/" + rel);
      }

      public String qualified(String rel) {
        return root + "/" + rel;
      }

      public long blockSize() {
        return BLOCK;
      }
    };
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static List<String> names(List<HadoopPaths.FileEntry> files) {
    return files.stream().map(f -> HadoopPaths.name(f.path())).toList();
  }

  private static GradsparkException refused(Executable e, String... expected) {
    GradsparkException g = assertThrows(GradsparkException.class, e);
    for (String s : expected) {
      assertTrue(g.getMessage().contains(s), "expected \"" + s + "\" in: " + g.getMessage());
    }
    return g;
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hdfs"})
  void aSingleFileIsItself(String kind) throws IOException {
    Place at = place(kind);
    String file = at.write("x.csv", bytes(1000, 1));
    List<HadoopPaths.FileEntry> files = HadoopPaths.files(file, "training data");
    assertEquals(List.of(new HadoopPaths.FileEntry(at.qualified("x.csv"), 1000, at.blockSize())),
        files);
    assertEquals(at.qualified("x.csv"), HadoopPaths.qualified(file));
    assertEquals(files.get(0), HadoopPaths.file(file, "model"));
    // the qualified path names the same file
    assertEquals(files, HadoopPaths.files(files.get(0).path(), "training data"));
    // a file named directly is read even with a name that is hidden in a directory
    String hidden = at.write("_x.csv", bytes(10, 2));
    assertEquals(List.of("_x.csv"), names(HadoopPaths.files(hidden, "training data")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hdfs"})
  void aDirectoryIsItsPartFilesInNameOrder(String kind) throws IOException {
    Place at = place(kind);
    // written out of order; Spark's and Hadoop's side files around them
    for (int i : new int[] {3, 0, 11, 2, 10, 1}) {
      at.write(String.format("out/part-%05d", i), bytes(100 + i, i));
    }
    at.write("out/_SUCCESS", new byte[0]);
    at.write("out/.part-00000.crc", bytes(12, 9));
    at.write("out/_temporary/0/part-00004", bytes(50, 4)); // a subdirectory: not read
    at.mkdir("out/empty-subdir");
    List<HadoopPaths.FileEntry> files = HadoopPaths.files(at.root() + "/out", "training data");
    assertEquals(List.of("part-00000", "part-00001", "part-00002", "part-00003", "part-00010",
        "part-00011"), names(files));
    assertEquals(at.qualified("out/part-00010"), files.get(4).path());
    assertEquals(110, files.get(4).length());
    // name order, not numeric order
    at.write("n/part-9", bytes(1, 1));
    at.write("n/part-10", bytes(1, 1));
    assertEquals(List.of("part-10", "part-9"),
        names(HadoopPaths.files(at.root() + "/n", "training data")));
    // the directory written with a trailing slash is the same dataset
    assertEquals(files, HadoopPaths.files(at.root() + "/out/", "training data"));
    refused(() -> HadoopPaths.file(at.root() + "/out", "model"), at.root() + "/out",
        "is a directory, not a file");
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hdfs"})
  void aGlobIsTheFilesItMatchesInNameOrder(String kind) throws IOException {
    Place at = place(kind);
    for (String day : new String[] {"day=2", "day=1", "day=10"}) {
      at.write(day + "/part-00001.csv", bytes(20, 1));
      at.write(day + "/part-00000.csv", bytes(10, 0));
      at.write(day + "/_SUCCESS", new byte[0]);
    }
    at.write("day=1/.part-00000.csv.crc", bytes(8, 3));
    at.write("day=1/notes.txt", bytes(5, 5));
    String r = at.root();
    assertEquals(List.of(at.qualified("day=1/part-00000.csv"), at.qualified("day=1/part-00001.csv"),
            at.qualified("day=10/part-00000.csv"), at.qualified("day=10/part-00001.csv"),
            at.qualified("day=2/part-00000.csv"), at.qualified("day=2/part-00001.csv")),
        HadoopPaths.files(r + "/day=*/part-*.csv", "training data").stream()
            .map(HadoopPaths.FileEntry::path).toList());
    // "*" matches _SUCCESS and the .crc file too: hidden names are left out of a glob
    assertEquals(List.of("notes.txt", "part-00000.csv", "part-00001.csv"),
        names(HadoopPaths.files(r + "/day=1/*", "training data")));
    // every glob character of Hadoop's syntax, with a scheme as without
    assertEquals(List.of("part-00000.csv"),
        names(HadoopPaths.files(r + "/day=1/part-0000[0].csv", "training data")));
    assertEquals(List.of("part-00000.csv", "part-00001.csv"),
        names(HadoopPaths.files(r + "/day=2/part-0000?.csv", "training data")));
    assertEquals(6,
        HadoopPaths.files(r + "/day={1,2,10}/part-*", "training data").size());
    // a glob that matches directories: their files
    assertEquals(List.of("notes.txt", "part-00000.csv", "part-00001.csv", "part-00000.csv",
        "part-00001.csv"), names(HadoopPaths.files(r + "/day=1*", "training data")));
    if (kind.equals("local")) {
      assertEquals(4, HadoopPaths.files("file:" + r + "/day=?/part-*.csv", "data").size());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hdfs"})
  void aPathWithoutFilesIsRefusedNamingIt(String kind) throws IOException {
    Place at = place(kind);
    String r = at.root();
    refused(() -> HadoopPaths.files(r + "/missing.csv", "training data"),
        "training data " + r + "/missing.csv", "no such file or directory");
    refused(() -> HadoopPaths.files(r + "/no/such/dir", "test data"),
        "test data " + r + "/no/such/dir", "no such file or directory");
    refused(() -> HadoopPaths.files(r + "/missing-*.csv", "training data"),
        r + "/missing-*.csv", "the pattern matches no file");
    String empty = at.mkdir("empty");
    refused(() -> HadoopPaths.files(empty, "training data"), empty,
        "expected data files but found none");
    at.write("done/_SUCCESS", new byte[0]);
    at.write("done/.part-00000.crc", bytes(8, 1));
    at.mkdir("done/sub");
    refused(() -> HadoopPaths.files(r + "/done", "training data"), r + "/done",
        "expected data files but found none");
    refused(() -> HadoopPaths.files(r + "/done/_*", "training data"), r + "/done/_*",
        "expected data files but found none");
    refused(() -> HadoopPaths.file(r + "/missing.csv", "model"), r + "/missing.csv",
        "no such file");
    refused(() -> HadoopFiles.readAllBytes(r + "/missing.npz", "model"), r + "/missing.npz");
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hdfs"})
  void openReadsFromTheOffsetAcrossBlocks(String kind) throws IOException {
    Place at = place(kind);
    byte[] content = bytes(5 * BLOCK - 1234, 42);
    String file = at.write("big.csv", content);
    if (kind.equals("hdfs")) {
      assertEquals(5, MiniHdfs.get().blocks(file), "the file spans five blocks");
    }
    String path = HadoopPaths.files(file, "data").get(0).path();
    for (long offset : new long[] {0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK - 10,
        3 * BLOCK + 7, content.length - 1, content.length}) {
      try (InputStream in = HadoopPaths.open(path, offset)) {
        byte[] got = in.readNBytes(100);
        int n = (int) Math.min(100, content.length - offset);
        assertArrayEquals(Arrays.copyOfRange(content, (int) offset, (int) offset + n), got,
            "100 bytes at " + offset);
      }
    }
    // from inside the first block to the end, over four block boundaries
    try (InputStream in = HadoopPaths.open(path, 1000)) {
      assertArrayEquals(Arrays.copyOfRange(content, 1000, content.length), in.readAllBytes());
    }
    assertArrayEquals(content, HadoopFiles.readAllBytes(file, "model"));
    assertArrayEquals(content, HadoopFiles.readAllBytes(path, "model"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hdfs"})
  void pathsWithSpacesAndPercentSignsReadBack(String kind) throws IOException {
    Place at = place(kind);
    byte[] content = bytes(3000, 7);
    at.write("my data/part 1%20x.csv", content);
    List<HadoopPaths.FileEntry> files = HadoopPaths.files(at.root() + "/my data", "data");
    assertEquals(List.of(at.qualified("my data/part 1%20x.csv")),
        files.stream().map(HadoopPaths.FileEntry::path).toList());
    String path = files.get(0).path();
    assertEquals(path, HadoopPaths.qualified(path), "a qualified path reads back as itself");
    try (InputStream in = HadoopPaths.open(path, 2000)) {
      assertArrayEquals(Arrays.copyOfRange(content, 2000, 3000), in.readAllBytes());
    }
    assertArrayEquals(content, HadoopFiles.readAllBytes(path, "model"));
    assertEquals("part 1%20x.csv", HadoopPaths.name(path));
    assertEquals(at.qualified("my data"), HadoopFiles.parent(path));
    assertEquals(path, HadoopFiles.resolve(HadoopFiles.parent(path), "part 1%20x.csv"));
    assertTrue(HadoopFiles.exists(path));
    assertEquals(kind.equals("local"), HadoopPaths.isLocal(path));
  }

  @Test
  void localPathsAreQualifiedAgainstTheCurrentDirectory() {
    String cwd = Path.of("").toAbsolutePath().toString();
    assertEquals("file:" + cwd + "/data/x.csv", HadoopPaths.qualified("data/x.csv"));
    assertEquals("file:" + cwd + "/data/x.csv", HadoopPaths.qualified("./data/../data/x.csv"));
    assertEquals("file:/data/x.csv", HadoopPaths.qualified("file:///data/x.csv"));
    assertEquals("hdfs://nn:8020/data/x.csv", HadoopPaths.qualified("hdfs://nn:8020/data/x.csv"));
    assertTrue(HadoopPaths.isLocal("data/x.csv"));
    assertTrue(HadoopPaths.isLocal("file:/data/x.csv"));
    assertTrue(!HadoopPaths.isLocal("hdfs://nn:8020/data/x.csv"));
    assertEquals(Path.of(cwd, "data", "x y.csv"), HadoopPaths.localPath("data/x y.csv"));
    assertEquals(Path.of("/data/x y.csv"), HadoopPaths.localPath("file:/data/x y.csv"));
    refused(() -> HadoopPaths.qualified("file:relative/x.csv"), "file:relative/x.csv");
    refused(() -> HadoopPaths.qualified(" "), "Expected a path");
  }

  @Test
  void aSchemeWithoutAFileSystemIsRefusedNamingTheConnector() {
    // s3a, abfs and wasb are named in Hadoop's core-default.xml (their class is missing), gs
    // and oss are not (no file system at all): the same refusal for both kinds
    String[][] cases = {
        {"s3a://bucket/train.csv", "hadoop-aws (org.apache.hadoop:hadoop-aws:"},
        {"gs://bucket/train.csv", "com.google.cloud.bigdataoss:gcs-connector"},
        {"abfs://c@account.dfs.core.windows.net/x", "hadoop-azure"},
        {"wasbs://c@account.blob.core.windows.net/x", "hadoop-azure"},
        {"oss://bucket/x", "hadoop-aliyun"},
        {"s3://bucket/x", "write s3a://"},
        {"nosuchfs://host/x", "put the Hadoop file system for \"nosuchfs\" on the classpath"},
    };
    for (String[] c : cases) {
      String scheme = c[0].substring(0, c[0].indexOf(':'));
      String[] expected = {"No Hadoop file system for scheme \"" + scheme + "\"",
          "(training data " + c[0] + ")"};
      GradsparkException a = refused(() -> HadoopPaths.checkScheme(c[0], "training data"),
          expected);
      assertTrue(a.hint().contains(c[1]), a.hint());
      GradsparkException b = refused(() -> HadoopPaths.fileSystem(c[0], "training data"),
          expected);
      assertEquals(a.hint(), b.hint());
      refused(() -> HadoopPaths.files(c[0], "training data"), expected);
      if (scheme.equals("s3a")) {
        System.out.println(a.getMessage() + "\n  hint: " + a.hint());
      }
    }
    String version = org.apache.hadoop.util.VersionInfo.getVersion();
    assertTrue(refused(() -> HadoopPaths.checkScheme("s3a://b/x", "model"), "model s3a://b/x")
        .hint().contains("hadoop-aws:" + version), "the connector at Hadoop's version");
    // the schemes that are there
    HadoopPaths.checkScheme("hdfs://nn:8020/x", "training data");
    HadoopPaths.checkScheme("file:/x", "training data");
    HadoopPaths.checkScheme("data/x.csv", "training data");
  }

  @Test
  void aNameNodeThatIsNotThereIsRefusedQuickly() throws IOException {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String path = "hdfs://127.0.0.1:" + port + "/data/x.csv";
    long t0 = System.nanoTime();
    GradsparkException e = refused(() -> HadoopPaths.files(path, "training data"),
        "training data " + path);
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf("no name node: refused in %.2f s: %s%n", s, e.getMessage());
    assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
    assertTrue(s < 10, "refused after " + s + " s");
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "hdfs"})
  void bytesReadOnThisThreadCountsWhatWasRead(String kind) throws IOException {
    Place at = place(kind);
    byte[] content = bytes(5 * BLOCK + 123, 5);
    String path = HadoopPaths.files(at.write("c.csv", content), "data").get(0).path();
    long before = HadoopPaths.bytesReadOnThisThread();
    try (InputStream in = HadoopPaths.open(path, 0)) {
      in.readAllBytes();
    }
    long whole = HadoopPaths.bytesReadOnThisThread() - before;
    before = HadoopPaths.bytesReadOnThisThread();
    int from = 2 * BLOCK - 5000;
    int n = 100_000;
    try (InputStream in = HadoopPaths.open(path, from)) {
      assertEquals(n, in.readNBytes(n).length);
    }
    long part = HadoopPaths.bytesReadOnThisThread() - before;
    // another thread's reads are not this thread's
    Thread other = new Thread(() -> HadoopFiles.readAllBytes(path, "data"));
    before = HadoopPaths.bytesReadOnThisThread();
    other.start();
    try {
      other.join();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    long elsewhere = HadoopPaths.bytesReadOnThisThread() - before;
    System.out.printf("%s: bytes read counted: whole file %,d of %,d; %,d bytes at %,d: %,d; "
        + "by another thread: %,d%n", kind, whole, content.length, n, from, part, elsewhere);
    // the whole file exactly; a part within one read buffer (64 KiB) of what was asked
    assertEquals(content.length, whole);
    assertTrue(part >= n && part <= n + 64 * 1024, "counted " + part + " for " + n);
    assertEquals(0, elsewhere);
  }
}
