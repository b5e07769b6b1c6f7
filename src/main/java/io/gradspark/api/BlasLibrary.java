package io.gradspark.api;

import io.gradspark.nn.Dense;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which native BLAS library the math runs on, as a file. netlib's JNIBLAS loads the library
 * named by the system property {@code dev.ludovic.netlib.blas.nativeLib} (default
 * {@code libblas.so.3}) through the dynamic linker, so the name alone does not say which BLAS
 * it is: on Debian it is a symlink chosen by update-alternatives (reference BLAS, OpenBLAS, BLIS,
 * MKL), and each is an order of magnitude apart. The file really loaded is read from the
 * process's memory map (Linux's /proc/self/maps), where the linker has resolved every symlink.
 */
final class BlasLibrary {
  private static final String PROPERTY = "dev.ludovic.netlib.blas.nativeLib";
  private static final String DEFAULT = "libblas.so.3";

  private BlasLibrary() {}

  /**
   * The native library file the BLAS in use loaded, e.g.
   * "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 (with libopenblasp-r0.3.21.so)";
   * "none (pure Java)" for netlib's Java implementations; the configured name and why when the
   * file cannot be found.
   */
  static String describe() {
    if (!Dense.blas().getClass().getSimpleName().equals("JNIBLAS")) {
      return "none (pure Java)";
    }
    String name = System.getProperty(PROPERTY, DEFAULT);
    try {
      return describe(name, Files.readAllLines(Path.of("/proc/self/maps")));
    } catch (IOException | RuntimeException e) {
      return name + " (the file it resolved to is unknown: no /proc/self/maps)";
    }
  }

  /** What {@link #describe()} says for the library name and the lines of a memory map. */
  static String describe(String name, List<String> maps) {
    Set<String> files = new LinkedHashSet<>();
    for (String line : maps) {
      int slash = line.indexOf('/');
      if (slash >= 0) {
        files.add(line.substring(slash).trim());
      }
    }
    String base = Path.of(name).getFileName().toString();
    String stem = base.contains(".so") ? base.substring(0, base.indexOf(".so")) : base;
    String loaded = null;
    List<String> backends = new ArrayList<>();
    for (String f : files) {
      String file = Path.of(f).getFileName().toString();
      String lower = file.toLowerCase(Locale.ROOT);
      if (lower.contains("netlib")) {
        continue; // netlib's own JNI shim, which loads the BLAS
      }
      if (f.equals(name) || file.equals(base) || (loaded == null && file.startsWith(stem + "."))) {
        loaded = f;
      } else if (lower.contains("openblas") || lower.contains("mkl_") || lower.contains("blis")
          || lower.contains("atlas") || lower.contains("blas")) {
        backends.add(file);
      }
    }
    if (loaded == null) {
      return name + " (not in this process's memory map)";
    }
    backends.remove(Path.of(loaded).getFileName().toString());
    return backends.isEmpty() ? loaded : loaded + " (with " + String.join(", ", backends) + ")";
  }
}
