package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Byte rows give each feature the value (b & 0xff) * scale, bit for bit, as doubles and floats,
 * row by row and in a batch.
 */
class RowBlockTest {

  @Test
  void byteFeaturesAreTheirValueTimesTheScaleBitForBit() {
    byte[] bytes = new byte[256 * 2];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    int mismatches = 0;
    // the scales of the shipped configs, one that is not a power of two's inverse, a negative one
    // (a 0 byte is then -0.0), and the same block read at two scales in turn (the table of values
    // follows the scale)
    for (double scale : new double[] {1 / 255.0, 0.00392156862745098, 0.1, 3.7, -0.5,
        1 / 255.0}) {
      RowBlock block = RowBlock.ofBytes(bytes, 2, 256, scale, new double[2]);
      double[] d = new double[256];
      float[] f = new float[256];
      for (int r = 0; r < 2; r++) {
        // the arrays hold what the last row left there, as a reused batch matrix does
        java.util.Arrays.fill(d, Double.NaN);
        java.util.Arrays.fill(f, Float.NaN);
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
    System.out.println("byte features as doubles and floats, 6 scales: " + mismatches
        + " values differ from (b & 0xff) * scale (max difference 0 when none)");
    assertEquals(0, mismatches);
  }

  @Test
  void copyRowsGivesEachRowsFeaturesBitForBitWhateverItsZeroRunsAndOffsets() {
    // 37 columns: rows start at every offset mod 8 and end in a partial group of eight; each row
    // mixes zero runs (whole eights of zeros, and zeros among other bytes) with values
    int rows = 40;
    int cols = 37;
    byte[] bytes = new byte[rows * cols];
    double[] values = new double[rows * cols];
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (random.nextInt(3) == 0 ? random.nextInt(256) : 0);
      values[i] = bytes[i] == 0 ? 0.0 : random.nextGaussian();
    }
    double scale = 1 / 255.0;
    int firstId = 1000;
    int[] ids = new int[2 + 25];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = firstId + random.nextInt(rows);
    }
    int mismatches = 0;
    for (RowBlock block : new RowBlock[] {RowBlock.ofBytes(bytes, rows, cols, scale,
        new double[rows]), RowBlock.ofDoubles(values, rows, cols, new double[rows])}) {
      // a batch matrix is reused from step to step: every value must be written, zeros too
      double[] d = new double[25 * cols];
      float[] f = new float[25 * cols];
      java.util.Arrays.fill(d, Double.NaN);
      java.util.Arrays.fill(f, Float.NaN);
      block.copyRows(ids, 2, 25, firstId, d, 0);
      block.copyRows(ids, 2, 25, firstId, f, 0);
      for (int r = 0; r < 25; r++) {
        for (int j = 0; j < cols; j++) {
          double expected = block.feature(ids[2 + r] - firstId, j);
          mismatches += Double.doubleToRawLongBits(expected)
              == Double.doubleToRawLongBits(d[r * cols + j]) ? 0 : 1;
          mismatches += Float.floatToRawIntBits((float) expected)
              == Float.floatToRawIntBits(f[r * cols + j]) ? 0 : 1;
        }
      }
    }
    System.out.println("copyRows of 25 random rows of 37 columns, bytes and doubles: " + mismatches
        + " values differ from feature(r, j) (max difference 0 when none)");
    assertEquals(0, mismatches);
  }
}
