package io.gradspark.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.nn.Blas.Choice;
import io.gradspark.nn.Blas.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The choice of BLAS from measured rates (fake timings), and which native library file. */
class BlasTest {
  private static final String REFERENCE = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0";
  private static final String OPENBLAS =
      "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so";

  private static Map<Choice, Double> rates(Object... choiceThenRate) {
    Map<Choice, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < choiceThenRate.length; i += 2) {
      m.put((Choice) choiceThenRate[i], (Double) choiceThenRate[i + 1]);
    }
    return m;
  }

  private static Choice nat(String lib) {
    return new Choice(Kind.NATIVE, lib);
  }

  private static final Choice VECTOR = new Choice(Kind.VECTOR, "");
  private static final Choice JAVA = new Choice(Kind.JAVA, "");

  @Test
  void theReferenceLibraryLosesToTheVectorApiAsMeasuredOnAnIdleMachine() {
    // the measurement: reference libblas 9.6, VectorBLAS 35.6 GFLOP/s
    assertEquals(VECTOR, Blas.pick(rates(nat(REFERENCE), 9.6, VECTOR, 35.6, JAVA, 4.0)));
    // no vector module: plain Java 4.0 against the reference's 9.6
    assertEquals(nat(REFERENCE), Blas.pick(rates(nat(REFERENCE), 9.6, JAVA, 4.0)));
  }

  @Test
  void openBlasIsPickedOverTheJavaKernels() {
    assertEquals(nat(OPENBLAS), Blas.pick(rates(nat(OPENBLAS), 118.0, VECTOR, 35.6, JAVA, 4.0)));
  }

  @Test
  void noiseBelowTheMarginDoesNotFlipTheChoice() {
    // a later kind must be more than MARGIN times faster: 1.2x is noise on a busy machine
    assertEquals(nat(OPENBLAS), Blas.pick(rates(nat(OPENBLAS), 30.0, VECTOR, 36.0)));
    assertEquals(VECTOR,
        Blas.pick(rates(nat(OPENBLAS), 30.0, VECTOR, 30.0 * Blas.MARGIN * 1.01)));
    // the margin is against the best so far, not the first
    assertEquals(VECTOR, Blas.pick(rates(nat(REFERENCE), 9.6, VECTOR, 35.6, JAVA, 40.0)));
  }

  @Test
  void onlyOneAvailableIsTheChoice() {
    assertEquals(JAVA, Blas.pick(rates(JAVA, 1.0)));
  }

  @Test
  void aTunedLibraryIsPreferredToWhatLibblasIs(@TempDir Path dir) throws IOException {
    Path sys = Files.createDirectories(dir.resolve("lib"));
    Path blas = Files.createDirectories(dir.resolve("lib/blas"));
    Files.writeString(blas.resolve("libblas.so.3.11.0"), "");
    Files.createSymbolicLink(sys.resolve("libblas.so.3"), blas.resolve("libblas.so.3.11.0"));
    assertEquals(Optional.of(blas.resolve("libblas.so.3.11.0").toRealPath().toString()),
        Blas.nativeLibrary(List.of(sys)), "only the reference: that one, resolved");

    Path open = Files.createDirectories(sys.resolve("openblas-pthread"));
    Files.writeString(open.resolve("libopenblas.so.0"), "");
    assertEquals(Optional.of(open.resolve("libopenblas.so.0").toRealPath().toString()),
        Blas.nativeLibrary(List.of(sys)), "OpenBLAS beside it: OpenBLAS");

    Files.createSymbolicLink(dir.resolve("dangling.so"), dir.resolve("nothing"));
    assertEquals(Optional.empty(), Blas.nativeLibrary(List.of(dir.resolve("empty"))));
  }

  @Test
  void referenceLibrariesAreToldFromTunedOnes() {
    assertTrue(Blas.isReference(REFERENCE));
    assertFalse(Blas.isReference(OPENBLAS));
    assertFalse(Blas.isReference("/opt/intel/oneapi/mkl/latest/lib/libmkl_rt.so.2"));
    assertFalse(Blas.isReference("/usr/lib/x86_64-linux-gnu/blis-pthread/libblis.so.4"));
  }

  @Test
  void aSlowPickWarnsWithHowToGetAFastOne() {
    Map<Kind, Double> g = new EnumMap<>(Kind.class);
    g.put(Kind.NATIVE, 9.6);
    g.put(Kind.VECTOR, 35.6);
    String w = new Blas.Measured(VECTOR, g).warning().orElseThrow();
    assertTrue(w.contains("libopenblas0-pthread") && w.contains("vector 35.6"), w);
    assertTrue(new Blas.Measured(nat(REFERENCE), g).warning().isPresent());
    g.put(Kind.JAVA, 4.0);
    assertTrue(new Blas.Measured(JAVA, g).warning().orElseThrow()
        .contains("jdk.incubator.vector"));
    assertEquals(Optional.empty(), new Blas.Measured(nat(OPENBLAS), g).warning());
  }

  private static final String JNI =
      "7f00-7f01 r-xp 0 08:01 1 /tmp/jniloader123/libnetlibblasjni.so";

  @Test
  void theLoadedFileIsReadFromTheMemoryMap() {
    List<String> openblas = List.of(
        "7f10-7f11 r--p 00000000 08:01 2 /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
        "7f11-7f12 r-xp 00001000 08:01 2 /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
        "7f20-7f21 r-xp 00000000 08:01 3 /usr/lib/x86_64-linux-gnu/openblas-pthread/"
            + "libopenblasp-r0.3.21.so", JNI, "7f30-7f31 rw-p 00000000 00:00 0 [heap]");
    assertEquals("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 (with "
        + "libopenblasp-r0.3.21.so)", Blas.library("libblas.so.3", openblas));
    // the reference BLAS behind the same name: the linker resolved the symlink to its real file
    List<String> reference = List.of(JNI,
        "7f10-7f11 r-xp 0 08:01 2 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0");
    assertEquals("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0",
        Blas.library("libblas.so.3", reference));
    List<String> mkl = List.of(JNI, "7f10-7f11 r-xp 0 08:01 2 /opt/intel/lib/libmkl_rt.so.2",
        "7f20-7f21 r-xp 0 08:01 3 /opt/intel/lib/libmkl_core.so.2");
    assertEquals("/opt/intel/lib/libmkl_rt.so.2 (with libmkl_core.so.2)",
        Blas.library("/opt/intel/lib/libmkl_rt.so.2", mkl));
    assertEquals("libblas.so.3 (not in this process's memory map)",
        Blas.library("libblas.so.3", List.of(JNI)));
  }

  @Test
  void thisJvmNamesTheFileItLoaded() throws IOException {
    String blas = Blas.describe();
    String lib = Blas.library();
    System.out.println("blas " + blas + ", library " + lib);
    if (blas.startsWith("native")) {
      Path file = Path.of(lib.split(" ")[0]);
      assertTrue(file.isAbsolute() && Files.isRegularFile(file), lib);
      assertEquals(file.toRealPath(), file, "symlinks resolved: " + lib);
      assertTrue(blas.contains(lib), blas);
    } else {
      assertEquals("none (pure Java)", lib);
    }
  }

  @Test
  void everyAvailableImplementationComputesTheSameProductToRoundOff() {
    // the implementations the machine has, each on the same small product
    int m = 7;
    int n = 5;
    int k = 9;
    double[] a = new double[m * k];
    double[] b = new double[k * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.sin(i + 1);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = Math.cos(i + 1);
    }
    double[] ref = null;
    double max = 0;
    for (Choice c : Blas.available()) {
      double[] out = new double[m * n];
      dev.ludovic.netlib.blas.BLAS impl;
      try {
        impl = Blas.instance(c);
      } catch (io.gradspark.GradsparkException e) {
        System.out.println("not available here: " + c + ": " + e.getMessage());
        continue; // a library file that is there but does not load: choose() passes it over too
      }
      impl.dgemm("N", "N", m, n, k, 1.0, a, m, b, k, 0.0, out, m);
      if (ref == null) {
        ref = out;
      }
      for (int i = 0; i < out.length; i++) {
        max = Math.max(max, Math.abs(out[i] - ref[i]));
      }
    }
    System.out.printf("BLAS implementations %s: max difference %.3g%n", Blas.available(), max);
    assertTrue(max < 1e-12, "max difference " + max);
  }
}
