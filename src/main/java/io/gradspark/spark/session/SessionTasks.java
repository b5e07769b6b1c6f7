package io.gradspark.spark.session;

import org.apache.spark.TaskContext;

/**
 * The task side of a step session, as Spark runs it: the barrier job's function over its
 * partition's one {@link SessionWork}. In this JVM ({@link InJvmTask}) a task waits on the
 * driver's session object itself for each step; over TCP ({@link TcpTask}) it runs {@link
 * ExchangeTask} with its peers from Spark's barrier context ({@link SparkPeers}).
 */
final class SessionTasks {
  private SessionTasks() {}

  /** An in-JVM session's task: computes every step posted until the session ends. */
  record InJvmTask(long session) implements SessionTask {
    @Override
    public void run(SessionWork work, TaskContext context) throws Exception {
      if (!(StepSession.opened(session) instanceof StepSession.InJvm s)) {
        return; // ended before this task started
      }
      try {
        if (work.index() == 0) {
          s.lend(work, context); // the driver's thread computes partition 0 (InJvm#posted)
          return;
        }
        int i = work.index();
        s.register(work);
        for (StepSession.Posted p = s.next(i, 0, context); p != null;
            p = s.next(i, p.seq(), context)) {
          if (s.claim(i, p.seq())) { // else the driver's thread took it: this task was late
            s.compute(work, p);
          }
          if (i == 1) {
            s.prepareLent(p); // the driver's partition's next rows first: it needs them sooner
          }
          work.prepareAfter(p.epoch(), p.step()); // while the driver merges and updates
        }
      } catch (Throwable t) {
        s.fail(t);
        throw t;
      }
    }
  }

  /**
   * A session's task body over its partition's one SessionWork; as a Spark function it returns
   * no rows. A named class, not a closure (see the engine's JobStep.StepFunction).
   */
  interface SessionTask extends scala.Function1<scala.collection.Iterator<SessionWork>,
      scala.collection.Iterator<Object>>, java.io.Serializable {
    void run(SessionWork work, TaskContext context) throws Exception;

    @Override
    default scala.collection.Iterator<Object> apply(
        scala.collection.Iterator<SessionWork> parts) {
      try {
        run(parts.next(), TaskContext.get());
      } catch (Exception e) {
        throw SessionTasks.<RuntimeException>rethrow(e);
      }
      return scala.collection.Iterator$.MODULE$.empty();
    }
  }

  /** A TCP session's task: {@link ExchangeTask} with its peers from Spark's barrier context. */
  record TcpTask(ExchangeTask.Setup setup, int partitions) implements SessionTask {
    @Override
    public void run(SessionWork work, TaskContext context) throws Exception {
      ExchangeTask.run(setup, work, partitions, new SparkPeers());
    }
  }

  /** A barrier task's peers: its executor's host, allGather, the kill flag. */
  private static final class SparkPeers implements ExchangeTask.Peers {
    private final org.apache.spark.BarrierTaskContext context =
        org.apache.spark.BarrierTaskContext.get();

    @Override
    public String host() {
      String address = context.getTaskInfos()[context.partitionId()].address();
      int colon = address.lastIndexOf(':');
      return colon > 0 ? address.substring(0, colon) : address;
    }

    @Override
    public String[] allGather(String message) {
      return context.allGather(message);
    }

    @Override
    public void checkKilled() {
      context.killTaskIfInterrupted();
    }
  }

  /** Throws t as it is, checked or not (the compiler takes it for an E). */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E rethrow(Throwable t) throws E {
    throw (E) t;
  }
}
