package io.gradspark;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * double[] through Java serialization (or any DataOutput: a socket) in bulk. ObjectOutputStream
 * writes a double[] one value at a time (8 byte stores each), which made serialising a step's broadcast parameters and gradient sums
 * the largest single cost of a Spark step; streamed as little-endian bytes through a 64 KB buffer
 * the array is one copy each way and never held twice, with every bit kept (NaN payloads too).
 *
 * <p>An array whose every value is a float number (a float32 training's parameters and sums: see
 * {@code io.gradspark.nn.Precision}) goes as 4-byte floats, half the bytes, and reads back as the
 * same doubles: the encoding is chosen by the values ({@link #allFloats}), so it never loses a
 * bit, and a float64 array pays one comparison (its first value that is not a float).
 */
public final class DoubleArrays {
  private DoubleArrays() {}

  /** Bytes converted at a time: the array is streamed, never copied whole. */
  private static final int CHUNK_BYTES = 1 << 16;

  /** Writes values (may be null): the length, then the values as little-endian bytes. */
  public static void write(DataOutput out, double[] values) throws IOException {
    if (values == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(values.length);
    boolean floats = allFloats(values, 0, values.length);
    out.writeByte(floats ? Float.BYTES : Double.BYTES);
    int size = floats ? Float.BYTES : Double.BYTES;
    byte[] chunk = new byte[(int) Math.max(size,
        Math.min(CHUNK_BYTES, (long) values.length * size))];
    ByteBuffer buf = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    int capacity = chunk.length / size;
    for (int i = 0; i < values.length; i += capacity) {
      int n = Math.min(capacity, values.length - i);
      buf.clear();
      if (floats) {
        for (int k = 0; k < n; k++) {
          buf.putFloat((float) values[i + k]);
        }
      } else {
        buf.asDoubleBuffer().put(values, i, n);
      }
      out.write(chunk, 0, n * size);
    }
  }

  /**
   * Whether every value of values[from, to) is a float number: (double) (float) v == v, which
   * also holds for the infinities and -0.0 (kept by the conversion), and not for NaN (whose
   * payload a float could lose: NaN goes as a double).
   */
  public static boolean allFloats(double[] values, int from, int to) {
    for (int i = from; i < to; i++) {
      if ((double) (float) values[i] != values[i]) {
        return false;
      }
    }
    return true;
  }

  /** Reads what {@link #write} wrote: the values, or null. */
  public static double[] read(DataInput in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      return null;
    }
    double[] values = new double[length];
    readValues(in, values, length);
    return values;
  }

  /**
   * Reads what {@link #write} wrote into into (reused: no allocation), which must have the
   * written length; false when null was written.
   */
  public static boolean readInto(DataInput in, double[] into) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      return false;
    }
    if (length != into.length) {
      throw new IOException("expected " + into.length + " values but the stream has " + length);
    }
    readValues(in, into, length);
    return true;
  }

  private static void readValues(DataInput in, double[] values, int length) throws IOException {
    int size = in.readByte();
    if (size != Float.BYTES && size != Double.BYTES) {
      throw new IOException("values of " + size + " bytes: not an array DoubleArrays wrote");
    }
    byte[] chunk = new byte[(int) Math.max(size, Math.min(CHUNK_BYTES, (long) length * size))];
    ByteBuffer buf = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    int capacity = chunk.length / size;
    for (int i = 0; i < length; i += capacity) {
      int n = Math.min(capacity, length - i);
      in.readFully(chunk, 0, n * size);
      buf.clear();
      if (size == Float.BYTES) {
        for (int k = 0; k < n; k++) {
          values[i + k] = buf.getFloat();
        }
      } else {
        buf.asDoubleBuffer().get(values, i, n);
      }
    }
  }
}
