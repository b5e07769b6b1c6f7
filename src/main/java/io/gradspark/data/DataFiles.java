package io.gradspark.data;

import io.gradspark.fs.HadoopPaths;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** File and range helpers shared by the readers, so every I/O failure becomes a {@link DataException}. */
final class DataFiles {
  private static final int BUFFER = 1 << 16;

  private DataFiles() {}

  /**
   * The absolute path of a readable local regular file, as a string (a plain path, which {@link
   * HadoopPaths} reads as a local one): sources are shipped to executors, which would resolve
   * relative paths against their own working directory. Refuses null and missing or unreadable
   * files.
   */
  static String local(Path file, String kind) {
    if (file == null) {
      throw new IllegalArgumentException("Expected a " + kind + " file path but found null");
    }
    Path abs = file.toAbsolutePath().normalize();
    if (!Files.isRegularFile(abs) || !Files.isReadable(abs)) {
      throw new DataException(
          kind + " file " + abs + ": expected a readable file but "
              + (Files.exists(abs) ? "it is not a readable regular file" : "it does not exist"),
          "Check the path; relative paths are resolved against " + Path.of("").toAbsolutePath() + ".");
    }
    return abs.toString();
  }

  /** The path as users write it: a local path for file:, else the URI. */
  static String display(String qualified) {
    return qualified.startsWith("file:") ? HadoopPaths.localPath(qualified).toString() : qualified;
  }

  /** True when the file starts with the gzip magic number 0x1f8b (its name is not consulted). */
  static boolean isGzip(String path, String kind) {
    try (InputStream in = HadoopPaths.open(path, 0)) {
      return in.read() == 0x1f && in.read() == 0x8b;
    } catch (IOException e) {
      throw unreadable(kind, path, e);
    }
  }

  /**
   * A buffered stream over the file's content from its start, decompressed when gzip (the file's
   * {@link #isGzip}, which the caller found once).
   */
  static Content open(String path, String kind, boolean gzip) {
    InputStream raw = null;
    try {
      raw = HadoopPaths.open(path, 0);
      return new Content(gzip ? new GZIPInputStream(raw, BUFFER) : raw, gzip, kind, path);
    } catch (IOException e) {
      closeQuietly(raw);
      throw unreadable(kind, path, e);
    }
  }

  /**
   * A file's content. Reading a gzipped file to its end checks the gzip trailer (CRC-32 and length of
   * all the content); a reader that needs only a prefix calls {@link #verifyRest} so a damaged file
   * is refused on every path, including an executor loading one range.
   */
  static final class Content extends BufferedInputStream {
    private final boolean gzip;
    private final String kind;
    private final String path;

    private Content(InputStream in, boolean gzip, String kind, String path) {
      super(in, BUFFER);
      this.gzip = gzip;
      this.kind = kind;
      this.path = path;
    }

    /**
     * For a gzipped file, reads (and discards) the rest of the content so the trailer is checked;
     * refuses a damaged file naming it. Nothing for a raw file, which carries no checksum.
     */
    void verifyRest() {
      if (!gzip) {
        return;
      }
      try {
        transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        throw damagedGzip(kind, path, e);
      }
    }
  }

