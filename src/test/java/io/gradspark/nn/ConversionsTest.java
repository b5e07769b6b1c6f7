package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Vector API conversions give the scalar loops' bits, value for value: on every length from 0
 * to 41 (the vector part, the tail, both), at offsets, with NaN, infinities, signed zeros,
 * subnormals, values that overflow float and halfway cases of float rounding; and each scalar
 * loop is the formula {@link Conversions} gives for it.
 */
class ConversionsTest {

  /** Doubles of every kind a conversion meets; the others of float size, rounded to float. */
  private static double[] doubles(SplittableRandom rng, int n, boolean floatsOnly) {
    double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0,
        1e300, -1e300, 1e-320, -1e-40, 3.4028235677973366e38, 1.401298464324817e-45,
        1 + 0x1p-24, 1 + 0x1p-24 + 0x1p-50, Double.MIN_VALUE};
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = rng.nextInt(5) == 0 ? special[rng.nextInt(special.length)]
          : rng.nextGaussian() * Math.pow(10, rng.nextInt(-12, 12));
      if (floatsOnly) {
        v[i] = (float) v[i];
      }
    }
    return v;
  }

  private static byte[] bytes(SplittableRandom rng, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = rng.nextInt(3) == 0 ? 0 : (byte) rng.nextInt(256); // zero runs, as MNIST has
    }
    return b;
  }

  /**
   * Where kernels a and b disagree, or where a differs from the formula of {@link Conversions}:
   * one line per disagreement, over lengths 0..41 and offsets 0..2, in 40 rounds of other values
   * (so that the JIT compiles the vector code, whose compiled form is what the runs use).
   */
  static List<String> mismatches(Conversions.Kernels a, Conversions.Kernels b) {
    List<String> wrong = new ArrayList<>();
    for (int round = 0; round < 40 && wrong.isEmpty(); round++) {
      mismatches(a, b, new SplittableRandom(round), wrong);
    }
    return wrong;
  }

  private static void mismatches(Conversions.Kernels a, Conversions.Kernels b,
      SplittableRandom rng, List<String> wrong) {
    for (int n = 0; n <= 41; n++) {
      for (int off = 0; off <= 2; off++) {
        String at = "n=" + n + " offset=" + off + ": ";
        double[] src = doubles(rng, n + off, false);
        float[] fa = new float[n + off + 1];
        float[] fb = new float[n + off + 1];
        a.toFloats(src, off, fa, 1, n);
        b.toFloats(src, off, fb, 1, n);
        for (int i = 0; i < n; i++) {
          check(wrong, at + "toFloats " + i, (float) src[off + i], fa[1 + i], fb[1 + i]);
        }

        double[] da = new double[n];
        double[] db = new double[n];
        a.roundToFloat(src, da, n);
        b.roundToFloat(src, db, n);
        for (int i = 0; i < n; i++) {
          check(wrong, at + "roundToFloat " + i, (float) src[i], da[i], db[i]);
        }

        double[] into = doubles(rng, n + off, true);
        double[] from = doubles(rng, n + off, true);
        double[] ia = into.clone();
        double[] ib = into.clone();
        a.addAsFloat(ia, from, off, n + off);
        b.addAsFloat(ib, from, off, n + off);
        for (int i = off; i < n + off; i++) {
          check(wrong, at + "addAsFloat(double[]) " + i, (float) (into[i] + from[i]), ia[i], ib[i]);
        }

        float[] fl = new float[n];
        for (int i = 0; i < n; i++) {
          fl[i] = (float) from[i];
        }
        ia = into.clone();
        ib = into.clone();
        a.addAsFloat(ia, fl, n);
        b.addAsFloat(ib, fl, n);
        for (int i = 0; i < n; i++) {
          check(wrong, at + "addAsFloat(float[]) " + i, (float) (into[i] + fl[i]), ia[i], ib[i]);
        }

        byte[] px = bytes(rng, n + off);
        for (double scale : new double[] {1 / 255.0, 1.0, 0.1, 3e-39}) {
          float[] ba = new float[n + 2];
          float[] bb = new float[n + 2];
          a.bytesToFloats(px, off, scale, ba, 2, n);
          b.bytesToFloats(px, off, scale, bb, 2, n);
          double[] ca = new double[n + 2];
          double[] cb = new double[n + 2];
          a.bytesToDoubles(px, off, scale, ca, 2, n);
          b.bytesToDoubles(px, off, scale, cb, 2, n);
          for (int i = 0; i < n; i++) {
            double exact = (px[off + i] & 0xff) * scale;
            check(wrong, at + "bytesToFloats scale " + scale + " " + i, (float) exact, ba[2 + i],
                bb[2 + i]);
            check(wrong, at + "bytesToDoubles scale " + scale + " " + i, exact, ca[2 + i],
                cb[2 + i]);
          }
        }
      }
    }
  }

  private static void check(List<String> wrong, String what, double expected, double a,
      double b) {
    long e = Double.doubleToLongBits(expected);
    if (Double.doubleToLongBits(a) != e || Double.doubleToLongBits(b) != e) {
      wrong.add(what + ": expected " + expected + ", got " + a + " and " + b);
    }
  }

  @Test
  void theScalarLoopsGiveTheFormulasAndRunWhereTheJvmHasNoVectorModule() {
    // the test JVMs start without --add-modules jdk.incubator.vector (pom.xml's argLine), as a
    // spark-submit JVM does unless it is given the module
    assertEquals("scalar", Conversions.implementation());
    List<String> wrong = mismatches(Conversions.SCALAR, Conversions.SCALAR);
    System.out.printf("conversions, scalar loops against their formulas: %d values differ%n",
        wrong.size());
    assertEquals(List.of(), wrong.subList(0, Math.min(5, wrong.size())));
  }

  /**
   * Run in a JVM with the module: which implementation it chose, its vectors' width, and how
   * many values the vector kernels and the scalar loops disagree on (with the first few).
   */
  public static void main(String[] args) {
    List<String> wrong = mismatches(new VectorConversions(), Conversions.SCALAR);
    System.out.println(Conversions.implementation() + ", lanes "
        + jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length() + ", usable "
        + VectorConversions.usable() + ", mismatches " + wrong.size());
    wrong.stream().limit(5).forEach(System.out::println);
  }

  /** main's line from a JVM with the vector module and these flags. */
  private static String inJvmWithTheModule(String... flags) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of(flags));
    cmd.addAll(List.of("--add-modules=jdk.incubator.vector", "-cp",
        System.getProperty("java.class.path"), ConversionsTest.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the JVM ended");
    System.out.print(String.join(" ", flags) + " JVM: " + out);
    return out;
  }

  @Test
  void theVectorKernelsGiveTheScalarLoopsBitsForEveryLengthOffsetAndSpecialValue()
      throws Exception {
    // this CPU's widest vectors: 8 doubles here (AVX-512)
    String out = inJvmWithTheModule();
    assertTrue(out.matches("(?s).*vector API, lanes [48], usable true, mismatches 0\n.*"), out);
  }

  @Test
  void theVectorKernelsGiveTheScalarBitsWithVectorsOfFourDoubles() throws Exception {
    // as on most laptops (AVX2)
    String out = inJvmWithTheModule("-XX:UseAVX=2");
    assertTrue(out.contains("vector API, lanes 4, usable true, mismatches 0\n"), out);
  }

  @Test
  void aJvmCanBeToldToUseTheScalarLoops() throws Exception {
    String out = inJvmWithTheModule("-Dgradspark.scalar-conversions=true");
    assertTrue(out.matches("(?s).*scalar, lanes [48], usable true, mismatches 0\n.*"), out);
  }
}
