package io.gradspark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * double[] through Java serialization in bulk. ObjectOutputStream writes a double[] one value at a
 * time (8 byte stores each), which made serialising a step's broadcast parameters and gradient sums
 * the largest single cost of a Spark step; as little-endian bytes the array is one copy each way,
 * with every bit kept (NaN payloads too).
 */
public final class DoubleArrays {
  private DoubleArrays() {}

  /** Writes values (may be null) as one byte array. */
  public static void write(ObjectOutputStream out, double[] values) throws IOException {
    if (values == null) {
      out.writeObject(null);
      return;
    }
    byte[] bytes = new byte[Math.multiplyExact(values.length, Double.BYTES)];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(values);
    out.writeObject(bytes);
  }

  /** Reads what {@link #write} wrote: the values, or null. */
  public static double[] read(ObjectInputStream in) throws IOException, ClassNotFoundException {
    byte[] bytes = (byte[]) in.readObject();
    if (bytes == null) {
      return null;
    }
    if (bytes.length % Double.BYTES != 0) {
      throw new java.io.InvalidObjectException(
          "a double array of " + bytes.length + " bytes (not a multiple of 8)");
    }
    double[] values = new double[bytes.length / Double.BYTES];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(values);
    return values;
  }
}
