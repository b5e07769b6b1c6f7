package io.gradspark.train;

import io.gradspark.DoubleArrays;
import io.gradspark.nn.Precision;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/**
 * The SUMS a gradient engine returns for one batch: loss sum, gradient sum, row count and weight
 * sum. Sums, not means: a mean of per-partition means would weight small partitions wrongly, so the
 * driver divides once by {@link #weightSum()}. With row weights w_i the sums are sum_i w_i loss_i
 * and sum_i w_i grad_i, and the weight sum is sum_i w_i; unweighted, every w_i is 1 and the weight
 * sum is the row count (exactly: a double holds every count below 2^53). The count stays the number
 * of rows, which the driver checks against the batch. An empty sum carries no gradient array, so
 * that Spark tasks with no rows in the batch ship no W-sized zeros.
 *
 * <p>A sum knows the precision it was computed in: a {@link Precision#FLOAT32} sum is a vector
 * of floats, and {@link #merge} adds two as float32 additions ({@link Precision#add}), so it
 * stays one, travels as 4 bytes a value, and merges to the same bits on a task or the driver.
 */
public final class GradientSum implements Serializable {
  private static final long serialVersionUID = 1L;

  private double lossSum;
  private long count;
  private double weightSum;
  private double[] grad; // null while empty
  private Precision precision = Precision.FLOAT64;

  /** The empty sum. */
  public GradientSum() {}

  /** A sum over {@code count} unweighted rows (weight sum = count); grad is kept, not copied. */
  public GradientSum(double lossSum, long count, double[] grad) {
    this(lossSum, count, count, grad);
  }

  /** A sum over {@code count} rows whose weights sum to weightSum; grad is kept, not copied. */
  public GradientSum(double lossSum, long count, double weightSum, double[] grad) {
    this(lossSum, count, weightSum, grad, Precision.FLOAT64);
  }

  /**
   * As above, computed in precision (a FLOAT32 sum's grad holds floats: see the class comment).
   */
  public GradientSum(double lossSum, long count, double weightSum, double[] grad,
      Precision precision) {
    this.lossSum = lossSum;
    this.count = count;
    this.weightSum = weightSum;
    this.grad = grad;
    this.precision = precision;
  }

  /** Adds other into this one and returns this. other: not modified. */
  public GradientSum merge(GradientSum other) {
    if (other.count == 0) {
      return this;
    }
    if (grad == null) {
      grad = other.grad.clone();
      precision = other.precision;
    } else {
      if (other.precision != precision) {
        throw new IllegalArgumentException("a " + precision.configName() + " sum merged with a "
            + other.precision.configName() + " one");
      }
      precision.add(grad, other.grad, 0, grad.length);
    }
    lossSum += other.lossSum;
    count += other.count;
    weightSum += other.weightSum;
    return this;
  }

  public double lossSum() {
    return lossSum;
  }

  public long count() {
    return count;
  }

  /** sum_i w_i over the rows: what the driver divides by (the row count when unweighted). */
  public double weightSum() {
    return weightSum;
  }

  /** The precision the sum was computed in (FLOAT64 for an empty sum that merged nothing). */
  public Precision precision() {
    return precision;
  }

  /** The gradient sum (not a copy), or null for an empty sum. */
  public double[] grad() {
    return grad;
  }

  /** A Spark task's result: the gradient goes as bytes, in bulk ({@link DoubleArrays}). */
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.writeDouble(lossSum);
    out.writeLong(count);
    out.writeDouble(weightSum);
    out.writeByte(precision.ordinal());
    DoubleArrays.write(out, grad);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    lossSum = in.readDouble();
    count = in.readLong();
    weightSum = in.readDouble();
    precision = Precision.values()[in.readByte()];
    grad = DoubleArrays.read(in);
  }
}
