package io.gradspark.experiment;

import java.util.Locale;

/** How figures read in the tables of repeat, sweep and report: metrics, mean ± std, durations. */
public final class Format {
  private Format() {}

  /** A metric for tables: a fraction as a percentage with two decimals, else 4 significant. */
  public static String metric(double v, boolean percent) {
    if (!Double.isFinite(v)) {
      return "-";
    }
    if (percent) {
      return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }
    String s = Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.1f", v)
        : String.format(Locale.ROOT, "%.4g", v);
    // 3.000 epochs reads as 3
    return s.contains(".") && !s.contains("e") ? s.replaceAll("0+$", "").replaceAll("\\.$", "")
        : s;
  }

  /** "mean ± std" of fractions as percentages, the mean alone for one value, "-" for none. */
  public static String meanStd(Stats s) {
    if (s.n() == 0) {
      return "-";
    }
    return metric(s.mean(), true) + (Double.isFinite(s.std()) ? " ± " + metric(s.std(), true)
        : "");
  }

  /** "12.3 s", "4 min 05 s" or "2 h 07 min". */
  public static String duration(double seconds) {
    if (seconds < 60) {
      return String.format(Locale.ROOT, "%.1f s", seconds);
    }
    long s = Math.round(seconds);
    return s < 3600 ? String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60)
        : String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
  }

  /** A status without its message: "ok", "diverged", "failed", "1 of 3 trials diverged". */
  public static String statusWord(String status) {
    int colon = status.indexOf(':');
    return colon < 0 ? status : status.substring(0, colon);
  }
}
