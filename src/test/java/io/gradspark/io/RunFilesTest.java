package io.gradspark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradspark.GradsparkException;
import io.gradspark.eval.EpochStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunFilesTest {
  private static final double NAN = Double.NaN;
  private static final List<EpochStats> HISTORY = List.of(
      new EpochStats(1, 469, 0.5, 0.25, 0.9, NAN, NAN, 2.5, 24000.0),
      new EpochStats(2, 469, 0.125, NAN, NAN, 0.0625, 0.96875, 1.0E-5, Double.POSITIVE_INFINITY));

  @TempDir Path dir;

  @Test
  void historyCsvHasHeaderAndEmptyCellsForNaN() throws IOException {
    Path f = dir.resolve("out/history.csv");
    RunFiles.writeHistoryCsv(f, HISTORY);
    assertEquals(List.of(
        "epoch,steps,train_loss,val_loss,val_accuracy,test_loss,test_accuracy,seconds,samples_per_second",
        "1,469,0.5,0.25,0.9,,,2.5,24000.0",
        "2,469,0.125,,,0.0625,0.96875,1.0E-5,Infinity"), Files.readAllLines(f));
  }

  @Test
  void historyJsonRoundTripsWithNaNAsNull() throws IOException {
    Path f = dir.resolve("history.json");
    List<EpochStats> finite = List.of(HISTORY.get(0),
        new EpochStats(2, 469, 0.125, NAN, NAN, 0.0625, 0.96875, 1.0E-5, 3.0));
    RunFiles.writeHistoryJson(f, finite);
    assertEquals(finite, RunFiles.readHistoryJson(f));
    JsonNode root = new ObjectMapper().readTree(f.toFile());
    assertTrue(root.get(0).get("test_loss").isNull());
    assertEquals(0.9, root.get(0).get("val_accuracy").asDouble());
    assertEquals(RunFiles.HISTORY_COLUMNS, iterable(root.get(1).fieldNames()));

    RunFiles.writeHistoryJson(f, HISTORY);
    assertTrue(Double.isNaN(RunFiles.readHistoryJson(f).get(1).samplesPerSecond()), "infinity is written as null");
    RunFiles.writeHistoryJson(f, List.of());
    assertEquals(List.of(), RunFiles.readHistoryJson(f));
  }

  @Test
  void summaryJsonParsesBackWithNonFiniteNumbersAsNull() throws IOException {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("run", "mnist");
    summary.put("epochs", 2);
    summary.put("test_accuracy", 0.97);
    summary.put("val_loss", NAN);
    summary.put("best", Double.NEGATIVE_INFINITY);
    summary.put("layers", List.of(784, 64, 10));
    summary.put("losses", new double[] {1.5, NAN, Double.POSITIVE_INFINITY});
    summary.put("nested", Map.of("f", Float.NaN, "g", 2.5f));
    Path f = dir.resolve("summary.json");
    RunFiles.writeJson(f, summary);
    String text = Files.readString(f);
    assertTrue(text.endsWith("}\n") && text.contains("\n  \""), text);
    JsonNode root = new ObjectMapper().readTree(text);
    assertEquals("mnist", root.get("run").asText());
    assertEquals(2, root.get("epochs").asInt());
    assertEquals(0.97, root.get("test_accuracy").asDouble());
    assertTrue(root.get("val_loss").isNull());
    assertTrue(root.get("best").isNull());
    assertEquals(10, root.get("layers").get(2).asInt());
    assertEquals(1.5, root.get("losses").get(0).asDouble());
    assertTrue(root.get("losses").get(1).isNull() && root.get("losses").get(2).isNull());
    assertTrue(root.get("nested").get("f").isNull());
    assertEquals(2.5, root.get("nested").get("g").asDouble());
    assertEquals(List.of("run", "epochs", "test_accuracy", "val_loss", "best", "layers", "losses", "nested"),
        iterable(root.fieldNames()));
  }

  @Test
  void readHistoryRefusesBadFiles() throws IOException {
    String good = "{\"epoch\": 1, \"steps\": 2, \"train_loss\": 0.5, \"val_loss\": null, \"val_accuracy\": null,"
        + " \"test_loss\": null, \"test_accuracy\": null, \"seconds\": 1, \"samples_per_second\": 3}";
    assertEquals(1, read("[" + good + "]").size());
    assertBad("", "expected an array");
    assertBad("{}", "expected an array");
    assertBad("[" + good + ", 3]", "element 1");
    assertBad("[" + good.replace("\"steps\": 2,", "") + "]", "keys");
    assertBad("[" + good.replace("}", ", \"lr\": 0.1}") + "]", "keys");
    assertBad("[" + good.replace("\"train_loss\": 0.5", "\"train_loss\": \"0.5\"") + "]", "train_loss");
    assertBad("[" + good.replace("\"epoch\": 1", "\"epoch\": 1.5") + "]", "epoch");
    assertBad("[" + good.replace("\"epoch\": 1", "\"epoch\": -1") + "]", "epoch");
    assertBad("[" + good.replace("\"steps\": 2", "\"steps\": 2, \"steps\": 3") + "]", "not valid JSON");
    assertBad("[" + good + "] []", "not valid JSON");
    assertBad("[" + good, "not valid JSON");
    GradsparkException missing = assertThrows(GradsparkException.class,
        () -> RunFiles.readHistoryJson(dir.resolve("absent.json")));
    assertTrue(missing.getMessage().contains("absent.json"));
  }

  private List<EpochStats> read(String json) throws IOException {
    Path f = dir.resolve("h.json");
    Files.writeString(f, json);
    return RunFiles.readHistoryJson(f);
  }

  private void assertBad(String json, String expected) {
    GradsparkException e = assertThrows(GradsparkException.class, () -> read(json));
    assertTrue(e.getMessage().contains("h.json") && e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.hint() != null);
  }

  private static List<String> iterable(Iterator<String> it) {
    List<String> r = new ArrayList<>();
    it.forEachRemaining(r::add);
    return r;
  }
}
