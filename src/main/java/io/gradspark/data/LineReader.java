package io.gradspark.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The lines of a (possibly gzipped) text file with their 1-based numbers. Wraps I/O failures in
 * {@link DataException}s; undecodable bytes become U+FFFD, so they surface as unparsable cells with a
 * line number rather than as a charset exception.
 */
final class LineReader implements AutoCloseable {
  private final String path;
  private final String kind;
  private final DataFiles.Content content;
  private final BufferedReader reader;
  private long lineNo;

  LineReader(String path, String kind) {
    this.path = path;
    this.kind = kind;
    this.content = DataFiles.open(path, kind);
    this.reader = new BufferedReader(new InputStreamReader(content, StandardCharsets.UTF_8));
  }

  /** The next line without its terminator (\n, \r\n or \r), or null at the end. */
  String next() {
    try {
      String line = reader.readLine();
      if (line != null) {
        lineNo++;
      }
      return line;
    } catch (IOException e) {
      throw new DataException(
          kind + " file " + path + " line " + (lineNo + 1) + ": cannot be read (" + e + ")",
          "Check that the file is complete (if gzipped, that the gzip file is not truncated).",
          e);
    }
  }

  /** Checks the rest of a gzipped file (see {@link DataFiles.Content#verifyRest}) after a prefix. */
  void verifyRest() {
    content.verifyRest();
  }

  /** The number of the line last returned by {@link #next()}. */
  long lineNo() {
    return lineNo;
  }

  /** "CSV file /path line 7", the prefix of every error about the current line. */
  String where() {
    return kind + " file " + path + " line " + lineNo;
  }

  @Override
  public void close() {
    try {
      reader.close();
    } catch (IOException ignored) {
      // Read-only: nothing is lost when closing fails.
    }
  }
}
