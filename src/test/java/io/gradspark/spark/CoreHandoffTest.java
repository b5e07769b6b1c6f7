package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CoreHandoffTest {

  @Test
  void measuresBothKindsOfRoundAndEndsItsReader() throws InterruptedException {
    Map<String, Object> m = CoreHandoff.measure(5_000, 0.05);
    assertEquals(5_000, m.get("values"));
    assertEquals(40_000L, m.get("bytes"));
    double cross = (Double) m.get("cross_us");
    double same = (Double) m.get("same_us");
    assertTrue(cross > 0 && same > 0, m.toString());
    assertEquals(cross / same, (Double) m.get("ratio"), 0.0);
    assertTrue((Integer) m.get("rounds") >= 32, "a turn of each kind at least: " + m);
    // what both threads read, summed: every value written is at least 1
    assertTrue((Double) m.get("checksum") >= 5_000, m.toString());
    for (int i = 0; i < 100 && readerAlive(); i++) {
      Thread.sleep(10);
    }
    assertFalse(readerAlive(), "the reader thread ended");
  }

  @Test
  void benchLineNamesBothMeasurements() {
    Map<String, Object> before = CoreHandoff.measure(1_000, 0.01);
    Map<String, Object> after = CoreHandoff.measure(1_000, 0.01);
    String line = BenchFigures.handoffLine(Map.of("before", before, "after", after));
    assertTrue(line.startsWith("hand-off between cores: 1,000 doubles (7 KB) written by one "
        + "thread and read by another take "), line);
    assertTrue(line.contains(String.format(java.util.Locale.ROOT, "%.0f us before the runs and "
        + "%.0f us after", (Double) before.get("cross_us"), (Double) after.get("cross_us"))), line);
  }

  private static boolean readerAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals("gradspark-handoff") && t.isAlive());
  }
}
