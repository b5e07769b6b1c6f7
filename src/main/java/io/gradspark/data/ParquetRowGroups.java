package io.gradspark.data;

import io.gradspark.fs.ParquetFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.internal.filter2.columnindex.ColumnIndexStore;
import org.apache.parquet.internal.filter2.columnindex.RowRanges;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * The decoding half of {@link ParquetSource}: one Parquet file's schema checked against the
 * columns a dataset names, and the rows of its row groups read column by column with
 * parquet-hadoop's column readers (no record objects), handed to a {@link Sink} as dense or
 * sparse rows. Every refusal names the file, and where a row is at fault its row group and row.
 *
 * <p>A Spark ML vector column is the struct {@code VectorUDT} writes: {@code type} (0 sparse,
 * 1 dense), {@code size} (sparse rows), {@code indices} (0-based, sparse rows) and {@code values},
 * the two arrays as Parquet LIST columns: a value's repetition level 0 starts a row, 1 continues
 * its list; a definition level below the element's says the list is empty or absent.
 */
final class ParquetRowGroups implements AutoCloseable {
  static final String KIND = "Parquet";
  private static final String[] VECTOR_FIELDS = {"type", "size", "indices", "values"};

  /** Which columns a dataset reads: the label (or null), and a vector column or numeric ones. */
  record Columns(String label, String vector, List<String> features)
      implements java.io.Serializable {}

  /** Receives rows: a label, then the features dense or as sparse (index, value) pairs. */
  interface Sink {
    void label(int r, double y);

    /** v[0..n): the row's features. v is reused: copy it. */
    void dense(int r, double[] v, int n);

    /** Sorted 0-based indices and their values, nnz of them, of a row of size features. */
    void sparse(int r, int size, int[] index, double[] v, int nnz);
  }

  private final String file;
  private final Columns columns;
  private final ParquetFileReader reader;
  private final MessageType schema;
  private final MessageType projection;

