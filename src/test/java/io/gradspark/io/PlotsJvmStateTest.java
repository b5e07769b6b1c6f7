package io.gradspark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.eval.EpochStats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 27: library code leaves JVM-wide settings alone. Drawing the plots in a fresh JVM (this
 * one's classes may have been loaded long ago) sets neither {@code java.awt.headless} nor
 * ImageIO's cache flag, writes no temporary file, and works without either.
 */
class PlotsJvmStateTest {
  @TempDir
  Path dir;

  /** The child JVM: draws both plots into args[0], then prints what the JVM's state is. */
  public static void main(String[] args) {
    Path out = Path.of(args[0]);
    List<EpochStats> h = List.of(
        new EpochStats(1, 10, 0.9, 0.8, 0.7, Double.NaN, Double.NaN, 1.0, 100),
        new EpochStats(2, 10, 0.5, 0.6, 0.8, 0.6, 0.8, 1.0, 100));
    Plots.curves(out.resolve("curves.png"), h, "curves");
    Plots.confusion(out.resolve("confusion.png"), new long[] {5, 1, 2, 7}, 2, "confusion");
    System.out.println("headless=" + System.getProperty("java.awt.headless")
        + " useCache=" + ImageIO.getUseCache());
  }

  @Test
  void plotsSetNoJvmWidePropertyAndLeaveNoTemporaryFile() throws Exception {
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    Path out = Files.createDirectory(dir.resolve("out"));
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Djava.io.tmpdir=" + tmp,
        PlotsJvmStateTest.class.getName(), out.toString());
    pb.environment().remove("DISPLAY");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), text);
    assertEquals(0, p.exitValue(), text);
    assertTrue(text.contains("headless=null useCache=true"), text);
    assertTrue(Files.size(out.resolve("curves.png")) > 1000, text);
    assertTrue(Files.size(out.resolve("confusion.png")) > 1000, text);
    try (var files = Files.list(tmp)) {
      assertEquals(List.of(), files.toList(), "temporary files of ImageIO's cache");
    }
  }
}
