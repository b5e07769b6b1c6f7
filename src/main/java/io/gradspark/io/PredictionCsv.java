package io.gradspark.io;

import io.gradspark.nn.Head;
import io.gradspark.nn.Heads;
import java.io.IOException;
import java.io.Writer;

/**
 * The CSV that predict writes: a header line, then one line per input row with its 0-based row
 * number (its dense id: files in name order, lines in order), the predicted class and the head's
 * outputs, each written with {@link Double#toString} (exact: it reads back to the same double).
 * The one place that knows the format, so that the one-JVM output and the part files that Spark
 * tasks write are the same bytes: the header, then the lines of rows [firstId, firstId + rows).
 *
 * <p>Columns: row,predicted,p0,...,p&lt;K-1&gt; (softmax); row,predicted,p1 (sigmoid);
 * row,predicted,y0,... (mse with K outputs); row,value (mse, one output).
 */
public final class PredictionCsv {
  private PredictionCsv() {}

  /** The header line, with its newline. */
  public static String header(Head head, int outputs) {
    StringBuilder b = new StringBuilder("row");
    if (head == Head.IDENTITY_MSE && outputs == 1) {
      return b.append(",value\n").toString();
    }
    b.append(",predicted");
    if (head == Head.SIGMOID_BINARY_CROSS_ENTROPY) {
      return b.append(",p1\n").toString();
    }
    for (int j = 0; j < outputs; j++) {
      b.append(head == Head.IDENTITY_MSE ? ",y" : ",p").append(j);
    }
    return b.append('\n').toString();
  }

  /**
   * The lines of rows whose outputs are out (rows x outputs, row-major), numbered from firstId.
   */
  public static void rows(Writer w, Head head, int outputs, double[] out, long firstId)
      throws IOException {
    int n = out.length / outputs;
    boolean predicted = !(head == Head.IDENTITY_MSE && outputs == 1);
    for (int r = 0; r < n; r++) {
      w.write(Long.toString(firstId + r));
      if (predicted) {
        w.write(',');
        w.write(Integer.toString(Heads.predictedClass(head, out, r * outputs, outputs)));
      }
      for (int j = 0; j < outputs; j++) {
        w.write(',');
        w.write(Double.toString(out[r * outputs + j]));
      }
      w.write('\n');
    }
  }
}
