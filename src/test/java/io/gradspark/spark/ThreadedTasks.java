package io.gradspark.spark;

import io.gradspark.train.CanonicalSum;
import io.gradspark.spark.session.StepSession;
import io.gradspark.spark.session.ExchangeTask;
import io.gradspark.data.RowSource;
import io.gradspark.nn.Network;
import io.gradspark.train.BatchSchedule;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;

/**
 * A TCP step session whose P tasks run on threads of this JVM instead of a Spark barrier stage
 * (which needs P slots at once): the same task code ({@link ExchangeTask}) over real loopback
 * sockets, the same driver side; only Spark's scheduling and its allGather are stood in for.
 */
final class ThreadedTasks {
  private ThreadedTasks() {}

  /** The session (started), over source's rows cut into P parts as the engine cuts them. */
  static StepSession.Tcp session(int partitions, Network net, BatchSchedule schedule,
      RowSource source, boolean encrypt, boolean star) {
    return session(partitions, net, schedule, source, null, null, encrypt, star);
  }

  /** As above, each task also holding its parts of the validation and test rows (null: none). */
  static StepSession.Tcp session(int partitions, Network net, BatchSchedule schedule,
      RowSource source, RowSource validation, RowSource test, boolean encrypt, boolean star) {
    StepSession.Tcp s = new StepSession.Tcp(partitions, new StepSession.Server("127.0.0.1", 0),
        true, encrypt, star, net.numParams(), net.precision(), StepSession.IDLE_NANOS);
    ExchangeTask.Setup setup = s.setup("127.0.0.1", net, schedule);
    String[] gathered = new String[partitions];
    CyclicBarrier barrier = new CyclicBarrier(partitions);
    Thread[] threads = new Thread[partitions];
    CompletableFuture<Void> all = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean interrupt) {
        for (Thread t : threads) {
          t.interrupt();
        }
        return super.cancel(interrupt);
      }
    };
    int[] running = {partitions};
    int n = source.rows();
    for (int p = 0; p < partitions; p++) {
      int lo = (int) ((long) p * n / partitions);
      int hi = (int) ((long) (p + 1) * n / partitions);
      PartitionSum part = new PartitionSum(net, schedule, io.gradspark.nn.Blas.inUse(),
          new Part(p, lo, source.load(lo, hi)),
          part(validation, p, partitions), part(test, p, partitions));
      int index = p;
      ExchangeTask.Peers peers = new ExchangeTask.Peers() {
        @Override
        public String host() {
          return "127.0.0.1";
        }

        @Override
        public String[] allGather(String message) throws Exception {
          gathered[index] = message;
          barrier.await();
          return gathered.clone();
        }

        @Override
        public void checkKilled() {
          if (Thread.currentThread().isInterrupted()) {
            throw new IllegalStateException("task " + index + " killed");
          }
        }
      };
      threads[p] = new Thread(() -> {
        try {
          ExchangeTask.run(setup, part, partitions, peers);
          synchronized (running) {
            if (--running[0] == 0) {
              all.complete(null);
            }
          }
        } catch (Throwable t) {
          all.completeExceptionally(t);
        }
      }, "threaded-task-" + p);
      threads[p].setDaemon(true);
    }
    s.started(all);
    for (Thread t : threads) {
      t.start();
    }
    return s;
  }

  /** A session step's sums merged in the canonical order, as the engine merges them. */
  static io.gradspark.train.GradientSum merged(StepSession.Sums r) {
    return r.merged();
  }

  /** Part p of P of source, as the engine cuts it; null for no source. */
  private static Part part(RowSource source, int p, int partitions) {
    if (source == null) {
      return null;
    }
    int n = source.rows();
    int lo = (int) ((long) p * n / partitions);
    int hi = (int) ((long) (p + 1) * n / partitions);
    return new Part(p, lo, source.load(lo, hi));
  }

  /** A gradient engine whose steps and evaluations run in a session of threaded tasks. */
  record Engine(StepSession session, Network net, BatchSchedule schedule, int partitions)
      implements io.gradspark.train.GradientEngine {
    @Override
    public io.gradspark.train.GradientSum gradient(double[] params, int epoch, int step) {
      return merged(session.step(params, epoch, step));
    }

    @Override
    public boolean has(io.gradspark.train.DataSplit split) {
      return split != io.gradspark.train.DataSplit.TRAIN;
    }

    @Override
    public io.gradspark.eval.Evaluation evaluate(double[] params,
        io.gradspark.train.DataSplit split) {
      return PartitionSum.evaluation(
          merged(session.step(params, 0, PartitionSum.evaluationStep(split))), net.classes());
    }

    @Override
    public String describe() {
      return "threaded session";
    }
  }
}
