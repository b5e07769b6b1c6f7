package io.gradspark.io;

import io.gradspark.eval.EpochStats;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts of repeated and swept experiments: a metric against a swept setting with error bars,
 * several runs' learning curves on one chart (to compare e.g. momentum with plain SGD), and train
 * against validation loss with the epoch where the validation loss bottoms out, which is where
 * overfitting starts. Same look as {@link Plots}; drawn off-screen.
 */
public final class ExperimentPlots {
  public static final int WIDTH = 1200;
  public static final int HEIGHT = 520;
  private static final int TITLE_HEIGHT = 50;
  private static final String FONT = Font.SANS_SERIF;
  private static final Color[] COLORS = {
    new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44),
    new Color(148, 103, 189), new Color(255, 127, 14), new Color(140, 86, 75),
    new Color(227, 119, 194), new Color(127, 127, 127), new Color(188, 189, 34),
    new Color(23, 190, 207)
  };

  private ExperimentPlots() {}

  /** One line of a sweep chart: y (with error bar err, NaN = none) at x; NaN points are left out. */
  public record Series(String name, double[] x, double[] y, double[] err) {}

  /**
   * A metric against a swept setting, one line per series, error bars of err. With
   * {@code categories} (not null) x holds indices into it and the axis is labelled with its
   * entries; otherwise x is numeric, on a log axis when {@code logX}.
   */
  public static void sweep(Path png, String title, String subtitle, String xTitle, String yTitle,
      List<Series> series, boolean logX, List<String> categories) {
    XYChart c = chart("", xTitle, yTitle);
    XYStyler s = c.getStyler();
    s.setXAxisLogarithmic(logX);
    s.setErrorBarsColorSeriesColor(true);
    if (categories != null) {
      s.setXAxisMin(-0.5);
      s.setXAxisMax(categories.size() - 0.5);
      s.setxAxisTickLabelsFormattingFunction(v -> {
        long i = Math.round(v);
        return Math.abs(v - i) < 1e-9 && i >= 0 && i < categories.size() ? categories.get((int) i)
            : "";
      });
    } else if (!logX) {
      s.setxAxisTickLabelsFormattingFunction(ExperimentPlots::number);
    }
    int k = 0;
    for (Series one : series) {
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      List<Double> e = new ArrayList<>();
      for (int i = 0; i < one.x().length; i++) {
        if (Double.isFinite(one.x()[i]) && Double.isFinite(one.y()[i])) {
          x.add(one.x()[i]);
          y.add(one.y()[i]);
          e.add(Double.isFinite(one.err()[i]) ? one.err()[i] : 0.0);
        }
      }
      Color color = COLORS[k++ % COLORS.length];
      if (!x.isEmpty()) {
        XYSeries xy = c.addSeries(one.name(), x, y, e);
        xy.setMarker(SeriesMarkers.CIRCLE);
        xy.setMarkerColor(color);
        xy.setLineColor(color);
        xy.setLineStyle(new BasicStroke(2f));
      }
    }
    if (c.getSeriesMap().isEmpty()) {
      c.addSeries("no finished point", new double[] {0}, new double[] {0})
          .setMarker(SeriesMarkers.NONE);
    }
    s.setLegendVisible(series.size() > 1 || c.getSeriesMap().containsKey("no finished point"));
    write(png, title, subtitle, List.of(c));
  }

  /** A run's learning curves for {@link #compare}: a name and its (mean) history. */
  public record Run(String name, List<EpochStats> history) {}

  /**
   * Several runs on one chart: loss per epoch (training solid, test dashed, or validation when
   * there is no test set) and accuracy per epoch (test, else validation), one colour per run.
   * Keep run names short: the legends sit inside the plots.
   */
  public static void compare(Path png, String title, String subtitle, List<Run> runs) {
    XYChart loss = chart("Loss", "Epoch", "Loss (mean per row)");
    XYChart acc = chart("Accuracy", "Epoch", "Accuracy (%)");
    // four or more entries do not fit below a half-width chart: inside, where the curves are not
    // (losses fall, accuracies rise)
    for (XYChart c : List.of(loss, acc)) {
      c.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
      c.getStyler().setLegendBackgroundColor(new Color(255, 255, 255, 220));
      c.getStyler().setLegendBorderColor(Color.LIGHT_GRAY);
    }
    loss.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    acc.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    boolean positive = true;
    double lo = Double.POSITIVE_INFINITY;
    double hi = 0;
    int k = 0;
    for (Run r : runs) {
      Color color = COLORS[k++ % COLORS.length];
      boolean test = r.history().stream().anyMatch(e -> Double.isFinite(e.testLoss()));
      add(loss, r.name() + " train", r.history(), EpochStats::trainLoss, color, false);
      add(loss, r.name() + (test ? " test" : " validation"), r.history(),
          test ? EpochStats::testLoss : EpochStats::valLoss, color, true);
      boolean testAcc = r.history().stream().anyMatch(e -> Double.isFinite(e.testAccuracy()));
      add(acc, r.name() + (testAcc ? " test" : " validation"), r.history(),
          e -> 100 * (testAcc ? e.testAccuracy() : e.valAccuracy()), color, false);
      for (EpochStats e : r.history()) {
        for (double v : new double[] {e.trainLoss(), test ? e.testLoss() : e.valLoss()}) {
          if (Double.isFinite(v)) {
            positive &= v > 0;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
      }
    }
    loss.getStyler().setYAxisLogarithmic(positive && lo > 0 && hi / lo > 20);
    write(png, title, subtitle, acc.getSeriesMap().isEmpty() ? List.of(loss) : List.of(loss, acc));
  }

  /**
   * Train, validation and test loss per epoch with a vertical line at {@code bestEpoch} (the lowest
   * validation loss, 0 = none): after it the training loss keeps falling while the validation loss
   * rises, the network overfits. Beside it, validation and test accuracy.
   */
  public static void overfitting(Path png, String title, String subtitle,
      List<EpochStats> history, int bestEpoch) {
    overfitting(png, title, subtitle, history, bestEpoch, 0);
  }

  /**
   * As above, and a dotted line at lowestTestEpoch (0 = none). Runs of more than 200 epochs get a
   * logarithmic epoch axis, so the first tens of epochs, where the validation loss turns, keep
   * their room beside the hundreds after.
   */
  public static void overfitting(Path png, String title, String subtitle,
      List<EpochStats> history, int bestEpoch, int lowestTestEpoch) {
    XYChart loss = chart("Loss", "Epoch", "Loss (mean per row)");
    add(loss, "train", history, EpochStats::trainLoss, COLORS[0], false);
    add(loss, "validation", history, EpochStats::valLoss, COLORS[4], false);
    add(loss, "test", history, EpochStats::testLoss, COLORS[2], true);
    double lo = Double.POSITIVE_INFINITY;
    double hi = 0;
    for (EpochStats e : history) {
      for (double v : new double[] {e.trainLoss(), e.valLoss(), e.testLoss()}) {
        if (Double.isFinite(v) && v > 0) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    boolean log = lo > 0 && hi / lo > 20;
    loss.getStyler().setYAxisLogarithmic(log);
    if (bestEpoch > 0 && hi > 0) {
      markEpoch(loss, "lowest validation loss (epoch " + bestEpoch + ")", bestEpoch, lo, hi,
          Color.GRAY, new float[] {3f, 4f});
    }
    if (lowestTestEpoch > 0 && hi > 0) {
      markEpoch(loss, "lowest test loss (epoch " + lowestTestEpoch + ")", lowestTestEpoch, lo, hi,
          Color.BLACK, new float[] {1f, 3f});
    }
    boolean logEpochs = history.size() > 200;
    loss.getStyler().setXAxisLogarithmic(logEpochs);
    if (logEpochs) {
      loss.setXAxisTitle("Epoch (log scale)");
    }
    XYChart acc = chart("Accuracy", "Epoch", "Accuracy (%)");
    acc.getStyler().setXAxisLogarithmic(logEpochs);
    if (logEpochs) {
      acc.setXAxisTitle("Epoch (log scale)");
    }
    add(acc, "validation", history, e -> 100 * e.valAccuracy(), COLORS[4], false);
    add(acc, "test", history, e -> 100 * e.testAccuracy(), COLORS[2], true);
    write(png, title, subtitle, acc.getSeriesMap().isEmpty() ? List.of(loss) : List.of(loss, acc));
  }

  /** A vertical line at epoch from lo to hi, in color, dashed with dash. */
  private static void markEpoch(XYChart c, String name, int epoch, double lo, double hi,
      Color color, float[] dash) {
    XYSeries line = c.addSeries(name, new double[] {epoch, epoch}, new double[] {lo, hi});
    line.setMarker(SeriesMarkers.NONE);
    line.setLineColor(color);
    line.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
        dash, 0f));
  }

  /** The project's chart style, a little more compact: several of these share one image. */
  private static XYChart chart(String title, String xTitle, String yTitle) {
    XYChart c = Plots.styledChart(title, xTitle, yTitle);
    XYStyler s = c.getStyler();
    s.setMarkerSize(6);
    s.setChartTitleFont(new Font(FONT, Font.BOLD, 15));
    s.setLegendFont(new Font(FONT, Font.PLAIN, 12));
    return c;
  }

  private static void add(XYChart c, String name, List<EpochStats> history,
      ToDoubleFunction<EpochStats> metric, Color color, boolean dashed) {
    XYSeries s = Plots.addEpochSeries(c, name, history, metric, color, 30);
    if (s != null && dashed) {
      s.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
          new float[] {7f, 5f}, 0f));
    }
  }

  /** A tick label: integers without decimals, others with up to 4 significant digits. */
  private static String number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e9) {
      return Long.toString((long) v);
    }
    String s = String.format(Locale.ROOT, "%.4g", v);
    return s.contains("e") ? s : s.replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  /** The title (and a smaller subtitle line) above the charts, side by side. */
  private static void write(Path png, String title, String subtitle, List<XYChart> charts) {
    BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
        RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    g.setColor(Color.BLACK);
    centered(g, title, Font.BOLD, 18, 24);
    if (subtitle != null && !subtitle.isEmpty()) {
      g.setColor(Color.DARK_GRAY);
      centered(g, subtitle, Font.PLAIN, 13, 43);
    }
    int w = WIDTH / charts.size();
    for (int i = 0; i < charts.size(); i++) {
      Graphics2D sub = (Graphics2D) g.create(i * w, TITLE_HEIGHT, w, HEIGHT - TITLE_HEIGHT);
      charts.get(i).paint(sub, w, HEIGHT - TITLE_HEIGHT);
      sub.dispose();
    }
    g.dispose();
    AtomicFiles.write(png, "PNG image", out -> Plots.encodePng(img, out));
  }

  /** Draws text centred, shrinking the font until it fits the width. */
  private static void centered(Graphics2D g, String text, int style, int size, int baseline) {
    int s = size;
    do {
      g.setFont(new Font(FONT, style, s--));
    } while (s >= 9 && g.getFontMetrics().stringWidth(text) > WIDTH - 20);
    g.drawString(text, (WIDTH - g.getFontMetrics().stringWidth(text)) / 2, baseline);
  }
}
