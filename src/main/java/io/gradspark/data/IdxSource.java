package io.gradspark.data;

import io.gradspark.fs.HadoopPaths;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * MNIST in its original IDX format: an images file (magic 0x00000803: unsigned bytes in 3 dimensions,
 * count x rows x cols) and a labels file (magic 0x00000801: count unsigned bytes), each raw or gzipped
 * (recognised by the gzip magic number, not by the file name). Features are the raw pixel bytes with
 * scale 1.0 (scale them with {@link Views#scaled}); labels are the class indices.
 *
 * <p>The constructor reads only the two headers and checks them against the files' real lengths (for a
 * gzipped file, against the gzip trailer's uncompressed length mod 2^32) before anything is allocated
 * from the header, so a corrupt header cannot claim gigabytes. A gzip file of several concatenated
 * members is refused: its trailer describes only the last member.
 */
public final class IdxSource implements RowSource {
  private static final long serialVersionUID = 1L;
  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;
  /** Gzipped files up to this size (decompressed) are decompressed once per JVM and shared. */
  private static final long VERIFIED_MAX_BYTES = 256L << 20;
  private static final String HINT_SWAP =
      "Pass an IDX images file (e.g. train-images-idx3-ubyte.gz) as images and the matching labels file"
          + " (e.g. train-labels-idx1-ubyte.gz) as labels.";
  private static final String HINT_DAMAGED =
      "The file is damaged or incomplete: download it again and compare it with the published checksum.";

  private final String images;
  private final String labels;
  private final int count;
  private final int height;
  private final int width;
  /** Whether each file is gzipped (its magic number, read once when the source is made). */
  private final boolean imagesGzip;
  private final boolean labelsGzip;

  /**
   * Refuses missing files, wrong magic numbers (e.g. the two files swapped), zero or negative
   * dimensions, different image and label counts, and files whose length does not match their header
   * (truncated or with trailing bytes).
   */
  public IdxSource(Path images, Path labels) {
    this(DataFiles.local(images, "IDX images"), DataFiles.local(labels, "IDX labels"));
  }

  /**
   * The two files at paths on any Hadoop file system (each one file: a directory or a glob is
   * refused). Reads only the headers and the files' lengths (and a gzip file's last 4 bytes).
   */
  public IdxSource(String images, String labels) {
    HadoopPaths.FileEntry imageFile = HadoopPaths.file(images, "IDX images");
    HadoopPaths.FileEntry labelFile = HadoopPaths.file(labels, "IDX labels");
    this.images = DataFiles.display(imageFile.path());
    this.labels = DataFiles.display(labelFile.path());
    this.imagesGzip = DataFiles.isGzip(this.images, kind(true));
    this.labelsGzip = DataFiles.isGzip(this.labels, kind(false));
    int[] img = checkedHeader(this.images, true, imagesGzip, imageFile.length());
    int[] lab = checkedHeader(this.labels, false, labelsGzip, labelFile.length());
    if (img[0] != lab[0]) {
      throw new DataException(
          "IDX files " + this.images + " and " + this.labels
              + ": expected as many labels as images but found "
              + img[0] + " images and " + lab[0] + " labels",
          "Use the labels file that belongs to the images file (train with train, t10k with t10k).");
    }
    this.count = img[0];
    this.height = img[1];
    this.width = img[2];
  }

  @Override
  public int rows() {
    return count;
  }

  @Override
  public int cols() {
    return height * width;
  }

  /** Refuses a range outside [0, rows()]; a file damaged since construction fails naming the record. */
  @Override
  public RowBlock load(int from, int to) {
    DataFiles.checkRange(from, to, count);
    int n = to - from;
    byte[] pixels = new byte[DataFiles.cells(n, cols(), describe())];
    byte[] classes = new byte[n];
    read(images, true, from, to, pixels);
    read(labels, false, from, to, classes);
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      y[i] = classes[i] & 0xff;
    }
    return RowBlock.ofBytes(pixels, n, cols(), 1.0, y);
  }

  @Override
  public String describe() {
    return "MNIST IDX " + images + " + " + HadoopPaths.name(labels) + " (" + count + " rows, " + height
        + "x" + width + ")";
  }

  private static String kind(boolean isImages) {
    return isImages ? "IDX images" : "IDX labels";
  }

  private static int headerBytes(boolean isImages) {
    return isImages ? 16 : 8;
  }

  /** {count, rows, cols} (labels: {count, 1, 1}) after checking the header against the file length. */
  private static int[] checkedHeader(String path, boolean isImages, boolean gzip,
      long fileLength) {
    String where = kind(isImages) + " file " + path;
    int size = headerBytes(isImages);
    ByteBuffer head = ByteBuffer.allocate(size);
    InputStream in = DataFiles.open(path, kind(isImages), gzip);
    try (in) {
      head.put(in.readNBytes(size));
    } catch (IOException e) {
      throw new DataException(where + ": cannot read the header (" + e + ")", HINT_DAMAGED, e);
    }
    if (head.position() < 4) {
      throw new DataException(where + ": expected at least a 4-byte magic number but the file has "
          + head.position() + " bytes", HINT_DAMAGED);
    }
    int magic = head.getInt(0);
    int expected = isImages ? IMAGES_MAGIC : LABELS_MAGIC;
    if (magic != expected) {
      boolean swapped = magic == (isImages ? LABELS_MAGIC : IMAGES_MAGIC);
      String looks = swapped ? " (an " + kind(!isImages) + " file)" : "";
      throw new DataException(String.format("%s: expected magic number 0x%08x (%s) but found 0x%08x%s", where,
          expected, isImages ? "images: unsigned bytes, 3 dimensions" : "labels: unsigned bytes, 1 dimension",
          magic, looks), HINT_SWAP);
    }
    if (head.position() < size) {
      throw new DataException(where + ": truncated: expected a " + size
          + "-byte header but the file has only " + head.position() + " bytes", HINT_DAMAGED);
    }
    String[] names = {"image count", "rows per image", "columns per image"};
    int[] dims = {1, 1, 1};
    for (int d = 0; d < size / 4 - 1; d++) {
      dims[d] = head.getInt(4 + 4 * d);
      if (dims[d] <= 0) {
        throw new DataException(where + ": header " + (isImages ? names[d] : "label count")
            + " must be between 1 and 2^31-1 but found " + Integer.toUnsignedString(dims[d]), HINT_DAMAGED);
      }
    }
    long record = (long) dims[1] * dims[2];
    if (record > Integer.MAX_VALUE - 8) {
      throw new DataException(where + ": header says each image is " + dims[1] + "x" + dims[2]
          + " pixels, too many for one row", HINT_DAMAGED);
    }
    checkLength(path, isImages, gzip, dims[0], record, fileLength);
    return dims;
  }

  /** Refuses a file whose (uncompressed) length is not what the header promises. */
  private static void checkLength(String path, boolean isImages, boolean gzip, int count,
      long record, long size) {
    String where = kind(isImages) + " file " + path;
    long expected = headerBytes(isImages) + count * record;
    String promise = where + ": the header promises " + count + " records of " + record + " bytes ("
        + expected + " bytes in all)";
    if (!gzip) {
      if (size != expected) {
        throw new DataException(promise + " but the file has " + size + " bytes: "
            + (size < expected ? "it is truncated" : "it has " + (size - expected) + " trailing bytes"),
            HINT_DAMAGED);
      }
      return;
    }
    if (size < 18) {
      throw new DataException(where + ": truncated: a gzip file has at least 18 bytes but found " + size,
          HINT_DAMAGED);
    }
    long isize;
    try (InputStream in = HadoopPaths.open(path, size - 4)) {
      byte[] trailer = in.readNBytes(4);
      if (trailer.length < 4) {
        throw new EOFException("the file ends before its gzip trailer");
      }
      isize = Integer.toUnsignedLong(Integer.reverseBytes(ByteBuffer.wrap(trailer).getInt()));
    } catch (IOException e) {
      throw DataFiles.unreadable(kind(isImages), path, e);
    }
    if (isize != (expected & 0xffffffffL)) {
      throw new DataException(promise + " but the gzip trailer says the content is " + isize
          + " bytes (mod 2^32): the file is truncated, has trailing bytes, or is not a single gzip member",
          HINT_DAMAGED);
    }
  }

  private byte[] expectedHeader(boolean isImages) {
    ByteBuffer b = ByteBuffer.allocate(headerBytes(isImages));
    b.putInt(isImages ? IMAGES_MAGIC : LABELS_MAGIC).putInt(count);
    if (isImages) {
      b.putInt(height).putInt(width);
    }
    return b.array();
  }

  /** Streams records [from, to) of one file into dst, naming the record where the file turns out bad. */
  private void read(String path, boolean isImages, int from, int to, byte[] dst) {
    int record = isImages ? cols() : 1;
    long length = headerBytes(isImages) + (long) count * record;
    boolean gzip = isImages ? imagesGzip : labelsGzip;
    byte[] whole = DataFiles.verified(path, gzip, length, VERIFIED_MAX_BYTES);
    if (whole != null && Arrays.equals(whole, 0, headerBytes(isImages), expectedHeader(isImages),
        0, headerBytes(isImages))) {
      System.arraycopy(whole, headerBytes(isImages) + from * record, dst, 0, (to - from) * record);
      return;
    }
    int r = -1;
    try (InputStream in = gzip ? DataFiles.open(path, kind(isImages), true)
        : HadoopPaths.open(path, headerBytes(isImages) + (long) from * record)) {
      if (gzip) {
        // a gzip stream is read from its start: check the header, skip to the range
        if (!Arrays.equals(in.readNBytes(headerBytes(isImages)), expectedHeader(isImages))) {
          throw new DataException(
              kind(isImages) + " file " + path + ": header changed since the dataset was opened",
              "Do not modify data files while a run is using them.");
        }
        for (r = 0; r < from; r++) {
          in.skipNBytes(record);
        }
      }
      // a raw file is read from the range's first record (the header and length were checked)
      for (r = from; r < to; r++) {
        if (in.readNBytes(dst, (r - from) * record, record) < record) {
          throw new EOFException();
        }
      }
      if (in instanceof DataFiles.Content content) {
        content.verifyRest();
      }
    } catch (EOFException e) {
      throw new DataException(kind(isImages) + " file " + path + ": record " + r + " is truncated: expected "
          + record + " bytes per record for " + count + " records but the file ends early", HINT_DAMAGED, e);
    } catch (IOException e) {
      throw new DataException(kind(isImages) + " file " + path + ": cannot read "
          + (r < 0 ? "the header" : "record " + r) + " (" + e + ")", HINT_DAMAGED, e);
    }
  }
}
