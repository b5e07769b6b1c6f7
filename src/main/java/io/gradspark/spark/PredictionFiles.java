package io.gradspark.spark;

import io.gradspark.GradsparkException;
import io.gradspark.api.TrainedModel;
import io.gradspark.data.DataChecks;
import io.gradspark.data.RowBlock;
import io.gradspark.data.RowSource;
import io.gradspark.fs.HadoopFiles;
import io.gradspark.fs.HadoopPaths;
import io.gradspark.fs.Outputs;
import io.gradspark.io.PredictionCsv;
import io.gradspark.nn.Network;
import java.io.BufferedWriter;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.JobExecutionStatus;
import org.apache.spark.SparkJobInfo;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaSparkStatusTracker;
import org.apache.spark.broadcast.Broadcast;

/**
 * Predictions written by the executors, on any Hadoop file system, whole or not at all.
 *
 * <p>Each task predicts its partition's rows (partition p of P: rows [p N / P, (p+1) N / P)) and
 * writes them as {@code part-0000p.csv} ({@link PredictionCsv}; the header line only in
 * {@code part-00000.csv}, so that the parts concatenated in name order, as {@code cat} or
 * {@code hdfs dfs -getmerge} do, are byte for byte the file predict writes in one JVM) into a
 * hidden staging directory next to the target, {@code .NAME.partial-<random>}: first under a
 * hidden name of its own attempt, then renamed, so that a retried or speculative attempt never
 * leaves half a part. When every part is there the driver writes {@code _SUCCESS} in the staging
 * directory and renames it to the target. A failed job removes the staging directory, once its
 * other tasks have ended ({@link #collectAll}): nothing appears under the target's name. The
 * target must not exist, or be an empty directory ({@link #checkTarget}, before any work).
 *
 * <p>With singleFile, the target is one file instead: the parts are written by the executors as
 * above, in parallel, then the driver streams them in order into a hidden temporary file next to
 * the target and renames it over the target (an existing file is replaced, as the one-JVM output
 * is). Streaming was chosen over {@code coalesce(1)}, which would read and score every row in
 * one task: here the reading and the forward pass stay spread over the executors, and the driver
 * only copies the output bytes (a few numbers per row), holding one buffer at a time.
 */
public final class PredictionFiles {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** The marker Hadoop's and Spark's output committers write in a complete output directory. */
  public static final String SUCCESS = "_SUCCESS";
  /** Part names hold five digits: more parts would no longer sort in row order by name. */
  static final int MAX_PARTS = 100_000;

  private final String target;
  private final String staging;
  private final boolean singleFile;

  private PredictionFiles(String target, String staging, boolean singleFile) {
    this.target = target;
    this.staging = staging;
    this.singleFile = singleFile;
  }

  /** What a write produced: the target, its rows, and the number of part files. */
  public record Written(String target, long rows, int parts, boolean singleFile) {}

  /** The name of part p: part-00000.csv, part-00001.csv, ... */
  public static String partName(int p) {
    return String.format(Locale.ROOT, "part-%05d.csv", p);
  }

  /**
   * Refuses, before any work, a target that is there already: for part files, anything but an
   * empty directory; for one file, a directory (a file is replaced). Also refuses a scheme whose
   * file system is not on the classpath.
   */
  public static void checkTarget(String target, boolean singleFile) {
    FileSystem fs = HadoopPaths.fileSystem(target, "output");
    Path t = qualified(target);
    if (t.getParent() == null) {
      throw Outputs.rootRefused(target, "Output");
    }
    if (singleFile) {
      Outputs.checkFileTarget(target, "Output"); // a device or a pipe is not replaced
    }
    try {
      FileStatus s = fs.getFileStatus(t);
      if (singleFile && s.isDirectory()) {
        throw new GradsparkException("Output " + target + " is a directory, and --single-file "
            + "writes one file", "name a file, or leave out --single-file to write part files "
            + "into a new directory");
      }
      if (!singleFile && (!s.isDirectory() || fs.listStatus(t).length > 0)) {
        throw new GradsparkException("Output " + target + " exists and is not an empty "
            + "directory: predictions on Spark are a directory of part files",
            "choose another --output, or remove " + target
                + (s.isDirectory() ? "" : " (or add --single-file to replace that one file)"));
      }
    } catch (FileNotFoundException e) {
      // the usual case: nothing there yet
    } catch (IOException e) {
      throw new GradsparkException("Cannot check the output " + target + ": "
          + HadoopPaths.reason(e), "check the path and that its file system is reachable");
    }
  }

