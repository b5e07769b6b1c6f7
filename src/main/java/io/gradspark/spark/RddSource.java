package io.gradspark.spark;

import io.gradspark.GradsparkException;
import io.gradspark.api.EngineSource;
import io.gradspark.api.RunSpec;
import io.gradspark.data.DataChecks;
import io.gradspark.data.RowBlock;
import io.gradspark.data.SparseRows;
import io.gradspark.nn.Network;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientEngine;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.storage.StorageLevel;

/**
 * Datasets an application already holds as RDDs, for a {@link io.gradspark.api.TrainingJob}. Rows
 * get dense ids from the RDD's own order, found by a counting pass (rows per partition, then
 * prefix sums, as {@code zipWithIndex} does): partition p holds ids [offset(p), offset(p) +
 * count(p)). So the batch schedule and its guarantees are those of file data: the same RDD
 * partitioning gives bit-identical models. Each partition's rows are prepared on its executor as
 * file rows are (one-vs-all, scale, features and labels checked) and cached as one {@link Part}.
 */
final class RddSource implements EngineSource {
  private final JavaSparkContext sc;
  private final RunSpec spec;
  private final Map<DataSplit, JavaRDD<LabeledVector>> rdds = new EnumMap<>(DataSplit.class);
  private final Map<DataSplit, long[]> offsets = new EnumMap<>(DataSplit.class);
  /** Per dataset: cached as compressed sparse rows (measured density, see SparseRows). */
  private final Map<DataSplit, Boolean> sparse = new EnumMap<>(DataSplit.class);

  RddSource(JavaSparkContext sc, RunSpec spec, JavaRDD<LabeledVector> train,
      JavaRDD<LabeledVector> validation, JavaRDD<LabeledVector> test) {
    this.sc = sc;
    this.spec = spec;
    add(DataSplit.TRAIN, train);
    add(DataSplit.VALIDATION, validation);
    add(DataSplit.TEST, test);
    if (rows(DataSplit.TRAIN) == 0) {
      throw new GradsparkException("The training RDD is empty", "pass an RDD with rows");
    }
  }

  private void add(DataSplit split, JavaRDD<LabeledVector> rdd) {
    if (rdd == null) {
      return;
    }
    sc.setJobDescription("count " + split.name().toLowerCase(java.util.Locale.ROOT) + " rows");
    List<long[]> counted = rdd.mapPartitions(new CountRows()).collect();
    List<Long> counts = new ArrayList<>();
    long nonzeros = 0;
    for (long[] c : counted) {
      counts.add(c[0]);
      nonzeros += c[1];
    }
    long[] off = new long[counts.size() + 1];
    for (int p = 0; p < counts.size(); p++) {
      off[p + 1] = off[p] + counts.get(p);
    }
    double cells = (double) off[counts.size()] * spec.network().inputSize();
    sparse.put(split, SparseRows.Storage.AUTO.sparse(cells == 0 ? 1 : nonzeros / cells));
    if (off[counts.size()] > Integer.MAX_VALUE) {
      throw new GradsparkException("The " + split + " RDD has " + off[counts.size()]
          + " rows; a dataset holds at most " + Integer.MAX_VALUE, "sample or split the data");
    }
    rdds.put(split, rdd);
    offsets.put(split, off);
  }

  @Override
  public int rows(DataSplit split) {
    long[] off = offsets.get(split);
    return off == null ? 0 : (int) off[off.length - 1];
  }

  @Override
  public GradientEngine create(BatchSchedule schedule) {
    // refused here, before any row is prepared, when not even one gradient sum fits the driver's
    // result limit (the parts keep the training RDD's partitions)
    AggregationPlan plan = SparkEngine.plan(sc, spec.network(),
        rdds.get(DataSplit.TRAIN).getNumPartitions(), null);
    Map<DataSplit, JavaRDD<Part>> cached = new EnumMap<>(DataSplit.class);
    StorageLevel storage = StorageLevel.fromString(spec.storage().name());
    for (Map.Entry<DataSplit, JavaRDD<LabeledVector>> e : rdds.entrySet()) {
      String what = e.getKey().name().toLowerCase(java.util.Locale.ROOT) + " RDD";
      sc.setJobDescription("prepare and cache the " + what);
      JavaRDD<Part> parts = e.getValue()
          .mapPartitionsWithIndex(new BuildPart(offsets.get(e.getKey()), spec, what,
              sparse.get(e.getKey())), true)
          .setName(what)
          .persist(storage);
      parts.count(); // bad rows are refused here, before the first step
      cached.put(e.getKey(), parts);
    }
    return new SparkEngine(sc, spec.network(), schedule, cached, plan);
  }

  @Override
  public String master() {
    return sc.master();
  }

