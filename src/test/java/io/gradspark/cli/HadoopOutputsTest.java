package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.fs.HadoopFiles;
import io.gradspark.fs.LockFile;
import io.gradspark.io.ModelFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outputs and model files on a Hadoop file system, through the real entry point: a run directory
 * given as a file: URI goes through the Hadoop code path (HadoopFiles, LockFile) exactly as an
 * hdfs:// one does, on the local disk; a scheme with no file system on the classpath (s3a://
 * without hadoop-aws) is refused with exit 2, naming the connector, before any work.
 */
class HadoopOutputsTest {
  @TempDir
  Path tmp;

  private static final String MOONS = "conf/experiments/moons.conf";

  private static CliRun trainMoons(String out, String... sets) {
    List<String> args = new ArrayList<>(List.of("train", "--config", MOONS,
        "--set", "training.engine=local", "--set", "training.epochs=3",
        "--set", "data.train.rows=600", "--set", "data.test.rows=200"));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    args.add("--out");
    args.add(out);
    return CliRun.run(args.toArray(String[]::new));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void assertRefused(CliRun r, String... parts) {
    r.assertRefused(parts);
  }

  @Test
  void aRunDirectoryOnAHadoopFileSystemIsWrittenRefusedWhenTakenAndResumed() throws Exception {
    Path local = tmp.resolve("local");
    assertEquals(0, trainMoons(local.toString()).exitCode());

    Path dir = tmp.resolve("on hadoop"); // a space, as Hadoop writes paths: no %-escapes
    String uri = "file://" + dir + "/"; // the same directory as file:/...

    CliRun r = trainMoons(uri);
    assertEquals(0, r.exitCode(), r.err());
    String location = "file:" + dir;
    assertTrue(r.out().contains("Run directory " + location), r.out());
    assertTrue(r.out().contains("Outputs in " + location), r.out());
    assertEquals(List.of("checkpoints", "config.conf", "confusion.png", "curves.png",
        "history.csv", "history.json", "model.npz", "report.txt", "summary.json"), names(dir),
        "every output, no lock file left (it goes with the run), no temporary file");
    assertEquals(List.of("ckpt-e00001-s0000000.npz", "ckpt-e00002-s0000000.npz"),
        names(dir.resolve("checkpoints")));
    assertArrayEquals(ModelFile.load(local.resolve("model.npz")).params(),
        ModelFile.load(dir.resolve("model.npz")).params(), "the same run, wherever it is written");
    assertEquals(Files.readString(local.resolve("history.csv")).lines().count(),
        Files.readString(dir.resolve("history.csv")).lines().count());

    // a second run into the same, non-empty directory is refused
    assertRefused(trainMoons(uri), "Output directory " + location + " exists and is not empty");

    // the driver "died" during epoch 2, SIGKILL: its settings, checkpoints and lock file remain
    for (String f : names(dir)) {
      if (!f.matches("config.conf|checkpoints")) {
        Files.delete(dir.resolve(f));
      }
    }
    Files.delete(dir.resolve("checkpoints/ckpt-e00002-s0000000.npz"));
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Files.writeString(dir.resolve(RunDirectory.LOCK), "host="
        + java.net.InetAddress.getLocalHost().getHostName() + "\npid=" + gone.pid()
        + "\nstarted=2026-01-01T00:00:00Z\ntoken=killed\n");

    // while another run holds its lock, a resume is refused, naming the holder
    LockFile.Attempt held = LockFile.tryAcquire(HadoopFiles.resolve(uri, RunDirectory.LOCK));
    assertTrue(held.lock() != null, "the killed run's lock is stale: taken over");
    try {
      assertRefused(CliRun.run("train", "--resume", uri),
          "Output directory " + location + " is in use by another run (host ",
          "pid " + ProcessHandle.current().pid(), "taken over once 60 s have passed");
    } finally {
      held.lock().close();
    }

    // the killed run's own stale lock does not stop its resume
    Files.writeString(dir.resolve(RunDirectory.LOCK), "host="
        + java.net.InetAddress.getLocalHost().getHostName() + "\npid=" + gone.pid()
        + "\nstarted=2026-01-01T00:00:00Z\ntoken=killed\n");
    CliRun resumed = CliRun.run("train", "--resume", uri);
    assertEquals(0, resumed.exitCode(), resumed.err());
    assertTrue(resumed.out().contains("ckpt-e00001-s0000000.npz"), resumed.out());
    assertArrayEquals(ModelFile.load(local.resolve("model.npz")).params(),
        ModelFile.load(dir.resolve("model.npz")).params(), "resumed run is bit-identical");
    assertFalse(Files.exists(dir.resolve(RunDirectory.LOCK)));

    // the model is a Hadoop path too: predict, export, evaluate and model.init-from
    String model = location + "/model.npz";
    Path points = tmp.resolve("points.csv");
    Files.writeString(points, "0.5,0.25\n-1,0.5\n1.5,-0.5\n");
    CliRun p = CliRun.run("predict", "--model", model, "--input", points.toString(),
        "--output", location + "/predictions.csv");
    assertEquals(0, p.exitCode(), p.err());
    assertEquals(4, Files.readAllLines(dir.resolve("predictions.csv")).size());
    CliRun x = CliRun.run("export", "--model", model, "--output", location + "/model.onnx");
    assertEquals(0, x.exitCode(), x.err());
    assertTrue(Files.size(dir.resolve("model.onnx")) > 100);
    CliRun e = CliRun.run("evaluate", "--model", model, "--config", MOONS, "--set",
        "data.test.rows=200", "--out", location + "/evaluation");
    assertEquals(0, e.exitCode(), e.err());
    assertEquals(List.of("confusion.png", "evaluation.json", "report.txt"),
        names(dir.resolve("evaluation")));
    // what the refusal to resume a finished run suggests: its settings and model, from there
    CliRun from = CliRun.run("train", "--config", location + "/config.conf", "--set",
        "training.epochs=1", "--set", "model.init-from=\"" + model + "\"", "--out",
        tmp.resolve("from").toString());
    assertEquals(0, from.exitCode(), from.err());
    assertTrue(Files.isRegularFile(tmp.resolve("from/model.npz")));

    // a missing model on a Hadoop path is named as given
    String nothing = location + "/nothing.npz";
    assertRefused(CliRun.run("predict", "--model", nothing, "--input", points.toString(),
        "--output", tmp.resolve("p.csv").toString()), "model file " + nothing + ": no such file");
  }

  @Test
  void anUnfinishedRunOnAHadoopFileSystemKeepsOnlyWhatResumes() throws Exception {
    Path dir = tmp.resolve("run");
    String uri = "file:" + dir;
    assertEquals(0, trainMoons(uri).exitCode());
    for (String f : names(dir)) {
      if (!f.matches("config.conf|checkpoints")) {
        Files.delete(dir.resolve(f));
      }
    }
    Files.createDirectories(dir.resolve("model.npz/blocked")); // the final outputs fail
    CliRun r = CliRun.run("train", "--resume", uri);
    assertRefused(r, "model.npz", "is a directory", "The run did not finish. The newest "
        + "checkpoint is", "continue the run with: submit/gradspark train --resume file:");
    assertEquals(List.of("checkpoints", "config.conf"), names(dir),
        "no half-written outputs, no temporary files, no lock file");
    assertEquals(0, CliRun.run("train", "--resume", uri).exitCode());

    // a fresh run refused for its settings creates nothing there
    Path never = tmp.resolve("never");
    assertRefused(trainMoons("file:" + never, "model.layers=[3,4,2]"),
        "the network's input size is 3");
    assertFalse(Files.exists(never));
    // a finished run is not resumed
    assertRefused(CliRun.run("train", "--resume", uri), "finished (summary.json exists)");
    assertRefused(CliRun.run("train", "--resume", "file:" + tmp.resolve("nothing")),
        "is not a run directory (no config.conf)");
  }

  @Test
  void aSchemeWithNoFileSystemIsRefusedNamingTheConnectorBeforeAnyWork() throws IOException {
    Path out = tmp.resolve("out");
    String s3a = "s3a://bucket/gradspark";
    assertRefused(trainMoons(s3a + "/run"), "No Hadoop file system for scheme \"s3a\" (--out "
        + s3a + "/run)", "hadoop-aws");
    assertRefused(trainMoons(out.toString(), "training.checkpoint-dir=\"" + s3a + "/ckpt\""),
        "scheme \"s3a\"", "training.checkpoint-dir", "hadoop-aws");
    assertRefused(trainMoons(out.toString(), "training.engine=spark",
        "training.checkpoint-dir=\"" + s3a + "/ckpt\""), "hadoop-aws");
    assertRefused(trainMoons(out.toString(), "model.init-from=\"" + s3a + "/model.npz\""),
        "scheme \"s3a\"", "model.init-from", "hadoop-aws");
    assertFalse(Files.exists(out), "nothing written");
    assertRefused(CliRun.run("train", "--resume", s3a + "/run"), "hadoop-aws");

    // a model to read from and to write to
    Path run = tmp.resolve("run");
    assertEquals(0, trainMoons(run.toString(), "training.epochs=1").exitCode());
    String model = run.resolve("model.npz").toString();
    Path points = Files.writeString(tmp.resolve("points.csv"), "0.5,0.25\n");
    assertRefused(CliRun.run("predict", "--model", s3a + "/model.npz", "--input",
        points.toString(), "--output", tmp.resolve("p.csv").toString()),
        "(model file " + s3a + "/model.npz)", "hadoop-aws");
    assertRefused(CliRun.run("predict", "--model", model, "--input", points.toString(),
        "--output", s3a + "/p.csv"), "(--output " + s3a + "/p.csv)", "hadoop-aws");
    assertRefused(CliRun.run("export", "--model", s3a + "/model.npz", "--output",
        tmp.resolve("m.onnx").toString()), "hadoop-aws");
    assertRefused(CliRun.run("export", "--model", model, "--output", s3a + "/m.onnx"),
        "hadoop-aws");
    assertRefused(CliRun.run("evaluate", "--model", s3a + "/model.npz", "--config", MOONS),
        "hadoop-aws");
    assertRefused(CliRun.run("evaluate", "--model", model, "--config", MOONS, "--out",
        s3a + "/eval"), "hadoop-aws");
    assertRefused(CliRun.run("repeat", "--config", MOONS, "--trials", "2", "--set",
        "training.engine=local", "--out", s3a + "/repeat"), "hadoop-aws");
    assertFalse(Files.exists(tmp.resolve("p.csv")) || Files.exists(tmp.resolve("m.onnx")));
  }

  @Test
  void repeatPublishesToAHadoopFileSystem() throws IOException {
    Path dir = tmp.resolve("repeat");
    CliRun r = CliRun.run("repeat", "--config", MOONS, "--trials", "2", "--set",
        "training.engine=local", "--set", "training.epochs=1", "--set", "data.train.rows=300",
        "--out", "file:" + dir);
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(List.of("repeat.csv", "repeat.json", "trial-0", "trial-1"), names(dir));
    assertNotNull(ModelFile.load(dir.resolve("trial-1/model.npz")));
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of("repeat"), s.map(p -> p.getFileName().toString()).toList(),
          "no hidden copy left beside it");
    }
    assertRefused(CliRun.run("repeat", "--config", MOONS, "--trials", "1", "--set",
        "training.engine=local", "--out", "file:" + dir), "exists and is not empty");
  }
}
