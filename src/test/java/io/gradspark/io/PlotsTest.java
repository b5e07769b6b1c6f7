package io.gradspark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.eval.EpochStats;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
  @TempDir Path dir;

  @BeforeAll
  static void headless() {
    System.setProperty("java.awt.headless", "true");
  }

  private static List<EpochStats> history(int epochs, boolean withValidation) {
    List<EpochStats> h = new ArrayList<>();
    for (int e = 1; e <= epochs; e++) {
      double v = withValidation ? 1.0 / e + 0.1 : Double.NaN;
      double a = withValidation ? 1 - 0.5 / e : Double.NaN;
      boolean last = e == epochs;
      h.add(new EpochStats(e, 10, 1.0 / e, v, a, last ? 0.3 : Double.NaN, last ? 0.9 : Double.NaN, 1.5, 1000));
    }
    return h;
  }

  private static BufferedImage png(Path f) throws IOException {
    assertTrue(Files.size(f) > 1000, f + " is suspiciously small");
    byte[] head = new byte[8];
    try (var in = Files.newInputStream(f)) {
      assertEquals(8, in.read(head));
    }
    assertEquals(0x89, head[0] & 0xFF);
    assertEquals("PNG", new String(head, 1, 3, StandardCharsets.US_ASCII));
    BufferedImage img = ImageIO.read(f.toFile());
    assertNotNull(img, f + " is not a readable PNG");
    return img;
  }

  @Test
  void curvesForSeveralShapesOfHistory() throws IOException {
    List<List<EpochStats>> cases =
        List.of(history(12, true), history(1, true), history(5, false), history(150, true), List.of());
    for (int i = 0; i < cases.size(); i++) {
      Path f = dir.resolve("plots/curves" + i + ".png");
      Plots.curves(f, cases.get(i), "case " + i);
      BufferedImage img = png(f);
      assertEquals(Plots.CURVES_WIDTH, img.getWidth());
      assertEquals(Plots.CURVES_HEIGHT, img.getHeight());
      assertTrue(distinctColors(img) > 10, "case " + i + " looks blank");
    }
  }

  @Test
  void curvesWithNaNValidationAndOnlyAccuracyGaps() throws IOException {
    List<EpochStats> h = new ArrayList<>(history(6, true));
    h.set(2, new EpochStats(3, 10, 0.3, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 1, 1));
    Path f = dir.resolve("gaps.png");
    Plots.curves(f, h, "gaps");
    BufferedImage img = png(f);
    assertEquals(Plots.CURVES_WIDTH, img.getWidth());
    assertEquals(Plots.CURVES_HEIGHT, img.getHeight());
    assertTrue(distinctColors(img) > 10, "the chart with gaps looks blank");
    // the gap is drawn as a gap: the image differs from the one of the history without it
    Path full = dir.resolve("nogaps.png");
    Plots.curves(full, history(6, true), "gaps");
    assertFalse(Arrays.equals(pixels(img), pixels(png(full))), "the NaN epoch changed nothing");
  }

  private static int[] pixels(BufferedImage img) {
    return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
  }

  @Test
  void confusionShowsActualRowsAndPredictedColumns() throws IOException {
    long[] counts = {0, 10, 0, 7};
    Path f = dir.resolve("confusion.png");
    Plots.confusion(f, counts, 2, "test");
    BufferedImage img = png(f);
    // Layout for 2 classes: 72-pixel cells, grid centred in a 480-pixel-wide image, 110 pixels of title.
    int left = (480 - 144) / 2 + 35;
    int top = 110;
    assertEquals(480, img.getWidth());
    assertEquals(top + 144 + 40, img.getHeight());
    assertEquals(Color.WHITE.getRGB(), img.getRGB(left + 4, top + 4), "row 0 col 0 has no rows");
    assertTrue(dark(img.getRGB(left + 72 + 4, top + 4)), "row 0 col 1 holds all of row 0");
    assertEquals(Color.WHITE.getRGB(), img.getRGB(left + 4, top + 72 + 4));
    assertTrue(dark(img.getRGB(left + 72 + 4, top + 72 + 4)));
  }

  @Test
  void confusionForManyClassesAndBadInput() throws IOException {
    for (int k : new int[] {1, 10, 40}) {
      long[] counts = new long[k * k];
      for (int i = 0; i < k; i++) {
        counts[i * k + i] = 1000L * (i + 1);
        counts[i * k + (i + 1) % k] += 3;
      }
      Path f = dir.resolve("c" + k + ".png");
      Plots.confusion(f, counts, k, k + " classes");
      BufferedImage img = png(f);
      assertTrue(img.getWidth() >= 480 && img.getHeight() > 150 + k * 14 - 1);
    }
    assertThrows(IllegalArgumentException.class, () -> Plots.confusion(dir.resolve("x.png"), new long[3], 2, "t"));
  }

  private static boolean dark(int rgb) {
    Color c = new Color(rgb);
    return c.getRed() + c.getGreen() + c.getBlue() < 300;
  }

  private static int distinctColors(BufferedImage img) {
    Set<Integer> colors = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 3) {
      for (int x = 0; x < img.getWidth(); x += 3) {
        colors.add(img.getRGB(x, y));
      }
    }
    return colors.size();
  }
}
