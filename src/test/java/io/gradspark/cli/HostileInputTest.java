package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: hostile input. Each user mistake exits 2 with a message naming what was wrong and how
 * to fix it, no stack trace, nothing written.
 */
class HostileInputTest {
  @TempDir
  Path tmp;

  private static final String MOONS = "conf/experiments/moons.conf";

  private CliRun trainMoons(Path out, String... sets) {
    List<String> args = new ArrayList<>(List.of("train", "--config", MOONS,
        "--set", "training.engine=local", "--set", "training.epochs=1"));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    args.add("--out");
    args.add(out.toString());
    return CliRun.run(args.toArray(String[]::new));
  }

  private static void assertRefused(CliRun r, String... parts) {
    r.assertRefused(parts);
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void fractionsAreRefusedNotTruncated() {
    Path out = tmp.resolve("never");
    assertRefused(trainMoons(out, "model.layers=[2,64.5,2]"),
        "model.layers must be a list of whole numbers", "64.5 is not one");
    assertRefused(trainMoons(out, "training.epochs=1.5"),
        "training.epochs must be an integer >= 1", "1.5");
    assertRefused(trainMoons(out, "training.batch-size=12.25"),
        "training.batch-size must be an integer");
    assertFalse(Files.exists(out));
  }

  @Test
  void aNameIsNotAPath() {
    for (String name : List.of("../escaped", "a/b", "..")) {
      CliRun r = CliRun.run("train", "--config", MOONS, "--set", "training.engine=local",
          "--set", "name=\"" + name + "\"");
      assertRefused(r, "Setting name must be a plain name", "not a path");
    }
    assertFalse(Files.exists(Path.of("escaped")));
  }

  @Test
  void pathsWithSpacesWork() throws IOException {
    Path out = tmp.resolve("with space/run one");
    Path ckpt = tmp.resolve("check points here");
    CliRun r = trainMoons(out, "training.epochs=2",
        "training.checkpoint-dir=\"" + ckpt + "\"");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(Files.isRegularFile(out.resolve("model.npz")));
    assertEquals(List.of("ckpt-e00001-s0000000.npz"), names(ckpt));
    Path out2 = tmp.resolve("another run");
    assertEquals(0, trainMoons(out2, "training.epochs=2").exitCode());
    assertEquals(List.of("ckpt-e00001-s0000000.npz"), names(out2.resolve("checkpoints")));
  }

  @Test
  void dataThatIsNotARegularFileIsNamedForWhatItIs() throws Exception {
    Path out = tmp.resolve("never");
    Path dir = Files.createDirectory(tmp.resolve("adir"));
    // a directory is a dataset of part files: an empty one has none
    assertRefused(trainMoons(out, "data.train.format=csv", "data.train.path=" + dir),
        "CSV data " + dir + ": expected data files but found none");
    assertRefused(trainMoons(out, "data.train.format=idx", "data.train.images=" + dir),
        "data.train.images: " + dir + " is a directory, not a data file");
    assertRefused(trainMoons(out, "data.train.format=csv", "data.train.path=/dev/null"),
        "data.train.path: /dev/null is not a regular file (a pipe or a device?)");
    Path fifo = tmp.resolve("fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    assertRefused(trainMoons(out, "data.train.format=csv", "data.train.path=" + fifo),
        "is not a regular file (a pipe or a device?)");
    assertRefused(trainMoons(out, "data.train.format=csv",
        "data.train.path=" + tmp.resolve("missing.csv")), "missing.csv not found");
    assertFalse(Files.exists(out));
  }

  @Test
  void configAndResumeTogetherAreRefusedAsSuch() throws IOException {
    Path run = tmp.resolve("run");
    assertEquals(0, trainMoons(run).exitCode());
    CliRun r = CliRun.run("train", "--config", MOONS, "--resume", run.toString());
    assertRefused(r, "train takes --config FILE or --resume DIR, not both");
    assertFalse(r.err().contains("needs either"), r.err());
    assertRefused(CliRun.run("train"), "train needs --config FILE or --resume DIR");
  }

  @Test
  void resumingAFinishedRunIsRefused() throws IOException {
    Path run = tmp.resolve("done");
    assertEquals(0, trainMoons(run).exitCode());
    byte[] model = Files.readAllBytes(run.resolve("model.npz"));
    CliRun r = CliRun.run("train", "--resume", run.toString());
    assertRefused(r, "The run in " + run + " finished (summary.json exists)",
        "--set model.init-from=" + run.resolve("model.npz"));
    assertTrue(java.util.Arrays.equals(model, Files.readAllBytes(run.resolve("model.npz"))),
        "the finished run is left as it was");
  }

  @Test
  void aMistypedCommandGetsTheNearestOne() {
    CliRun r = CliRun.run("trian", "--config", MOONS);
    assertRefused(r, "Unmatched argument", "did you mean 'train'?");
    assertRefused(CliRun.run("evalute"), "did you mean 'evaluate'?");
  }

  @Test
  void aOneVsAllClassThatNoTrainingRowHasIsRefused() throws IOException {
    Path out = tmp.resolve("never");
    CliRun mnist = CliRun.run("train", "--config", "conf/experiments/neuron-0.conf",
        "--set", "data.one-vs-all=12", "--set", "data.train.limit=3000",
        "--set", "data.validation.holdout=0", "--set", "training.early-stopping.patience=0",
        "--set", "training.engine=local", "--out", out.toString());
    assertRefused(mnist, "data.one-vs-all is 12 but no training row has label 12",
        "run from 0 to 9", "every label would become 0");
    Path csv = tmp.resolve("three.csv");
    Files.writeString(csv, "0,0.1,0.2\n1,0.3,0.4\n2,0.5,0.6\n0,0.7,0.8\n");
    CliRun small = trainMoons(out, "data.train.format=csv", "data.train.path=" + csv,
        "data.test.format=none", "model.layers=[2,4,1]", "model.head=sigmoid",
        "data.one-vs-all=5");
    assertRefused(small, "data.one-vs-all is 5 but no training row has label 5",
        "run from 0 to 2");
    assertFalse(Files.exists(out));
    // a class that is there trains
    assertEquals(0, trainMoons(out, "data.train.format=csv", "data.train.path=" + csv,
        "data.test.format=none", "model.layers=[2,4,1]", "model.head=sigmoid",
        "data.one-vs-all=2").exitCode());
  }

  @Test
  void morePartitionsThanTrainingRowsAreRefused() {
    Path out = tmp.resolve("never");
    CliRun train = CliRun.run("train", "--config", MOONS, "--set", "data.train.rows=100",
        "--set", "training.partitions=200", "--out", out.toString());
    assertRefused(train, "training.partitions is 200 but the training data has 100 rows",
        "set training.partitions to at most 100");
    CliRun check = CliRun.run("gradcheck", "--config", MOONS, "--set", "data.train.rows=50",
        "--partitions", "64");
    assertRefused(check, "is 64 but the training data has 50 rows");
    assertFalse(Files.exists(out));
  }

  @Test
  void repeatParallelZeroIsAutoAndNegativeIsRefused() {
    Path out = tmp.resolve("rep");
    assertRefused(CliRun.run("repeat", "--config", MOONS, "--trials", "2", "--parallel", "-1",
        "--set", "training.engine=local", "--out", out.toString()),
        "--parallel must be >= 0 but was -1");
    assertFalse(Files.exists(out));
    CliRun auto = CliRun.run("repeat", "--config", MOONS, "--trials", "2", "--parallel", "0",
        "--set", "training.engine=local", "--set", "training.epochs=1",
        "--out", out.toString());
    assertEquals(0, auto.exitCode(), auto.err());
    assertTrue(auto.out().contains("2 trials in"), auto.out());
  }

  @Test
  void aNetworkThatDoesNotFitTheHeapIsRefusedBeforeAllocating() {
    Path out = tmp.resolve("never");
    CliRun train = CliRun.run("train", "--config", "conf/mnist.conf",
        "--set", "model.layers=[784,1000000,10]", "--set", "training.engine=local",
        "--out", out.toString());
    assertRefused(train, "The network 784-1000000-10", "795,000,010 parameters",
        "GiB of memory", "JAVA_OPTS=-Xmx", "spark.driver.memory", "model.layers");
    CliRun repeat = CliRun.run("repeat", "--config", "conf/mnist.conf", "--trials", "2",
        "--set", "model.layers=[784,1000000,10]", "--set", "training.engine=local",
        "--out", out.toString());
    assertRefused(repeat, "795,000,010 parameters", "JAVA_OPTS=-Xmx");
    assertFalse(Files.exists(out));
  }

  @Test
  void aDirectoryHeldByAnotherRunIsRefusedBeforeAnythingIsWritten() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("shared"));
    try (FileChannel ch = FileChannel.open(out.resolve(RunDirectory.LOCK),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock held = ch.lock()) {
      assertRefused(trainMoons(out), "Output directory " + out + " is in use by another run");
      assertEquals(List.of(RunDirectory.LOCK), names(out), "the loser wrote nothing");
    }
    // the holder finishes: a resume of a run that is still training is refused the same way
    Path run = tmp.resolve("run");
    assertEquals(0, trainMoons(run, "training.epochs=2").exitCode());
    Files.delete(run.resolve("summary.json"));
    try (FileChannel ch = FileChannel.open(run.resolve(RunDirectory.LOCK),
        StandardOpenOption.WRITE); FileLock held = ch.lock()) {
      assertRefused(CliRun.run("train", "--resume", run.toString()),
          "is in use by another run");
    }
  }

