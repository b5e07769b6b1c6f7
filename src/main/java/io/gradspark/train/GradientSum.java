package io.gradspark.train;

import io.gradspark.DoubleArrays;
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
 */
public final class GradientSum implements Serializable {
  private static final long serialVersionUID = 1L;

  private double lossSum;
  private long count;
  private double weightSum;
  private double[] grad; // null while empty

  /** The empty sum. */
  public GradientSum() {}

  /** A sum over {@code count} unweighted rows (weight sum = count); grad is kept, not copied. */
  public GradientSum(double lossSum, long count, double[] grad) {
    this(lossSum, count, count, grad);
  }

  /** A sum over {@code count} rows whose weights sum to weightSum; grad is kept, not copied. */
  public GradientSum(double lossSum, long count, double weightSum, double[] grad) {
    this.lossSum = lossSum;
    this.count = count;
    this.weightSum = weightSum;
    this.grad = grad;
  }

  /** Adds other into this one and returns this. other: not modified. */
  public GradientSum merge(GradientSum other) {
    if (other.count == 0) {
      return this;
    }
    if (grad == null) {
      grad = other.grad.clone();
    } else {
      for (int i = 0; i < grad.length; i++) {
        grad[i] += other.grad[i];
      }
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

  /** The gradient sum (not a copy), or null for an empty sum. */
  public double[] grad() {
    return grad;
  }

  /** A Spark task's result: the gradient goes as bytes, in bulk ({@link DoubleArrays}). */
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.writeDouble(lossSum);
    out.writeLong(count);
    out.writeDouble(weightSum);
    DoubleArrays.write(out, grad);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    lossSum = in.readDouble();
    count = in.readLong();
    weightSum = in.readDouble();
    grad = DoubleArrays.read(in);
  }
}
