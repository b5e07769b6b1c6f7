package io.gradspark.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.ParquetFileRange;
import org.apache.parquet.io.SeekableInputStream;

/**
 * Opens a Parquet file on any Hadoop file system with parquet-hadoop's low-level reader (footer,
 * row groups, column readers), in the Hadoop configuration {@link HadoopPaths} uses, so the data
 * package reads Parquet without seeing Hadoop's types.
 *
 * <p>The reader fetches column chunks with Hadoop's vectored reads, as Spark's Parquet reader
 * does. Where the file system serves them on other threads (the local one), Hadoop's statistics
 * of the reading thread miss those bytes; the reader's streams record every vectored read so
 * that {@link HadoopPaths#bytesReadOnThisThread} counts the bytes a task read from Parquet as it
 * counts them from text: the footers and the column chunks of the row groups and columns read,
 * not the columns left out.
 */
public final class ParquetFiles {
  private ParquetFiles() {}

  /**
   * A reader of the file (a qualified path from {@link HadoopPaths#files}); its footer is read.
   * Throws what parquet-hadoop throws for a file that is not Parquet (a RuntimeException naming
   * the magic number) and IOException for an unreadable one.
   */
  public static ParquetFileReader open(String path) throws IOException {
    HadoopPaths.fileSystem(path, "Parquet data");
    HadoopInputFile file =
        HadoopInputFile.fromPath(HadoopPaths.path(path), HadoopPaths.configuration());
    return ParquetFileReader.open(new Counted(file),
        HadoopReadOptions.builder(file.getConfiguration(), file.getPath()).build());
  }

  /** A Hadoop input file whose streams record their vectored reads. */
  private record Counted(HadoopInputFile file) implements InputFile {
    @Override
    public long getLength() {
      return file.getLength();
    }

    @Override
    public SeekableInputStream newStream() throws IOException {
      return new CountedStream(file.newStream());
    }

    @Override
    public String toString() {
      return file.toString();
    }
  }

  /** Every call to the Hadoop stream as it is; vectored reads are also recorded. */
  private static final class CountedStream extends SeekableInputStream {
    private final SeekableInputStream in;

    CountedStream(SeekableInputStream in) {
      this.in = in;
    }

    @Override
    public void readVectored(List<ParquetFileRange> ranges, ByteBufferAllocator allocate)
        throws IOException {
      long requested = 0;
      for (ParquetFileRange r : ranges) {
        requested += r.getLength();
      }
      long before = HadoopPaths.statisticsOnThisThread();
      in.readVectored(ranges, allocate);
      HadoopPaths.vectoredRead(requested, HadoopPaths.statisticsOnThisThread() - before);
    }

    @Override
    public boolean readVectoredAvailable(ByteBufferAllocator allocate) {
      return in.readVectoredAvailable(allocate);
    }

    @Override
    public long getPos() throws IOException {
      return in.getPos();
    }

    @Override
    public void seek(long newPos) throws IOException {
      in.seek(newPos);
    }

    @Override
    public void readFully(byte[] bytes) throws IOException {
      in.readFully(bytes);
    }

    @Override
    public void readFully(byte[] bytes, int start, int len) throws IOException {
      in.readFully(bytes, start, len);
    }

    @Override
    public int read(ByteBuffer buf) throws IOException {
      return in.read(buf);
    }

    @Override
    public void readFully(ByteBuffer buf) throws IOException {
      in.readFully(buf);
    }

    @Override
    public int read() throws IOException {
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return in.read(b, off, len);
    }

    @Override
    public long skip(long n) throws IOException {
      return in.skip(n);
    }

    @Override
    public int available() throws IOException {
      return in.available();
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
