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
  /** Whether some training row has a weight other than 1. */
  private boolean weighted;
  /** What messages call each dataset: "training RDD", or "evaluation RDD" for evaluate's rows. */
  private final Map<DataSplit, String> names = new EnumMap<>(Map.of(
      DataSplit.TRAIN, "training RDD", DataSplit.VALIDATION, "validation RDD",
      DataSplit.TEST, "test RDD"));
  /** Per dataset: cached as compressed sparse rows (measured density, see SparseRows). */
  private final Map<DataSplit, Boolean> sparse = new EnumMap<>(DataSplit.class);

  RddSource(JavaSparkContext sc, RunSpec spec, JavaRDD<LabeledVector> train,
      JavaRDD<LabeledVector> validation, JavaRDD<LabeledVector> test) {
    this(sc, spec, train, validation, test, "training RDD");
  }

  /** As above, the rows of train called trainName in messages (e.g. "evaluation RDD"). */
  RddSource(JavaSparkContext sc, RunSpec spec, JavaRDD<LabeledVector> train,
      JavaRDD<LabeledVector> validation, JavaRDD<LabeledVector> test, String trainName) {
    this.sc = sc;
    this.spec = spec;
    names.put(DataSplit.TRAIN, trainName);
    add(DataSplit.TRAIN, train);
    add(DataSplit.VALIDATION, validation);
    add(DataSplit.TEST, test);
    if (train == null) {
      throw new GradsparkException("The " + trainName + " is null", "pass an RDD with rows");
    }
  }

  private void add(DataSplit split, JavaRDD<LabeledVector> rdd) {
    if (rdd == null) {
      return;
    }
    String name = names.get(split);
    sc.setJobDescription("count the " + name + "'s rows");
    List<double[]> counts = rdd.mapPartitions(new CountRows()).collect();
    long nonzeros = 0;
    for (double[] c : counts) {
      nonzeros += (long) c[3];
    }
    long[] off = new long[counts.size() + 1];
    double weight = 0;
    for (int p = 0; p < counts.size(); p++) {
      off[p + 1] = off[p] + (long) counts.get(p)[0];
      weighted |= split == DataSplit.TRAIN && counts.get(p)[1] != 0;
      weight += counts.get(p)[2];
    }
    if (split == DataSplit.TRAIN && weighted && off[counts.size()] > 0 && !(weight > 0)) {
      throw new GradsparkException("every row of the training RDD has weight 0, so the "
          + "training loss would be 0 / 0", "give some training rows a weight > 0");
    }
    double cells = (double) off[counts.size()] * spec.network().inputSize();
    sparse.put(split, SparseRows.Storage.AUTO.sparse(cells == 0 ? 1 : nonzeros / cells));
    if (off[counts.size()] > Integer.MAX_VALUE) {
      throw new GradsparkException("The " + split + " RDD has " + off[counts.size()]
          + " rows; a dataset holds at most " + Integer.MAX_VALUE, "sample or split the data");
    }
    if (off[counts.size()] == 0) {
      // an empty validation or test set gives NaN metrics, an empty training set no steps
      throw new GradsparkException("The " + name + " is empty (" + counts.size()
          + " partitions, no rows)", split == DataSplit.TRAIN ? "pass an RDD with rows"
          : "pass an RDD with rows, or null for none");
    }
    rdds.put(split, rdd);
    offsets.put(split, off);
  }

  /** Whether some training row has a weight other than 1 (then the loss is a weighted mean). */
  boolean weighted() {
    return weighted;
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
    double[] classWeights = classWeights();
    for (Map.Entry<DataSplit, JavaRDD<LabeledVector>> e : rdds.entrySet()) {
      String what = names.get(e.getKey());
      sc.setJobDescription("prepare and cache the " + what);
      boolean train = e.getKey() == DataSplit.TRAIN;
      JavaRDD<Part> parts = e.getValue()
          .mapPartitionsWithIndex(new BuildPart(offsets.get(e.getKey()), spec, what,
              train && (weighted || classWeights != null), train ? classWeights : null,
              sparse.get(e.getKey())), true)
          .setName(what)
          .persist(storage);
      parts.count(); // bad rows are refused here, before the first step
      cached.put(e.getKey(), parts);
    }
    SparkEngine engine = new SparkEngine(sc, spec.network(), schedule, cached, plan);
    engine.sessionSettings(spec.sessions());
    return engine;
  }

  @Override
  public String master() {
    return sc.master();
  }

  @Override
  public boolean sparse() {
    return sparse.getOrDefault(DataSplit.TRAIN, false);
  }

  /**
   * The training rows' class weights of spec.data() (null: none), "balanced" counted by a job
   * over the training RDD's labels after one-vs-all.
   */
  private double[] classWeights() {
    io.gradspark.data.ClassWeights cw = spec.data().classWeights();
    Network net = spec.network();
    int k = net.classes();
    if (cw == null) {
      return null;
    }
    if (k == 0) {
      throw new GradsparkException("class weights need classes, but the head is a regression",
          "use no class weights with an mse head of 1 output");
    }
    long[] counts = new long[k];
    if (cw.balanced()) {
      sc.setJobDescription("count the training rows of each class");
      int oneVsAll = spec.data().oneVsAll();
      for (long[] c : rdds.get(DataSplit.TRAIN).mapPartitions(new CountClasses(k, oneVsAll))
          .collect()) {
        for (int j = 0; j < k; j++) {
          counts[j] += c[j];
        }
      }
    }
    return cw.resolve(k, counts);
  }

  /**
   * One partition's {row count, 1 if a row has a weight other than 1 else 0, weight sum, nonzero
   * features}: the counting pass also finds whether the rows are weighted, and how dense.
   */
  private static final class CountRows
      implements FlatMapFunction<Iterator<LabeledVector>, double[]> {
    @Override
    public Iterator<double[]> call(Iterator<LabeledVector> rows) {
      long n = 0;
      boolean weighted = false;
      double weight = 0;
      long nonzeros = 0;
      while (rows.hasNext()) {
        LabeledVector row = rows.next();
        // a null row is counted here and refused, by its position, when the part is built
        double w = row == null ? 1.0 : row.weight();
        weighted |= w != 1.0;
        weight += w;
        nonzeros += row == null || row.features() == null ? 0 : row.features().numNonzeros();
        n++;
      }
      return List.<double[]>of(new double[] {n, weighted ? 1 : 0, weight, nonzeros}).iterator();
    }
  }

  /** One partition's rows per class (labels after one-vs-all; labels out of range are skipped). */
  private record CountClasses(int k, int oneVsAll)
      implements FlatMapFunction<Iterator<LabeledVector>, long[]> {
    @Override
    public Iterator<long[]> call(Iterator<LabeledVector> rows) {
      long[] counts = new long[k];
      while (rows.hasNext()) {
        double y = rows.next().label();
        double label = oneVsAll >= 0 ? (y == oneVsAll ? 1 : 0) : y;
        if (label >= 0 && label < k && label == Math.rint(label)) {
          counts[(int) label]++;
        }
      }
      return List.<long[]>of(counts).iterator();
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
    private final boolean weighted;
    private final double[] classWeights;
    private final boolean sparse;

    /**
     * weighted: whether the rows keep their weights (training rows, weighted or with class
     * weights); classWeights: what each row's weight is multiplied by, per class (or null);
     * sparse: cache the rows as compressed sparse rows.
     */
    BuildPart(long[] offsets, RunSpec spec, String what, boolean weighted,
        double[] classWeights, boolean sparse) {
      this.offsets = offsets;
      this.net = spec.network();
      this.oneVsAll = spec.data().oneVsAll();
      this.scale = spec.data().scale();
      this.what = what;
      this.weighted = weighted;
      this.classWeights = classWeights;
      this.sparse = sparse;
    }

    @Override
    public Iterator<Part> call(Integer p, Iterator<LabeledVector> rows) {
      int first = (int) offsets[p];
      RowBlock block = block(rows, (int) (offsets[p + 1] - first), net.inputSize(), first, what,
          weighted, sparse);
      if (oneVsAll >= 0) {
        block = block.oneVsAll(oneVsAll);
      }
      if (scale != 1.0) {
        block = block.scaled(scale);
      }
      DataChecks.checkLabels(block, first, net.head(), net.outputSize(), what);
      if (classWeights != null) {
        double[] w = new double[block.rows()];
        for (int r = 0; r < w.length; r++) {
          w[r] = block.weight(r) * classWeights[(int) block.label(r)];
        }
        block = block.withWeights(w);
      }
      return List.of(new Part(p, first, block)).iterator();
    }
  }

  /**
   * n rows of `cols` features as a block of doubles; refuses a row of another size, naming it as
   * label errors do: 1-based, in the RDD's order (dense id first + its place, plus one).
   */
  static RowBlock block(Iterator<LabeledVector> rows, int n, int cols, int first, String what) {
    return block(rows, n, cols, first, what, false, false);
  }

  /**
   * As above; weighted: keep the rows' weights (refusing one that is not finite or < 0, naming
   * the row), else the block is unweighted; sparse: hold the rows as compressed sparse rows (a
   * dense vector's nonzeros), else as doubles. Every row is checked as a dense one is.
   */
  static RowBlock block(Iterator<LabeledVector> rows, int n, int cols, int first, String what,
      boolean weighted, boolean sparse) {
    double[] values = sparse ? null : new double[Math.multiplyExact(n, cols)];
    SparseRows.Builder csr = sparse ? new SparseRows.Builder(cols, n, 0) : null;
    double[] labels = new double[n];
    double[] weights = weighted ? new double[n] : null;
    int r = 0;
    while (rows.hasNext()) {
      LabeledVector row = rows.next();
      int id = first + r;
      Supplier<String> which = () -> what + ": row " + (id + 1) + " (1-based)";
      if (row == null) {
        throw new GradsparkException(which.get() + " is null, not a LabeledVector",
            "remove null rows from the RDD (e.g. rdd.filter(Objects::nonNull))");
      }
      if (sparse) {
        // the checks of a dense row, on the nonzeros only: a row of 100,000 features with 50
        // nonzeros costs 50, not 100,000
        Vector v = row.features();
        checkSize(v, cols, which);
        if (v instanceof SparseVector sv) {
          checkFinite(sv.values(), sv.indices(), which);
          csr.add(sv.indices(), sv.values(), 0, sv.indices().length);
        } else {
          double[] dense = v.toArray();
          checkFinite(dense, null, which);
          csr.addDense(dense, cols);
        }
      } else {
        write(row.features(), cols, values, r, which);
      }
      if (weighted) {
        double w = row.weight();
        if (!Double.isFinite(w) || w < 0) {
          throw new GradsparkException(which.get() + " has weight " + w
              + "; weights must be finite and >= 0", "fix the row's weight");
        }
        weights[r] = w;
      }
      labels[r++] = row.label();
    }
    RowBlock block = sparse ? RowBlock.ofSparse(csr.build(), labels)
        : RowBlock.ofDoubles(values, n, cols, labels);
    return weighted ? block.withWeights(weights) : block;
  }

  private static void checkSize(Vector v, int cols, Supplier<String> which) {
    if (v == null) {
      throw new GradsparkException(which.get() + " has no feature vector (null)",
          "give every row a vector of the network's input size (" + cols + " features)");
    }
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
      checkFinite(val, idx, which);
      for (int i = 0; i < idx.length; i++) {
        dst[off + idx[i]] = val[i];
      }
    } else {
      double[] val = v.toArray();
      checkFinite(val, null, which);
      System.arraycopy(val, 0, dst, off, v.size());
    }
  }

  /**
   * Refuses a value that is not a finite number, naming its feature: index[i] for values[i], or i
   * when index is null (a dense row). ReLU turns NaN into 0 and the softmax infinities into NaN:
   * a model would train until "divergence", score confidently, or report finite metrics of rows
   * it never saw.
   */
  private static void checkFinite(double[] values, int[] index, Supplier<String> which) {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new GradsparkException(which.get() + " has feature " + values[i] + " at index "
            + (index == null ? i : index[i]) + " (0-based)", "features must be finite numbers:"
                + " drop or impute rows with missing or infinite values before passing them");
      }
    }
  }

  /** Vectors of partition `partition` as an unscaled block with no labels (for predict). */
  static RowBlock block(Iterator<Vector> rows, int cols, int partition) {
    List<Vector> all = new ArrayList<>();
    rows.forEachRemaining(all::add);
    double[] values = new double[Math.multiplyExact(all.size(), cols)];
    for (int r = 0; r < all.size(); r++) {
      int row = r;
      write(all.get(r), cols, values, r, () -> "The RDD to predict: row " + (row + 1)
          + " (1-based) of partition " + partition);
    }
    return RowBlock.ofDoubles(values, all.size(), cols, new double[all.size()]);
  }
}
