package io.gradspark.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Where the entry data lies in a zip written with stored (uncompressed) entries, as Npz writes. */
final class ZipLayout {
  private ZipLayout() {}

  /** For each byte of the file: true when it is part of an entry's data (not zip metadata). */
  static boolean[] entryData(byte[] zip) {
    ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
    boolean[] data = new boolean[zip.length];
    int o = 0;
    while (o + 30 <= zip.length && b.getInt(o) == 0x04034b50) {
      int size = b.getInt(o + 18);
      int start = o + 30 + (b.getShort(o + 26) & 0xFFFF) + (b.getShort(o + 28) & 0xFFFF);
      for (int i = start; i < start + size; i++) {
        data[i] = true;
      }
      o = start + size;
    }
    if (o == 0) {
      throw new IllegalArgumentException("not a zip of stored entries");
    }
    return data;
  }
}