  @Test
  void twoRunsStartedOnOneDirectoryAtOnceLeaveOneRunsFiles() throws Exception {
    io.gradspark.spark.SharedSpark.get();
    for (int attempt = 0; attempt < 3; attempt++) {
      Path out = tmp.resolve("race-" + attempt);
      int[] codes = new int[2];
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        int trial = i;
        Thread t = new Thread(() -> {
          try {
            start.await();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          codes[trial] = Main.execute("train", "--config", MOONS, "--set",
              "training.engine=local", "--set", "training.epochs=1", "--set",
              "training.seed=" + (100 + trial), "--out", out.toString());
        });
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) {
        t.join();
      }
      java.util.Arrays.sort(codes);
      assertEquals(0, codes[0], "one run wins");
      assertEquals(2, codes[1], "the other is refused");
      String config = Files.readString(out.resolve("config.conf"));
      long seed = new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(out.resolve("summary.json").toFile()).get("seed").asLong();
      assertTrue(config.contains("seed=" + seed) || config.contains("seed = " + seed),
          "config.conf and summary.json are one run's: seed " + seed + " in\n" + config);
    }
  }

  @Test
  void publishingOverAnotherRunsOutputsIsRefused() throws IOException {
    Path target = tmp.resolve("eval");
    RunDirectory mine = RunDirectory.create(target);
    Files.writeString(mine.file("evaluation.json"), "{}");
    Files.createDirectories(target);
    Files.writeString(target.resolve("theirs.txt"), "theirs");
    io.gradspark.GradsparkException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.gradspark.GradsparkException.class, mine::publish);
    assertTrue(e.getMessage().contains("was filled by another run"), e.getMessage());
    assertEquals(List.of("theirs.txt"), names(target), "the other run's outputs are intact");
    mine.discard();
    // an empty directory (made by the user for --out) is taken over
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    RunDirectory ok = RunDirectory.create(empty);
    Files.writeString(ok.file("evaluation.json"), "{}");
    ok.publish();
    assertEquals(List.of("evaluation.json"), names(empty));
  }

  @Test
  void aMissingIncludeIsNamed() throws IOException {
    Path out = tmp.resolve("never");
    Path plain = tmp.resolve("plain.conf");
    Files.writeString(plain, "include \"mnist-dat.conf\"\ntraining.epochs = 1\n");
    assertRefused(CliRun.run("train", "--config", plain.toString(), "--out", out.toString()),
        "Config file " + plain.toAbsolutePath() + " includes mnist-dat.conf, which is not there",
        tmp.resolve("mnist-dat.conf").toString());
    Path required = tmp.resolve("required.conf");
    Files.writeString(required, "include required(\"gone.conf\")\n");
    CliRun r = CliRun.run("train", "--config", required.toString(), "--out", out.toString());
    assertRefused(r, "includes gone.conf, which is not there");
    assertFalse(r.err().contains("classpath"), r.err());
    Path asFile = tmp.resolve("file.conf");
    Files.writeString(asFile, "include file(\"" + tmp.resolve("other.conf") + "\")\n");
    assertRefused(CliRun.run("train", "--config", asFile.toString(), "--out", out.toString()),
        "includes other.conf, which is not there");
    // a present include still works, from another directory too
    Path sub = Files.createDirectories(tmp.resolve("sub"));
    Files.writeString(sub.resolve("layers.conf"), "model.layers = [2, 7, 2]\n");
    Path ok = tmp.resolve("ok.conf");
    Files.writeString(ok, "include \"" + MOONS_ABS + "\"\ninclude \"sub/layers.conf\"\n"
        + "training { engine = local, epochs = 1 }\n");
    CliRun good = CliRun.run("train", "--config", ok.toString(), "--out", out.toString());
    assertEquals(0, good.exitCode(), good.err());
    assertTrue(good.out().contains("2-7-2"), good.out());
  }

  private static final String MOONS_ABS = Path.of(MOONS).toAbsolutePath().toString();

  @Test
  void anIncludeCycleIsShownInOneLine() throws IOException {
    Path a = tmp.resolve("a.conf");
    Path b = tmp.resolve("b.conf");
    Files.writeString(a, "include \"b.conf\"\n");
    Files.writeString(b, "include \"a.conf\"\n");
    CliRun r = CliRun.run("train", "--config", a.toString());
    assertRefused(r, "form a cycle: a.conf -> b.conf -> a.conf");
    assertTrue(r.err().length() < 600, r.err().length() + " characters: " + r.err());
    Path self = tmp.resolve("self.conf");
    Files.writeString(self, "include \"self.conf\"\n");
    assertRefused(CliRun.run("train", "--config", self.toString()),
        "form a cycle: self.conf -> self.conf");
  }

  /** A run whose final outputs cannot be written: model.npz is taken by a directory. */
  @Test
  void aRunThatCannotWriteItsOutputsLeavesOnlyWhatResumes() throws IOException {
    Path run = tmp.resolve("run");
    assertEquals(0, trainMoons(run, "training.epochs=3").exitCode());
    // as if it had been interrupted after epoch 2: settings and checkpoints only
    for (String f : names(run)) {
      if (!f.matches("config.conf|checkpoints|\\.lock")) {
        Files.delete(run.resolve(f));
      }
    }
    Files.createDirectories(run.resolve("model.npz/blocked"));
    CliRun r = CliRun.run("train", "--resume", run.toString());
    assertRefused(r, "model.npz", "The run did not finish. The newest checkpoint is",
        "continue the run with: submit/gradspark train --resume " + run);
    assertEquals(List.of(".lock", "checkpoints", "config.conf"), names(run),
        "no half-written outputs (history, summary, plots), no temporary files");

    // a plot that cannot be written: the same
    Files.createDirectories(run.resolve("curves.png/blocked"));
    CliRun plot = CliRun.run("train", "--resume", run.toString());
    assertRefused(plot, "curves.png", "The run did not finish");
    assertEquals(List.of(".lock", "checkpoints", "config.conf"), names(run));
    assertEquals(0, CliRun.run("train", "--resume", run.toString()).exitCode());
  }

  @Test
  void aFreshRunThatFailsBeforeItsFirstCheckpointLeavesNothing() throws IOException {
    Path out = tmp.resolve("unreachable");
    long t = System.nanoTime();
    CliRun r = trainMoons(out, "training.checkpoint-dir=\"hdfs://127.0.0.1:1/x\"");
    assertTrue(System.nanoTime() - t < 15e9, "a name node that is not there fails in seconds");
    assertRefused(r, "Cannot write checkpoints to hdfs://127.0.0.1:1/x",
        "training.checkpoint-dir");
    assertFalse(Files.exists(out), "no output directory left behind");
    Files.writeString(tmp.resolve("file"), "a file, not a directory");
    Path blocked = tmp.resolve("blocked");
    assertRefused(trainMoons(blocked, "training.checkpoint-dir=\"" + tmp.resolve("file/c") + "\""),
        "Cannot write checkpoints to file:" + tmp.resolve("file/c"));
    assertFalse(Files.exists(blocked), "no output directory left behind");
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void aFeatureCountMismatchDescribesTheDataOnce() throws IOException {
    Path run = tmp.resolve("run");
    assertEquals(0, trainMoons(run).exitCode());
    Path input = tmp.resolve("three.csv");
    Files.writeString(input, "0.1,0.2,0.3\n0.4,0.5,0.6\n");
    CliRun p = CliRun.run("predict", "--model", run.resolve("model.npz").toString(),
        "--input", input.toString(), "--output", tmp.resolve("p.csv").toString());
    assertRefused(p, "rows have 3 features but the model takes 2", "Give rows of 2 features");
    assertFalse(p.err().contains("network"), "the model is fixed: the hint is about the data");
    assertEquals(1, count(p.err(), "three.csv"), p.err());
    CliRun t = trainMoons(tmp.resolve("never"), "model.layers=[3,8,2]");
    assertRefused(t, "training data (two moons (3750 rows", "rows have 2 features");
    assertEquals(1, count(t.err(), "two moons"), t.err());
    assertFalse(t.err().contains("data.validation.holdout"), "not the key at fault: " + t.err());
    assertRefused(trainMoons(tmp.resolve("never"), "data.validation.holdout=5000"),
        "data.validation.holdout must be fewer rows than the training data has (3750)");
  }
}
