package io.gradspark.nn;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Conversions} on the incubating Vector API, for CPUs whose widest vectors hold 4 or 8
 * doubles (AVX2, AVX-512): L doubles at a time, each converted, added or multiplied in its lane as
 * the scalar loop does it, and the last n mod L elements by the scalar loop. Byte features go 8 at
 * a time: 8 bytes widened to 8 ints (masked to unsigned), then to doubles in 8 / L parts.
 *
 * <p>Loaded only where the module {@code jdk.incubator.vector} is present ({@link
 * Conversions}).
 */
final class VectorConversions implements Conversions.Kernels {
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  private static final int L = D.length();
  /** Floats of the same lane count: half the bits. */
  private static final VectorSpecies<Float> F =
      VectorSpecies.of(float.class, VectorShape.forBitSize(Math.max(64, L * 32)));
  private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
  private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;

  /** Whether this CPU's vectors suit these loops: 4 or 8 doubles wide. */
  static boolean usable() {
    return L == 4 || L == 8;
  }

  private static final Conversions.Kernels TAIL = Conversions.SCALAR;

  @Override
  public void toFloats(double[] src, int from, float[] dst, int to, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      toFloats(DoubleVector.fromArray(D, src, from + i)).intoArray(dst, to + i);
    }
    TAIL.toFloats(src, from + i, dst, to + i, n - i);
  }

  @Override
  public void roundToFloat(double[] src, double[] dst, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      round(DoubleVector.fromArray(D, src, i)).intoArray(dst, i);
    }
    for (; i < n; i++) {
      dst[i] = (float) src[i];
    }
  }

  @Override
  public void addAsFloat(double[] into, double[] from, int lo, int hi) {
    int i = lo;
    for (; i + L <= hi; i += L) {
      DoubleVector sum = DoubleVector.fromArray(D, into, i).add(DoubleVector.fromArray(D, from, i));
      round(sum).intoArray(into, i);
    }
    TAIL.addAsFloat(into, from, i, hi);
  }

  @Override
  public void addAsFloat(double[] into, float[] from, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      DoubleVector f = (DoubleVector) FloatVector.fromArray(F, from, i)
          .convertShape(VectorOperators.F2D, D, 0);
      round(DoubleVector.fromArray(D, into, i).add(f)).intoArray(into, i);
    }
    for (; i < n; i++) {
      into[i] = (float) (into[i] + from[i]);
    }
  }

  @Override
  public void bytesToFloats(byte[] src, int from, double scale, float[] dst, int to, int n) {
    int j = 0;
    for (; j + 8 <= n; j += 8) {
      IntVector ints = unsigned(src, from + j);
      toFloats(((DoubleVector) ints.convertShape(VectorOperators.I2D, D, 0)).mul(scale))
          .intoArray(dst, to + j);
      if (L == 4) {
        toFloats(((DoubleVector) ints.convertShape(VectorOperators.I2D, D, 1)).mul(scale))
            .intoArray(dst, to + j + 4);
      }
    }
    TAIL.bytesToFloats(src, from + j, scale, dst, to + j, n - j);
  }

  @Override
  public void bytesToDoubles(byte[] src, int from, double scale, double[] dst, int to, int n) {
    int j = 0;
    for (; j + 8 <= n; j += 8) {
      IntVector ints = unsigned(src, from + j);
      ((DoubleVector) ints.convertShape(VectorOperators.I2D, D, 0)).mul(scale)
          .intoArray(dst, to + j);
      if (L == 4) {
        ((DoubleVector) ints.convertShape(VectorOperators.I2D, D, 1)).mul(scale)
            .intoArray(dst, to + j + 4);
      }
    }
    TAIL.bytesToDoubles(src, from + j, scale, dst, to + j, n - j);
  }

  /** Each lane rounded to float: (float) d. */
  private static FloatVector toFloats(DoubleVector d) {
    return (FloatVector) d.convertShape(VectorOperators.D2F, F, 0);
  }

  /** Each lane rounded to float and back: (double) (float) d. */
  private static DoubleVector round(DoubleVector d) {
    return (DoubleVector) toFloats(d).convertShape(VectorOperators.F2D, D, 0);
  }

  /** Bytes src[at .. at + 8) as 8 unsigned ints. */
  private static IntVector unsigned(byte[] src, int at) {
    return ((IntVector) ByteVector.fromArray(B8, src, at)
        .convertShape(VectorOperators.B2I, I8, 0)).and(0xff);
  }
}
