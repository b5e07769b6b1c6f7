package io.gradspark.io;

import io.gradspark.GradsparkException;
import io.gradspark.fs.HadoopFiles;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy {@code .npz} files (a zip of {@code .npy} arrays), so that parameters and checkpoints open with
 * a plain {@code np.load} and nothing is ever deserialized: the reader accepts float64 arrays and named
 * raw entries only, and refuses anything else in the file rather than guess.
 *
 * <p>Writes are atomic (temporary file, then rename) and byte-for-byte reproducible: entries are stored
 * uncompressed in a fixed order with a fixed timestamp, so identical parameters give identical files.
 */
public final class Npz {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final String DESCR = "<f8";
  /** Longest header dictionary accepted; real ones are under 200 bytes. */
  private static final int MAX_HEADER = 1 << 16;
  /** Largest raw (non-array) entry accepted: these are small descriptions such as model.json. */
  private static final long MAX_EXTRA = 64L << 20;
  /** Largest Java array the JVM reliably allocates. */
  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
  private static final int CHUNK = 8192;
  private static final long ENTRY_TIME =
      LocalDateTime.of(1980, 1, 1, 0, 0).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
  private static final String NPZ_HINT =
      "write the file again with gradspark, or from NumPy with np.savez(path, name=np.float64 array, ...)";

  private Npz() {}

  /**
   * One float64 array in C (row-major) order; {@code data.length} must equal the product of
   * {@code shape} (1 for the empty shape of a scalar). The arrays are shared, not copied, because
   * parameter vectors can be large.
   */
  public record Array(String name, int[] shape, double[] data) {
    public Array {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(shape, "shape");
      Objects.requireNonNull(data, "data");
      if (!name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]*")) {
        throw new IllegalArgumentException("Array name '" + name + "' is not a plain file name");
      }
      long n = 1;
      for (int d : shape) {
        if (d < 0) {
          throw new IllegalArgumentException(
              "Array '" + name + "' has a negative dimension in " + shapeText(shape));
        }
        n = Math.multiplyExact(n, (long) d);
      }
      if (n != data.length) {
        throw new IllegalArgumentException(
            "Array '" + name + "' has shape " + shapeText(shape) + " (" + n + " values) but "
                + data.length + " values");
      }
    }

