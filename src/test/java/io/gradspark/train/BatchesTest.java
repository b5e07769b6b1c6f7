package io.gradspark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradspark.data.RowBlock;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Batches#gradient} writes a batch's gradient sum over whatever its array held: the bits
 * of adding every pass's gradient to zeros, in both precisions, for a batch of one pass, of
 * several, and of no rows.
 */
class BatchesTest {

  @Test
  void theGradientIsWrittenOverTheArrayWithTheBitsOfAddingEveryPassToZeros() {
    // 300 rows of 12 byte features, a third of them 0 and feature 0 always 0 (a zero column:
    // its weights' gradients are sums of zeros, whose sign a pass must not change)
    int rows = 300;
    int cols = 12;
    SplittableRandom random = new SplittableRandom(11);
    byte[] bytes = new byte[rows * cols];
    double[] labels = new double[rows];
    for (int r = 0; r < rows; r++) {
      for (int j = 1; j < cols; j++) {
        bytes[r * cols + j] = (byte) (random.nextInt(3) == 0 ? 0 : random.nextInt(256));
      }
      labels[r] = random.nextInt(4);
    }
    RowBlock block = RowBlock.ofBytes(bytes, rows, cols, 1 / 255.0, labels);
    int[] ids = new int[250];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = random.nextInt(rows);
    }
    int mismatches = 0;
    for (Precision precision : Precision.values()) {
      Network net = new Network(new int[] {cols, 9, 4}, List.of(Activation.RELU),
          Head.SOFTMAX_CROSS_ENTROPY).withPrecision(precision);
      double[] params = net.initialParameters(Initializer.HE_NORMAL, 5);
      // 250 rows: one pass of 256 rows, and passes of 64 (three full ones and a partial one)
      for (int passRows : new int[] {256, 64}) {
        Network.Workspace ws = net.workspace(passRows);
        double[] x = new double[passRows * cols];
        double[] y = new double[passRows];
        double[] grad = new double[net.numParams()];
        Arrays.fill(grad, Double.NaN); // what a reused array held: to be written over
        double loss = Batches.gradient(net, params, block, 0, ids, ids.length, x, y, grad, ws);

        // the reference: zeros, then each pass's rows added by the network's own pass
        double[] expected = new double[net.numParams()];
        double expectedLoss = 0;
        Network.Workspace ref = net.workspace(passRows);
        for (int start = 0; start < ids.length; start += passRows) {
          int n = Math.min(passRows, ids.length - start);
          if (precision == Precision.FLOAT32) {
            float[] rows32 = ref.rows32();
            double[] ys = new double[n];
            for (int r = 0; r < n; r++) {
              block.copyRow(ids[start + r], rows32, r * cols);
              ys[r] = block.label(ids[start + r]);
            }
            expectedLoss += net.lossAndGradient(params, rows32, ys, null, null, n, expected, ref);
          } else {
            double[] rows64 = new double[n * cols];
            double[] ys = new double[n];
            for (int r = 0; r < n; r++) {
              block.copyRow(ids[start + r], rows64, r * cols);
              ys[r] = block.label(ids[start + r]);
            }
            expectedLoss += net.lossAndGradient(params, rows64, ys, n, expected, ref);
          }
        }
        for (int i = 0; i < grad.length; i++) {
          mismatches += Double.doubleToRawLongBits(grad[i])
              == Double.doubleToRawLongBits(expected[i]) ? 0 : 1;
        }
        mismatches += Double.doubleToRawLongBits(loss) == Double.doubleToRawLongBits(expectedLoss)
            ? 0 : 1;
      }
    }
    // no rows: zeros, in both precisions
    for (Precision precision : Precision.values()) {
      Network net = new Network(new int[] {cols, 9, 4}, List.of(Activation.RELU),
          Head.SOFTMAX_CROSS_ENTROPY).withPrecision(precision);
      double[] grad = new double[net.numParams()];
      Arrays.fill(grad, Double.NaN);
      Batches.gradient(net, net.initialParameters(Initializer.HE_NORMAL, 5), block, 0, ids, 0,
          new double[64 * cols], new double[64], grad, net.workspace(64));
      for (double g : grad) {
        mismatches += Double.doubleToRawLongBits(g) == 0L ? 0 : 1;
      }
    }
    System.out.println("Batches.gradient over an array of NaN, float64 and float32, passes of "
        + "256 and 64 rows, and of no rows: " + mismatches + " values differ from zeros plus "
        + "every pass (max difference 0 when none)");
    assertEquals(0, mismatches);
  }
}
