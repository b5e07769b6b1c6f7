package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * {@link Erf} against erf and erfc computed to 60 digits with mpmath 1.3.0 by
 * src/test/python/activation_reference.py, at 627 points: a grid over [-7, 7], every k/16 in
 * [-6, 6], both sides of each of the algorithm's range boundaries (0.84375, 1.25, 1/0.35, 6, 28),
 * and tiny and large arguments. Each reference is stored as a double-double (hi + lo), so the
 * error measured is against the true value: (ours - hi) - lo, exact in double since ours and hi
 * are within a factor of 2.
 */
class ErfTest {
  /** Each reference row: x, then value pairs (hi, lo). */
  static List<double[]> table(String name) throws IOException {
    List<double[]> rows = new ArrayList<>();
    try (InputStream in = ErfTest.class.getResourceAsStream(name)) {
      String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      for (String line : text.split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] cells = line.split(",");
        double[] row = new double[cells.length];
        for (int i = 0; i < cells.length; i++) {
          row[i] = Double.parseDouble(cells[i]);
        }
        rows.add(row);
      }
    }
    return rows;
  }

  /**
   * |ours - true| / |true| for true = hi + lo; 0 when both are 0. Below the normal range (erfc
   * beyond 26.5) relative error means nothing: there the absolute error counts, in units of
   * Double.MIN_NORMAL.
   */
  static double relativeError(double ours, double hi, double lo) {
    if (ours == hi && lo == 0) {
      return 0;
    }
    double err = Math.abs((ours - hi) - lo);
    return Math.abs(hi) < Double.MIN_NORMAL ? err / Double.MIN_NORMAL * 1e-16 : err / Math.abs(hi);
  }

  @Test
  void erfAndErfcAgreeWithMpmathToAboutOneUlp() throws IOException {
    List<double[]> rows = table("erf-reference.csv");
    assertTrue(rows.size() > 600, "rows " + rows.size());
    double worstErf = 0;
    double worstErfc = 0;
    double atErf = 0;
    double atErfc = 0;
    for (double[] r : rows) {
      double x = r[0];
      double e = relativeError(Erf.erf(x), r[1], r[2]);
      double c = relativeError(Erf.erfc(x), r[3], r[4]);
      if (e > worstErf) {
        worstErf = e;
        atErf = x;
      }
      if (c > worstErfc) {
        worstErfc = c;
        atErfc = x;
      }
    }
    System.out.printf(Locale.ROOT, "erf vs mpmath on %d points: max relative error %.3e (at x = %s)"
        + "; erfc: %.3e (at x = %s); 1 ulp of 1 is 2.2e-16%n", rows.size(), worstErf, atErf,
        worstErfc, atErfc);
    // fdlibm's erf is within 1 ulp; 2.2e-16 is one ulp at the bottom of a binade (the worst case)
    assertTrue(worstErf <= 2.3e-16, "erf: max relative error " + worstErf + " at " + atErf);
    // erfc adds exp's own ulp and a division: 2 ulps
    assertTrue(worstErfc <= 4.5e-16, "erfc: max relative error " + worstErfc + " at " + atErfc);
  }

  @Test
  void specialValuesAndSymmetry() {
    assertEquals(0.0, Erf.erf(0.0), 0.0);
    assertEquals(1.0, Erf.erfc(0.0), 0.0);
    assertEquals(1.0, Erf.erf(Double.POSITIVE_INFINITY), 0.0);
    assertEquals(-1.0, Erf.erf(Double.NEGATIVE_INFINITY), 0.0);
    assertEquals(0.0, Erf.erfc(Double.POSITIVE_INFINITY), 0.0);
    assertEquals(2.0, Erf.erfc(Double.NEGATIVE_INFINITY), 0.0);
    assertTrue(Double.isNaN(Erf.erf(Double.NaN)) && Double.isNaN(Erf.erfc(Double.NaN)));
    // a subnormal argument keeps its digits: erf(x) = 2x/sqrt(pi) there
    double tiny = 3 * Double.MIN_VALUE;
    assertEquals(Math.rint(2 / Math.sqrt(Math.PI) * 3) * Double.MIN_VALUE, Erf.erf(tiny), 0.0);
    for (double x = -7; x <= 7; x += 0.01) {
      assertEquals(-Erf.erf(x), Erf.erf(-x), 0.0, "erf is odd at " + x);
    }
  }

  /** A textbook 1e-7 formula (Abramowitz-Stegun 7.1.26) is a billion times further off. */
  @Test
  void aSinglePrecisionApproximationIsVisiblyWorse() throws IOException {
    double textbook = 0;
    double ours = 0;
    for (double[] r : table("erf-reference.csv")) {
      double x = Math.abs(r[0]);
      double t = 1 / (1 + 0.3275911 * x);
      double y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
          + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
      textbook = Math.max(textbook, Math.abs((Math.copySign(y, r[0]) - r[1]) - r[2]));
      ours = Math.max(ours, Math.abs((Erf.erf(r[0]) - r[1]) - r[2]));
    }
    System.out.printf(Locale.ROOT, "erf max absolute error: Erf %.3e, Abramowitz-Stegun 7.1.26 "
        + "%.3e%n", ours, textbook);
    assertTrue(textbook > 1e-8, "the reference table cannot tell 1e-7 from 1e-16: " + textbook);
    assertTrue(ours < 1e-16, "Erf's absolute error " + ours);
  }
}
