package io.gradspark.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** summary.json's blas_library names the native file the BLAS loaded, not just "JNIBLAS". */
class BlasLibraryTest {
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
        + "libopenblasp-r0.3.21.so)", BlasLibrary.describe("libblas.so.3", openblas));
    // the reference BLAS behind the same name: the linker resolved the symlink to its real file
    List<String> reference = List.of(JNI,
        "7f10-7f11 r-xp 0 08:01 2 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0");
    assertEquals("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0",
        BlasLibrary.describe("libblas.so.3", reference));
    List<String> mkl = List.of(JNI, "7f10-7f11 r-xp 0 08:01 2 /opt/intel/lib/libmkl_rt.so.2",
        "7f20-7f21 r-xp 0 08:01 3 /opt/intel/lib/libmkl_core.so.2");
    assertEquals("/opt/intel/lib/libmkl_rt.so.2 (with libmkl_core.so.2)",
        BlasLibrary.describe("/opt/intel/lib/libmkl_rt.so.2", mkl));
    assertEquals("libblas.so.3 (not in this process's memory map)",
        BlasLibrary.describe("libblas.so.3", List.of(JNI)));
  }

  @Test
  void thisJvmNamesAFileThatExists() throws Exception {
    String blas = TrainingJob.blasName();
    String lib = TrainingJob.blasLibrary();
    System.out.println("blas " + blas + ", blas_library " + lib);
    if (blas.equals("JNIBLAS")) {
      Path file = Path.of(lib.split(" ")[0]);
      assertTrue(file.isAbsolute() && Files.isRegularFile(file), lib);
      assertEquals(file.toRealPath(), file, "symlinks resolved: " + lib);
    } else {
      assertEquals("none (pure Java)", lib);
    }
  }
}
