package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Byte rows give each feature the value (b & 0xff) * scale, bit for bit, as doubles and floats. */
class RowBlockTest {

  @Test
  void byteFeaturesAreTheirValueTimesTheScaleBitForBit() {
    byte[] bytes = new byte[256 * 2];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    int mismatches = 0;
    // the scales of the shipped configs, one that is not a power of two's inverse, and the same
    // block read at two scales in turn (the table of values follows the scale)
    for (double scale : new double[] {1 / 255.0, 0.00392156862745098, 0.1, 3.7, 1 / 255.0}) {
      RowBlock block = RowBlock.ofBytes(bytes, 2, 256, scale, new double[2]);
      double[] d = new double[256];
      float[] f = new float[256];
      for (int r = 0; r < 2; r++) {
        block.copyRow(r, d, 0);
        block.copyRow(r, f, 0);
        for (int j = 0; j < 256; j++) {
          double expected = (bytes[r * 256 + j] & 0xff) * scale;
          mismatches += Double.doubleToRawLongBits(expected) == Double.doubleToRawLongBits(d[j])
              ? 0 : 1;
          mismatches += Float.floatToRawIntBits((float) expected)
              == Float.floatToRawIntBits(f[j]) ? 0 : 1;
        }
      }
    }
    System.out.println("byte features as doubles and floats, 5 scales: " + mismatches
        + " values differ from (b & 0xff) * scale (max difference 0 when none)");
    assertEquals(0, mismatches);
  }
}
