package io.gradspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BatchScheduleTest {

  /** Every row exactly once per epoch, batch sizes as promised. */
  private static void assertEpochCoversAllRows(BatchSchedule s, int epoch) {
    int[] seen = new int[s.rows()];
    for (int k = 0; k < s.stepsPerEpoch(); k++) {
      int[] b = s.batch(epoch, k);
      assertEquals(s.batchRows(k), b.length);
      for (int id : b) {
        seen[id]++;
      }
    }
    for (int i = 0; i < seen.length; i++) {
      assertEquals(1, seen[i], "row " + i + " in epoch " + epoch);
    }
  }

  @Test
  void everyRowOncePerEpochForManySizes() {
    int[][] cases = {{1, 1}, {1, 128}, {2, 1}, {10, 3}, {1000, 128}, {60000, 128}, {7, 7}, {5, 8}};
    for (int[] c : cases) {
      BatchSchedule s = new BatchSchedule(c[0], c[1], 42, true, false);
      for (int e = 0; e < 3; e++) {
        assertEpochCoversAllRows(s, e);
      }
    }
  }

  @Test
  void shortLastBatchKeptOrDropped() {
    BatchSchedule keep = new BatchSchedule(10, 3, 1, true, false);
    assertEquals(4, keep.stepsPerEpoch());
    assertEquals(1, keep.batchRows(3));
    BatchSchedule drop = new BatchSchedule(10, 3, 1, true, true);
    assertEquals(3, drop.stepsPerEpoch());
    assertEquals(3, drop.batchRows(2));
  }

  @Test
  void epochsDifferAndSeedsReproduce() {
    BatchSchedule a = new BatchSchedule(1000, 100, 7, true, false);
    BatchSchedule b = new BatchSchedule(1000, 100, 7, true, false);
    BatchSchedule c = new BatchSchedule(1000, 100, 8, true, false);
    assertArrayEquals(a.batch(3, 5), b.batch(3, 5));
    assertFalse(Arrays.equals(a.batch(0, 0), a.batch(1, 0)));
    assertFalse(Arrays.equals(a.batch(0, 0), c.batch(0, 0)));
  }

  @Test
  void inverseAgreesWithForwardDefinition() {
    BatchSchedule s = new BatchSchedule(1003, 64, 99, true, false);
    for (int e = 0; e < 2; e++) {
      for (int k = 0; k < s.stepsPerEpoch(); k++) {
        int[] ids = s.batch(e, k);
        for (int r = 0; r < ids.length; r++) {
          // the r-th row of batch k sits at position k*B + r of the epoch's order
          assertEquals(k * 64 + r, s.position(e, ids[r]));
        }
      }
    }
  }

  @Test
  void rangeQueriesPartitionTheBatch() {
    BatchSchedule s = new BatchSchedule(997, 50, 3, true, false);
    int[] bounds = {0, 100, 101, 500, 997};
    int[] out = new int[50];
    for (int k = 0; k < s.stepsPerEpoch(); k++) {
      int[] whole = s.batch(2, k);
      int total = 0;
      int[] union = new int[whole.length];
      for (int p = 0; p + 1 < bounds.length; p++) {
        int n = s.batch(2, k, bounds[p], bounds[p + 1], out);
        for (int i = 0; i < n; i++) {
          assertTrue(out[i] >= bounds[p] && out[i] < bounds[p + 1]);
        }
        assertTrue(total + n <= whole.length, "more rows than the batch at step " + k);
        System.arraycopy(out, 0, union, total, n);
        total += n;
      }
      assertEquals(whole.length, total);
      // the same rows, each once: sorted, the union of the ranges' answers is the sorted batch
      int[] expected = whole.clone();
      Arrays.sort(expected);
      Arrays.sort(union);
      assertArrayEquals(expected, union, "step " + k);
    }
  }

  @Test
  void noShuffleKeepsNaturalOrder() {
    BatchSchedule s = new BatchSchedule(10, 4, 5, false, false);
    assertArrayEquals(new int[] {4, 5, 6, 7}, s.batch(3, 1));
    assertArrayEquals(new int[] {8, 9}, s.batch(0, 2));
  }

  @Test
  void oversizedBatchMeansFullBatch() {
    BatchSchedule s = new BatchSchedule(5, 100, 5, true, false);
    assertEquals(1, s.stepsPerEpoch());
    assertEquals(5, s.batch(0, 0).length);
  }
}
