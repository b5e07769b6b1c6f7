package io.gradspark.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gradspark.GradsparkException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzTest {
  private static final Set<String> ARRAYS = Set.of("w", "b", "s", "e", "x");
  private static final Set<String> EXTRAS = Set.of("model.json");
  /** np.savez(f, w=[[1.5, -0.0, 5e-324], [1e300, -2.25, 3.0]], b=[0.1, 0.2]) with NumPy 2.4 (zip64 headers). */
  private static final String NUMPY_SAVEZ =
      "UEsDBC0AAAAAAAAAIQCBGeWV//////////8FABQAdy5ucHkBABAAsAAAAAAAAACwAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2Ny"
          + "JzogJzxmOCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAzKSwgfSAgICAgICAgICAgICAgICAgICAg"
          + "ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAAAA+D8AAAAAAAAAgAEAAAAAAAAAnHUAiDzkN34A"
          + "AAAAAAACwAAAAAAAAAhAUEsDBC0AAAAAAAAAIQCjAN+u//////////8FABQAYi5ucHkBABAAkAAAAAAAAACQAAAAAAAAAJNO"
          + "VU1QWQEAdgB7J2Rlc2NyJzogJzxmOCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCksIH0gICAgICAg"
          + "ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKmpmZmZmZuT+amZmZmZnJP1BL"
          + "AQItAy0AAAAAAAAAIQCBGeWVsAAAALAAAAAFAAAAAAAAAAAAAACAAQAAAAB3Lm5weVBLAQItAy0AAAAAAAAAIQCjAN+ukAAA"
          + "AJAAAAAFAAAAAAAAAAAAAACAAecAAABiLm5weVBLBQYAAAAAAgACAGYAAACuAQAAAAA=";
  /** np.savez_compressed(f, w=np.arange(6.0).reshape(2, 3)): deflated entries. */
  private static final String NUMPY_SAVEZ_COMPRESSED =
      "UEsDBC0AAAAIAAAAIQDwzTtG//////////8FABQAdy5ucHkBABAAsAAAAAAAAABXAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxc"
          + "pG6loG6TZqGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6CsaaOgq1CmQDLgYU8MEeynCAUBxQWgBKizgAAFBL"
          + "AQItAy0AAAAIAAAAIQDwzTtGVwAAALAAAAAFAAAAAAAAAAAAAACAAQAAAAB3Lm5weVBLBQYAAAAAAQABADMAAACOAAAAAAA=";

  @TempDir Path dir;

  private static List<Npz.Array> sample() {
    double[] w = {
      -0.0, Double.MIN_VALUE, 1e-310, Double.MAX_VALUE, -1e300, Double.NEGATIVE_INFINITY,
      Double.POSITIVE_INFINITY, Double.NaN, Math.PI, -1.0 / 3, 0.0, 12345.678
    };
    return List.of(
        new Npz.Array("w", new int[] {3, 4}, w),
        Npz.Array.vector("b", new double[] {1, -2, 3.5}),
        new Npz.Array("s", new int[0], new double[] {42}),
        new Npz.Array("e", new int[] {0, 5}, new double[0]));
  }

  private Path writeSample() {
    Path f = dir.resolve("model.npz");
    Npz.write(f, sample(), Map.of("model.json", "{\"layers\":[3,4]}".getBytes(StandardCharsets.UTF_8)));
    return f;
  }

  @Test
  void roundTripIsBitIdentical() {
    Npz.Contents c = Npz.read(writeSample(), ARRAYS, EXTRAS);
    assertEquals(List.of("w", "b", "s", "e"), new ArrayList<>(c.arrays().keySet()));
    for (Npz.Array expected : sample()) {
      Npz.Array got = c.require(expected.name(), expected.shape());
      assertEquals(expected.data().length, got.data().length);
      for (int i = 0; i < got.data().length; i++) {
        assertEquals(Double.doubleToRawLongBits(expected.data()[i]), Double.doubleToRawLongBits(got.data()[i]),
            expected.name() + "[" + i + "]");
      }
    }
    assertEquals("{\"layers\":[3,4]}", new String(c.requireExtra("model.json"), StandardCharsets.UTF_8));
  }

  @Test
  void npyHeadersArePaddedToMultiplesOf64() throws IOException {
    try (ZipFile zip = new ZipFile(writeSample().toFile())) {
      for (Npz.Array a : sample()) {
        ZipEntry e = zip.getEntry(a.name() + ".npy");
        assertEquals(ZipEntry.STORED, e.getMethod());
        byte[] b = zip.getInputStream(e).readAllBytes();
        int headerLen = (b[8] & 0xFF) | (b[9] & 0xFF) << 8;
        assertEquals(0, (10 + headerLen) % 64, a.name());
        assertEquals(10 + headerLen + 8L * a.data().length, b.length);
        String header = new String(b, 10, headerLen, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': "
            + Npz.shapeText(a.shape()) + ", }"), header);
        assertTrue(header.endsWith(" \n"), header);
      }
    }
  }

  @Test
  void writesAreReproducibleAndLeaveNoTemporaryFiles() throws IOException {
    byte[] first = Files.readAllBytes(writeSample());
    byte[] second = Files.readAllBytes(writeSample());
    assertArrayEquals(first, second);
    try (var files = Files.list(dir)) {
      assertEquals(List.of("model.npz"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void failedWriteKeepsTheOldFileAndReportsTheTarget() throws IOException {
    Path f = writeSample();
    byte[] before = Files.readAllBytes(f);
    Path blocked = dir.resolve("not-a-dir");
    Files.writeString(blocked, "x");
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> Npz.write(blocked.resolve("m.npz"), sample(), Map.of()));
    assertTrue(e.getMessage().contains("m.npz"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(f));
  }

  @Test
  void readsWhatNumpyWrites() throws IOException {
    Path f = dir.resolve("np.npz");
    Files.write(f, Base64.getDecoder().decode(NUMPY_SAVEZ));
    Npz.Contents c = Npz.read(f, Set.of("w", "b"), Set.of());
    double[] w = c.require("w", 2, 3).data();
    assertArrayEquals(new double[] {1.5, -0.0, 5e-324, 1e300, -2.25, 3.0}, w);
    assertEquals(Long.MIN_VALUE, Double.doubleToRawLongBits(w[1]));
    assertArrayEquals(new double[] {0.1, 0.2}, c.require("b", 2).data());

    Path g = dir.resolve("npc.npz");
    Files.write(g, Base64.getDecoder().decode(NUMPY_SAVEZ_COMPRESSED));
    assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, Npz.read(g, Set.of("w"), Set.of()).require("w", 2, 3).data());
  }

  @Test
  void readsNpyVersions2And3() throws IOException {
    for (int major : new int[] {2, 3}) {
      Path f = zip("v" + major + ".npz", Map.of("x.npy",
          npy(major, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", doubles(7, 8))));
      assertArrayEquals(new double[] {7, 8}, Npz.read(f, ARRAYS, EXTRAS).require("x", 2).data());
    }
  }

  @Test
  void requireRefusesMissingArraysAndWrongShapes() {
    Npz.Contents c = Npz.read(writeSample(), ARRAYS, EXTRAS);
    GradsparkException missing = assertThrows(GradsparkException.class, () -> c.require("x"));
    assertTrue(missing.getMessage().contains("'x'") && missing.getMessage().contains("model.npz"),
        missing.getMessage());
    GradsparkException shape = assertThrows(GradsparkException.class, () -> c.require("w", 4, 3));
    assertTrue(shape.getMessage().contains("(3, 4)") && shape.getMessage().contains("(4, 3)"), shape.getMessage());
    assertThrows(GradsparkException.class, () -> c.require("b", 3, 1));
    assertThrows(GradsparkException.class, () -> c.requireExtra("other.json"));
  }

  @Test
  void refusesFilesThatAreNotZips() throws IOException {
    Path text = dir.resolve("text.npz");
    Files.writeString(text, "epoch,loss\n1,0.5\n".repeat(10));
    assertRefused(text, "not a zip");
    Path empty = dir.resolve("empty.npz");
    Files.write(empty, new byte[0]);
    assertRefused(empty, "not a zip");
    assertRefused(dir.resolve("absent.npz"), "does not exist");
    assertRefused(dir, "Could not read " + dir);
  }

  @Test
  void refusesUnexpectedAndDuplicateEntries() throws IOException {
    Path f = dir.resolve("extra.npz");
    Npz.write(f, sample(), Map.of("evil.bin", new byte[] {1}));
    assertRefused(f, "unexpected entry 'evil.bin'");
    Path nested = zip("nested.npz", Map.of("dir/w.npy", npy(1, header("(1,)"), doubles(1))));
    assertRefused(nested, "unexpected entry 'dir/w.npy'");
    Path g = dir.resolve("dup.npz");
    Npz.write(g, List.of(Npz.Array.vector("w", new double[] {1}), Npz.Array.vector("x", new double[] {2})), Map.of());
    byte[] bytes = Files.readAllBytes(g);
    replaceAll(bytes, "x.npy", "w.npy");
    Files.write(g, bytes);
    assertRefused(g, "two entries named 'w.npy'");
  }

  @Test
  void refusesBadNpyEntries() throws IOException {
    assertEntryRefused(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new byte[8]), "'<f4'");
    assertEntryRefused(npy(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", doubles(1)), "'>f8'");
    assertEntryRefused(npy(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", doubles(1, 2, 3, 4)),
        "Fortran");
    assertEntryRefused(npy(1, header("(3,)"), doubles(1, 2)), "truncated");
    assertEntryRefused(npy(1, header("(2,)"), doubles(1, 2, 3)), "trailing garbage");
    assertEntryRefused(concat(npy(1, header("(2,)"), doubles(1, 2)), new byte[] {7}), "trailing garbage");
    assertEntryRefused(npy(1, header("(-2,)"), doubles(1, 2)), "negative dimension");
    assertEntryRefused(npy(1, header("(2147483647, 2147483647)"), doubles(1)), "too many values");
    assertEntryRefused(npy(1, header("(99999999999,)"), doubles(1)), "larger than");
    assertEntryRefused(npy(4, header("(1,)"), doubles(1)), "version 4.0");
    byte[] noMagic = npy(1, header("(1,)"), doubles(1));
    noMagic[1] = 'X';
    assertEntryRefused(noMagic, "magic");
    assertEntryRefused(Arrays.copyOf(npy(1, header("(1,)"), doubles(1)), 5), "ends early");
    assertEntryRefused(Arrays.copyOf(npy(1, header("(1,)"), doubles(1)), 20), "header");
    for (String bad : new String[] {
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2), }",
      "{'descr': '<f8', 'shape': (2,), }",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1, }",
      "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
      "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,), }",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } x",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,,), }",
      "{'descr': '<f8' 'fortran_order': False, 'shape': (2,), }",
      "['descr', '<f8']",
    }) {
      assertEntryRefused(npy(1, bad, doubles(1, 2)), "malformed");
    }
    byte[] noNewline = npy(1, header("(1,)"), doubles(1));
    noNewline[noNewline.length - 9] = ' ';
    assertEntryRefused(noNewline, "newline");
  }

  @Test
  void refusesDeclaredSizesTheFileCannotHoldBeforeAllocating() throws IOException {
    int n = (1 << 29) - 64;
    byte[] npy = npy(1, header("(" + n + ",)"), new byte[64]);
    long claimed = npy.length - 64 + 8L * n;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bytes)) {
      ZipEntry e = new ZipEntry("x.npy");
      e.setMethod(ZipEntry.STORED);
      e.setSize(npy.length);
      e.setCompressedSize(npy.length);
      CRC32 crc = new CRC32();
      crc.update(npy);
      e.setCrc(crc.getValue());
      z.putNextEntry(e);
      z.write(npy);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    int cen = indexOf(b.array(), new byte[] {'P', 'K', 1, 2});
    for (int at : new int[] {18, 22, cen + 20, cen + 24}) {
      b.putInt(at, (int) claimed);
    }
    Path f = dir.resolve("huge.npz");
    Files.write(f, b.array());
    assertRefused(f, "declares " + claimed + " bytes");
  }

  @Test
  void refusesDamageDetectedByTheChecksum() throws IOException {
    Path f = writeSample();
    byte[] bytes = Files.readAllBytes(f);
    int at = indexOf(bytes, doubles(Math.PI));
    assertTrue(at > 0);
    bytes[at + 3] ^= 0x10;
    Files.write(f, bytes);
    assertRefused(f, "CRC-32");
  }

  @Test
  void refusesBytesAppendedAfterTheArchive() throws IOException {
    Path f = writeSample();
    Files.write(f, new byte[] {0, 1, 2, 3, 'P', 'K'}, StandardOpenOption.APPEND);
    assertRefused(f, "6 unexpected bytes after the end");
    Path g = writeSample();
    byte[] bytes = Files.readAllBytes(g);
    Files.write(g, Arrays.copyOf(bytes, bytes.length - 1));
    assertRefused(g, "no end-of-archive record");
  }

  @Test
  void refusesBytesBeforeTheArchive() throws IOException {
    Path f = writeSample();
    Files.write(f, concat("#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII), Files.readAllBytes(f)));
    assertRefused(f, "not a zip");
  }

  @Test
  void randomDamageIsRefusedWithAGradsparkExceptionOrReadCleanly() throws IOException {
    byte[] valid = Files.readAllBytes(writeSample());
    Random rnd = new Random(20240611L);
    int[] outcomes = new int[2];
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      for (int i = 0; i < 300; i++) {
        byte[] b = valid.clone();
        int kind = i % 3;
        if (kind == 0) {
          for (int k = 1 + rnd.nextInt(8); k > 0; k--) {
            b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
          }
        } else if (kind == 1) {
          b = Arrays.copyOf(b, rnd.nextInt(b.length));
        } else {
          byte[] tail = new byte[1 + rnd.nextInt(64)];
          rnd.nextBytes(tail);
          b = concat(b, tail);
        }
        Path f = dir.resolve("fuzz" + i + ".npz");
        Files.write(f, b);
        try {
          Npz.Contents c = Npz.read(f, ARRAYS, EXTRAS);
          assertEquals(0, kind, "mutation " + i + " (truncation or appended bytes) was accepted");
          for (Npz.Array expected : sample()) {
            Npz.Array a = c.require(expected.name(), expected.shape());
            assertArrayEquals(bits(expected.data()), bits(a.data()),
                "mutation " + i + " loaded but changed the values of '" + expected.name() + "'");
          }
          outcomes[0]++;
        } catch (GradsparkException e) {
          assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
          outcomes[1]++;
        } catch (Throwable t) {
          fail("mutation " + i + " (kind " + kind + ") threw " + t, t);
        }
      }
    });
    assertTrue(outcomes[1] >= 250, "only " + outcomes[1] + " of 300 damaged files were refused");
  }

  @Test
  void arrayRefusesInconsistentShapes() {
    assertThrows(IllegalArgumentException.class, () -> new Npz.Array("w", new int[] {2, 3}, new double[5]));
    assertThrows(IllegalArgumentException.class, () -> new Npz.Array("w", new int[] {-1}, new double[0]));
    assertThrows(IllegalArgumentException.class, () -> new Npz.Array("../w", new int[] {1}, new double[1]));
    assertThrows(IllegalArgumentException.class, () -> Npz.write(dir.resolve("d.npz"),
        List.of(Npz.Array.vector("w", new double[1]), Npz.Array.vector("w", new double[1])), Map.of()));
  }

  private void assertEntryRefused(byte[] npy, String expected) throws IOException {
    Path f = zip("bad" + Math.abs(Arrays.hashCode(npy)) + ".npz", Map.of("x.npy", npy));
    GradsparkException e = assertRefused(f, expected);
    assertTrue(e.getMessage().contains("x.npy"), e.getMessage());
  }

  /** The values' bit patterns, so NaN, -0.0 and infinities compare exactly. */
  private static long[] bits(double[] v) {
    long[] b = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Double.doubleToRawLongBits(v[i]);
    }
    return b;
  }

  private static GradsparkException assertRefused(Path f, String expected) {
    GradsparkException e = assertThrows(GradsparkException.class, () -> Npz.read(f, ARRAYS, EXTRAS));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    assertTrue(e.hint() != null && !e.hint().isBlank());
    return e;
  }

  private Path zip(String name, Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : new LinkedHashMap<>(entries).entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    Path f = dir.resolve(name);
    Files.write(f, bytes.toByteArray());
    return f;
  }

  private static String header(String shape) {
    return "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  }

  /** An npy entry with the given header dict, padded to 64 bytes, and raw data bytes. */
  private static byte[] npy(int major, String dict, byte[] data) {
    int pre = major == 1 ? 10 : 12;
    int total = (pre + dict.length() + 1 + 63) / 64 * 64;
    String text = dict + " ".repeat(total - pre - dict.length() - 1) + "\n";
    ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    if (major == 1) {
      b.putShort((short) text.length());
    } else {
      b.putInt(text.length());
    }
    return b.put(text.getBytes(StandardCharsets.ISO_8859_1)).put(data).array();
  }

  private static byte[] doubles(double... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (double d : v) {
      b.putDouble(d);
    }
    return b.array();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static void replaceAll(byte[] bytes, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.US_ASCII);
    byte[] t = to.getBytes(StandardCharsets.US_ASCII);
    int replaced = 0;
    for (int i = indexOf(bytes, f); i >= 0; i = indexOf(bytes, f)) {
      System.arraycopy(t, 0, bytes, i, t.length);
      replaced++;
    }
    assertEquals(2, replaced);
  }
}