  /** One partition's row count and nonzero features. */
  private static final class CountRows
      implements FlatMapFunction<Iterator<LabeledVector>, long[]> {
    @Override
    public Iterator<long[]> call(Iterator<LabeledVector> rows) {
      long n = 0;
      long nonzeros = 0;
      while (rows.hasNext()) {
        nonzeros += rows.next().features().numNonzeros();
        n++;
      }
      return List.of(new long[] {n, nonzeros}).iterator();
    }
  }

  /**
   * Partition p's rows as one Part, prepared as file rows are: features checked against the
   * network's input size, one-vs-all, scale, labels checked (messages name the row, 1-based in RDD order).
   */
  private static final class BuildPart
      implements Function2<Integer, Iterator<LabeledVector>, Iterator<Part>> {
    private final long[] offsets;
    private final Network net;
    private final int oneVsAll;
    private final double scale;
    private final String what;
    private final boolean sparse;

    BuildPart(long[] offsets, RunSpec spec, String what, boolean sparse) {
      this.offsets = offsets;
      this.net = spec.network();
      this.oneVsAll = spec.data().oneVsAll();
      this.scale = spec.data().scale();
      this.what = what;
      this.sparse = sparse;
    }

    @Override
    public Iterator<Part> call(Integer p, Iterator<LabeledVector> rows) {
      int first = (int) offsets[p];
      int n = (int) (offsets[p + 1] - first);
      RowBlock block = sparse ? sparseBlock(rows, n, net.inputSize(), first, what)
          : block(rows, n, net.inputSize(), first, what);
      if (oneVsAll >= 0) {
        block = block.oneVsAll(oneVsAll);
      }
      if (scale != 1.0) {
        block = block.scaled(scale);
      }
      DataChecks.checkLabels(block, first, net.head(), net.outputSize(), what);
      return List.of(new Part(p, first, block)).iterator();
    }
  }

  /**
   * n rows of `cols` features as a block of doubles; refuses a row of another size, naming it as
   * label errors do: 1-based, in the RDD's order (dense id first + its place, plus one).
   */
  static RowBlock block(Iterator<LabeledVector> rows, int n, int cols, int first, String what) {
    double[] values = new double[Math.multiplyExact(n, cols)];
    double[] labels = new double[n];
    int r = 0;
    while (rows.hasNext()) {
      LabeledVector row = rows.next();
      int id = first + r;
      write(row.features(), cols, values, r, () -> what + ": row " + (id + 1) + " (1-based)");
      labels[r++] = row.label();
    }
    return RowBlock.ofDoubles(values, n, cols, labels);
  }

  /** As {@link #block}, the rows as compressed sparse rows (a dense vector's nonzeros). */
  static RowBlock sparseBlock(Iterator<LabeledVector> rows, int n, int cols, int first,
      String what) {
    SparseRows.Builder csr = new SparseRows.Builder(cols, n, 0);
    double[] labels = new double[n];
    int r = 0;
    while (rows.hasNext()) {
      LabeledVector row = rows.next();
      int id = first + r;
      Vector v = row.features();
      checkSize(v, cols, () -> what + ": row " + (id + 1) + " (1-based)");
      if (v instanceof SparseVector s) {
        csr.add(s.indices(), s.values(), 0, s.indices().length);
      } else {
        csr.addDense(v.toArray(), cols);
      }
      labels[r++] = row.label();
    }
    return RowBlock.ofSparse(csr.build(), labels);
  }

  private static void checkSize(Vector v, int cols, Supplier<String> which) {
    if (v.size() != cols) {
      throw new GradsparkException(which.get() + " has " + v.size()
          + " features but the network's input size is " + cols,
          "give every row the network's input size in features");
    }
  }

  /**
   * v as row r of dst (row-major, cols per row), zeros where a sparse vector has none; refuses a
   * vector of another size, naming the row as `which` says.
   */
  static void write(Vector v, int cols, double[] dst, int r, Supplier<String> which) {
    checkSize(v, cols, which);
    int off = r * cols;
    if (v instanceof SparseVector s) {
      int[] idx = s.indices();
      double[] val = s.values();
      for (int i = 0; i < idx.length; i++) {
        dst[off + idx[i]] = val[i];
      }
    } else {
      System.arraycopy(v.toArray(), 0, dst, off, v.size());
    }
  }

  /** Vectors of one partition as an unscaled block with no labels (for predict). */
  static RowBlock block(Iterator<Vector> rows, int cols) {
    List<Vector> all = new ArrayList<>();
    rows.forEachRemaining(all::add);
    double[] values = new double[Math.multiplyExact(all.size(), cols)];
    for (int r = 0; r < all.size(); r++) {
      write(all.get(r), cols, values, r, () -> "A row to predict");
    }
    return RowBlock.ofDoubles(values, all.size(), cols, new double[all.size()]);
  }
}
