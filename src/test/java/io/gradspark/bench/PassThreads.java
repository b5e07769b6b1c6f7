package io.gradspark.bench;

import io.gradspark.data.IdxSource;
import io.gradspark.data.RowBlock;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.spark.BenchFigures;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.Batches;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;

/**
 * Where two tasks lose to one, without Spark: the training pass alone (rows copied into the batch
 * matrix, forward, backward; what a step's task computes) of 784-HIDDEN-10 relu/softmax on
 * MNIST's 50,000 training rows, batch BATCH of conf/mnist.conf's shuffled schedule (seed 42), in
 * PRECISION. First one thread computes whole batches (the local engine's pass), then two threads
 * at once each compute their half of the same batches, the rows of partition 0 and 1 of two (what
 * a step's two tasks on local[2] compute). It prints the median ms a pass of each (the median
 * bench takes) and their ratio: at most 1 / 1.4 = 0.71, two cores can give the 1.4x speed-up
 * that issue 26 asks of local[2] over the local engine; a Spark task's compute column (bench)
 * above the two-thread figure is what the engine adds to the pass.
 *
 * <pre>
 * OPENBLAS_NUM_THREADS=1 java --add-modules jdk.incubator.vector -cp \
 *   target/test-classes:target/gradspark-0.1.0-SNAPSHOT.jar:$(cat target/spark-classpath.txt) \
 *   io.gradspark.bench.PassThreads [HIDDEN [BATCH [PRECISION [STEPS]]]]   # 64 256 float64 3000
 * </pre>
 */
public final class PassThreads {
  private static final int ROWS = 50_000;

  private PassThreads() {}

  public static void main(String[] args) throws Exception {
    int hidden = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    Precision precision = Precision.parse(args.length > 2 ? args[2] : "float64");
    int steps = args.length > 3 ? Integer.parseInt(args[3]) : 3000;
    Path home = Path.of(System.getProperty("gradspark.home", "."));
    RowBlock rows = new IdxSource(home.resolve("data/mnist/train-images-idx3-ubyte.gz"),
        home.resolve("data/mnist/train-labels-idx1-ubyte.gz")).load(0, ROWS).scaled(1 / 255.0);
    Network net = new Network(new int[] {784, hidden, 10}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY).withPrecision(precision);
    double[] params = net.initialParameters(Initializer.HE_NORMAL, 42);
    BatchSchedule schedule = new BatchSchedule(ROWS, batch, 42, true, false);
    System.out.printf(Locale.ROOT, "%s, batch %d, %s, %d steps a run, BLAS %s%n",
        net.describe(), batch, precision.configName(), steps, io.gradspark.nn.Blas.describe());
    double one = 0;
    for (int run = 0; run < 3; run++) {
      one = BenchFigures.median(passes(net, params, rows, schedule, 1, steps));
      double two = BenchFigures.median(passes(net, params, rows, schedule, 2, steps));
      System.out.printf(Locale.ROOT, "run %d: 1 thread x %d rows %.3f ms a pass; 2 threads x %d "
          + "rows at once %.3f ms a pass each: %.2fx of one thread's%n", run + 1, batch, one,
          batch / 2, two, two / one);
    }
  }

  /** Per-step ms of each of threads threads computing partition t of threads's rows each step. */
  private static double[] passes(Network net, double[] params, RowBlock rows,
      BatchSchedule schedule, int threads, int steps) throws Exception {
    double[] ms = new double[steps];
    CyclicBarrier barrier = new CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int lo = (int) ((long) ROWS * t / threads);
      int hi = (int) ((long) ROWS * (t + 1) / threads);
      boolean timer = t == 0;
      Thread w = new Thread(() -> {
        int m = Batches.matrixRows(schedule.batchSize());
        Network.Workspace ws = net.workspace(m);
        double[] x = new double[m * net.inputSize()];
        double[] y = new double[m];
        int[] ids = new int[schedule.batchSize()];
        double[] grad = new double[net.numParams()];
        try {
          for (int s = 0; s < steps; s++) {
            int epoch = s / schedule.stepsPerEpoch();
            int step = s % schedule.stepsPerEpoch();
            barrier.await(); // the threads start each step together, as a session's tasks do
            long start = System.nanoTime();
            int n = schedule.batch(epoch, step, lo, hi, ids);
            Batches.gradient(net, params, rows, 0, ids, n, x, y, grad, ws);
            if (timer) {
              ms[s] = (System.nanoTime() - start) / 1e6;
            }
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    return Arrays.copyOfRange(ms, steps / 4, steps); // the first quarter warms the JIT up
  }
}
