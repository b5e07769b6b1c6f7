package io.gradspark.nn;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The array conversions a step runs on whole batches and parameter vectors: double to float,
 * float sums, and byte features (unsigned, times a scale) to float or double rows.
 *
 * <p>HotSpot 17 does not vectorize a loop that converts between types of different sizes (double
 * to float, byte to double): each of these loops runs one element at a time. Where the JVM has
 * the incubating Vector API ({@code --add-modules jdk.incubator.vector}, which {@code
 * submit/gradspark} passes; see the README for {@code spark-submit}) and the CPU 256- or 512-bit
 * vectors (AVX2, AVX-512), they run on it ({@link VectorConversions}): 1.7 to 3.7 times faster on
 * a step's sizes (bench {@code io.gradspark.nn.ConversionsBench}); elsewhere they run the scalar
 * loops here.
 *
 * <p>Both give the same bits: every element is one conversion, or one product or sum rounded once,
 * which a vector lane computes exactly as the scalar code does. So a driver with the Vector API
 * and executors without it still agree bit for bit.
 */
public final class Conversions {
  private Conversions() {}

  /** What the two implementations provide; each method as the public one of the same name. */
  interface Kernels {
    void toFloats(double[] src, int from, float[] dst, int to, int n);

    void roundToFloat(double[] src, double[] dst, int n);

    void addAsFloat(double[] into, double[] from, int lo, int hi);

    void addAsFloat(double[] into, float[] from, int n);

    void bytesToFloats(byte[] src, int from, double scale, float[] dst, int to, int n);

    void bytesToDoubles(byte[] src, int from, double scale, double[] dst, int to, int n);
  }

  static final Kernels SCALAR = new Scalar();
  private static final Kernels KERNELS = choose();

  private static Kernels choose() {
    if (Boolean.getBoolean("gradspark.scalar-conversions")
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return SCALAR;
    }
    try {
      return VectorConversions.usable() ? new VectorConversions() : SCALAR;
    } catch (LinkageError e) {
      return SCALAR;
    }
  }

  /**
   * "vector API" or "scalar": which implementation this JVM runs (the property {@code
   * -Dgradspark.scalar-conversions=true} forces the scalar one).
   */
  public static String implementation() {
    return KERNELS == SCALAR ? "scalar" : "vector API";
  }

  /** dst[to + i] = (float) src[from + i] for i in [0, n). dst: modified. */
  public static void toFloats(double[] src, int from, float[] dst, int to, int n) {
    KERNELS.toFloats(src, from, dst, to, n);
  }

  /** dst[i] = (double) (float) src[i] for i in [0, n): each value rounded to float. dst: modified. */
  public static void roundToFloat(double[] src, double[] dst, int n) {
    KERNELS.roundToFloat(src, dst, n);
  }

  /**
   * into[i] = (float) (into[i] + from[i]) for i in [lo, hi): the float32 sum of two float vectors
   * held in doubles (two floats added in double and rounded once give the float32 sum exactly).
   * into: modified.
   */
  public static void addAsFloat(double[] into, double[] from, int lo, int hi) {
    KERNELS.addAsFloat(into, from, lo, hi);
  }

  /** into[i] = (float) (into[i] + from[i]) for i in [0, n), as above. into: modified. */
  public static void addAsFloat(double[] into, float[] from, int n) {
    KERNELS.addAsFloat(into, from, n);
  }

  /**
   * dst[to + i] = (float) ((src[from + i] &amp; 0xff) * scale) for i in [0, n): byte features as
   * floats, the product in double rounded once to float. dst: modified.
   */
  public static void bytesToFloats(byte[] src, int from, double scale, float[] dst, int to,
      int n) {
    KERNELS.bytesToFloats(src, from, scale, dst, to, n);
  }

  /** dst[to + i] = (src[from + i] &amp; 0xff) * scale for i in [0, n). dst: modified. */
  public static void bytesToDoubles(byte[] src, int from, double scale, double[] dst, int to,
      int n) {
    KERNELS.bytesToDoubles(src, from, scale, dst, to, n);
  }

  /**
   * The loops without the Vector API: byte features through a table of their 256 values, and
   * double to float through a block of floats.
   */
  static final class Scalar implements Kernels {
    /**
     * Eight bytes read as one long (any offset): a byte to float fill writes eight zero features
     * at once where all eight are 0, as most of an MNIST image is (81% of its pixels).
     */
    private static final VarHandle EIGHT_BYTES =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    @Override
    public void toFloats(double[] src, int from, float[] dst, int to, int n) {
      for (int i = 0; i < n; i++) {
        dst[to + i] = (float) src[from + i];
      }
    }

    @Override
    public void roundToFloat(double[] src, double[] dst, int n) {
      // through a float block: the two conversions in one loop are 2x slower than each alone
      float[] block = new float[Math.min(1024, n)];
      for (int lo = 0; lo < n; lo += block.length) {
        int m = Math.min(block.length, n - lo);
        for (int i = 0; i < m; i++) {
          block[i] = (float) src[lo + i];
        }
        for (int i = 0; i < m; i++) {
          dst[lo + i] = block[i];
        }
      }
    }

    @Override
    public void addAsFloat(double[] into, double[] from, int lo, int hi) {
      for (int i = lo; i < hi; i++) {
        into[i] = (float) (into[i] + from[i]);
      }
    }

    @Override
    public void addAsFloat(double[] into, float[] from, int n) {
      for (int i = 0; i < n; i++) {
        into[i] = (float) (into[i] + from[i]);
      }
    }

    @Override
    public void bytesToFloats(byte[] src, int from, double scale, float[] dst, int to, int n) {
      float[] value = ByteValues.of(scale).floats;
      int j = 0;
      for (; j + 8 <= n; j += 8) {
        long eight = (long) EIGHT_BYTES.get(src, from + j);
        if (eight == 0L) {
          for (int k = 0; k < 8; k++) {
            dst[to + j + k] = value[0];
          }
        } else {
          for (int k = 0; k < 8; k++) {
            dst[to + j + k] = value[(int) (eight >>> (8 * k)) & 0xff];
          }
        }
      }
      for (; j < n; j++) {
        dst[to + j] = value[src[from + j] & 0xff];
      }
    }

    @Override
    public void bytesToDoubles(byte[] src, int from, double scale, double[] dst, int to, int n) {
      double[] value = ByteValues.of(scale).doubles;
      for (int j = 0; j < n; j++) {
        dst[to + j] = value[src[from + j] & 0xff];
      }
    }
  }

  /**
   * The 256 values a byte feature can take at one scale: (b &amp; 0xff) * scale in double, and
   * that rounded to float, computed by the multiplication that defines a byte feature's value (so
   * a lookup gives the same bits). The last scale's table is kept for the JVM (one scale per
   * dataset, in practice one for all: 1/255).
   */
  private static final class ByteValues {
    private static volatile ByteValues last;
    final double scale;
    final double[] doubles = new double[256];
    final float[] floats = new float[256];

    private ByteValues(double scale) {
      this.scale = scale;
      for (int b = 0; b < 256; b++) {
        doubles[b] = b * scale;
        floats[b] = (float) (b * scale);
      }
    }

    static ByteValues of(double scale) {
      ByteValues t = last;
      if (t == null || Double.doubleToRawLongBits(t.scale) != Double.doubleToRawLongBits(scale)) {
        t = new ByteValues(scale);
        last = t;
      }
      return t;
    }
  }
}
