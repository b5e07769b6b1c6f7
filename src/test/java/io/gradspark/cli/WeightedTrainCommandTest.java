package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train on a CSV with a weight column, balanced class weights and dropout: the run's summary says
 * its training loss is weighted and records the settings; a negative weight is refused with its
 * file, line and column, exit 2.
 */
class WeightedTrainCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  /** label, x, y, weight: two moons, weight 2 on every third row. */
  private Path csv(String badLine) throws IOException {
    RowBlock moons = new MoonsSource(300, 0.1, 4).load(0, 300);
    StringBuilder b = new StringBuilder();
    for (int r = 0; r < 300; r++) {
      b.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%s%n", (int) moons.label(r),
          moons.feature(r, 0), moons.feature(r, 1), r % 3 == 0 ? "2" : "1"));
      if (r == 10 && badLine != null) {
        b.append(badLine).append('\n');
      }
    }
    return Files.writeString(tmp.resolve("moons.csv"), b.toString());
  }

  private CliRun train(Path data, Path out) throws IOException {
    Path conf = Files.writeString(tmp.resolve("weighted.conf"), String.join("\n",
        "data.train { format = csv, path = \"" + data + "\", weight-column = -1 }",
        "data { class-weights = balanced, validation.holdout = 50 }",
        "model { layers = [2, 16, 2], activation = tanh, dropout = 0.2 }",
        "training { engine = local, epochs = 2, checkpoint-every = off }", ""));
    return CliRun.run("train", "--config", conf.toString(), "--out", out.toString());
  }

  @Test
  void aWeightedRunSaysSoInItsSummary() throws IOException {
    Path out = tmp.resolve("run");
    CliRun r = train(csv(null), out);
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertTrue(summary.get("train_loss_weighted").asBoolean(), summary.toString());
    assertEquals("balanced", summary.get("class_weights").asText());
    assertEquals("[0.2]", summary.get("dropout").asText());
    assertEquals(250, summary.get("train_rows").asInt());
  }

  @Test
  void aNegativeWeightIsRefusedWithFileLineAndColumn() throws IOException {
    CliRun r = train(csv("1,0.5,0.5,-3"), tmp.resolve("bad"));
    r.assertRefused("moons.csv", "line 12", "column 4", "the row weight is -3.0");
  }
}
