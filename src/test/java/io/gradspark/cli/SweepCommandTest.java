package io.gradspark.cli;

import io.gradspark.experiment.Grid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.GradsparkException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sweep through the real entry point, and the grid's parsing and chart axes. */
class SweepCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  @Test
  void aDivergingPointIsReportedAndTheOthersFinish() throws IOException {
    Path out = tmp.resolve("sweep");
    // a linear network diverges at a learning rate of 1e6 (see CommandLineTest)
    CliRun r = CliRun.run("sweep", "--config", "conf/experiments/moons.conf",
        "--set", "training.engine=local", "--set", "model.activation=identity",
        "--set", "data.train.rows=400", "--set", "data.test.rows=200",
        "--set", "training.epochs=2", "--set", "training.batch-size=20", "--trials", "2",
        "--grid", "optimizer.learning-rate=0.01;1e6;0.1", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    List<String> csv = Files.readAllLines(out.resolve("sweep.csv"));
    assertEquals(4, csv.size(), "header + 3 points");
    List<String> header = List.of(csv.get(0).split(","));
    assertEquals("optimizer.learning-rate", header.get(1));
    int acc = header.indexOf("test_accuracy_mean");
    String[] diverged = csv.get(2).split(",", -1);
    assertEquals("1e6", diverged[1]);
    assertTrue(diverged[2].startsWith("\"diverged: Training diverged"), csv.get(2));
    for (int row : new int[] {1, 3}) {
      String[] cells = csv.get(row).split(",", -1);
      assertEquals("ok", cells[2]);
      assertTrue(Double.parseDouble(cells[acc]) > 0.7, csv.get(row));
    }
    assertTrue(r.out().contains("diverged"), r.out());
    JsonNode json = JSON.readTree(out.resolve("sweep.json").toFile());
    assertEquals(3, json.get("points").size());
    assertEquals(2, json.get("points").get(0).get("per_trial").size());
    BufferedImage png = ImageIO.read(out.resolve("sweep.png").toFile());
    assertTrue(png.getWidth() >= 800 && png.getHeight() >= 400);
    assertTrue(Files.isRegularFile(out.resolve("point-0/trial-1/history.csv")));
  }

  @Test
  void refusedSettingsOfEveryPointWriteNothing() {
    Path out = tmp.resolve("never");
    CliRun r = CliRun.run("sweep", "--config", "conf/experiments/moons.conf",
        "--grid", "optimizer.learnig-rate=0.1,0.2", "--out", out.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("did you mean 'optimizer.learning-rate'"), r.err());
    assertFalse(Files.exists(out));
    CliRun empty = CliRun.run("sweep", "--config", "conf/experiments/moons.conf",
        "--grid", "optimizer.learning-rate=0.1,,0.2", "--out", out.toString());
    assertEquals(2, empty.exitCode());
    assertTrue(empty.err().contains("empty value"), empty.err());
  }

  @Test
  void listValuesSplitOnSemicolonsOrOnCommasOutsideBrackets() {
    List<String> expected = List.of("[2,3,2]", "[2,10,2]");
    assertEquals(expected, Grid.split("[2,3,2];[2,10,2]"));
    assertEquals(expected, Grid.split("[2,3,2],[2,10,2]"));
    assertEquals(List.of("0.1", "0.2"), Grid.split("0.1, 0.2"));
    assertEquals(List.of("\"a,b\"", "c"), Grid.split("\"a,b\",c"));
    Grid g = Grid.parse(List.of("a=1,2", "b=x;y;z"));
    assertEquals(6, g.size());
    assertEquals(List.of("a=1", "b=x"), g.sets(0));
    assertEquals(List.of("a=2", "b=z"), g.sets(5));
    assertThrows(GradsparkException.class, () -> Grid.parse(List.of("a=1", "a=2")));
    assertThrows(GradsparkException.class, () -> Grid.parse(List.of("=1,2")));
  }

  @Test
  void chartAxesAreNumericLogarithmicListElementOrCategorical() {
    Grid.XAxis rates = Grid.xAxis(new Grid.Axis("optimizer.learning-rate",
        List.of("0.001", "0.01", "0.1", "1")));
    assertTrue(rates.log());
    assertNull(rates.categories());
    Grid.XAxis sizes = Grid.xAxis(new Grid.Axis("training.batch-size", List.of("10", "100")));
    assertFalse(sizes.log());
    Grid.XAxis hidden = Grid.xAxis(new Grid.Axis("model.layers",
        List.of("[2,3,2]", "[2, 5, 2]", "[2,40,2]")));
    assertEquals("model.layers[1]", hidden.title());
    assertArrayEquals(new double[] {3, 5, 40}, hidden.x());
    assertFalse(hidden.log());
    Grid.XAxis depth = Grid.xAxis(new Grid.Axis("model.layers",
        List.of("[2,8,2]", "[2,8,8,2]")));
    assertEquals(List.of("[2,8,2]", "[2,8,8,2]"), depth.categories());
    Grid.XAxis names = Grid.xAxis(new Grid.Axis("model.activation", List.of("relu", "tanh")));
    assertArrayEquals(new double[] {0, 1}, names.x());
  }
}
