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
    byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, (long) values.length * Double.BYTES)];
    java.nio.DoubleBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN)
        .asDoubleBuffer();
    for (int i = 0; i < values.length; i += view.capacity()) {
      int n = Math.min(view.capacity(), values.length - i);
      view.clear();
      view.put(values, i, n);
      out.write(chunk, 0, n * Double.BYTES);
    }
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
    byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, (long) length * Double.BYTES)];
    java.nio.DoubleBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN)
        .asDoubleBuffer();
    for (int i = 0; i < length; i += view.capacity()) {
      int n = Math.min(view.capacity(), length - i);
      in.readFully(chunk, 0, n * Double.BYTES);
      view.clear();
      view.get(values, i, n);
    }
  }
}
