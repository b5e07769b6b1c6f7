package io.gradspark.bench;

import io.gradspark.data.IdxSource;
import io.gradspark.data.RowBlock;
import io.gradspark.spark.BenchFigures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * What filling a batch matrix costs: ROWS random MNIST training rows (of 50,000) copied as floats
 * into a float32 batch matrix, by
 * {@link RowBlock#copyRows(int[], int, int, int, float[], int)} and,
 * side by side in the same run, by the loop it replaced (a row at a time, a byte at a time through
 * the table of the 256 values). It checks that both give the same bits and prints the median microseconds of a fill of
 * each and their ratio.
 *
 * <pre>
 * java -cp target/test-classes:target/gradspark-0.1.0-SNAPSHOT.jar:$(cat target/spark-classpath.txt) \
 *   io.gradspark.bench.FillRows [ROWS [FILLS]]   # 128 5000
 * </pre>
 */
public final class FillRows {
  private FillRows() {}

  private static void copyRows(RowBlock block, int[] ids, float[] x) {
    block.copyRows(ids, 0, ids.length, 0, x, 0);
  }

  private static void byteAtATime(byte[] bytes, float[] table, int cols, int[] ids, float[] x) {
    for (int i = 0; i < ids.length; i++) {
      int base = ids[i] * cols;
      for (int j = 0; j < cols; j++) {
        x[i * cols + j] = table[bytes[base + j] & 0xff];
      }
    }
  }

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 128;
    int fills = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
    Path home = Path.of(System.getProperty("gradspark.home", "."));
    RowBlock block = new IdxSource(home.resolve("data/mnist/train-images-idx3-ubyte.gz"),
        home.resolve("data/mnist/train-labels-idx1-ubyte.gz")).load(0, 50_000)
        .scaled(1 / 255.0);
    int cols = block.cols();
    byte[] bytes = new byte[block.rows() * cols];
    float[] table = new float[256];
    for (int b = 0; b < 256; b++) {
      table[b] = (float) (b * block.scale());
    }
    for (int r = 0; r < block.rows(); r++) {
      for (int j = 0; j < cols; j++) {
        bytes[r * cols + j] = (byte) Math.round(block.feature(r, j) / block.scale());
      }
    }
    float[] now = new float[rows * cols];
    float[] before = new float[rows * cols];
    int[] ids = new int[rows];
    Random random = new Random(42);
    for (int run = 0; run < 3; run++) {
      // each fill takes its rows from memory, not from the cache the other one just filled: even
      // fills time copyRows first, odd ones the byte loop first; each takes its first-reader times
      double[] copy = new double[fills / 2];
      double[] loop = new double[fills / 2];
      for (int f = 0; f < fills / 2 * 2; f++) {
        for (int i = 0; i < rows; i++) {
          ids[i] = random.nextInt(block.rows());
        }
        long t0 = System.nanoTime();
        if (f % 2 == 0) {
          copyRows(block, ids, now);
          copy[f / 2] = (System.nanoTime() - t0) / 1e3;
          byteAtATime(bytes, table, cols, ids, before);
        } else {
          byteAtATime(bytes, table, cols, ids, before);
          loop[f / 2] = (System.nanoTime() - t0) / 1e3;
          copyRows(block, ids, now);
        }
        if (!Arrays.equals(now, before)) {
          throw new AssertionError("copyRows and the byte-at-a-time loop differ");
        }
      }
      double c = BenchFigures.median(copy);
      double l = BenchFigures.median(loop);
      System.out.printf(Locale.ROOT, "run %d: %d random rows as floats: copyRows %.1f us, a byte at "
          + "a time %.1f us (medians of %d fills each): %.2fx, same bits%n", run, rows, c, l,
          fills / 2, c / l);
    }
  }
}