  /** Decompressed gzip files this JVM has read to the end, softly held (see {@link #verified}). */
  private static final java.util.concurrent.ConcurrentHashMap<String, Verified> VERIFIED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The whole content of a gzipped file of exactly {@code length} decompressed bytes, read to its
   * end (so the gzip CRC-32 and length were checked) once per JVM for the same compressed bytes,
   * and shared by every range loaded from it: the partitions of the training and validation sets
   * decompress MNIST's 47 MB of pixels once instead of once each, and concurrent loaders wait for
   * the one decompression. The compressed file is read and its CRC-32 taken on every call (~10 ms
   * for MNIST's 10 MB), so a file changed in any byte since is decompressed again, whatever its
   * size and time stamp say. Null when the file is not gzipped (gzip: its {@link #isGzip}), is
   * larger than maxLength, or cannot be read whole (the caller then streams it and reports what
   * is wrong).
   */
  static byte[] verified(String path, boolean gzip, long length, long maxLength) {
    if (length > maxLength || length > Integer.MAX_VALUE - 8 || !gzip) {
      return null;
    }
    byte[] compressed;
    try (InputStream in = HadoopPaths.open(path, 0)) {
      compressed = in.readAllBytes();
    } catch (IOException | OutOfMemoryError e) {
      return null;
    }
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(compressed);
    String key = path + "|" + compressed.length + "|" + crc.getValue();
    return VERIFIED.computeIfAbsent(key, k -> new Verified()).get(compressed, (int) length);
  }

  /** One file's verified content, decompressed by the first caller; cleared under memory pressure. */
  private static final class Verified {
    private java.lang.ref.SoftReference<byte[]> content = new java.lang.ref.SoftReference<>(null);

    synchronized byte[] get(byte[] compressed, int length) {
      byte[] bytes = content.get();
      if (bytes == null) {
        try (InputStream in = new GZIPInputStream(
            new java.io.ByteArrayInputStream(compressed), BUFFER)) {
          bytes = in.readNBytes(length);
          if (bytes.length != length || in.read() != -1) {
            return null;
          }
        } catch (IOException e) {
          return null;
        }
        content = new java.lang.ref.SoftReference<>(bytes);
      }
      return bytes;
    }
  }

  /** A gzip file whose content fails its CRC-32 or length check, or does not decompress. */
  static DataException damagedGzip(String kind, String path, IOException e) {
    return new DataException(kind + " file " + path + ": the gzip data is damaged (" + e.getMessage()
        + "): it fails its CRC-32 or length check, or does not decompress",
        "Copy or download the file again; 'gzip -t' checks a gzip file.", e);
  }

  static DataException unreadable(String kind, String path, IOException e) {
    return new DataException(
        kind + " file " + path + ": cannot be read (" + HadoopPaths.reason(e) + ")",
        "Check that the file exists, is readable, and (if gzipped) is a complete gzip file.",
        e);
  }

  static void closeQuietly(InputStream in) {
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // Nothing was written; a failed close of a read-only stream loses nothing.
      }
    }
  }

  /** Refuses a range outside [0, rows]: a caller bug, not a data error. */
  static void checkRange(int from, int to, int rows) {
    if (from < 0 || from > to || to > rows) {
      throw new IllegalArgumentException(
          "Expected 0 <= from <= to <= " + rows + " but found from=" + from + ", to=" + to);
    }
  }

  /** rows * cols as an array length; refuses blocks too large for one Java array. */
  static int cells(int rows, int cols, String describe) {
    long cells = (long) rows * cols;
    if (cells > Integer.MAX_VALUE - 8) {
      throw new DataException(
          describe + ": a block of " + rows + " rows x " + cols + " features (" + cells
              + " values) does not fit in one Java array",
          "Use more Spark partitions so that each loads fewer rows.");
    }
    return (int) cells;
  }

  /** The value of a text cell, refusing anything but a finite number; {@code where} locates the cell. */
  static double finite(String cell, String where, String hint) {
    String s = cell.strip();
    try {
      double d = Double.parseDouble(s);
      if (Double.isFinite(d)) {
        return d;
      }
    } catch (NumberFormatException e) {
      // Reported below with the location, which the exception does not know.
    }
    throw new DataException(where + ": expected a finite number but found \"" + abbreviate(s) + "\"", hint);
  }

  static String abbreviate(String s) {
    String t = s.length() <= 40 ? s : s.substring(0, 37) + "...";
    // characters that print as nothing would make a refused cell look valid
    return t.replace("\uFEFF", "\\uFEFF").replace("\u200B", "\\u200B");
  }

  /** A counted number of data rows as an int; refuses none (with hintIfNone) or more than 2^31-1. */
  static int rowCount(long found, String kind, String path, String hintIfNone) {
    if (found == 0 || found > Integer.MAX_VALUE) {
      throw new DataException(kind + " file " + path + ": expected 1 to 2^31-1 data rows but found "
          + found, found == 0 ? hintIfNone : "Split the file.");
    }
    return (int) found;
  }
}
