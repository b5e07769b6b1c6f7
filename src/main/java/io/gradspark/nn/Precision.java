package io.gradspark.nn;

import io.gradspark.Named;

/**
 * The arithmetic of a training's forward and backward passes ({@code training.precision}).
 *
 * <ul>
 *   <li>{@link #FLOAT64}: everything in double, the default and the exact reference;
 *   <li>{@link #FLOAT32}: the master-weights scheme. The driver keeps the parameters, the
 *       optimizer's state and the merged sums in double; for each step it rounds the parameters
 *       to float ({@link #round}), the rows are rounded to float as the batch matrix is filled,
 *       and the dense layers run sgemm on float buffers (activations, dropout and heads compute
 *       each element in double and store it as a float). A gradient sum is a vector of float
 *       numbers held in a double[]: every addition of two sums is a float32 addition ({@link
 *       #add}), in the canonical order, wherever it runs (task or driver), so a sum and the
 *       parameters travel as 4 bytes a value ({@link io.gradspark.DoubleArrays}) and the star,
 *       the tree and a job per step give the same bits.
 * </ul>
 */
public enum Precision implements Named {
  FLOAT64("float64"),
  FLOAT32("float32");

  private final String configName;

  Precision(String configName) {
    this.configName = configName;
  }

  @Override
  public String configName() {
    return configName;
  }

  /** By config name: float64 or float32. */
  public static Precision parse(String name) {
    return Named.parse(values(), name, "precision");
  }

  /** Bytes a value takes on the wire: 8 or 4. */
  public int bytes() {
    return this == FLOAT32 ? Float.BYTES : Double.BYTES;
  }

  /**
   * The parameters a step computes with: values itself for FLOAT64; for FLOAT32 each value
   * rounded to the nearest float, into out (modified; allocated when null or of another length).
   * values: not modified.
   */
  public double[] round(double[] values, double[] out) {
    if (this == FLOAT64) {
      return values;
    }
    if (out == null || out.length != values.length) {
      out = new double[values.length];
    }
    // through a float block: HotSpot 17 vectorizes double -> float and float -> double loops
    // but not the round trip in one loop (2x faster here: 29 against 62 us for 50,890 values)
    float[] block = new float[Math.min(1024, values.length)];
    for (int lo = 0; lo < values.length; lo += block.length) {
      int n = Math.min(block.length, values.length - lo);
      for (int i = 0; i < n; i++) {
        block[i] = (float) values[lo + i];
      }
      for (int i = 0; i < n; i++) {
        out[lo + i] = block[i];
      }
    }
    return out;
  }

  /**
   * into[i] += from[i] for i in [lo, hi): in double for FLOAT64; for FLOAT32 the sum rounded to
   * float (two floats added in double and rounded once give the float32 sum exactly: double's
   * 53 bits are more than 2 x 24 + 2). into: modified; from: not modified.
   */
  public void add(double[] into, double[] from, int lo, int hi) {
    if (this == FLOAT64) {
      for (int i = lo; i < hi; i++) {
        into[i] += from[i];
      }
    } else {
      for (int i = lo; i < hi; i++) {
        into[i] = (float) (into[i] + from[i]);
      }
    }
  }
}
