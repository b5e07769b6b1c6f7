package io.gradspark.train;

import io.gradspark.DoubleArrays;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/**
 * The SUMS a gradient engine returns for one batch: loss sum, gradient sum and row count. Sums, not
 * means: a mean of per-partition means would weight small partitions wrongly, so the driver divides
 * once by {@link #count()}. An empty sum carries no gradient array, so that Spark tasks with no rows
 * in the batch ship no W-sized zeros.
 */
public final class GradientSum implements Serializable {
  private static final long serialVersionUID = 1L;

  private double lossSum;
  private long count;
  private double[] grad; // null while empty

  /** The empty sum. */
  public GradientSum() {}

  /** A sum over {@code count} rows; grad is kept, not copied. */
  public GradientSum(double lossSum, long count, double[] grad) {
    this.lossSum = lossSum;
    this.count = count;
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
    return this;
  }

  public double lossSum() {
    return lossSum;
  }

  public long count() {
    return count;
  }

  /** The gradient sum (not a copy), or null for an empty sum. */
  public double[] grad() {
    return grad;
  }

  /** A Spark task's result: the gradient goes as bytes, in bulk ({@link DoubleArrays}). */
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.writeDouble(lossSum);
    out.writeLong(count);
    DoubleArrays.write(out, grad);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    lossSum = in.readDouble();
    count = in.readLong();
    grad = DoubleArrays.read(in);
  }
}
