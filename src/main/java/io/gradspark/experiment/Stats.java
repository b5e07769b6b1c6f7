package io.gradspark.experiment;


/**
 * Mean, sample standard deviation, minimum and maximum of one metric over repeated trials. A result
 * is quoted as mean +- std over seeds rather than as one run, because one run of a small network
 * can be a lucky or an unlucky seed; NaN values (a metric a trial did not measure, a failed trial)
 * are left out and {@code n} says how many values remained.
 *
 * @param std the sample standard deviation (divisor n - 1), NaN for fewer than two values
 */
public record Stats(int n, double mean, double std, double min, double max) {

  public static final Stats NONE = new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

  /** The statistics of the finite values among {@code values}. */
  public static Stats of(double[] values) {
    int n = 0;
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      if (Double.isFinite(v)) {
        n++;
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    if (n == 0) {
      return NONE;
    }
    double mean = sum / n;
    double squares = 0;
    for (double v : values) {
      if (Double.isFinite(v)) {
        squares += (v - mean) * (v - mean);
      }
    }
    return new Stats(n, mean, n > 1 ? Math.sqrt(squares / (n - 1)) : Double.NaN, min, max);
  }
}