  /** Opens the file and checks the columns; refuses a file that is not Parquet. */
  ParquetRowGroups(String file, Columns columns) {
    this.file = file;
    this.columns = columns;
    try {
      this.reader = ParquetFiles.open(file);
    } catch (IOException e) {
      throw DataFiles.unreadable(KIND, file, e);
    } catch (RuntimeException e) {
      // parquet-hadoop says "<path> is not a Parquet file. Expected magic number ...": the path
      // is in the message already
      String reason = String.valueOf(e.getMessage())
          .replaceFirst("^.* is not a Parquet file\\.?\\s*", "").replaceAll("^\\((.*)\\)$", "$1");
      throw new DataException(KIND + " file " + DataFiles.display(file) + ": not a Parquet file ("
          + (reason.length() > 120 ? reason.substring(0, 117) + "..." : reason) + ")",
          "Name Parquet files only (a directory's _SUCCESS and names starting with _ or . are "
              + "skipped), or set the data's format to what the files are.");
    }
    try {
      this.schema = reader.getFooter().getFileMetaData().getSchema();
      this.projection = project();
      reader.setRequestedSchema(projection);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The rows of each row group, from the footer. */
  long[] groupRows() {
    List<BlockMetaData> groups = reader.getRowGroups();
    long[] rows = new long[groups.size()];
    for (int g = 0; g < rows.length; g++) {
      rows[g] = groups.get(g).getRowCount();
    }
    return rows;
  }

  /**
   * Whether every feature column is an integer column whose footer statistics say 0..255 in
   * every row group (the rows then cache as bytes, as IDX pixels do). False for a vector column.
   */
  boolean byteRange() {
    if (columns.vector() != null) {
      return false;
    }
    for (BlockMetaData g : reader.getRowGroups()) {
      for (ColumnChunkMetaData c : g.getColumns()) {
        String name = c.getPath().toDotString();
        if (!columns.features().contains(name)) {
          continue;
        }
        PrimitiveType.PrimitiveTypeName t = c.getPrimitiveType().getPrimitiveTypeName();
        var stats = c.getStatistics();
        if (t != PrimitiveType.PrimitiveTypeName.INT32 && t != PrimitiveType.PrimitiveTypeName.INT64
            || stats == null || !stats.hasNonNullValue() || stats.isEmpty()) {
          return false;
        }
        long min = ((Number) stats.genericGetMin()).longValue();
        long max = ((Number) stats.genericGetMax()).longValue();
        if (min < 0 || max > 255) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Values stored in the vector column's values list over every row group, from the footer (a
   * dense row stores all its features, a sparse one its nonzeros); 0 without a vector column.
   */
  long vectorValues() {
    if (columns.vector() == null) {
      return 0;
    }
    String prefix = columns.vector() + ".values.";
    long n = 0;
    for (BlockMetaData g : reader.getRowGroups()) {
      for (ColumnChunkMetaData c : g.getColumns()) {
        if (c.getPath().toDotString().startsWith(prefix)) {
          n += c.getValueCount();
        }
      }
    }
    return n;
  }

  /** The projection of the schema on the named columns, refusing missing and wrong ones. */
  private MessageType project() {
    List<Type> fields = new ArrayList<>();
    if (columns.label() != null) {
      fields.add(numeric(columns.label()));
    }
    if (columns.vector() != null) {
      fields.add(vector(columns.vector()));
    } else {
      for (String c : columns.features()) {
        fields.add(numeric(c));
      }
    }
    return new MessageType(schema.getName(), fields);
  }

  private Type field(String name) {
    if (!schema.containsField(name)) {
      List<String> names = new ArrayList<>();
      for (Type t : schema.getFields()) {
        names.add(t.getName());
      }
      String list = names.size() <= 12 ? String.join(", ", names)
          : String.join(", ", names.subList(0, 12)) + ", ... (" + names.size() + " columns)";
      throw new DataException(KIND + " file " + DataFiles.display(file) + ": no column \""
          + name + "\"; its columns are " + list,
          "Name the label with data.*.label-column and the features with data.*.features-column "
              + "(a vector column) or data.*.feature-columns (numeric columns).");
    }
    return schema.getType(name);
  }

  private Type numeric(String name) {
    Type t = field(name);
    if (!t.isPrimitive() || t.isRepetition(Type.Repetition.REPEATED)
        || !isNumber(t.asPrimitiveType().getPrimitiveTypeName())) {
      throw new DataException(KIND + " file " + DataFiles.display(file) + ": column \"" + name
          + "\" has type " + typeName(t) + "; expected a number (int, long, float or double)",
          "Cast the column to a numeric type when writing the data, or name another column.");
    }
    return t;
  }

  private Type vector(String name) {
    Type t = field(name);
    boolean ok = !t.isPrimitive() && t.asGroupType().getFieldCount() == 4;
    for (int i = 0; ok && i < 4; i++) {
      ok = t.asGroupType().containsField(VECTOR_FIELDS[i]);
    }
    if (ok) {
      GroupType g = t.asGroupType();
      ok = g.getType("type").isPrimitive() && g.getType("size").isPrimitive()
          && leaf(g.getType("indices")) == PrimitiveType.PrimitiveTypeName.INT32
          && leaf(g.getType("values")) == PrimitiveType.PrimitiveTypeName.DOUBLE;
    }
    if (!ok) {
      throw new DataException(KIND + " file " + DataFiles.display(file) + ": column \"" + name
          + "\" is " + typeName(t) + ", not a Spark ML vector (struct<type: tinyint, size: int, "
          + "indices: array<int>, values: array<double>>)",
          "Name the vector column with data.*.features-column, or list numeric feature columns "
              + "with data.*.feature-columns.");
    }
    return t;
  }

  private static PrimitiveType.PrimitiveTypeName leaf(Type t) {
    while (!t.isPrimitive()) {
      GroupType g = t.asGroupType();
      if (g.getFieldCount() != 1) {
        return null;
      }
      t = g.getType(0);
    }
    return t.asPrimitiveType().getPrimitiveTypeName();
  }

  private static boolean isNumber(PrimitiveType.PrimitiveTypeName t) {
    return t == PrimitiveType.PrimitiveTypeName.INT32
        || t == PrimitiveType.PrimitiveTypeName.INT64
        || t == PrimitiveType.PrimitiveTypeName.FLOAT
        || t == PrimitiveType.PrimitiveTypeName.DOUBLE;
  }

  private static String typeName(Type t) {
    if (!t.isPrimitive()) {
      return "a group " + t.toString().replaceAll("\\s+", " ").strip();
    }
    PrimitiveType p = t.asPrimitiveType();
    String logical = p.getLogicalTypeAnnotation() == null ? ""
        : " (" + p.getLogicalTypeAnnotation() + ")";
    return p.getPrimitiveTypeName().name().toLowerCase(java.util.Locale.ROOT) + logical;
  }

  /**
   * Reads rows [skip, skip + count) of row group g (whose first row is row firstInFile of the
   * file) into sink as rows 0..count-1; rows before skip are decoded and dropped. features: the
   * dataset's feature count, which every row must have.
   */
  void read(int g, long firstInFile, int skip, int count, int features, Sink sink) {
    PageReadStore pages;
    try {
      pages = pages(g, skip + count);
    } catch (IOException e) {
      throw DataFiles.unreadable(KIND, file, e);
    }
    ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages,
        new GroupRecordConverter(projection).getRootConverter(), projection,
        reader.getFileMetaData().getCreatedBy());
    Flat label = columns.label() == null ? null : new Flat(store, columns.label());
    Flat[] flats = null;
    VectorColumn vector = null;
    if (columns.vector() != null) {
      vector = new VectorColumn(store, columns.vector());
    } else {
      flats = new Flat[columns.features().size()];
      for (int j = 0; j < flats.length; j++) {
        flats[j] = new Flat(store, columns.features().get(j));
      }
    }
    double[] dense = new double[flats != null ? flats.length : Math.max(features, 0)];
    for (int i = 0; i < skip + count; i++) {
      boolean keep = i >= skip;
      int r = i - skip;
      String where = where(g, i, firstInFile);
      if (label != null) {
        double y = label.next(where);
        if (keep) {
          sink.label(r, y);
        }
      }
      if (flats != null) {
        for (int j = 0; j < flats.length; j++) {
          dense[j] = flats[j].next(where);
        }
        if (keep) {
          sink.dense(r, dense, dense.length);
        }
      } else {
        vector.next(where, features, keep ? sink : null, r);
      }
    }
  }

  /**
   * The pages of row group g that hold its first rows: where they are fewer than the group's
   * rows and the file has an offset index (Spark and parquet-hadoop write one), only the pages
   * up to the last of them (the first row for a vector's size, a partition that ends mid-group);
   * else every page of the group's chunks.
   */
  private PageReadStore pages(int g, long rows) throws IOException {
    if (rows < reader.getRowGroups().get(g).getRowCount()) {
      try {
        PageReadStore first = reader.readFilteredRowGroup(g, RowRanges.createSingle(rows));
        if (first != null) {
          return first;
        }
      } catch (ColumnIndexStore.MissingOffsetIndexException e) {
        // a file without an offset index: the whole chunks, below
      }
    }
    return reader.readRowGroup(g);
  }

  /** "Parquet file F, row group g, row i (row n of the file)". */
  String where(int g, long row, long firstInFile) {
    return KIND + " file " + DataFiles.display(file) + ", row group " + g + ", row " + row
        + " (row " + (firstInFile + row) + " of the file)";
  }

  /** The feature count of the first row of row group g (a vector column's size). */
  int firstSize(int g, long firstInFile) {
    int[] size = {-1};
    read(g, firstInFile, 0, 1, -1, new Sink() {
      @Override
      public void label(int r, double y) {}

      @Override
      public void dense(int r, double[] v, int n) {
        size[0] = n;
      }

      @Override
      public void sparse(int r, int n, int[] index, double[] v, int nnz) {
        size[0] = n;
      }
    });
    return size[0];
  }

  @Override
  public void close() {
    try {
      reader.close();
    } catch (IOException ignored) {
      // read-only: a failed close loses nothing
    }
  }

  private static ColumnReader reader(ColumnReadStoreImpl store, MessageType schema,
      String... path) {
    ColumnDescriptor d = schema.getColumnDescription(path);
    return store.getColumnReader(d);
  }

  private static String[] leafPath(MessageType schema, String... prefix) {
    for (ColumnDescriptor d : schema.getColumns()) {
      String[] p = d.getPath();
      if (p.length >= prefix.length && Arrays.equals(Arrays.copyOf(p, prefix.length), prefix)) {
        return p;
      }
    }
    throw new IllegalStateException("no leaf under " + Arrays.toString(prefix));
  }

  private static double value(ColumnReader c) {
    return switch (c.getDescriptor().getPrimitiveType().getPrimitiveTypeName()) {
      case INT32 -> c.getInteger();
      case INT64 -> c.getLong();
      case FLOAT -> c.getFloat();
      case DOUBLE -> c.getDouble();
      default -> throw new IllegalStateException("not numeric: " + c.getDescriptor());
    };
  }

  /** A top-level numeric column: one value a row, null refused. */
  private final class Flat {
    private final String name;
    private final ColumnReader c;
    private final int maxDef;

    Flat(ColumnReadStoreImpl store, String name) {
      this.name = name;
      this.c = reader(store, projection, name);
      this.maxDef = c.getDescriptor().getMaxDefinitionLevel();
    }

    double next(String where) {
      if (c.getCurrentDefinitionLevel() < maxDef) {
        throw nullValue(where, name);
      }
      double v = value(c);
      c.consume();
      if (!Double.isFinite(v)) {
        throw new DataException(where + ": column \"" + name + "\" is " + v
            + "; expected a finite number", "Remove or repair the rows with NaN or infinity.");
      }
      return v;
    }
  }

  private DataException nullValue(String where, String name) {
    return new DataException(where + ": column \"" + name + "\" is null",
        "Drop or fill the rows with nulls before writing the data (e.g. DataFrame.na().drop()).");
  }

  /** The four leaf columns of a vector struct, read a row at a time. */
  private final class VectorColumn {
    private final String name;
    private final ColumnReader type;
    private final ColumnReader size;
    private final ListReader indices;
    private final ListReader values;
    private final int structDef;
    private final int sizeDef;
    private int[] idx = new int[16];
    private double[] val = new double[16];

    VectorColumn(ColumnReadStoreImpl store, String name) {
      this.name = name;
      this.type = reader(store, projection, name, "type");
      this.size = reader(store, projection, name, "size");
      this.indices = new ListReader(store, name, "indices");
      this.values = new ListReader(store, name, "values");
      this.structDef = projection.getMaxDefinitionLevel(name);
      this.sizeDef = size.getDescriptor().getMaxDefinitionLevel();
    }

    /** Decodes one row; to the sink when not null. features < 0: take the row's own size. */
    void next(String where, int features, Sink sink, int r) {
      if (type.getCurrentDefinitionLevel() < structDef) {
        throw nullValue(where, name);
      }
      int t = type.getInteger();
      type.consume();
      boolean hasSize = size.getCurrentDefinitionLevel() == sizeDef;
      int n = hasSize ? size.getInteger() : -1;
      size.consume();
      int nnz = indices.next(where);
      if (nnz > idx.length) {
        idx = new int[Math.max(nnz, idx.length * 2)];
      }
      for (int k = 0; k < nnz; k++) {
        idx[k] = (int) indices.buffer[k];
      }
      int nv = values.next(where);
      if (nv < 0) {
        throw nullValue(where, name + ".values");
      }
      if (nv > val.length) {
        val = new double[Math.max(nv, val.length * 2)];
      }
      System.arraycopy(values.buffer, 0, val, 0, nv);
      for (int k = 0; k < nv; k++) {
        if (!Double.isFinite(val[k])) {
          throw new DataException(where + ": vector \"" + name + "\" holds " + val[k]
              + "; expected finite numbers", "Remove or repair the rows with NaN or infinity.");
        }
      }
      if (t == 1) {
        check(where, features, nv, "dense");
        if (sink != null) {
          sink.dense(r, val, nv);
        }
      } else if (t == 0) {
        if (!hasSize || nnz != nv || nnz < 0) {
          throw new DataException(where + ": sparse vector \"" + name + "\" has size "
              + (hasSize ? n : "null") + ", " + Math.max(nnz, 0) + " indices and " + nv
              + " values", "Write the vectors with Spark ML (Vectors.sparse, VectorAssembler).");
        }
        check(where, features, n, "sparse");
        for (int k = 0; k < nnz; k++) {
          if (idx[k] < 0 || idx[k] >= n || k > 0 && idx[k] <= idx[k - 1]) {
            throw new DataException(where + ": sparse vector \"" + name + "\" has index "
                + idx[k] + " at position " + k + "; expected increasing indices in 0.." + (n - 1),
                "Write the vectors with Spark ML (Vectors.sparse sorts the indices).");
          }
        }
        if (sink != null) {
          sink.sparse(r, n, idx, val, nnz);
        }
      } else {
        throw new DataException(where + ": vector \"" + name + "\" has type " + t
            + "; expected 0 (sparse) or 1 (dense)", "Write the vectors with Spark ML.");
      }
    }

    private void check(String where, int features, int n, String kind) {
      if (features >= 0 && n != features) {
        throw new DataException(where + ": the " + kind + " vector \"" + name + "\" has size " + n
            + " but the data's vectors have size " + features
            + " (the size of the first row of the first file)",
            "Write vectors of one size (one VectorAssembler over the same columns).");
      }
    }
  }

  /** A LIST column of numbers (a vector's indices or values) under the struct name. */
  private final class ListReader {
    private final ColumnReader c;
    private final int maxDef;
    private final int presentDef;
    private final long total;
    private long consumed;
    double[] buffer = new double[16];

    ListReader(ColumnReadStoreImpl store, String struct, String field) {
      this.c = reader(store, projection, leafPath(projection, struct, field));
      this.maxDef = c.getDescriptor().getMaxDefinitionLevel();
      this.presentDef = projection.getMaxDefinitionLevel(struct, field);
      this.total = c.getTotalValueCount();
    }

    /** The row's list into buffer; returns its length, or -1 when the list is null. */
    int next(String where) {
      int def = c.getCurrentDefinitionLevel();
      if (def < maxDef) {
        consume();
        if (def < presentDef) {
          return -1;
        }
        if (def > presentDef) {
          throw nullValue(where, c.getDescriptor().getPath()[0] + " element");
        }
        return 0;
      }
      int n = 0;
      do {
        if (c.getCurrentDefinitionLevel() < maxDef) {
          throw nullValue(where, String.join(".", c.getDescriptor().getPath()));
        }
        if (n == buffer.length) {
          buffer = Arrays.copyOf(buffer, n * 2);
        }
        buffer[n++] = value(c);
        consume();
      } while (consumed < total && c.getCurrentRepetitionLevel() > 0);
      return n;
    }

    private void consume() {
      c.consume();
      consumed++;
    }
  }
}
