package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.io.ModelFile;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 27, hostile files: outputs that would destroy inputs or replace special files, literal
 * local paths, special files and unbounded lines in data directories. Each mistake exits 2 with
 * one message naming what and where, and leaves the inputs and the file system as they were.
 */
class HostileFilesTest {
  @TempDir
  Path tmp;

  private Path smallModel() {
    Network net = new Network(new int[] {3, 4, 2}, List.of(Activation.TANH),
        Head.SOFTMAX_CROSS_ENTROPY);
    Path model = tmp.resolve("model.npz");
    ModelFile.save(model, net, new double[net.numParams()], 1.0, -1, Map.of());
    return model;
  }

  private List<String> leftovers(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")
          || n.contains(".partial-")).toList();
    }
  }

  @Test
  void exportRefusesItsModelHoweverItIsSpelled() throws Exception {
    Path model = smallModel();
    byte[] before = Files.readAllBytes(model);
    Path link = Files.createSymbolicLink(tmp.resolve("link.npz"), model);
    Path hard = Files.createLink(tmp.resolve("hard.npz"), model);
    String relative = Path.of("").toAbsolutePath().relativize(model).toString();
    for (String spelling : List.of("file:" + model, "file://" + model, relative,
        tmp.resolve("sub/../model.npz").toString(), link.toString(), hard.toString())) {
      CliRun r = CliRun.run("export", "--model", model.toString(), "--output", spelling);
      r.assertRefused("--output is the --model file", spelling);
      assertArrayEquals(before, Files.readAllBytes(model), spelling);
    }
    assertEquals(List.of(), leftovers(tmp));
  }

  @Test
  void outputsDoNotReplaceDevicesOrPipes() throws Exception {
    Path model = smallModel();
    Path fifo = tmp.resolve("fifo.onnx");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    for (String spelling : List.of(fifo.toString(), "file:" + fifo)) {
      CliRun.run("export", "--model", model.toString(), "--output", spelling)
          .assertRefused("--output " + spelling + " exists and is not a regular file");
      assertFalse(Files.isRegularFile(fifo), "the pipe was replaced by a file");
      assertTrue(Files.exists(fifo));
    }
    Path points = Files.writeString(tmp.resolve("points.csv"), "1,2,3\n4,5,6\n");
    CliRun.run("predict", "--model", model.toString(), "--input", points.toString(),
        "--output", fifo.toString()).assertRefused("is not a regular file");
    assertFalse(Files.isRegularFile(fifo));
    // a device through a symbolic link (as root, /dev/full itself would be replaced)
    Path dev = Files.createSymbolicLink(tmp.resolve("dev.onnx"), Path.of("/dev/null"));
    CliRun.run("export", "--model", model.toString(), "--output", dev.toString())
        .assertRefused("is not a regular file");
    assertTrue(Files.isSymbolicLink(dev));
    CliRun.run("export", "--model", model.toString(), "--output", "/")
        .assertRefused("is a directory");
    assertEquals(List.of(), leftovers(tmp));
  }

  @Test
  void predictRefusesAnOutputInsideItsInputSet() throws Exception {
    Path model = smallModel();
    Path dir = Files.createDirectory(tmp.resolve("points"));
    Path a = Files.writeString(dir.resolve("part-00000.csv"), "1,2,3\n");
    Path b = Files.writeString(dir.resolve("part-00001.csv"), "4,5,6\n");
    for (String[] io : List.of(
        new String[] {dir.toString(), b.toString()},
        new String[] {dir + "/", "file:" + b},
        new String[] {dir + "/part-*.csv", a.toString()},
        new String[] {"file:" + dir + "/part-0000[01].csv", b.toString()})) {
      CliRun.run("predict", "--model", model.toString(), "--input", io[0], "--output", io[1])
          .assertRefused("--output " + io[1] + " is one of the --input files");
    }
    // a new file in the input directory would be read as data next time
    CliRun.run("predict", "--model", model.toString(), "--input", dir.toString(), "--output",
        dir.resolve("predictions.csv").toString()).assertRefused("is inside the --input "
            + "directory");
    // on Spark, one file
    CliRun.run("predict", "--master", "local[2]", "--single-file", "--model", model.toString(),
        "--input", dir.toString(), "--output", "file:" + a)
        .assertRefused("is one of the --input files");
    assertEquals("1,2,3\n", Files.readString(a));
    assertEquals("4,5,6\n", Files.readString(b));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(2, s.count());
    }
    assertEquals(List.of(), leftovers(tmp));
  }

  private CliRun predict(String input, Path output, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("predict", "--model",
        tmp.resolve("model.npz").toString(), "--input", input, "--output", output.toString()));
    args.addAll(List.of(more));
    return CliRun.run(args.toArray(String[]::new));
  }

  private static long lines(Path p) throws IOException {
    return Files.readAllLines(p).size();
  }

  @Test
  void anExistingLocalPathIsTakenLiterallyWhateverItsName() throws Exception {
    smallModel();
    Path out = tmp.resolve("out.csv");
    // "points[1].csv" as a pattern matches points1.csv, a different file
    Path literal = Files.writeString(tmp.resolve("points[1].csv"), "1,2,3\n");
    Files.writeString(tmp.resolve("points1.csv"), "1,2,3\n4,5,6\n7,8,9\n");
    assertEquals(0, predict(literal.toString(), out).exitCode());
    assertEquals(2, lines(out), "the header and the one row of points[1].csv");
    // alone, as a pattern it matches nothing
    Path alone = Files.writeString(tmp.resolve("only{a,b}?.csv"), "1,2,3\n4,5,6\n");
    assertEquals(0, predict(alone.toString(), out).exitCode());
    assertEquals(3, lines(out));
    // a path that names nothing is still a pattern
    assertEquals(0, predict(tmp.resolve("points?.csv").toString(), out).exitCode());
    assertEquals(4, lines(out));
  }

  @Test
  void specialFilesAmongThePartsAreRefusedByName() throws Exception {
    smallModel();
    Path out = tmp.resolve("out.csv");
    Path dir = Files.createDirectory(tmp.resolve("parts"));
    Files.writeString(dir.resolve("part-00000.csv"), "1,2,3\n");
    Path fifo = dir.resolve("part-00001.csv");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60),
        () -> predict(dir.toString(), out).assertRefused(fifo + " is not a regular file"));
    Files.delete(fifo);
    Path device = Files.createSymbolicLink(dir.resolve("part-00002.csv"), Path.of("/dev/zero"));
    predict(dir.toString(), out).assertRefused(device + " is not a regular file",
        "through a symbolic link");
    Files.delete(device);
    assertFalse(Files.exists(out));
  }

  @Test
  void aLineLongerThanTheLimitIsRefusedNamingFileAndLine() throws Exception {
    smallModel();
    Path out = tmp.resolve("out.csv");
    Path dir = Files.createDirectory(tmp.resolve("parts"));
    Files.writeString(dir.resolve("part-00000.csv"), "1,2,3\n");
    Path bomb = dir.resolve("part-00001.csv.gz");
    try (java.io.OutputStream gz = new java.util.zip.GZIPOutputStream(
        Files.newOutputStream(bomb), 1 << 16)) {
      gz.write("1,2,3\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      byte[] block = new byte[1 << 20];
      java.util.Arrays.fill(block, (byte) '7');
      for (int i = 0; i < 65; i++) {
        gz.write(block); // one line of 65 MiB, about 65 KiB compressed
      }
    }
    predict(dir.toString(), out).assertRefused("CSV file " + bomb + ", line 2: longer than 64 "
        + "MiB, the line length limit");
    assertFalse(Files.exists(out));
  }

  @Test
  void rowsAreNotDroppedSilently() throws Exception {
    smallModel();
    Path out = tmp.resolve("out.csv");
    Path dir = Files.createDirectory(tmp.resolve("parts"));
    Files.writeString(dir.resolve("part-00000.csv"), "a,b,c\n1,2,3\n");
    Path dangling = Files.createSymbolicLink(dir.resolve("part-00001.csv"),
        tmp.resolve("moved-away.csv"));
    predict(dir.toString(), out).assertRefused(dangling + " is a symbolic link to",
        "which does not exist");
    assertFalse(Files.exists(out));
    Files.delete(dangling);
    // a part written without a header: its first row is taken as one, and said so
    Path noHeader = Files.writeString(dir.resolve("part-00001.csv"), "4,5,6\n7,8,9\n");
    CliRun r = predict(dir.toString(), out, "--header");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.err().contains("warning: CSV file " + noHeader + ": its first line, taken "
        + "as the header (header = true), is all numbers"), r.err());
    assertFalse(r.err().contains("part-00000.csv"), r.err());
  }

  @Test
  void partDirectoriesOfLibsvmAreReadAsLibsvm() throws Exception {
    smallModel();
    Path out = tmp.resolve("out.csv");
    // as Spark's MLUtils.saveAsLibSVMFile writes them: part files without an extension
    for (String dirName : List.of("points.libsvm", "points")) {
      Path dir = Files.createDirectory(tmp.resolve(dirName));
      Files.writeString(dir.resolve("part-00000"), "0 1:1 2:2 3:3\n1 2:5\n");
      Files.writeString(dir.resolve("part-00001"), "1 1:7 3:9\n");
      Files.writeString(dir.resolve("_SUCCESS"), "");
      for (String spelling : List.of(dir + "/", dir.toString(), "file:" + dir + "/")) {
        CliRun r = predict(spelling, out);
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(4, lines(out), spelling);
      }
    }
    // evaluate --data, which reads CSV only when a name says so
    Path run = tmp.resolve("run");
    assertEquals(0, train(run).exitCode());
    Path test = Files.createDirectory(tmp.resolve("moons-test"));
    Files.writeString(test.resolve("part-00000"), "0 1:-0.5 2:0.9\n1 1:1.5 2:-0.4\n");
    for (String spelling : List.of(test + "/", "file:" + test)) {
      CliRun r = CliRun.run("evaluate", "--model", run.resolve("model.npz").toString(),
          "--config", MOONS, "--data", spelling);
      assertEquals(0, r.exitCode(), r.err());
      assertTrue(r.out().contains("LIBSVM"), r.out());
    }
  }

  /**
   * A tmpfs of 64 KiB, mounted for the test (the tests run as root, as containers do): a real
   * full disk, not a simulated one.
   */
  private Path tinyDisk() throws Exception {
    Path mnt = Files.createDirectory(tmp.resolve("tiny"));
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
        mnt.toString()).redirectErrorStream(true).start();
    assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
    return mnt;
  }

  private static void unmount(Path mnt) throws Exception {
    new ProcessBuilder("umount", mnt.toString()).start().waitFor();
  }

  @Test
  void predictOnSparkOntoAFullDiskSaysSoAndLeavesNothing() throws Exception {
    smallModel();
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      rows.append(i % 7).append(',').append(i % 11).append(',').append(i % 13).append('\n');
    }
    Path points = Files.writeString(tmp.resolve("points.csv"), rows);
    Path disk = tinyDisk();
    try {
      for (String[] more : List.of(new String[0], new String[] {"--single-file"})) {
        Path out = disk.resolve("predictions");
        List<String> args = new java.util.ArrayList<>(List.of("--master", "local[2]",
            "--partitions", "4"));
        args.addAll(List.of(more));
        CliRun r = predict(points.toString(), out, args.toArray(String[]::new));
        r.assertRefused("no space left on device", "free space");
        assertTrue(r.err().lines().count() <= 3, r.err());
        try (Stream<Path> s = Files.list(disk)) {
          assertEquals(List.of(), s.toList(), "nothing left on the full disk");
        }
      }
    } finally {
      unmount(disk);
    }
  }

  private static final String MOONS = "conf/experiments/moons.conf";

  private CliRun train(Path out, String... sets) {
    List<String> args = new java.util.ArrayList<>(List.of("train", "--config", MOONS,
        "--set", "training.engine=local", "--set", "training.epochs=1"));
    for (String set : sets) {
      args.add("--set");
      args.add(set);
    }
    args.addAll(List.of("--out", out.toString()));
    return CliRun.run(args.toArray(String[]::new));
  }

  @Test
  void settingsMistakesGetAHintThatFixesThem() {
    Path out = tmp.resolve("never");
    // the README's unquoted form: a path with a scheme is text
    Path missing = tmp.resolve("missing.csv");
    train(out, "data.train.format=csv", "data.train.path=file:" + missing)
        .assertRefused(missing.toString());
    // other text HOCON cannot read: the hint shows the quoted form
    train(out, "name=a b:c").assertRefused("quote text", "--set 'name=\"a b:c\"'");
    // a section, not a misspelt setting
    CliRun section = train(out, "data=5");
    section.assertRefused("'data' in --set data=5 (line 1) is a section of settings",
        "e.g. data.");
    assertFalse(section.err().contains("'name'"), section.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void outputMistakesAreRefusedBeforeTheWork() throws Exception {
    smallModel();
    Path points = Files.writeString(tmp.resolve("points.csv"), "1,2,3\n");
    CliRun root = predict(points.toString(), Path.of("/"), "--master", "local[2]");
    root.assertRefused("Output / is a root directory");
    assertFalse(root.err().contains("remove /"), root.err());
    // bench writes its figures after the whole run: a --json that cannot be is refused first
    Path file = Files.writeString(tmp.resolve("plain.txt"), "x");
    CliRun bench = CliRun.run("bench", "--config", MOONS, "--engines", "local", "--epochs", "1",
        "--json", file.resolve("bench.json").toString());
    bench.assertRefused("--json " + file.resolve("bench.json") + " cannot be written: " + file
        + " is a file, not a directory");
    assertFalse(bench.out().contains("local"), "nothing ran: " + bench.out());
    Path config = Files.copy(Path.of(MOONS), tmp.resolve("moons.conf"));
    byte[] before = Files.readAllBytes(config);
    CliRun.run("bench", "--config", config.toString(), "--engines", "local", "--json",
        Path.of("").toAbsolutePath().relativize(config).toString())
        .assertRefused("--json is the --config file");
    assertArrayEquals(before, Files.readAllBytes(config));
  }

  @Test
  void aByteOrderMarkIsNotPartOfTheFirstCell() throws Exception {
    smallModel();
    Path out = tmp.resolve("out.csv");
    Path bom = Files.write(tmp.resolve("excel.csv"), new byte[] {(byte) 0xef, (byte) 0xbb,
        (byte) 0xbf, '1', ',', '2', ',', '3', '\n'});
    CliRun r = predict(bom.toString(), out);
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(2, lines(out));
    // elsewhere than at the start of a file it is shown, not printed as nothing
    Files.writeString(bom, "1,2,3\n\uFEFF4,5,6\n");
    predict(bom.toString(), out).assertRefused("line 2", "found \"\\uFEFF4\"");
  }

  private static Path rewriteZip(Path from, Path to, String leaveOut, String add)
      throws IOException {
    try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(from.toFile());
        java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(
            Files.newOutputStream(to))) {
      for (java.util.zip.ZipEntry e : java.util.Collections.list(in.entries())) {
        if (!e.getName().equals(leaveOut)) {
          out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
          in.getInputStream(e).transferTo(out);
          out.closeEntry();
        }
      }
      if (add != null) {
        out.putNextEntry(new java.util.zip.ZipEntry(add));
        out.write(1);
        out.closeEntry();
      }
    }
    return to;
  }

  @Test
  void npzMistakesAreSummarizedAndNamed() throws Exception {
    Path model = smallModel();
    Path extra = rewriteZip(model, tmp.resolve("extra.npz"), null, "notes.txt");
    CliRun r = CliRun.run("export", "--model", extra.toString(), "--output",
        tmp.resolve("x.onnx").toString());
    r.assertRefused("unexpected entry 'notes.txt'", "W1.npy .. W", "b1.npy .. b", "model.json");
    assertTrue(r.err().length() < 600, "summarized, not ~260 names: " + r.err());
    Path bare = rewriteZip(model, tmp.resolve("bare.npz"), "model.json", null);
    CliRun b = CliRun.run("export", "--model", bare.toString(), "--output",
        tmp.resolve("x.onnx").toString());
    b.assertRefused("has no entry 'model.json'", "model.json is missing");
    assertFalse(b.err().contains("has []"), b.err());
  }

  @Test
  void resumingWithAnEditedConfigNamesTheRealCheckpoint() throws Exception {
    Path run = tmp.resolve("run");
    assertEquals(0, train(run, "training.epochs=2").exitCode());
    for (String done : List.of("summary.json", "model.npz")) {
      Files.delete(run.resolve(done));
    }
    Path conf = run.resolve("config.conf");
    Files.writeString(conf, Files.readString(conf).replaceAll("layers\\s*=\\s*\\[",
        "layers=[2,5,").replaceFirst("layers=\\[2,5,\\s*2,", "layers=[2,5,"));
    CliRun r = CliRun.run("train", "--resume", run.toString());
    r.assertRefused("No usable checkpoint", "if the run's config.conf was edited since");
    assertTrue(r.err().contains(run.resolve("checkpoints").toString()), r.err());
    assertFalse(r.err().contains("gradspark-ckpt-"), "no temporary file named: " + r.err());
  }

  @Test
  void farMorePartitionsThanABatchHasRowsAreWarnedAboutOnce() {
    CliRun r = CliRun.run("train", "--config", MOONS, "--master", "local[2]", "--set",
        "training.engine=spark", "--set", "training.epochs=1", "--set", "data.train.rows=100",
        "--set", "training.partitions=40", "--out", tmp.resolve("run").toString());
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(1, r.err().split("warning: 40 partitions for 100 training rows in batches "
        + "of 10", -1).length - 1, r.err());
  }

  @Test
  void predictRefusesAnOutputInsideItsInputSetOnHdfs() throws Exception {
    smallModel();
    io.gradspark.fs.MiniHdfs hdfs = io.gradspark.fs.MiniHdfs.get();
    String dir = hdfs.path("/hostile-files/points");
    String a = hdfs.write("/hostile-files/points/part-00000.csv", "1,2,3\n".getBytes());
    String b = hdfs.write("/hostile-files/points/part-00001.csv", "4,5,6\n".getBytes());
    for (String[] more : List.of(new String[0], new String[] {"--master", "local[2]",
        "--single-file"})) {
      for (String[] io : List.of(new String[] {dir + "/part-*.csv", b},
          new String[] {dir, dir + "/./part-00000.csv"})) {
        List<String> args = new java.util.ArrayList<>(List.of("predict", "--model",
            tmp.resolve("model.npz").toString(), "--input", io[0], "--output", io[1]));
        args.addAll(List.of(more));
        CliRun.run(args.toArray(String[]::new)).assertRefused("is one of the --input files");
      }
    }
    org.apache.hadoop.fs.FileSystem fs = hdfs.fileSystem();
    for (String[] f : List.of(new String[] {a, "1,2,3\n"}, new String[] {b, "4,5,6\n"})) {
      try (java.io.InputStream in = fs.open(new org.apache.hadoop.fs.Path(f[0]))) {
        assertEquals(f[1], new String(in.readAllBytes()), f[0]);
      }
    }
    assertEquals(2, fs.listStatus(new org.apache.hadoop.fs.Path(dir)).length);
  }
}
