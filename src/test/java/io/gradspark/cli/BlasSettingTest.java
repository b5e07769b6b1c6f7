package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.api.RunSpec;
import io.gradspark.config.RunSpecs;
import io.gradspark.nn.Blas;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * training.blas: a forced kind runs on the driver and on the executors and is recorded; auto's
 * pick is what config.conf records, so --resume (which reads it) runs on the same BLAS; a kind
 * this JVM cannot run is refused (exit 2) naming what it can; a value that is no kind is refused.
 */
class BlasSettingTest {
  @TempDir
  Path tmp;

  private Optional<Blas.Choice> before;

  @BeforeEach
  void remember() {
    before = Blas.installed();
  }

  @AfterEach
  void restore() {
    if (before.isPresent()) {
      Blas.use(before.get());
    } else {
      Blas.uninstall();
    }
  }

  private static String[] train(Path out, String... sets) {
    List<String> a = new ArrayList<>(List.of("train", "--config", "conf/experiments/moons.conf",
        "--set", "training.epochs=1", "--set", "training.partitions=2", "--out", out.toString()));
    for (String s : sets) {
      a.add("--set");
      a.add(s);
    }
    return a.toArray(new String[0]);
  }

  private static JsonNode summary(Path run) throws IOException {
    return new ObjectMapper().readTree(run.resolve("summary.json").toFile());
  }

  @Test
  void aForcedBlasRunsOnDriverAndExecutorsAndIsRecorded() throws IOException {
    Path a = tmp.resolve("java");
    CliRun r = CliRun.run(train(a, "training.blas=java"));
    assertEquals(0, r.exitCode(), r.err());
    JsonNode s = summary(a);
    assertEquals("java", s.path("blas").asText());
    assertEquals("java", s.path("blas_setting").asText());
    assertEquals("java", s.path("executor_blas").asText());
    assertEquals(RunSpec.BlasSetting.JAVA,
        RunSpecs.loadFrom(a.resolve("config.conf").toString(), List.of(), "java").spec().blas());
  }

  @Test
  void autosPickIsWhatTheRunDirectoryKeeps() throws IOException {
    Path a = tmp.resolve("auto");
    CliRun r = CliRun.run(train(a, "training.blas=auto"));
    assertEquals(0, r.exitCode(), r.err());
    JsonNode s = summary(a);
    assertEquals("auto", s.path("blas_setting").asText());
    Blas.Kind chosen = Blas.installed().orElseThrow().kind();
    assertTrue(s.path("blas").asText().startsWith(chosen.configName()), s.toString());
    assertTrue(s.path("executor_blas").asText().startsWith(chosen.configName()), s.toString());
    // --resume reads config.conf: it runs on the kind auto chose, not on a new measurement
    RunSpec saved = RunSpecs.loadFrom(a.resolve("config.conf").toString(), List.of(), "auto")
        .spec();
    assertEquals(chosen.configName(), saved.blas().configName());
  }

  @Test
  void aKindThisJvmCannotRunIsRefusedNamingTheAvailable() {
    EnumSet<Blas.Kind> absent = EnumSet.allOf(Blas.Kind.class);
    List<String> available = new ArrayList<>();
    for (Blas.Choice c : Blas.available()) {
      absent.remove(c.kind());
      available.add(c.toString());
    }
    // the test JVM has no --add-modules jdk.incubator.vector (pom.xml's argLine): vector at least
    assertFalse(absent.isEmpty(), "every kind available: " + available);
    for (Blas.Kind k : absent) {
      Path out = tmp.resolve("refused-" + k.configName());
      CliRun r = CliRun.run(train(out, "training.blas=" + k.configName()));
      List<String> parts = new ArrayList<>(List.of("training.blas = " + k.configName(),
          "available here: "));
      parts.addAll(available);
      r.assertRefused(parts.toArray(new String[0]));
      assertFalse(out.toFile().exists(), "nothing written for a refused run");
    }
  }

  @Test
  void aValueThatIsNoKindIsRefused() {
    CliRun.run(train(tmp.resolve("bad"), "training.blas=fast"))
        .assertRefused("training.blas", "auto", "native", "vector", "java");
  }
}
