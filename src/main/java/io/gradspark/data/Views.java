package io.gradspark.data;

import io.gradspark.Seeds;
import io.gradspark.nn.Head;
import java.io.Serializable;
/**
 * Derived datasets: each view is a small serializable description over another {@link RowSource} and
 * loads its rows from it on demand, so a view costs nothing to ship to Spark executors. Arguments are
 * validated when the view is made, before training starts.
 */
public final class Views {
  private Views() {}

  /**
   * Features multiplied by factor (bytes stay bytes, with a new scale). Refuses a null source and a
   * factor that is 0 or not finite.
   */
  public static RowSource scaled(RowSource source, double factor) {
    requireSource(source);
    if (factor == 0 || !Double.isFinite(factor)) {
      throw new DataException(
          "Scaling " + source.describe() + ": expected a finite, non-zero factor but found " + factor,
          "Use e.g. 1/255 to map MNIST pixels to [0, 1].");
    }
    return new PerBlock(source, (b, from) -> b.scaled(factor), " scaled by " + factor);
  }

  /** Label 1.0 where the label is class k, else 0.0 (for a binary head). Refuses a null source and k < 0. */
  public static RowSource oneVsAll(RowSource source, int k) {
    requireSource(source);
    if (k < 0) {
      throw new DataException(
          "One-vs-all on " + source.describe() + ": expected a class index >= 0 but found " + k,
          "Give the class (label value) that becomes 1; all others become 0.");
    }
    return new PerBlock(source, (b, from) -> b.oneVsAll(k),
        " with labels class " + k + " vs all");
  }

  /**
   * Rows [from, to) of source, renumbered from 0: e.g. the first 50,000 training rows and the last
   * 10,000 as validation. Refuses a null source and a range that is empty or outside the source's rows.
   */
  public static RowSource range(RowSource source, int from, int to) {
    requireSource(source);
    if (from < 0 || from >= to || to > source.rows()) {
      throw new DataException("Row range " + from + ".." + to + " of " + source.describe()
          + ": expected 0 <= from < to <= " + source.rows(),
          "Choose a non-empty range inside the dataset's " + source.rows() + " rows.");
    }
    return new Range(source, from, to);
  }

  /**
   * An exact seeded random split: row i is held out iff
   * {@code new Permutation(rows, Seeds.mix(seed)).apply(i) >= rows - heldOut}. held = true gives the
   * heldOut held-out rows, false the others; both keep source order and are renumbered densely. The
   * same seed gives the same split on every machine. Refuses a null source and a heldOut that would
   * leave either side empty.
   */
  public static RowSource randomSplit(RowSource source, int heldOut, long seed, boolean held) {
    requireSource(source);
    if (heldOut < 1 || heldOut >= source.rows()) {
      throw new DataException(
          "Random split of " + source.describe() + ": expected 1 to " + (source.rows() - 1)
              + " held-out rows but found " + heldOut,
          "Hold out at least one row and fewer rows than the dataset has.");
    }
    return new RandomSplit(source, heldOut, seed, held);
  }

  private static void requireSource(RowSource source) {
    if (source == null) {
      throw new IllegalArgumentException("Expected a source but found null");
    }
  }

  /**
   * The same rows, with every loaded block's labels checked by {@link DataChecks#checkLabels} against
   * what {@code head} on {@code outputs} output units takes (on whichever JVM loads them, so executors
   * refuse bad labels too).
   */
  public static RowSource labelChecked(RowSource source, Head head, int outputs, String what) {
    return new PerBlock(source, (b, from) -> {
      DataChecks.checkLabels(b, from, head, outputs, what);
      return b;
    }, "");
  }

  /**
   * The same rows, each row's weight (1 when it has none) multiplied by the weight of its class,
   * classWeights[label] (labels must be class indices: check them first, {@link #labelChecked}).
   * classWeights: kept, not copied; not modified.
   */
  public static RowSource classWeighted(RowSource source, double[] classWeights) {
    requireSource(source);
    return new PerBlock(source, (b, from) -> {
      double[] w = new double[b.rows()];
      for (int r = 0; r < w.length; r++) {
        w[r] = b.weight(r) * classWeights[(int) b.label(r)];
      }
      return b.withWeights(w);
    }, " weighted by class " + java.util.Arrays.toString(classWeights));
  }

  /** A change to each loaded block; serializable, since views travel to Spark executors. */
  private interface BlockMap extends Serializable {
    /** The block of rows [from, from + b.rows()) of the source, changed. */
    RowBlock apply(RowBlock b, int from);
  }

  /** The same rows as source, each loaded block passed through map. */
  private record PerBlock(RowSource source, BlockMap map, String suffix) implements RowSource {
    @Override
    public int rows() {
      return source.rows();
    }

    @Override
    public int cols() {
      return source.cols();
    }

    @Override
    public RowBlock load(int from, int to) {
      return map.apply(source.load(from, to), from);
    }

    @Override
    public boolean sparse() {
      return source.sparse();
    }

    @Override
    public String describe() {
      return source.describe() + suffix;
    }
  }

  private record Range(RowSource source, int from, int to) implements RowSource {
    @Override
    public int rows() {
      return to - from;
    }

    @Override
    public int cols() {
      return source.cols();
    }

    @Override
    public RowBlock load(int a, int b) {
      DataFiles.checkRange(a, b, rows());
      return source.load(from + a, from + b);
    }

    @Override
    public boolean sparse() {
      return source.sparse();
    }

    @Override
    public String describe() {
      return "rows " + from + ".." + to + " of " + source.describe();
    }
  }

  /** Holds no index arrays (they would be shipped with every task): load() re-derives its rows. */
  private record RandomSplit(RowSource source, int heldOut, long seed, boolean held) implements RowSource {
    @Override
    public int rows() {
      return held ? heldOut : source.rows() - heldOut;
    }

    @Override
    public int cols() {
      return source.cols();
    }

    @Override
    public RowBlock load(int from, int to) {
      DataFiles.checkRange(from, to, rows());
      if (from == to) {
        return source.load(0, 0);
      }
      int n = source.rows();
      int cut = n - heldOut;
      Permutation p = new Permutation(n, Seeds.mix(seed));
      int[] ids = new int[to - from];
      for (int i = 0, dense = 0; dense < to; i++) {
        if ((p.apply(i) >= cut) == held) {
          if (dense >= from) {
            ids[dense - from] = i;
          }
          dense++;
        }
      }
      int first = ids[0];
      for (int r = 0; r < ids.length; r++) {
        ids[r] -= first;
      }
      return source.load(first, first + ids[ids.length - 1] + 1).select(ids);
    }

    @Override
    public boolean sparse() {
      return source.sparse();
    }

    @Override
    public String describe() {
      return (held ? "the " + heldOut + " held-out rows" : "the " + rows() + " rows not held out")
          + " (seed " + seed + ") of " + source.describe();
    }
  }
}
