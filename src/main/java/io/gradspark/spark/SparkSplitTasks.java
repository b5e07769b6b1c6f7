package io.gradspark.spark;

import io.gradspark.data.SplitTasks;
import io.gradspark.fs.HadoopPaths;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A dataset's per-split tasks (the counting pass) as one Spark job of one task per split: the
 * executors read the splits, in parallel, and only the small results come back, in split order.
 * Counts the bytes the tasks read ({@link #bytesRead}).
 */
public final class SparkSplitTasks implements SplitTasks {
  private final JavaSparkContext sc;
  private final AtomicLong bytesRead = new AtomicLong();

  /**
   * Also makes the application's Hadoop configuration the driver's, before the data source that
   * takes these tasks lists its files.
   */
  public SparkSplitTasks(JavaSparkContext sc) {
    this.sc = sc;
    HadoopConf.driver(sc);
  }

  @Override
  public <R extends Serializable> List<R> run(String description, int n, Task<R> task) {
    List<Integer> splits = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      splits.add(i);
    }
    String old = sc.getLocalProperty("spark.job.description");
    sc.setJobDescription(description);
    try {
      List<Measured<R>> results = sc.parallelize(splits, Math.max(1, n))
          .map(new Run<>(task)).collect();
      List<R> out = new ArrayList<>(n);
      for (Measured<R> m : results) {
        bytesRead.addAndGet(m.bytes());
        out.add(m.result());
      }
      return out;
    } catch (RuntimeException e) {
      // a data error on an executor arrives wrapped in a SparkException: report it as itself
      io.gradspark.GradsparkException g = io.gradspark.GradsparkException.find(e);
      throw g != null ? g : e;
    } finally {
      sc.setJobDescription(old);
    }
  }

  /** Bytes the executors read for the tasks run so far (Hadoop's file system statistics). */
  public long bytesRead() {
    return bytesRead.get();
  }

  /** A task's result and the bytes it read. */
  record Measured<R>(R result, long bytes) implements Serializable {}

  private record Run<R extends Serializable>(Task<R> task)
      implements org.apache.spark.api.java.function.Function<Integer, Measured<R>> {
    @Override
    public Measured<R> call(Integer split) {
      HadoopConf.executor();
      long before = HadoopPaths.bytesReadOnThisThread();
      R r = task.run(split);
      return new Measured<>(r, HadoopPaths.bytesReadOnThisThread() - before);
    }
  }
}
