package io.gradspark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gradspark.train.GradientSum;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

/** Gradient sums through Java serialization keep every bit, NaN payloads and -0.0 included. */
class DoubleArraysTest {

  private static GradientSum roundTrip(GradientSum s) throws IOException, ClassNotFoundException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(s);
    }
    try (ObjectInputStream in = new ObjectInputStream(
        new ByteArrayInputStream(bytes.toByteArray()))) {
      return (GradientSum) in.readObject();
    }
  }

  @Test
  void gradientSumsRoundTripBitForBit() throws Exception {
    double[] g = new java.util.SplittableRandom(3).doubles(1001, -1e3, 1e3).toArray();
    g[0] = -0.0;
    g[1] = Double.longBitsToDouble(0x7ff8_0000_dead_beefL); // a NaN with a payload
    g[2] = Double.MIN_VALUE;
    g[3] = Double.NEGATIVE_INFINITY;
    GradientSum back = roundTrip(new GradientSum(12.5, 7, g));
    assertEquals(12.5, back.lossSum(), 0.0);
    assertEquals(7, back.count());
    int differing = 0;
    for (int i = 0; i < g.length; i++) {
      if (Double.doubleToRawLongBits(g[i]) != Double.doubleToRawLongBits(back.grad()[i])) {
        differing++;
      }
    }
    System.out.println("gradient sum round trip: " + differing + " of " + g.length
        + " values differ in any bit");
    assertEquals(0, differing);
    assertNull(roundTrip(new GradientSum()).grad(), "an empty sum stays without an array");
  }

  /**
   * A float32 sum (every value a float) goes as 4 bytes a value and comes back with every bit,
   * its precision with it; one value that is not a float sends the whole array as doubles.
   */
  @Test
  void floatValuedSumsTravelAtHalfTheBytesAndKeepTheirBits() throws Exception {
    double[] g = new java.util.SplittableRandom(5).doubles(4000, -1e3, 1e3).toArray();
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) g[i];
    }
    g[0] = -0.0;
    g[1] = Float.MIN_VALUE;
    g[2] = Double.POSITIVE_INFINITY;
    GradientSum f32 = new GradientSum(1.5, 3, 2.5, g, io.gradspark.nn.Precision.FLOAT32);
    GradientSum back = roundTrip(f32);
    assertEquals(io.gradspark.nn.Precision.FLOAT32, back.precision());
    for (int i = 0; i < g.length; i++) {
      assertEquals(Double.doubleToRawLongBits(g[i]), Double.doubleToRawLongBits(back.grad()[i]),
          "value " + i);
    }
    long floats = serialized(f32);
    double[] d = g.clone();
    d[g.length - 1] = 0.1; // not a float
    long doubles = serialized(new GradientSum(1.5, 3, 2.5, d));
    System.out.printf("a sum of %d values: %d bytes as floats, %d as doubles%n", g.length,
        floats, doubles);
    // the object stream adds a few bytes of block headers per 1 KB either way
    assertEquals(4L * g.length, doubles - floats, 200.0);
    assertEquals(Double.doubleToRawLongBits(0.1),
        Double.doubleToRawLongBits(roundTrip(new GradientSum(1.5, 3, 2.5, d)).grad()[3999]));
  }

  private static long serialized(GradientSum s) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(s);
    }
    return bytes.size();
  }
}