    /** A 1-D array. */
    public static Array vector(String name, double[] data) {
      return new Array(name, new int[] {data.length}, data);
    }
  }

  /** What {@link #read} found: arrays by name (without ".npy") and raw entries by entry name. */
  public static final class Contents {
    private final String file;
    private final Map<String, Array> arrays;
    private final Map<String, byte[]> extras;

    Contents(String file, Map<String, Array> arrays, Map<String, byte[]> extras) {
      this.file = file;
      this.arrays = Collections.unmodifiableMap(arrays);
      this.extras = Collections.unmodifiableMap(extras);
    }

    public Map<String, Array> arrays() {
      return arrays;
    }

    /** The array called {@code name}, of any shape; refuses a file that lacks it. */
    public Array require(String name) {
      Array a = arrays.get(name);
      if (a == null) {
        throw new GradsparkException(
            "File " + file + " has no array '" + name + "' (entry " + name + ".npy); it has "
                + (arrays.isEmpty() ? "no arrays" : "arrays " + arrays.keySet()),
            "the file may come from a different model or program; " + NPZ_HINT);
      }
      return a;
    }

    /** The array called {@code name}, which must have exactly {@code shape} (empty for a scalar). */
    public Array require(String name, int... shape) {
      Array a = require(name);
      if (!Arrays.equals(a.shape(), shape)) {
        throw new GradsparkException(
            "Array '" + name + "' in " + file + " has shape " + shapeText(a.shape())
                + " but expected " + shapeText(shape),
            "the file was written for a different network; check that the layer sizes match");
      }
      return a;
    }

    /**
     * The array called {@code name} with exactly {@code shape}, every value finite: refuses a NaN or
     * infinity, which no trained parameter or optimizer state may hold.
     */
    public Array requireFinite(String name, int... shape) {
      Array a = require(name, shape);
      double[] v = a.data();
      for (int i = 0; i < v.length; i++) {
        if (!Double.isFinite(v[i])) {
          throw new GradsparkException(
              "Array '" + name + "' in " + file + " holds " + v[i] + " at index " + i
                  + ", a value that is not finite",
              "the run that wrote it had diverged or the file was altered; use an earlier file");
        }
      }
      return a;
    }

    /** The raw entry called {@code name}; refuses a file that lacks it. */
    public byte[] requireExtra(String name) {
      byte[] b = extras.get(name);
      if (b == null) {
        throw new GradsparkException(
            "File " + file + " has no entry '" + name + "'" + (extras.isEmpty()
                ? " (it holds only arrays" + (arrays.isEmpty() ? ", none" : " " + arrays.keySet())
                + "): " + name + " is missing" : "; it has " + extras.keySet()), NPZ_HINT);
      }
      return b;
    }
  }

  /**
   * Writes {@code arrays} as {@code <name>.npy} entries followed by {@code extraEntries} (raw bytes,
   * sorted by name) to {@code file}, atomically. Names must be distinct.
   */
  public static void write(Path file, List<Array> arrays, Map<String, byte[]> extraEntries) {
    write(HadoopFiles.of(file), arrays, extraEntries);
  }

  /** {@link #write(Path, List, Map)} to a local path or a Hadoop one (a URI). */
  public static void write(String file, List<Array> arrays, Map<String, byte[]> extraEntries) {
    Set<String> names = new HashSet<>();
    for (Array a : arrays) {
      if (!names.add(a.name() + ".npy")) {
        throw new IllegalArgumentException("Two arrays are named '" + a.name() + "'");
      }
    }
    Map<String, byte[]> extras = new TreeMap<>(extraEntries);
    for (String n : extras.keySet()) {
      if (n.isEmpty() || n.startsWith("/") || n.endsWith("/") || !names.add(n)) {
        throw new IllegalArgumentException("Extra entry name '" + n + "' is empty, a directory or taken");
      }
    }
    AtomicFiles.write(file, "NumPy archive", out -> {
      ZipOutputStream zip = new ZipOutputStream(out);
      for (Array a : arrays) {
        byte[] header = npyHeader(a.shape());
        CRC32 crc = new CRC32();
        crc.update(header);
        forEachChunk(a.data(), (b, len) -> crc.update(b, 0, len));
        putStored(zip, a.name() + ".npy", header.length + 8L * a.data().length, crc.getValue());
        zip.write(header);
        forEachChunk(a.data(), (b, len) -> zip.write(b, 0, len));
        zip.closeEntry();
      }
      for (Map.Entry<String, byte[]> e : extras.entrySet()) {
        CRC32 crc = new CRC32();
        crc.update(e.getValue());
        putStored(zip, e.getKey(), e.getValue().length, crc.getValue());
        zip.write(e.getValue());
        zip.closeEntry();
      }
      zip.finish();
    });
  }

  /**
   * Reads {@code file}, which may hold only {@code <name>.npy} entries for names in
   * {@code allowedArrays} and raw entries named in {@code allowedExtras}, each at most once. Refuses
   * with a {@link GradsparkException} naming the file and entry anything else: not a zip, bytes before
   * or after the archive, a bad checksum, an npy entry that is not a C-order little-endian float64 array
   * of exactly the size its header declares. Which arrays must be present is the caller's check
   * ({@link Contents#require}).
   */
  public static Contents read(Path file, Set<String> allowedArrays, Set<String> allowedExtras) {
    return read(file, file.toString(), allowedArrays, allowedExtras);
  }

  /**
   * {@link #read(Path, Set, Set)} of the local file local, named in every message as name (where
   * the file really is: a local copy of an hdfs:// file is named by its URI).
   */
  public static Contents read(Path local, String name, Set<String> allowedArrays,
      Set<String> allowedExtras) {
    String file = name;
    long fileSize = checkFraming(local, file);
    Map<String, Array> arrays = new LinkedHashMap<>();
    Map<String, byte[]> extras = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(local.toFile())) {
      Set<String> seen = new HashSet<>();
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        String n = e.getName();
        if (!seen.add(n)) {
          throw bad(file, "has two entries named '" + n + "'", NPZ_HINT);
        }
        checkSizes(file, e, fileSize);
        String stem = n.endsWith(".npy") ? n.substring(0, n.length() - 4) : null;
        if (stem != null && allowedArrays.contains(stem)) {
          arrays.put(stem, readNpy(file, zip, e, stem));
        } else if (allowedExtras.contains(n)) {
          extras.put(n, readExtra(file, zip, e));
        } else {
          throw bad(file, "has an unexpected entry '" + n + "'; expected only "
              + summary(allowedArrays, allowedExtras), NPZ_HINT);
        }
      }
    } catch (GradsparkException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new GradsparkException(
          "File " + file + " is not a readable .npz archive: " + e,
          "the file may be damaged; " + NPZ_HINT,
          e);
    }
    return new Contents(file, arrays, extras);
  }

  /**
   * The allowed entry names, numbered families summarized ("W1.npy .. W64.npy, b1.npy .. b64.npy,
   * model.json"), not listed one by one.
   */
  static String summary(Set<String> arrays, Set<String> extras) {
    java.util.Map<String, java.util.TreeSet<Integer>> numbered = new java.util.TreeMap<>();
    Set<String> names = new TreeSet<>();
    for (String a : arrays) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(.*?)(\\d+)").matcher(a);
      if (m.matches()) {
        numbered.computeIfAbsent(m.group(1), k -> new java.util.TreeSet<>())
            .add(Integer.parseInt(m.group(2)));
      } else {
        names.add(a + ".npy");
      }
    }
    List<String> parts = new java.util.ArrayList<>();
    numbered.forEach((prefix, ns) -> parts.add(ns.size() == 1 ? prefix + ns.first() + ".npy"
        : prefix + ns.first() + ".npy .. " + prefix + ns.last() + ".npy"));
    parts.addAll(names);
    parts.addAll(new TreeSet<>(extras));
    return String.join(", ", parts);
  }

  /** "(3, 4)", "(3,)" or "()": the shape as NumPy prints it. */
  static String shapeText(int[] shape) {
    String inner = Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(", "));
    return "(" + inner + (shape.length == 1 ? ",)" : ")");
  }

  /** The npy 1.0 preamble: magic, version, length and the header dict padded to a multiple of 64. */
  static byte[] npyHeader(int[] shape) {
    String dict = "{'descr': '" + DESCR + "', 'fortran_order': False, 'shape': " + shapeText(shape) + ", }";
    int unpadded = MAGIC.length + 4 + dict.length() + 1;
    int total = (unpadded + 63) / 64 * 64;
    if (total - MAGIC.length - 4 > 0xFFFF) {
      throw new IllegalArgumentException("Shape " + shapeText(shape) + " does not fit an npy 1.0 header");
    }
    String text = dict + " ".repeat(total - unpadded) + "\n";
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) (text.length()));
    b.put(text.getBytes(StandardCharsets.ISO_8859_1));
    return b.array();
  }

  private interface ChunkSink {
    void accept(byte[] bytes, int length) throws IOException;
  }

  private static void forEachChunk(double[] data, ChunkSink sink) throws IOException {
    byte[] bytes = new byte[CHUNK * 8];
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int off = 0; off < data.length; off += CHUNK) {
      int n = Math.min(CHUNK, data.length - off);
      buf.clear();
      for (int i = 0; i < n; i++) {
        buf.putLong(Double.doubleToRawLongBits(data[off + i]));
      }
      sink.accept(bytes, n * 8);
    }
  }

  private static void putStored(ZipOutputStream zip, String name, long size, long crc) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(size);
    e.setCompressedSize(size);
    e.setCrc(crc);
    e.setTime(ENTRY_TIME);
    zip.putNextEntry(e);
  }

  /**
   * Refuses what {@link ZipFile} silently tolerates: bytes before the first entry (it accepts
   * self-extracting archives) and bytes after the end-of-archive record (it skips appended data).
   */
  private static long checkFraming(Path local, String file) {
    try (SeekableByteChannel ch = Files.newByteChannel(local)) {
      long size = ch.size();
      ByteBuffer head = ByteBuffer.allocate(4);
      fill(ch, head);
      byte[] h = head.array();
      boolean zipStart = h[0] == 'P' && h[1] == 'K' && (h[2] == 3 && h[3] == 4 || h[2] == 5 && h[3] == 6);
      if (size < 22 || !zipStart) {
        throw bad(file, "is not a zip archive (an .npz file is one): it starts with bytes "
            + hex(h, head.position()) + " instead of 50 4b 03 04", NPZ_HINT);
      }
      int tailLen = (int) Math.min(size, 22 + 0xFFFF);
      ByteBuffer tail = ByteBuffer.allocate(tailLen).order(ByteOrder.LITTLE_ENDIAN);
      fill(ch.position(size - tailLen), tail);
      long extra = -1;
      for (int i = tailLen - 22; i >= 0; i--) {
        if (tail.getInt(i) == 0x06054b50) {
          long end = i + 22L + (tail.getShort(i + 20) & 0xFFFF);
          if (end == tailLen) {
            return size;
          }
          if (extra < 0 && end < tailLen) {
            extra = tailLen - end;
          }
        }
      }
      throw bad(file, extra < 0
          ? "is not a complete zip archive: it has no end-of-archive record (truncated?)"
          : "has " + extra + " unexpected bytes after the end of its zip archive", NPZ_HINT);
    } catch (NoSuchFileException e) {
      throw new GradsparkException("File " + file + " does not exist", "check the path", e);
    } catch (IOException e) {
      throw new GradsparkException("Could not read " + file + ": " + e, "check the path and permissions", e);
    }
  }

  /**
   * Refuses an entry whose declared size the file cannot hold, before anything is allocated for it: a
   * stored entry is no larger than the file, and deflate expands by at most 1032 times.
   */
  private static void checkSizes(String file, ZipEntry e, long fileSize) {
    long size = e.getSize();
    long stored = e.getCompressedSize();
    boolean plausible = size >= 0 && stored >= 0 && stored <= fileSize
        && (e.getMethod() == ZipEntry.STORED ? size == stored : size <= stored * 1032 + 1024);
    if (!plausible) {
      throw bad(file, "entry '" + e.getName() + "' declares " + size + " bytes (" + stored
          + " stored) but the file has " + fileSize + " bytes in all (damaged?)", NPZ_HINT);
    }
  }

  private static void fill(SeekableByteChannel ch, ByteBuffer b) throws IOException {
    int r = 0;
    while (b.hasRemaining() && r >= 0) {
      r = ch.read(b);
    }
  }

  private static Array readNpy(String file, ZipFile zip, ZipEntry e, String name) throws IOException {
    String where = "entry '" + e.getName() + "'";
    try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(e), new CRC32())) {
      try {
        return parseNpy(in, file, e, where, name);
      } catch (GradsparkException ex) {
        throw damaged(in, e, file, where, ex);
      }
    }
  }

  private static Array parseNpy(CheckedInputStream in, String file, ZipEntry e, String where, String name)
      throws IOException {
    long size = e.getSize();
    byte[] pre = readExactly(in, 8, file, where);
    if (!Arrays.equals(Arrays.copyOf(pre, 6), MAGIC)) {
      throw bad(file, where + " does not start with the NumPy magic \\x93NUMPY (found " + hex(pre, 6) + ")",
          NPZ_HINT);
    }
    int major = pre[6] & 0xFF;
    int minor = pre[7] & 0xFF;
    if (major < 1 || major > 3 || minor != 0) {
      throw bad(file, where + " has npy format version " + major + "." + minor
          + " but only 1.0, 2.0 and 3.0 are supported", "save it with a current NumPy");
    }
    int lenBytes = major == 1 ? 2 : 4;
    ByteBuffer lb = ByteBuffer.wrap(readExactly(in, lenBytes, file, where)).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen = major == 1 ? lb.getShort() & 0xFFFF : lb.getInt() & 0xFFFFFFFFL;
    long preamble = 8 + lenBytes;
    if (headerLen > MAX_HEADER || size >= 0 && preamble + headerLen > size) {
      throw bad(file, where + " declares a " + headerLen + "-byte header but the entry has " + size
          + " bytes in all", NPZ_HINT);
    }
    String text = new String(readExactly(in, (int) headerLen, file, where),
        major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    int[] shape = new HeaderParser(file, where, text).parse();
    long dataBytes = size - preamble - headerLen;
    long n = 1;
    for (int d : shape) {
      n *= d;
      if (n > MAX_ELEMENTS) {
        throw bad(file, where + " has shape " + shapeText(shape) + ", too many values for one array",
            NPZ_HINT);
      }
    }
    if (size < 0 || n * 8 != dataBytes) {
      throw bad(file, where + " has shape " + shapeText(shape) + " which needs " + n * 8
          + " bytes of data but the entry has " + (size < 0 ? "an unknown number of" : dataBytes)
          + " bytes after its header (" + (dataBytes < n * 8 ? "truncated" : "trailing garbage") + ")",
          NPZ_HINT);
    }
    double[] data = new double[(int) n];
    byte[] bytes = new byte[CHUNK * 8];
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int off = 0; off < n; off += CHUNK) {
      int k = (int) Math.min(CHUNK, n - off);
      readFully(in, bytes, k * 8, file, where);
      buf.clear();
      for (int i = 0; i < k; i++) {
        data[off + i] = Double.longBitsToDouble(buf.getLong());
      }
    }
    finishEntry(in, e, file, where);
    return new Array(name, shape, data);
  }

  private static byte[] readExtra(String file, ZipFile zip, ZipEntry e) throws IOException {
    String where = "entry '" + e.getName() + "'";
    long size = e.getSize();
    if (size < 0 || size > MAX_EXTRA) {
      throw bad(file, where + " has size " + size + "; expected 0 to " + MAX_EXTRA + " bytes", NPZ_HINT);
    }
    try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(e), new CRC32())) {
      byte[] b = readExactly(in, (int) size, file, where);
      finishEntry(in, e, file, where);
      return b;
    }
  }

  /**
   * A corrupted byte usually surfaces first as a nonsensical header or size; when the entry's checksum
   * fails too, "the file is damaged" is the better explanation, so that error replaces {@code ex}.
   */
  private static GradsparkException damaged(
      CheckedInputStream in, ZipEntry e, String file, String where, GradsparkException ex) {
    try {
      byte[] buf = new byte[8192];
      long left = Math.max(e.getSize(), 0) + 1;
      for (int r = 0; left > 0 && r >= 0; left -= Math.max(r, 0)) {
        r = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (r < 0) {
          return in.getChecksum().getValue() != e.getCrc() ? crcError(in, e, file, where) : ex;
        }
      }
    } catch (IOException io) {
      ex.addSuppressed(io);
    }
    return ex;
  }

  private static GradsparkException crcError(CheckedInputStream in, ZipEntry e, String file, String where) {
    return bad(file, where + " has CRC-32 " + Long.toHexString(in.getChecksum().getValue())
        + " but the archive records " + Long.toHexString(e.getCrc()) + " (the file is damaged)", NPZ_HINT);
  }

  /** Refuses bytes beyond the declared size (possible in a compressed entry) and a bad checksum. */
  private static void finishEntry(CheckedInputStream in, ZipEntry e, String file, String where)
      throws IOException {
    if (in.read() >= 0) {
      throw bad(file, where + " has more bytes than its declared size " + e.getSize(), NPZ_HINT);
    }
    if (in.getChecksum().getValue() != e.getCrc()) {
      throw crcError(in, e, file, where);
    }
  }

  private static byte[] readExactly(InputStream in, int n, String file, String where) throws IOException {
    byte[] b = new byte[n];
    readFully(in, b, n, file, where);
    return b;
  }

  private static void readFully(InputStream in, byte[] b, int n, String file, String where) throws IOException {
    try {
      if (in.readNBytes(b, 0, n) != n) {
        throw new EOFException();
      }
    } catch (EOFException ex) {
      throw bad(file, where + " ends early: expected " + n + " more bytes (truncated)", NPZ_HINT);
    }
  }

  private static String hex(byte[] b, int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append(i == 0 ? "" : " ").append(String.format("%02x", b[i] & 0xFF));
    }
    return n == 0 ? "(none: the file is empty)" : s.toString();
  }

  private static GradsparkException bad(String file, String what, String hint) {
    return new GradsparkException("File " + file + " " + what, hint);
  }

  /**
   * Parses the npy header, a Python dict literal such as
   * {@code {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }}, with exactly those three keys,
   * and returns the shape. A hand-written parser rather than a general one, so that anything unusual is
   * refused instead of interpreted.
   */
  private static final class HeaderParser {
    private final String file;
    private final String where;
    private final String s;
    private int pos;

    HeaderParser(String file, String where, String s) {
      this.file = file;
      this.where = where;
      this.s = s;
    }

    int[] parse() {
      if (!s.endsWith("\n")) {
        throw malformed("it does not end with a newline");
      }
      Map<String, Object> dict = new LinkedHashMap<>();
      expect('{');
      while (peek() != '}') {
        String key = string();
        expect(':');
        Object value = value();
        if (dict.put(key, value) != null) {
          throw malformed("key '" + key + "' appears twice");
        }
        if (peek() != ',') {
          break;
        }
        pos++;
      }
      expect('}');
      if (!s.substring(pos).isBlank()) {
        throw malformed("unexpected text after the dict");
      }
      if (!dict.keySet().equals(Set.of("descr", "fortran_order", "shape"))) {
        throw malformed("keys are " + dict.keySet() + " but expected descr, fortran_order and shape");
      }
      if (!(dict.get("descr") instanceof String descr) || !descr.equals(DESCR)) {
        throw bad(file, where + " has dtype '" + dict.get("descr") + "' but expected '" + DESCR
            + "' (little-endian float64)", "convert the array with .astype('<f8') before saving it");
      }
      if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
        throw malformed("fortran_order is not True or False");
      }
      if (fortran) {
        throw bad(file, where + " is stored in Fortran (column-major) order but expected C order",
            "save np.ascontiguousarray(a) instead of a");
      }
      if (!(dict.get("shape") instanceof int[] shape)) {
        throw malformed("shape is not a tuple of integers");
      }
      return shape;
    }

    private Object value() {
      char c = peek();
      if (c == '\'' || c == '"') {
        return string();
      }
      if (c == '(') {
        return tuple();
      }
      for (String word : new String[] {"True", "False"}) {
        if (s.startsWith(word, pos)) {
          pos += word.length();
          return word.equals("True");
        }
      }
      throw malformed("unexpected value at offset " + pos);
    }

    private int[] tuple() {
      expect('(');
      List<Integer> dims = new ArrayList<>();
      boolean trailingComma = false;
      while (peek() != ')') {
        dims.add(dimension());
        trailingComma = peek() == ',';
        if (!trailingComma) {
          break;
        }
        pos++;
      }
      expect(')');
      if (dims.size() == 1 && !trailingComma) {
        throw malformed("shape (" + dims.get(0) + ") is not a tuple; a 1-D shape is written (n,)");
      }
      return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    private int dimension() {
      peek();
      int start = pos;
      if (pos < s.length() && s.charAt(pos) == '-') {
        pos++;
      }
      while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) {
        pos++;
      }
      String digits = s.substring(start, pos);
      if (digits.isEmpty() || digits.equals("-")) {
        throw malformed("expected a dimension at offset " + start);
      }
      if (digits.startsWith("-")) {
        throw bad(file, where + " has negative dimension " + digits + " in its shape", NPZ_HINT);
      }
      if (digits.length() > 10 || Long.parseLong(digits) > Integer.MAX_VALUE) {
        throw bad(file, where + " has dimension " + digits + ", larger than " + Integer.MAX_VALUE, NPZ_HINT);
      }
      return Integer.parseInt(digits);
    }

    private String string() {
      char q = peek();
      if (q != '\'' && q != '"') {
        throw malformed("expected a quoted key at offset " + pos);
      }
      int end = s.indexOf(q, pos + 1);
      if (end < 0 || s.substring(pos + 1, end).contains("\\")) {
        throw malformed("unterminated or escaped string at offset " + pos);
      }
      String v = s.substring(pos + 1, end);
      pos = end + 1;
      return v;
    }

    private void expect(char c) {
      if (peek() != c) {
        throw malformed("expected '" + c + "' at offset " + pos);
      }
      pos++;
    }

    /** Skips spaces and returns the next character, or 0 at the end. */
    private char peek() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
      return pos < s.length() ? s.charAt(pos) : 0;
    }

    private GradsparkException malformed(String why) {
      String shown = s.strip().replaceAll("[^\\x20-\\x7e]", "?");
      return bad(file, where + " has a malformed npy header (" + why + "): "
          + shown.substring(0, Math.min(120, shown.length())), NPZ_HINT);
    }
  }
}
