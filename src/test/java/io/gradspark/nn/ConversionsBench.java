package io.gradspark.nn;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What the Vector API conversions gain: each {@link Conversions} kernel on the sizes a step of
 * conf/mnist.conf gives it (50,890 parameters; a batch of 256 MNIST-like rows of 784 bytes, 81% of
 * them 0), by the scalar loops and by {@link VectorConversions}, alternating, in one run. Prints
 * the median microseconds of each and their ratio, and checks that both give the same bits.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector \
 *   -cp target/test-classes:target/gradspark-0.1.0-SNAPSHOT.jar:$(cat target/spark-classpath.txt) \
 *   io.gradspark.nn.ConversionsBench [PARAMS [ROWS [CALLS]]]   # 50890 256 3000
 * </pre>
 */
public final class ConversionsBench {
  private ConversionsBench() {}

  private interface Kernel {
    void run(Conversions.Kernels k, int call);
  }

  public static void main(String[] args) {
    int params = args.length > 0 ? Integer.parseInt(args[0]) : 50_890;
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    int calls = args.length > 2 ? Integer.parseInt(args[2]) : 3000;
    if (!VectorConversions.usable()
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      System.err.println("needs --add-modules jdk.incubator.vector and a CPU with AVX2 or AVX-512");
      System.exit(2);
    }
    SplittableRandom rng = new SplittableRandom(1);
    double[] values = new double[params];
    double[] into = new double[params];
    float[] floats = new float[params];
    for (int i = 0; i < params; i++) {
      values[i] = rng.nextGaussian();
      into[i] = (float) rng.nextGaussian();
      floats[i] = (float) rng.nextGaussian();
    }
    int cols = 784;
    byte[] pixels = new byte[rows * cols];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = rng.nextInt(100) < 81 ? 0 : (byte) rng.nextInt(1, 256);
    }
    Conversions.Kernels scalar = Conversions.SCALAR;
    Conversions.Kernels vector = new VectorConversions();
    float[][] outF = {new float[Math.max(params, rows * cols)], new float[Math.max(params, rows * cols)]};
    double[][] outD = {new double[Math.max(params, rows * cols)], new double[Math.max(params, rows * cols)]};
    String[] names = {"toFloats (parameters)", "roundToFloat (parameters)",
        "addAsFloat double[] (merge two sums)", "addAsFloat float[] (add a pass's gradient)",
        "bytesToFloats (fill a float32 batch)", "bytesToDoubles (fill a float64 batch)"};
    Kernel[] kernels = {
        (k, c) -> k.toFloats(values, 0, outF[c], 0, params),
        (k, c) -> k.roundToFloat(values, outD[c], params),
        (k, c) -> {
          System.arraycopy(into, 0, outD[c], 0, params);
          k.addAsFloat(outD[c], values, 0, params);
        },
        (k, c) -> {
          System.arraycopy(into, 0, outD[c], 0, params);
          k.addAsFloat(outD[c], floats, params);
        },
        (k, c) -> {
          for (int r = 0; r < rows; r++) {
            k.bytesToFloats(pixels, r * cols, 1 / 255.0, outF[c], r * cols, cols);
          }
        },
        (k, c) -> {
          for (int r = 0; r < rows; r++) {
            k.bytesToDoubles(pixels, r * cols, 1 / 255.0, outD[c], r * cols, cols);
          }
        }};
    System.out.printf(Locale.ROOT, "%d parameters, %d rows of %d bytes; vectors of %d doubles; "
        + "medians of %d calls each (the array copy before an add included for both)%n", params,
        rows, cols, jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length(), calls);
    for (int k = 0; k < kernels.length; k++) {
      long[][] nanos = new long[2][calls];
      for (int c = 0; c < calls; c++) {
        for (int which = 0; which < 2; which++) {
          int first = (c + which) % 2; // alternate which goes first
          long t0 = System.nanoTime();
          kernels[k].run(first == 0 ? scalar : vector, first);
          nanos[first][c] = System.nanoTime() - t0;
        }
      }
      boolean same = Arrays.equals(outF[0], outF[1]) && Arrays.equals(outD[0], outD[1]);
      Arrays.sort(nanos[0]);
      Arrays.sort(nanos[1]);
      double s = nanos[0][calls / 2] / 1e3;
      double v = nanos[1][calls / 2] / 1e3;
      System.out.printf(Locale.ROOT, "%-44s scalar %7.1f us  vector API %7.1f us  %.2fx  %s%n",
          names[k], s, v, v / s, same ? "same bits" : "BITS DIFFER");
      if (!same) {
        System.exit(1);
      }
    }
  }
}
