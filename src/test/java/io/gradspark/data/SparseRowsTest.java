package io.gradspark.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compressed sparse rows hold exactly the dense rows' values: LIBSVM loaded sparse and dense
 * (any range, through the views of a run: scale, one-vs-all, row ranges, a random split), row
 * selection and gathering a batch; the storage rule follows the measured density.
 */
class SparseRowsTest {
  @TempDir
  Path tmp;

  private static void assertSameRows(RowBlock a, RowBlock b) {
    assertEquals(a.rows(), b.rows());
    double[] ra = new double[a.cols()];
    double[] rb = new double[b.cols()];
    for (int r = 0; r < a.rows(); r++) {
      a.copyRow(r, ra, 0);
      b.copyRow(r, rb, 0);
      assertArrayEquals(ra, rb, "row " + r);
      assertEquals(a.label(r), b.label(r), "label of row " + r);
      for (int j = 0; j < a.cols(); j += 7) {
        assertEquals(a.feature(r, j), b.feature(r, j), "row " + r + " feature " + j);
      }
    }
  }

  @Test
  void libsvmLoadedSparseHoldsTheDenseRowsThroughEveryView() throws IOException {
    StringBuilder s = new StringBuilder();
    for (int r = 0; r < 500; r++) {
      s.append(r % 3);
      for (int i = 1 + r % 11; i <= 200; i += 17 + r % 5) {
        s.append(' ').append(i).append(':').append((r * 31 + i) % 13 - 6);
      }
      s.append(r % 9 == 0 ? "" : " # a comment").append('\n');
    }
    Path f = Files.writeString(tmp.resolve("x.libsvm"), s);
    LibsvmSource dense = new LibsvmSource(f.toString(), 200, SplitTasks.LOCAL,
        SparseRows.Storage.DENSE);
    LibsvmSource sparse = new LibsvmSource(f.toString(), 200, SplitTasks.LOCAL,
        SparseRows.Storage.SPARSE);
    LibsvmSource auto = new LibsvmSource(f.toString(), 200, SplitTasks.LOCAL);
    System.out.println(auto.describe());
    assertTrue(auto.density() > 0.04 && auto.density() < 0.07, auto.describe());
    assertTrue(auto.sparse(), "below " + SparseRows.DENSITY_THRESHOLD + ": sparse");
    assertNotNull(sparse.load(0, 1).sparse());
    assertNull(dense.load(0, 1).sparse());
    assertSameRows(dense.load(0, 500), sparse.load(0, 500));
    assertSameRows(dense.load(123, 377), sparse.load(123, 377));
    for (RowSource[] v : new RowSource[][] {
        {Views.scaled(dense, 0.25), Views.scaled(sparse, 0.25)},
        {Views.oneVsAll(dense, 2), Views.oneVsAll(sparse, 2)},
        {Views.range(dense, 40, 90), Views.range(sparse, 40, 90)},
        {Views.randomSplit(dense, 100, 5, true), Views.randomSplit(sparse, 100, 5, true)}}) {
      assertTrue(v[1].sparse());
      assertSameRows(v[0].load(0, v[0].rows()), v[1].load(0, v[1].rows()));
    }
    RowBlock all = sparse.load(0, 500);
    SparseRows.Batch batch = all.sparse().gather(new int[] {10, 499, 250, 10}, 1, 3, 0, null);
    double[] row = new double[200];
    int[] ids = {499, 250, 10};
    for (int r = 0; r < 3; r++) {
      double[] fromBatch = new double[200];
      for (int k = batch.start()[r]; k < batch.start()[r + 1]; k++) {
        fromBatch[batch.index()[k]] = batch.value()[k];
      }
      all.copyRow(ids[r], row, 0);
      assertArrayEquals(row, fromBatch, "gathered row " + r);
    }
  }

  @Test
  void theStorageRuleFollowsTheDensity() {
    assertTrue(SparseRows.Storage.AUTO.sparse(0.0999));
    assertTrue(!SparseRows.Storage.AUTO.sparse(0.1));
    assertTrue(SparseRows.Storage.SPARSE.sparse(1.0));
    assertTrue(!SparseRows.Storage.DENSE.sparse(0.0));
  }
}
