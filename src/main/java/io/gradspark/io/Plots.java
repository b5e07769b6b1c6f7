package io.gradspark.io;

import io.gradspark.eval.EpochStats;
import io.gradspark.fs.HadoopFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts of a run, learning curves and the confusion matrix, so that a run on a headless cluster
 * leaves pictures a person can open. Drawing is off-screen (into images, never a window), so it
 * needs no display; JVM-wide settings such as {@code java.awt.headless} are left to the
 * application (the command line's {@code Main} sets it), and PNGs are encoded without ImageIO's
 * temporary-file cache, with no change to ImageIO's JVM-wide setting.
 */
public final class Plots {
  /** Size of the learning-curves image. */
  public static final int CURVES_WIDTH = 1200;
  public static final int CURVES_HEIGHT = 500;
  private static final int TITLE_HEIGHT = 36;

  /** One colour per data split, the same in both charts: train, validation, test. */
  private static final Color[] SPLIT_COLORS = {
    new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44)
  };
  private static final String FONT = Font.SANS_SERIF;

  private Plots() {}

  /**
   * Writes loss per epoch (train, validation, test) and accuracy per epoch (validation, test) side by
   * side into one {@value #CURVES_WIDTH}x{@value #CURVES_HEIGHT} PNG. NaN and infinite points are left
   * out and a series without any point is not drawn; when no accuracy was measured (a regression head)
   * the loss chart takes the whole width.
   */
  public static void curves(Path png, List<EpochStats> history, String title) {
    curves(HadoopFiles.of(png), history, title);
  }

  /** {@link #curves(Path, List, String)} to a local path or a Hadoop one (a URI). */
  public static void curves(String png, List<EpochStats> history, String title) {
    XYChart loss = chart("Loss", "Loss (mean per row)", history);
    add(loss, "train", history, EpochStats::trainLoss, 0);
    add(loss, "validation", history, EpochStats::valLoss, 1);
    add(loss, "test", history, EpochStats::testLoss, 2);
    XYChart acc = chart("Accuracy", "Accuracy", history);
    add(acc, "validation", history, EpochStats::valAccuracy, 1);
    add(acc, "test", history, EpochStats::testAccuracy, 2);
    BufferedImage img = new BufferedImage(CURVES_WIDTH, CURVES_HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, CURVES_WIDTH, TITLE_HEIGHT);
    g.setColor(Color.BLACK);
    title(g, title, CURVES_WIDTH, 26);
    int w = acc.getSeriesMap().isEmpty() ? CURVES_WIDTH : CURVES_WIDTH / 2;
    paint(g, loss, 0, w);
    if (w < CURVES_WIDTH) {
      paint(g, acc, w, CURVES_WIDTH - w);
    }
    g.dispose();
    writePng(png, img);
  }

  /**
   * Writes the confusion matrix {@code counts[actual * classes + predicted]} as a grid with actual
   * classes as rows and predicted classes as columns, each cell showing its count. A cell's shade is its
   * share of the row (so the diagonal shows each class's recall whatever the class sizes); counts are
   * printed while they fit, which holds up to a few dozen classes.
   */
  public static void confusion(Path png, long[] counts, int classes, String title) {
    confusion(HadoopFiles.of(png), counts, classes, title);
  }

  /** {@link #confusion(Path, long[], int, String)} to a local path or a Hadoop one (a URI). */
  public static void confusion(String png, long[] counts, int classes, String title) {
    if (classes < 1 || counts.length != (long) classes * classes) {
      throw new IllegalArgumentException(
          "Expected " + classes + "x" + classes + " confusion counts but got " + counts.length);
    }
    int cell = Math.max(14, Math.min(72, 720 / classes));
    int grid = cell * classes;
    int width = Math.max(480, grid + 150);
    int left = (width - grid) / 2 + 35;
    int top = 110;
    BufferedImage img = new BufferedImage(width, top + grid + 40, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, img.getHeight());
    g.setColor(Color.BLACK);
    title(g, title, width, 28);
    g.setFont(new Font(FONT, Font.PLAIN, 12));
    g.setColor(Color.DARK_GRAY);
    long total = 0;
    for (long n : counts) {
      total += n;
    }
    centered(g, total + " rows; shade = share of the actual class's rows", width / 2, 50);

    Font countFont = fitting(g, counts, cell);
    Font labelFont = new Font(FONT, Font.PLAIN, Math.max(9, Math.min(14, cell / 2)));
    int widestLabel = g.getFontMetrics(labelFont).stringWidth(Integer.toString(classes - 1));
    int labelStep = (widestLabel + 6) / cell + 1;
    for (int a = 0; a < classes; a++) {
      long rowTotal = 0;
      for (int p = 0; p < classes; p++) {
        rowTotal += counts[a * classes + p];
      }
      for (int p = 0; p < classes; p++) {
        long n = counts[a * classes + p];
        double share = rowTotal == 0 ? 0 : (double) n / rowTotal;
        int x = left + p * cell;
        int y = top + a * cell;
        g.setColor(shade(share));
        g.fillRect(x, y, cell, cell);
        if (countFont != null) {
          g.setFont(countFont);
          g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
          FontMetrics fm = g.getFontMetrics();
          centered(g, Long.toString(n), x + cell / 2, y + (cell + fm.getAscent() - fm.getDescent()) / 2);
        }
      }
    }
    g.setColor(Color.GRAY);
    g.setStroke(new BasicStroke(1f));
    g.drawRect(left, top, grid, grid);

    g.setColor(Color.BLACK);
    g.setFont(labelFont);
    FontMetrics lm = g.getFontMetrics();
    for (int c = 0; c < classes; c += labelStep) {
      String s = Integer.toString(c);
      centered(g, s, left + c * cell + cell / 2, top - 8);
      int baseline = top + c * cell + (cell + lm.getAscent() - lm.getDescent()) / 2;
      g.drawString(s, left - 8 - lm.stringWidth(s), baseline);
    }
    g.setFont(new Font(FONT, Font.BOLD, 14));
    centered(g, "Predicted class", left + grid / 2, top - 14 - lm.getHeight());
    Graphics2D rotated = (Graphics2D) g.create();
    rotated.translate(left - 22 - lm.stringWidth(Integer.toString(classes - 1)), top + grid / 2);
    rotated.rotate(-Math.PI / 2);
    centered(rotated, "Actual class", 0, 0);
    rotated.dispose();
    g.dispose();
    writePng(png, img);
  }

  /**
   * An XY chart in the project's style: legend below, white background, light grid, sans-serif
   * fonts (title 16, axis titles 14, ticks 12, legend 13), markers 7; no title when title is empty.
   */
  static XYChart styledChart(String title, String xTitle, String yTitle) {
    XYChart c = new XYChartBuilder().title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    XYStyler s = c.getStyler();
    s.setLegendPosition(Styler.LegendPosition.OutsideS);
    s.setLegendLayout(Styler.LegendLayout.Horizontal);
    s.setLegendBorderColor(Color.WHITE);
    s.setChartTitleVisible(!title.isEmpty());
    s.setMarkerSize(7);
    s.setChartTitleFont(new Font(FONT, Font.BOLD, 16));
    s.setAxisTitleFont(new Font(FONT, Font.PLAIN, 14));
    s.setAxisTickLabelsFont(new Font(FONT, Font.PLAIN, 12));
    s.setLegendFont(new Font(FONT, Font.PLAIN, 13));
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotGridLinesColor(new Color(225, 225, 225));
    return c;
  }

  private static XYChart chart(String title, String yTitle, List<EpochStats> history) {
    XYChart c = styledChart(title, "Epoch", yTitle);
    XYStyler s = c.getStyler();
    // Epochs are whole numbers: label only ticks on one, and for long runs only every step-th epoch
    // counted from the first. XChart places ticks on equally spaced x values and widens their spacing
    // until the labels are distinct, so blank labels in between make it settle on that step.
    int first = history.isEmpty() ? 1 : history.get(0).epoch();
    boolean consecutive = true;
    for (int i = 0; i < history.size(); i++) {
      consecutive &= history.get(i).epoch() == first + i;
    }
    long step = consecutive ? niceStep(history.size() / 10.0) : 1;
    s.setxAxisTickLabelsFormattingFunction(
        v -> v == Math.rint(v) && (Math.round(v) - first) % step == 0 ? Long.toString(Math.round(v)) : "");
    return c;
  }

  private static void add(
      XYChart c, String name, List<EpochStats> history, ToDoubleFunction<EpochStats> metric, int split) {
    addEpochSeries(c, name, history, metric, SPLIT_COLORS[split], 40);
  }

  /**
   * Adds metric per epoch as a solid line in color, skipping epochs where it is not finite (a gap,
   * not a zero), with markers when there are at most markerLimit points. Returns the series, or
   * null when no epoch has a finite value.
   */
  static XYSeries addEpochSeries(XYChart c, String name, List<EpochStats> history,
      ToDoubleFunction<EpochStats> metric, Color color, int markerLimit) {
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    for (EpochStats s : history) {
      double v = metric.applyAsDouble(s);
      if (Double.isFinite(v)) {
        x.add((double) s.epoch());
        y.add(v);
      }
    }
    if (x.isEmpty()) {
      return null;
    }
    XYSeries s = c.addSeries(name, x, y);
    s.setMarker(x.size() <= markerLimit ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    s.setMarkerColor(color);
    s.setLineColor(color);
    s.setLineStyle(new BasicStroke(2f));
    return s;
  }

  private static void paint(Graphics2D g, XYChart c, int x, int width) {
    Graphics2D sub = (Graphics2D) g.create(x, TITLE_HEIGHT, width, CURVES_HEIGHT - TITLE_HEIGHT);
    c.paint(sub, width, CURVES_HEIGHT - TITLE_HEIGHT);
    sub.dispose();
  }

  /** The smallest of 1, 2, 5, 10, 20, 50, ... that is at least {@code x}. */
  private static long niceStep(double x) {
    for (long decade = 1; ; decade *= 10) {
      for (long m : new long[] {1, 2, 5}) {
        if (m * decade >= x) {
          return m * decade;
        }
      }
    }
  }

  /** White through to a dark blue as {@code share} goes from 0 to 1. */
  private static Color shade(double share) {
    double t = Math.sqrt(share);
    return new Color(
        (int) Math.round(255 + (8 - 255) * t),
        (int) Math.round(255 + (48 - 255) * t),
        (int) Math.round(255 + (107 - 255) * t));
  }

  /** The largest font, at most a third of the cell high, in which every count fits its cell; or null. */
  private static Font fitting(Graphics2D g, long[] counts, int cell) {
    long max = 0;
    for (long n : counts) {
      max = Math.max(max, n);
    }
    String widest = Long.toString(max).replaceAll("\\d", "8");
    for (int size = Math.min(18, cell / 3); size >= 8; size--) {
      Font f = new Font(FONT, Font.PLAIN, size);
      if (g.getFontMetrics(f).stringWidth(widest) <= cell - 4) {
        return f;
      }
    }
    return null;
  }

  /** Draws {@code text} centred in bold, shrinking the font until it fits {@code width}. */
  private static void title(Graphics2D g, String text, int width, int baseline) {
    int size = 18;
    do {
      g.setFont(new Font(FONT, Font.BOLD, size--));
    } while (size >= 10 && g.getFontMetrics().stringWidth(text) > width - 20);
    centered(g, text, width / 2, baseline);
  }

  private static void centered(Graphics2D g, String s, int cx, int baseline) {
    g.drawString(s, cx - g.getFontMetrics().stringWidth(s) / 2, baseline);
  }

  private static void writePng(String png, BufferedImage img) {
    AtomicFiles.write(png, "PNG image", out -> encodePng(img, out));
  }

  /**
   * img as PNG onto out, buffered in memory: ImageIO.write would buffer in a temporary file
   * (unless a JVM-wide setting says otherwise) closed from a shutdown hook, which fails with a
   * trace when the disk is full; a plot is small.
   */
  static void encodePng(BufferedImage img, java.io.OutputStream out) throws IOException {
    java.util.Iterator<javax.imageio.ImageWriter> writers = ImageIO.getImageWritersByFormatName(
        "png");
    if (!writers.hasNext()) {
      throw new IOException("this JVM has no PNG writer");
    }
    javax.imageio.ImageWriter w = writers.next();
    try (javax.imageio.stream.ImageOutputStream ios =
        new javax.imageio.stream.MemoryCacheImageOutputStream(out)) {
      w.setOutput(ios);
      w.write(img);
    } finally {
      w.dispose();
    }
  }
}