  /** Creates the staging directory next to target (and target's parent if need be). */
  public static PredictionFiles create(String target, boolean singleFile) {
    Path t = qualified(target);
    if (t.getParent() == null) {
      throw new GradsparkException("Output " + target + " is a root directory",
          "name a directory or file under it");
    }
    String qualified = t.toString();
    String staging = new Path(t.getParent(), "." + t.getName() + ".partial-"
        + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE)).toString();
    FileSystem fs = HadoopPaths.fileSystem(qualified, "output");
    try {
      if (!fs.mkdirs(new Path(staging))) {
        throw new IOException("mkdirs returned false");
      }
    } catch (IOException e) {
      throw new GradsparkException("Cannot create the output directory " + staging + ": "
          + HadoopPaths.reason(e), "check that " + t.getParent() + " is writable, or choose "
          + "another --output");
    }
    return new PredictionFiles(qualified, staging, singleFile);
  }

  /**
   * target, qualified, without a trailing slash ("predictions/", or an existing local directory,
   * whose URI has one; Hadoop's Path(String) drops it): its parent is then the directory it is
   * in, not itself.
   */
  private static Path qualified(String target) {
    return new Path(HadoopPaths.qualified(target));
  }

  /** The hidden staging directory the tasks write their parts into. */
  public String staging() {
    return staging;
  }

  /**
   * Predicts every row of input with model's network on its executors (partitions: 0 for the
   * default parallelism, at most one per row) and publishes the output; on any failure removes
   * the staging directory and rethrows (a data error as its GradsparkException).
   */
  public Written write(SparkModel model, RowSource input, int partitions) {
    try {
      TrainedModel m = model.model();
      DataChecks.checkModelInput(input, m.network().inputSize(), "input");
      int p = model.partitions(input, partitions);
      if (p > MAX_PARTS) {
        throw new GradsparkException(p + " partitions would write more than " + MAX_PARTS
            + " part files, whose names would not sort in row order", "use fewer partitions");
      }
      JavaSparkContext sc = model.sc();
      HadoopConf.driver(sc);
      sc.setJobDescription("predict " + input.describe());
      Broadcast<SparkEngine.Params> params = sc.broadcast(new SparkEngine.Params(
          m.parameters()));
      List<Long> rows;
      try {
        rows = Gradspark.userErrors(() -> collectAll(sc, SparkEngine.parts(sc, input, p,
            "predict").map(new WritePart(m.network(), params, m.scale(), staging))));
      } finally {
        params.destroy();
        sc.setJobDescription(null);
      }
      long total = 0;
      for (long r : rows) {
        total += r;
      }
      if (total != input.rows()) {
        throw new IllegalStateException("Expected " + input.rows() + " predictions but the "
            + "tasks wrote " + total);
      }
      publish(p);
      return new Written(target, total, p, singleFile);
    } catch (RuntimeException | Error e) {
      discard();
      throw e;
    }
  }

  /** How long a failed job's other tasks may take to end before the driver cleans up anyway. */
  static final long TASKS_END_NANOS = 60_000_000_000L;

  /**
   * rdd's elements, returned (or its failure thrown) only once every task of the job has ended.
   * A job fails as soon as one task does, while its other tasks, killed, may still be writing:
   * a part written after the driver removed the staging directory would bring it back (a local
   * file system's create makes the missing parent), and one renamed while the driver deletes the
   * directory's contents would leave it there. So the driver waits for them (at most {@link
   * #TASKS_END_NANOS}) before it publishes or discards.
   */
  static <T> List<T> collectAll(JavaSparkContext sc, JavaRDD<T> rdd) {
    JavaFutureAction<List<T>> job = rdd.collectAsync();
    try {
      return job.get();
    } catch (ExecutionException e) {
      throw Gradspark.<RuntimeException>sneaky(e.getCause() instanceof Exception c ? c : e);
    } catch (InterruptedException e) {
      job.cancel(true);
      Thread.currentThread().interrupt();
      throw new GradsparkException("Interrupted while the tasks wrote predictions",
          "run predict again");
    } finally {
      awaitTasks(sc, job.jobIds(), TASKS_END_NANOS);
    }
  }

  /**
   * Waits until Spark's status tracker shows jobs ended and none of their stages with a running
   * task, or timeoutNanos passed. A job's end is reported after its tasks' starts (one listener
   * queue, in order), so no task can start unseen once the job shows as ended.
   */
  static void awaitTasks(JavaSparkContext sc, List<Integer> jobs, long timeoutNanos) {
    JavaSparkStatusTracker tracker = sc.statusTracker();
    long deadline = System.nanoTime() + timeoutNanos;
    while (System.nanoTime() < deadline) {
      boolean running = false;
      for (int id : jobs) {
        SparkJobInfo job = tracker.getJobInfo(id);
        if (job == null) { // not in the status store yet
          running |= !sc.sc().isStopped();
          continue;
        }
        running |= job.status() == JobExecutionStatus.RUNNING;
        for (int stage : job.stageIds()) {
          SparkStageInfo info = tracker.getStageInfo(stage);
          running |= info != null && info.numActiveTasks() > 0;
        }
      }
      if (!running) {
        return;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Removes the staging directory (after a failure or a signal), as far as it can. */
  public void discard() {
    try {
      HadoopPaths.fileSystem(staging, "output").delete(new Path(staging), true);
    } catch (IOException | RuntimeException ignored) {
      // best effort: a leftover hidden .partial directory is harmless
    }
  }

  /** Checks the parts, removes what failed attempts left, and moves the output into place. */
  private void publish(int parts) {
    FileSystem fs = HadoopPaths.fileSystem(staging, "output");
    Path dir = new Path(staging);
    Path to = new Path(target);
    try {
      for (FileStatus s : fs.listStatus(dir)) {
        if (s.getPath().getName().startsWith(".")) {
          fs.delete(s.getPath(), true); // the temporary file of a failed or superseded attempt
        }
      }
      for (int p = 0; p < parts; p++) {
        if (!fs.isFile(new Path(dir, partName(p)))) {
          // e.g. a local path on a cluster: each executor wrote its part to its own disk
          throw new GradsparkException("The tasks wrote their part files but " + partName(p)
              + " is not in " + staging + " as the driver sees it",
              "write --output to a file system that the driver and every executor share "
                  + "(hdfs://..., or a shared mount), not to a local disk of each machine");
        }
      }
      if (singleFile) {
        concatenate(fs, dir, parts, to);
        fs.delete(dir, true);
        return;
      }
      fs.create(new Path(dir, SUCCESS), false).close();
      FileStatus existing = status(fs, to);
      if (existing != null) {
        // an empty directory, as checkTarget found it: renaming onto it would, on HDFS, move
        // the staging directory inside it
        if (!existing.isDirectory() || fs.listStatus(to).length > 0 || !fs.delete(to, false)) {
          throw filledMeanwhile();
        }
      }
      if (!fs.rename(dir, to) || !fs.isFile(new Path(to, SUCCESS))) {
        throw filledMeanwhile();
      }
    } catch (IOException e) {
      if (HadoopFiles.isDiskFull(e)) {
        throw diskFull(target, e);
      }
      throw new GradsparkException("Cannot move the predictions into " + target + ": "
          + HadoopPaths.reason(e), "check that its directory is writable and has free space");
    } catch (RuntimeException | Error e) {
      if (!(e instanceof GradsparkException) && HadoopFiles.isDiskFull(e)) {
        throw diskFull(target, e); // the single file, streamed on the driver
      }
      throw e;
    }
  }

  /** A full disk (or an HDFS space quota) while writing predictions: a user's matter. */
  static GradsparkException diskFull(String file, Throwable e) {
    return new GradsparkException("Could not write predictions " + file
        + ": no space left on device", "free space on that file system, or write --output "
        + "elsewhere; nothing was written", e);
  }

  private GradsparkException filledMeanwhile() {
    return new GradsparkException("Output " + target + " was created by someone else while "
        + "predict ran: nothing written", "choose another --output");
  }

  private static FileStatus status(FileSystem fs, Path p) throws IOException {
    try {
      return fs.getFileStatus(p);
    } catch (FileNotFoundException e) {
      return null;
    }
  }

  /** The parts in order into a hidden file next to `to`, then renamed over `to`. */
  private void concatenate(FileSystem fs, Path dir, int parts, Path to) throws IOException {
    Path tmp = new Path(to.getParent(), "." + to.getName() + "."
        + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE) + ".tmp");
    try {
      try (OutputStream out = fs.create(tmp, false)) {
        byte[] buffer = new byte[1 << 16];
        for (int p = 0; p < parts; p++) {
          try (InputStream in = fs.open(new Path(dir, partName(p)), 1 << 16)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
              out.write(buffer, 0, n);
            }
          }
        }
      }
      // a local rename replaces the file in one step; HDFS refuses to rename onto a file
      if (!fs.rename(tmp, to)) {
        FileStatus existing = status(fs, to);
        if (existing == null || existing.isDirectory() || !fs.delete(to, false)
            || !fs.rename(tmp, to)) {
          throw new IOException("cannot rename " + tmp + " to " + to);
        }
      }
      tmp = null;
    } finally {
      if (tmp != null) {
        fs.delete(tmp, false);
      }
    }
  }

  /**
   * One task: loads and predicts its partition, and writes its part under a hidden name of its
   * own attempt, then renames it to part-0000p.csv. Returns the rows written.
   */
  private record WritePart(Network net, Broadcast<SparkEngine.Params> params, double scale,
      String staging) implements org.apache.spark.api.java.function.Function<Part, Long> {
    @Override
    public Long call(Part part) throws IOException {
      RowBlock block = part.block();
      double[] out = TrainedModel.predict(net, params.value().values(),
          scale == 1.0 ? block : block.scaled(scale));
      String name = partName(part.index());
      TaskContext task = TaskContext.get();
      Path dir = new Path(staging);
      Path tmp = new Path(dir, "." + name + "." + (task == null ? 0 : task.taskAttemptId())
          + ".tmp");
      Path to = new Path(dir, name);
      FileSystem fs = HadoopPaths.fileSystem(staging, "output");
      boolean written = false;
      if (task != null) {
        task.killTaskIfInterrupted(); // the job failed or ended meanwhile: write nothing
      }
      try {
        // not create(): a straggling attempt must not bring back a staging directory that the
        // driver removed after the job failed
        try (OutputStream os = fs.createNonRecursive(tmp, false, 1 << 16,
            fs.getDefaultReplication(tmp), fs.getDefaultBlockSize(tmp), null)) {
          Writer w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8),
              1 << 16);
          if (part.index() == 0) {
            w.write(PredictionCsv.header(net.head(), net.outputSize()));
          }
          PredictionCsv.rows(w, net.head(), net.outputSize(), out, part.firstId());
          w.flush();
        }
        if (!fs.rename(tmp, to) && !fs.isFile(to)) {
          throw new IOException("cannot rename " + tmp + " to " + to);
        }
        // else another attempt of this task renamed first: the same bytes, ours are dropped
        written = true;
      } catch (IOException e) {
        if (HadoopFiles.isDiskFull(e)) {
          throw diskFull(to.toString(), e);
        }
        throw new GradsparkException("Cannot write predictions " + to + ": "
            + HadoopPaths.reason(e), "check that the output's file system is writable and has "
            + "free space", e);
      } catch (RuntimeException | Error e) {
        // Hadoop's local file system throws a full disk as an FSError, an Error
        if (!(e instanceof GradsparkException) && HadoopFiles.isDiskFull(e)) {
          throw diskFull(to.toString(), e);
        }
        throw e;
      } finally {
        if (!written || fs.exists(tmp)) {
          try {
            fs.delete(tmp, false);
          } catch (IOException ignored) {
            // the driver removes leftovers of failed attempts
          }
        }
      }
      return (long) block.rows();
    }
  }
}
