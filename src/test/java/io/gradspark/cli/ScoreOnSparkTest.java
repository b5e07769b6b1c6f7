package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.io.ModelFile;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * predict and evaluate with --master: the executors read and score their own rows of a CSV
 * dataset of three part files, cut into partitions that do not follow the files, and the results
 * are the one-JVM command's, byte for byte (predict) and count for count (evaluate).
 */
class ScoreOnSparkTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Rows per input file: 100 rows, 3 files; 4 partitions cut inside the first and third. */
  private static final int[] FILE_ROWS = {40, 25, 35};

  @TempDir
  Path tmp;

  private Path model;
  private Path points;

  @BeforeEach
  void modelAndData() throws IOException {
    // an untrained 3-16-3 network with a feature scale: outputs of every kind of digit
    Network net = new Network(new int[] {3, 16, 3}, List.of(Activation.parse("relu", 0)),
        Head.SOFTMAX_CROSS_ENTROPY);
    model = tmp.resolve("model.npz");
    ModelFile.save(model, net, net.initialParameters(Initializer.HE_NORMAL, 7), 0.5, -1,
        Map.of());
    points = tmp.resolve("points");
    Files.createDirectories(points);
    Random random = new Random(11);
    for (int f = 0; f < FILE_ROWS.length; f++) {
      StringBuilder b = new StringBuilder();
      for (int r = 0; r < FILE_ROWS[f]; r++) {
        b.append(random.nextInt(3));
        for (int j = 0; j < 3; j++) {
          b.append(',').append(random.nextGaussian() * 2);
        }
        b.append('\n');
      }
      Files.writeString(points.resolve(String.format("part-%05d.csv", f)), b);
    }
  }

  private CliRun predict(String input, Path output, String... more) {
    String[] base = {"predict", "--model", model.toString(), "--input", input,
        "--label-column", "0", "--output", output.toString()};
    String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, args, base.length, more.length);
    return CliRun.run(args);
  }

  private static byte[] concatenated(Path dir) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted()
          .toList()) {
        all.write(Files.readAllBytes(p));
      }
    }
    return all.toByteArray();
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void predictOnSparkWritesPartsWhoseConcatenationIsTheOneJvmOutput() throws IOException {
    Path one = tmp.resolve("one.csv");
    CliRun local = predict(points.toString(), one);
    assertEquals(0, local.exitCode(), local.err());
    byte[] expected = Files.readAllBytes(one);
    List<String> lines = Files.readAllLines(one);
    assertEquals("row,predicted,p0,p1,p2", lines.get(0));
    assertEquals(101, lines.size());
    // the one-JVM path reads the same dataset as a glob and as a file: URI
    Path glob = tmp.resolve("glob.csv");
    assertEquals(0, predict(points + "/part-*.csv", glob).exitCode());
    Path uri = tmp.resolve("uri.csv");
    assertEquals(0, predict(points.toUri().toString(), uri).exitCode());
    assertArrayEquals(expected, Files.readAllBytes(glob));
    assertArrayEquals(expected, Files.readAllBytes(uri));

    Path parts = tmp.resolve("out/predictions");
    CliRun spark = predict(points.toString(), parts, "--master", "local[2]", "--partitions", "4");
    assertEquals(0, spark.exitCode(), spark.err());
    assertTrue(spark.out().contains("Wrote 100 predictions"), spark.out());
    assertEquals(List.of("_SUCCESS", "part-00000.csv", "part-00001.csv", "part-00002.csv",
        "part-00003.csv"), names(parts));
    assertEquals(0, Files.size(parts.resolve("_SUCCESS")));
    byte[] joined = concatenated(parts);
    System.out.printf("4 part files (%s bytes), concatenated: %d bytes; one-JVM output: %d "
        + "bytes; identical: %s%n", partSizes(parts), joined.length, expected.length,
        java.util.Arrays.equals(joined, expected));
    assertArrayEquals(expected, joined, "the parts in name order are the one-JVM output");
    assertTrue(Files.readString(parts.resolve("part-00001.csv")).startsWith("25,"),
        "partition 1 holds rows 25..49, numbered as in the input: "
            + Files.readString(parts.resolve("part-00001.csv")).lines().findFirst());
    assertEquals(List.of("predictions"), names(tmp.resolve("out")), "no staging left behind");

    // one file: the parts streamed in order by the driver; an existing file is replaced
    Path single = tmp.resolve("single.csv");
    Files.writeString(single, "old");
    CliRun s = predict(points.toString(), single, "--master", "local[2]", "--partitions", "3",
        "--single-file");
    assertEquals(0, s.exitCode(), s.err());
    assertArrayEquals(expected, Files.readAllBytes(single));
    // an existing empty directory is taken, as for a run directory
    Path empty = tmp.resolve("empty");
    Files.createDirectories(empty);
    assertEquals(0, predict(points.toString(), empty, "--master", "local[2]").exitCode());
    assertArrayEquals(expected, concatenated(empty));
    try (Stream<Path> all = Files.list(tmp)) {
      assertEquals(List.of(), all.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(".")).toList(), "no hidden staging or temporary files");
    }
  }

  private static String partSizes(Path dir) throws IOException {
    StringBuilder b = new StringBuilder();
    for (String n : names(dir)) {
      if (n.startsWith("part-")) {
        b.append(b.length() == 0 ? "" : "+").append(Files.size(dir.resolve(n)));
      }
    }
    return b.toString();
  }

  @Test
  void evaluateOnSparkEqualsEvaluateInOneJvm() throws IOException {
    Path conf = tmp.resolve("test.conf");
    Files.writeString(conf, "data.test { format = csv, path = \"" + points
        + "\", label-column = 0 }\n");
    Path a = tmp.resolve("eval-local");
    CliRun local = CliRun.run("evaluate", "--model", model.toString(), "--config",
        conf.toString(), "--out", a.toString());
    assertEquals(0, local.exitCode(), local.err());
    double maxLossDifference = 0;
    for (String[] how : List.of(new String[] {"--partitions", "4"},
        new String[] {"--partitions", "7", "--data", points.toString()}, new String[] {})) {
      Path b = tmp.resolve("eval-spark" + how.length);
      String[] args = {"evaluate", "--master", "local[2]", "--model", model.toString(),
          "--config", conf.toString(), "--out", b.toString()};
      String[] all = java.util.Arrays.copyOf(args, args.length + how.length);
      System.arraycopy(how, 0, all, args.length, how.length);
      CliRun spark = CliRun.run(all);
      assertEquals(0, spark.exitCode(), spark.err());
      assertTrue(spark.out().contains("Scored on Spark"), spark.out());
      JsonNode x = JSON.readTree(a.resolve("evaluation.json").toFile());
      JsonNode y = JSON.readTree(b.resolve("evaluation.json").toFile());
      assertEquals(100, y.get("rows").asInt());
      assertEquals(x.get("rows"), y.get("rows"));
      assertEquals(x.get("accuracy").asDouble(), y.get("accuracy").asDouble(), 0.0);
      assertEquals(x.get("confusion"), y.get("confusion"));
      assertEquals(x.get("report"), y.get("report"));
      double loss = x.get("loss").asDouble();
      double difference = Math.abs(loss - y.get("loss").asDouble());
      maxLossDifference = Math.max(maxLossDifference, difference);
      assertTrue(difference <= 1e-12 * loss, loss + " vs " + y.get("loss"));
    }
    System.out.printf("evaluate on Spark vs in one JVM: mean loss %.17g, max |difference| "
        + "%.3e; rows, accuracy and confusion counts identical%n",
        JSON.readTree(a.resolve("evaluation.json").toFile()).get("loss").asDouble(),
        maxLossDifference);
  }

  @Test
  void anExistingOutputIsRefusedBeforeAnyWorkAndLeftAsItWas() throws IOException {
    Path taken = tmp.resolve("taken");
    Files.createDirectories(taken);
    Files.writeString(taken.resolve("keep.txt"), "mine");
    // the refusal comes before the model is even read: this one does not exist
    CliRun r = CliRun.run("predict", "--master", "local[2]", "--model",
        tmp.resolve("no-such-model.npz").toString(), "--input", points.toString(),
        "--label-column", "0", "--output", taken.toString());
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains("exists and is not an empty directory"), r.err());
    assertEquals(List.of("keep.txt"), names(taken));
    Path file = tmp.resolve("file.csv");
    Files.writeString(file, "mine");
    CliRun f = predict(points.toString(), file, "--master", "local[2]");
    assertEquals(2, f.exitCode(), f.err());
    assertTrue(f.err().contains("--single-file"), "the hint names the option: " + f.err());
    assertEquals("mine", Files.readString(file));
    CliRun d = predict(points.toString(), taken, "--master", "local[2]", "--single-file");
    assertEquals(2, d.exitCode(), d.err());
    assertTrue(d.err().contains("is a directory"), d.err());
    CliRun p = predict(points.toString(), tmp.resolve("x.csv"), "--partitions", "3");
    assertEquals(2, p.exitCode());
    assertTrue(p.err().contains("--partitions 3 needs --master"), p.err());
    for (CliRun c : List.of(r, f, d, p)) {
      assertFalse(c.err().contains("\tat "), "no stack trace: " + c.err());
    }
    assertEquals(List.of("file.csv", "model.npz", "points", "taken"), names(tmp),
        "nothing written");
  }

  @Test
  void aBadLineFailsNamingItsFileAndLineAndLeavesNoOutput() throws IOException {
    Path third = points.resolve("part-00002.csv");
    List<String> lines = new java.util.ArrayList<>(Files.readAllLines(third));
    lines.set(6, "1,0.5,abc,0.25");
    Files.write(third, lines);
    Path out = tmp.resolve("predictions");
    CliRun r = predict(points.toString(), out, "--master", "local[2]", "--partitions", "4");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains("part-00002.csv line 7"), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    CliRun e = CliRun.run("evaluate", "--master", "local[2]", "--model", model.toString(),
        "--config", "conf/experiments/moons.conf", "--data", points.toString(),
        "--set", "data.test.label-column=0", "--out", tmp.resolve("eval").toString());
    assertEquals(2, e.exitCode(), e.err());
    assertTrue(e.err().contains("part-00002.csv line 7"), e.err());
    assertEquals(List.of("model.npz", "points"), names(tmp),
        "no output directory, no staging directory");
  }
}
