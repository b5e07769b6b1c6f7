package io.gradspark.train;

import io.gradspark.data.RowBlock;
import io.gradspark.eval.Evaluation;
import io.gradspark.nn.Network;
import java.util.EnumMap;
import java.util.Map;

/**
 * The single-JVM engine: all rows in memory as one block per dataset, each batch computed with one
 * set of BLAS calls. The reference the Spark engine is tested against.
 */
public final class LocalEngine implements GradientEngine {
  private final Network net;
  private final BatchSchedule schedule;
  private final Map<DataSplit, RowBlock> data = new EnumMap<>(DataSplit.class);
  private final int[] ids;
  private final double[] x;
  private final double[] y;
  private final double[] w;
  private final Network.Workspace ws;
  private final double[] grad;

  /** val and test may be null. The blocks are kept, not copied. */
  public LocalEngine(
      Network net, BatchSchedule schedule, RowBlock train, RowBlock val, RowBlock test) {
    if (train.rows() != schedule.rows()) {
      throw new IllegalArgumentException(
          "Expected " + schedule.rows() + " training rows but found " + train.rows());
    }
    this.net = net;
    this.schedule = schedule;
    data.put(DataSplit.TRAIN, train);
    if (val != null) {
      data.put(DataSplit.VALIDATION, val);
    }
    if (test != null) {
      data.put(DataSplit.TEST, test);
    }
    int b = schedule.batchSize();
    int m = Batches.matrixRows(b);
    this.ids = new int[b];
    // float32 fills the workspace's float rows instead (Batches#gradient)
    this.x = new double[net.precision() == io.gradspark.nn.Precision.FLOAT32 ? 0
        : m * net.inputSize()];
    this.y = new double[m];
    this.w = new double[m];
    this.ws = net.workspace(m);
    this.grad = new double[net.numParams()];
  }

  @Override
  public BatchSchedule schedule() {
    return schedule;
  }

  @Override
  public GradientSum gradient(double[] params, int epoch, int step) {
    int n = schedule.batch(epoch, step, 0, schedule.rows(), ids);
    RowBlock train = data.get(DataSplit.TRAIN);
    double loss = Batches.gradient(net, params, train, 0, ids, n, x, y, w, grad, ws,
        schedule.seed(), epoch);
    return new GradientSum(loss, n, Batches.weightSum(train, 0, ids, n), grad,
        net.precision());
  }

  @Override
  public io.gradspark.nn.Precision precision() {
    return net.precision();
  }

  @Override
  public boolean has(DataSplit split) {
    return data.containsKey(split);
  }

  @Override
  public Evaluation evaluate(double[] params, DataSplit split) {
    RowBlock block = data.get(split);
    if (block == null) {
      throw new IllegalArgumentException("No " + split + " data in this engine");
    }
    Evaluation ev = new Evaluation(net.classes());
    Batches.evaluate(net, params, block, ev);
    return ev;
  }

  @Override
  public String describe() {
    return "local (one JVM)";
  }
}
