package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.io.ModelFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The step-session settings are part of the run description: a run's directory alone reproduces
 * them (its config.conf, for a rerun and for --resume), summary.json records them, and a value
 * that is not a port is refused as a user's mistake.
 */
class SessionSettingsTest {
  @TempDir
  Path tmp;

  private static final String[] RUN = {"train", "--config", "conf/experiments/moons.conf",
      "--set", "training.epochs=2", "--set", "training.partitions=3",
      "--set", "data.train.rows=750", "--set", "data.test.rows=250",
      "--set", "training.batch-size=50", "--set", "training.sessions.enabled=false",
      "--set", "training.exchange=tree"};

  @Test
  void aRunDirectoryRerunsAndResumesWithItsSessionSettings() throws IOException {
    Path a = tmp.resolve("a");
    CliRun first = CliRun.run(concat(RUN, "--out", a.toString()));
    assertEquals(0, first.exitCode(), first.err());
    assertTrue(first.out().contains("3 partitions, a job per step"), first.out());
    String config = Files.readString(a.resolve("config.conf"));
    assertTrue(config.replace(" ", "").contains("enabled=false"), config);
    assertTrue(config.replace(" ", "").contains("exchange=tree"), config);
    var summary = new ObjectMapper().readTree(a.resolve("summary.json").toFile());
    assertEquals("jobs", summary.path("exchange").asText());
    assertEquals(false, summary.path("step_sessions").asBoolean(true));

    // the default setting runs steps in a session: the rerun below would too without config.conf
    Path d = tmp.resolve("default");
    CliRun plain = CliRun.run("train", "--config", "conf/experiments/moons.conf", "--set",
        "training.epochs=1", "--set", "training.partitions=3", "--set", "data.train.rows=750",
        "--set", "data.test.rows=250", "--set", "training.batch-size=50", "--out", d.toString());
    assertEquals(0, plain.exitCode(), plain.err());
    assertTrue(plain.out().contains("3 partitions, steps in a session"), plain.out());

    Path b = tmp.resolve("b");
    CliRun rerun = CliRun.run("train", "--config", a.resolve("config.conf").toString(), "--out",
        b.toString());
    assertEquals(0, rerun.exitCode(), rerun.err());
    assertTrue(rerun.out().contains("3 partitions, a job per step"), rerun.out());
    assertArrayEquals(ModelFile.load(a.resolve("model.npz")).params(),
        ModelFile.load(b.resolve("model.npz")).params(), "the rerun is bit-identical");

    // b "died" after epoch 1: its settings and checkpoints resume it, sessions still off
    try (var files = Files.list(b)) {
      for (Path f : files.toList()) {
        if (!f.getFileName().toString().matches("config.conf|checkpoints")) {
          Files.delete(f);
        }
      }
    }
    try (var files = Files.list(b.resolve("checkpoints"))) {
      List<Path> kept = files.sorted().toList();
      assertTrue(kept.get(0).getFileName().toString().startsWith("ckpt-e00001"), kept.toString());
      for (Path f : kept.subList(1, kept.size())) {
        Files.delete(f);
      }
    }
    CliRun resumed = CliRun.run("train", "--resume", b.toString());
    assertEquals(0, resumed.exitCode(), resumed.err());
    assertTrue(resumed.out().contains("3 partitions, a job per step"), resumed.out());
    assertArrayEquals(ModelFile.load(a.resolve("model.npz")).params(),
        ModelFile.load(b.resolve("model.npz")).params(), "the resumed run is bit-identical");
    assertEquals("jobs", new ObjectMapper().readTree(b.resolve("summary.json").toFile())
        .path("exchange").asText());
  }

  @Test
  void aPortThatIsNotANumberIsRefused() {
    CliRun r = CliRun.run(concat(RUN, "--set", "training.sessions.port=fifty",
        "--out", tmp.resolve("p").toString()));
    r.assertRefused("training.sessions.port");
    CliRun high = CliRun.run(concat(RUN, "--set", "training.sessions.port=70000",
        "--out", tmp.resolve("q").toString()));
    high.assertRefused("training.sessions.port");
    CliRun exchange = CliRun.run(concat(RUN, "--set", "training.exchange=ring",
        "--out", tmp.resolve("r").toString()));
    exchange.assertRefused("training.exchange");
    assertTrue(!Files.exists(tmp.resolve("p")) && !Files.exists(tmp.resolve("q")));
  }

  private static String[] concat(String[] a, String... b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
