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
}
