package io.gradspark.data;

import io.gradspark.fs.HadoopPaths;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * The files of a text dataset (one file, a directory of part files, or a glob, in name order) cut
 * into splits that any JVM can read on its own, and, after the counting pass, how many lines and
 * data rows each split holds: the rows' dense ids (files in name order, lines in order) and every
 * line's number in its file follow from those counts, whoever reads which split.
 *
 * <p>A split {@code [start, end)} of a file owns the lines that begin at a byte offset in that
 * range, as Hadoop's text input does (a reader starting mid-line skips to the next line; the last
 * line may run past end). A gzipped file (told by its gzip magic number) is one split: its first
 * split owns all its lines, the others none. Lines end with \n or \r\n.
 */
final class TextFiles implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Splits are at most a block, and at least this (fewer tasks for small files). */
  private static final long MIN_SPLIT = 1L << 20;
  /** Aim for at least this many splits over the whole dataset (parallel counting). */
  private static final int TARGET_SPLITS = 64;
  /**
   * The longest line read, in bytes: a file whose "line" is longer is not text data (a device, a
   * binary file, a gzip bomb) and is refused instead of filling the heap. 64 MiB is far above
   * real rows: an MNIST row as CSV is about 2 KiB, a LIBSVM row of 100,000 features about 2 MiB.
   */
  static final int MAX_LINE_BYTES = 64 << 20;

  /** What the counting pass found in one split. */
  record Count(long lines, long content, int firstCells, boolean gzip, boolean firstNumeric,
      long weight)
      implements Serializable {}

  /** Which lines are data: the format's rule (blank lines, comments) and its cell count. */
  interface Lines extends Serializable {
    /** Whether the line carries content (not blank, not only a comment). */
    boolean isContent(String line);

    /** The cell count of a content line (CSV), or -1 when the format does not count cells. */
    int cells(String line);

    /** Whether every cell of the line is a number: a data row, not a header (CSV). */
    default boolean allNumbers(String line) {
      return false;
    }

    /** What the format counts of a content line (LIBSVM: its nonzeros); summed over the data. */
    default long weight(String line) {
      return 0;
    }
  }

  private final String path;
  private final String kind;
  private final String[] files;
  private final int[] splitFile;
  private final long[] splitStart;
  private final long[] splitEnd;
  // after counting
  private final long[] linesBefore;
  private final long[] rowsBefore;
  private final boolean[] headerIn;
  /** Per file: gzipped (its first split's first two bytes), after counting. */
  private final boolean[] gzipped;
  private final long rows;
  private final int firstCells;
  private final long weight;

  private TextFiles(String path, String kind, String[] files, int[] splitFile, long[] splitStart,
      long[] splitEnd, long[] linesBefore, long[] rowsBefore, boolean[] headerIn,
      boolean[] gzipped, long rows, int firstCells, long weight) {
    this.path = path;
    this.kind = kind;
    this.files = files;
    this.splitFile = splitFile;
    this.splitStart = splitStart;
    this.splitEnd = splitEnd;
    this.linesBefore = linesBefore;
    this.rowsBefore = rowsBefore;
    this.headerIn = headerIn;
    this.gzipped = gzipped;
    this.rows = rows;
    this.firstCells = firstCells;
    this.weight = weight;
  }

  /**
   * The files path names, split, and counted by tasks (one per split); header: whether each
   * file's first content line is a header (not a data row).
   */
  static TextFiles open(String path, String kind, Lines lines, boolean header, SplitTasks tasks) {
    return open(path, kind, lines, header, tasks, Long.MAX_VALUE);
  }

  /** As above, with splits of at most maxSplit bytes (tests: many splits of a small file). */
  static TextFiles open(String path, String kind, Lines lines, boolean header, SplitTasks tasks,
      long maxSplit) {
    List<HadoopPaths.FileEntry> entries = HadoopPaths.files(path, kind + " data");
    long total = 0;
    for (HadoopPaths.FileEntry e : entries) {
      total += e.length();
    }
    long target = Math.max(MIN_SPLIT, total / TARGET_SPLITS);
    List<long[]> splits = new ArrayList<>(); // {file, start, end}
    String[] files = new String[entries.size()];
    for (int f = 0; f < entries.size(); f++) {
      HadoopPaths.FileEntry e = entries.get(f);
      files[f] = e.path();
      long size = Math.max(1, Math.min(Math.min(target, maxSplit),
          e.blockSize() > 0 ? e.blockSize() : target));
      boolean gz = e.path().toLowerCase(Locale.ROOT).endsWith(".gz");
      if (gz || e.length() == 0) {
        splits.add(new long[] {f, 0, Math.max(e.length(), 1)});
        continue;
      }
      for (long s = 0; s < e.length(); s += size) {
        // the last split takes a small remainder (as Hadoop's 10% slop does)
        long end = e.length() - (s + size) < size / 10 ? e.length() : Math.min(e.length(), s + size);
        splits.add(new long[] {f, s, end});
        if (end == e.length()) {
          break;
        }
      }
    }
    int n = splits.size();
    int[] splitFile = new int[n];
    long[] start = new long[n];
    long[] end = new long[n];
    for (int i = 0; i < n; i++) {
      splitFile[i] = (int) splits.get(i)[0];
      start[i] = splits.get(i)[1];
      end[i] = splits.get(i)[2];
    }
    TextFiles plan = new TextFiles(HadoopPaths.qualified(path), kind, files, splitFile, start, end,
        null, null, null, null, 0, -1, 0);
    List<Count> counts = tasks.run("count the lines of " + DataFiles.display(plan.path) + " ("
        + n + " splits)", n, split -> plan.count(split, lines));
    return plan.counted(counts, header);
  }

  /** The counting pass of one split: its lines, its content lines, the first one's cells. */
  Count count(int split, Lines lines) {
    long all = 0;
    long content = 0;
    int cells = -1;
    long weight = 0;
    boolean gzip;
    boolean numeric = false;
    try (Reader in = new Reader(split, null)) {
      gzip = in.gzip;
      for (String line; (line = in.next()) != null; ) {
        all++;
        if (lines.isContent(line)) {
          if (content == 0) {
            cells = lines.cells(line);
            numeric = lines.allNumbers(line);
          }
          content++;
          weight += lines.weight(line);
        }
      }
    }
    return new Count(all, content, cells, gzip, numeric, weight);
  }

  private TextFiles counted(List<Count> counts, boolean header) {
    int n = counts.size();
    long[] linesBefore = new long[n];
    long[] rowsBefore = new long[n + 1];
    boolean[] headerIn = new boolean[n];
    boolean[] fileHasHeader = new boolean[files.length];
    boolean[] gzipped = new boolean[files.length];
    for (int i = 0; i < n; i++) {
      if (splitStart[i] == 0) {
        gzipped[splitFile[i]] = counts.get(i).gzip();
      }
    }
    int cells = -1;
    long lines = 0;
    long r = 0;
    long w = 0;
    for (int i = 0; i < n; i++) {
      // a gzipped file's first split read it all: what its other splits saw is not lines
      Count c = gzipped[splitFile[i]] && splitStart[i] > 0
          ? new Count(0, 0, -1, true, false, 0)
          : counts.get(i);
      if (i > 0 && splitFile[i] != splitFile[i - 1]) {
        lines = 0;
      }
      linesBefore[i] = lines;
      lines += c.lines();
      w += c.weight();
      if (cells < 0 && c.firstCells() >= 0) {
        cells = c.firstCells();
      }
      long data = c.content();
      if (header && data > 0 && !fileHasHeader[splitFile[i]]) {
        fileHasHeader[splitFile[i]] = true;
        headerIn[i] = true;
        data--;
        if (c.firstNumeric()) {
          // most likely a part file written without a header: its first row would go unseen
          System.err.println("warning: " + kind + " file " + DataFiles.display(files[splitFile[i]])
              + ": its first line, taken as the header (header = true), is all numbers: if it is "
              + "a data row, that row is not read (write a header in every file, or set header "
              + "= false)");
        }
      }
      rowsBefore[i] = r;
      r += data;
    }
    rowsBefore[n] = r;
    return new TextFiles(path, kind, files, splitFile, splitStart, splitEnd, linesBefore,
        rowsBefore, headerIn, gzipped, r, cells, w);
  }

  /** Data rows, counted. */
  long rows() {
    return rows;
  }

  /** The sum of the format's {@link Lines#weight} over the content lines (after counting). */
  long weight() {
    return weight;
  }

  /** The cell count of the first content line of the dataset (its header, if any), or -1. */
  int firstCells() {
    return firstCells;
  }

  int splits() {
    return splitFile.length;
  }

  int fileCount() {
    return files.length;
  }

  /** "hdfs://nn/data/x.csv", or the local path for file: paths; "(3 files)" for several. */
  String describe() {
    return DataFiles.display(path) + (files.length > 1 ? " (" + files.length + " files)" : "");
  }

  /** A data line handed to a format's parser. */
  interface Row {
    /** Parses the data row (dense id {@code id}); where: "CSV file F line N". */
    void parse(long id, String line, String where);

    /** Checks a header line. */
    void header(String line, String where);
  }

  /**
   * Hands the data rows [from, to) to row, in order, reading only the splits that hold them;
   * lines are numbered in their files. Returns the number of rows handed.
   */
  long read(long from, long to, Lines lines, Row row) {
    if (from >= to) {
      return 0;
    }
    int first = Arrays.binarySearch(rowsBefore, from);
    first = first >= 0 ? first : -first - 2;
    // splits without data rows share rowsBefore with the next one: start at the first of them
    while (first > 0 && rowsBefore[first - 1] == rowsBefore[first]) {
      first--;
    }
    long id = rowsBefore[first];
    long handed = 0;
    for (int s = first; s < splitFile.length && id < to; s++) {
      if (rowsBefore[s + 1] <= from) {
        id = rowsBefore[s + 1];
        continue;
      }
      boolean skipHeader = headerIn[s];
      long stop = Math.min(to, rowsBefore[s + 1]); // lines added since the count are not rows
      try (Reader in = new Reader(s, gzipped[splitFile[s]])) {
        for (String line; id < stop && (line = in.next()) != null; ) {
          if (!lines.isContent(line)) {
            continue;
          }
          if (skipHeader) {
            row.header(line, where(s, in.lineNo()));
            skipHeader = false;
            continue;
          }
          if (id >= from) {
            row.parse(id, line, where(s, in.lineNo()));
            handed++;
          }
          id++;
        }
        in.verifyRest();
      }
      if (id < stop) {
        throw changed();
      }
    }
    return handed;
  }

  private DataException changed() {
    return new DataException(kind + " data " + describe() + ": expected " + rows
        + " data rows but now found fewer", "Do not modify data files while a run is using them.");
  }

  /** "CSV file hdfs://nn/x/part-00002 line 12345" for line n (1-based) of split s. */
  private String where(int s, long n) {
    return kind + " file " + DataFiles.display(files[splitFile[s]]) + " line "
        + (linesBefore[s] + n);
  }

  /**
   * The lines one split owns, read through a 64 KiB buffer; a gzipped file's first split reads
   * the whole decompressed file (and checks its gzip trailer at the end).
   */
  private final class Reader implements AutoCloseable {
    private final String file;
    private final long end;
    private InputStream in;
    private final byte[] buf;
    private int pos;
    private int len;
    /** Offset in the file (compressed files: in the content) of buf[pos]. */
    private long offset;
    private byte[] line = new byte[256];
    private long lineNo;
    private boolean done;
    private final long start;

    /** Whether the file is gzipped. */
    final boolean gzip;

    /**
     * The lines of split; gzip: whether its file is gzipped, or null when not known yet (the
     * counting pass: a first split looks at the file's first two bytes; later splits take the
     * file as plain, and their counts are dropped if the first split finds gzip).
     */
    Reader(int split, Boolean gzip) {
      this.file = files[splitFile[split]];
      this.start = splitStart[split];
      // small splits (tests) need no 64 KiB buffer
      buf = new byte[(int) Math.min(1 << 16, Math.max(1 << 10, splitEnd[split] - start + 256))];
      boolean gz = gzip != null && gzip;
      try {
        in = HadoopPaths.open(file, 0);
        if (gzip == null && start == 0) {
          gz = in.read() == 0x1f && in.read() == 0x8b;
          HadoopPaths.seek(in, 0);
        }
        this.gzip = gz;
        if (gz) {
          this.end = Long.MAX_VALUE;
          if (start > 0) {
            done = true; // the first split owns a gzipped file
            return;
          }
          in = new GZIPInputStream(in, 1 << 16);
          offset = 0;
        } else {
          this.end = splitEnd[split];
          offset = Math.max(0, start - 1);
          HadoopPaths.seek(in, offset);
          if (start > 0) {
            // owned lines begin at or after start: unless start follows a \n, skip the partial line
            int b = nextByte();
            if (b != '\n') {
              skipLine();
            }
          }
        }
      } catch (IOException e) {
        close();
        throw DataFiles.unreadable(kind, DataFiles.display(file), e);
      }
    }

    /** The next owned line (without its terminator), or null. */
    String next() {
      if (done || offset >= end) {
        done = true;
        return null;
      }
      long lineStart = offset;
      try {
        int n = 0;
        boolean any = false;
        for (int b; (b = nextByte()) >= 0; ) {
          any = true;
          if (b == '\n') {
            break;
          }
          if (n == line.length) {
            if (n >= MAX_LINE_BYTES) {
              throw tooLong(lineStart);
            }
            line = Arrays.copyOf(line, (int) Math.min((long) line.length * 2, MAX_LINE_BYTES));
          }
          line[n++] = (byte) b;
        }
        if (!any) {
          done = true;
          return null;
        }
        if (n > 0 && line[n - 1] == '\r') {
          n--;
        }
        lineNo++;
        // a UTF-8 byte-order mark (Excel writes one) is not part of the first cell
        int from = lineNo == 1 && start == 0 && n >= 3 && (line[0] & 0xff) == 0xef
            && (line[1] & 0xff) == 0xbb && (line[2] & 0xff) == 0xbf ? 3 : 0;
        return new String(line, from, n - from, StandardCharsets.UTF_8);
      } catch (java.util.zip.ZipException | java.io.EOFException e) {
        throw DataFiles.damagedGzip(kind, DataFiles.display(file), e);
      } catch (IOException e) {
        throw new DataException(kind + " file " + DataFiles.display(file) + ": cannot be read ("
            + HadoopPaths.reason(e) + ")", "Check that the file is complete and readable.", e);
      }
    }

    long lineNo() {
      return lineNo;
    }

    private DataException tooLong(long lineStart) {
      String at = start > 0 ? "the line at byte " + lineStart : "line " + (lineNo + 1);
      return new DataException(kind + " file " + DataFiles.display(file) + ", " + at + ": "
          + "longer than " + (MAX_LINE_BYTES >> 20) + " MiB, the line length limit (no line "
          + "end in the first " + MAX_LINE_BYTES + " bytes"
          + (gzip ? " of its decompressed content" : "") + ")",
          "This is not a text data file (a binary or a device?), or its lines are not "
              + "separated by \\n; split the rows into lines.");
    }

    /**
     * For a gzipped file, reads the rest of the content so that its gzip trailer (CRC-32 and
     * length) is checked even when only a prefix was wanted: a damaged file is refused on every
     * path. Nothing for a plain file, which carries no checksum.
     */
    void verifyRest() {
      if (in instanceof GZIPInputStream) {
        while (!done && next() != null) {
          // next() reports damage
        }
      }
    }

    private void skipLine() throws IOException {
      for (int b; (b = nextByte()) >= 0 && b != '\n'; ) {
        // skip
      }
    }

    private int nextByte() throws IOException {
      if (pos == len) {
        // up to the split's end in big reads, then small ones for the last line's rest: the
        // next split's bytes are that split's to read
        long left = end - offset;
        int want = left > 0 ? (int) Math.min(buf.length, left) : Math.min(buf.length, 1024);
        len = in.read(buf, 0, want);
        pos = 0;
        if (len <= 0) {
          len = 0;
          return -1;
        }
      }
      offset++;
      return buf[pos++] & 0xff;
    }

    @Override
    public void close() {
      if (in != null) {
        try {
          in.close();
        } catch (IOException ignored) {
          // read-only
        }
        in = null;
      }
    }
  }
}
