package io.gradspark.spark;

import io.gradspark.train.CanonicalSum;
import io.gradspark.GradsparkException;
import io.gradspark.api.RunSpec;
import io.gradspark.eval.Evaluation;
import io.gradspark.nn.Network;
import io.gradspark.spark.session.SessionWork;
import io.gradspark.spark.session.StepSession;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientSum;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;

/**
 * Steps, and the evaluations between epochs, in a step session ({@link StepSession}): one barrier
 * job whose tasks stay up for the whole training, in this JVM on a local master, else over TCP as
 * a star or a tree (chosen when the engine is configured). The tasks' sums are merged in the
 * canonical order, as a job's are. A session whose task fails is replaced by a new one that
 * computes the same step, up to {@code training.sessions.attempts} sessions; where a session
 * cannot start (fewer task slots than partitions now, tasks that never reach the driver, sessions
 * that end before their first step) the step runs on this path's job path instead, and where
 * sessions cannot work at all the steps stay there, said in one warning line.
 */
final class SessionStep implements StepPath {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StepSession.class);
  private final JavaSparkContext sc;
  private final Network net;
  private final BatchSchedule schedule;
  private final int partitions;
  private final Supplier<RDD<SessionWork>> work;
  private final Predicate<DataSplit> evaluates;
  private final RunSpec.Sessions settings;
  private final boolean sameJvm;
  private final boolean star;
  /** Where a TCP session's tasks connect (null: spark.driver.host); for tests. */
  private final String stepHost;
  /** How long a session waits for a step before it ends and frees its slots. */
  private final long idleNanos;
  private final JobStep jobs;
  private final StepFigures figures;
  /** The session under way, if any. */
  private StepSession session;
  /** The driver's step server, held from the first TCP session to the close. */
  private StepSession.Server server;
  private int started;
  /** Whether the steps went to the job path for good (one warning line said why). */
  private boolean fellBack;

  /**
   * work: each task's work (its training part with the validation and test parts of its index);
   * evaluates: the splits whose evaluation runs in the session; jobs: where steps go when a
   * session cannot start.
   */
  SessionStep(JavaSparkContext sc, Network net, BatchSchedule schedule, int partitions,
      Supplier<RDD<SessionWork>> work, Predicate<DataSplit> evaluates, RunSpec.Sessions settings,
      boolean sameJvm, boolean star, String stepHost, long idleNanos, JobStep jobs,
      StepFigures figures) {
    this.sc = sc;
    this.net = net;
    this.schedule = schedule;
    this.partitions = partitions;
    this.work = work;
    this.evaluates = evaluates;
    this.settings = settings;
    this.sameJvm = sameJvm;
    this.star = star;
    this.stepHost = stepHost;
    this.idleNanos = idleNanos;
    this.jobs = jobs;
    this.figures = figures;
  }

  @Override
  public GradientSum step(double[] params, int epoch, int step) {
    long t1 = System.nanoTime();
    StepSession.Sums r = fellBack ? null : inSession(params, epoch, step);
    if (r == null) {
      return jobs.step(params, epoch, step);
    }
    long t2 = System.nanoTime();
    GradientSum result = merged(r);
    figures.record(new SparkEngine.StepTimes(0, t2 - t1, r.computeNanos(),
        System.nanoTime() - t2, 0));
    return result;
  }

  @Override
  public Evaluation evaluate(double[] params, DataSplit split) {
    if (!fellBack && evaluates.test(split)) {
      StepSession.Sums r = inSession(params, 0, PartitionSum.evaluationStep(split));
      if (r != null) {
        return PartitionSum.evaluation(merged(r), net.classes());
      }
    }
    pause(); // an evaluation job needs the slots a session holds
    return null;
  }

  /** Whether steps run in a session now: not fallen back, and the context has the slots. */
  boolean active() {
    return !fellBack && StepSession.fits(sc, partitions);
  }

  @Override
  public String exchange() {
    return active() ? (star ? "star" : "tree") : "jobs";
  }

  /** The sessions started so far (one a training, unless one failed or ended idle). */
  int started() {
    return started;
  }

  @Override
  public void pause() {
    if (session != null) {
      StepSession s = session;
      session = null;
      s.end();
    }
  }

  @Override
  public void close() {
    pause();
    if (server != null) {
      server.close();
      server = null;
    }
  }

  /** A session's sums merged in the canonical order (a tree's root as it is). */
  private static GradientSum merged(StepSession.Sums r) {
    return r.merged();
  }

  /**
   * A step (step >= 0) or an evaluation ({@link PartitionSum#evaluationStep}) in the step session,
   * started if none is up (or the last one ended idle); null when a new session was needed and
   * the cluster has fewer task slots than partitions now (an executor lost and not yet
   * replaced), or sessions fell back: the step then runs as a job. A step's bytes count into the
   * exchange's figures; an evaluation's do not.
   */
  private StepSession.Sums inSession(double[] params, int epoch, int step) {
    StepSession.Sums r = null;
    // Spark does not rerun a failed barrier result stage: a session whose task failed (its
    // executor lost, say) is replaced by a new one that computes the same step, up to
    // training.sessions.attempts sessions in all; a session that ended idle since the last step
    // returns null once and is replaced too
    int failures = 0;
    int allowed = settings.attempts();
    int ended = 0;
    long before = 0;
    while (r == null) {
      try {
        if (session == null || !session.live()) {
          if (!StepSession.fits(sc, partitions)) {
            return null;
          }
          sc.setJobDescription("steps from epoch " + (epoch + 1) + (step >= 0 ? " step "
              + (step + 1) + "/" + schedule.stepsPerEpoch() : " (evaluation)"));
          session = sameJvm ? StepSession.inJvm(sc, work.get(), idleNanos)
              : StepSession.overTcp(sc, work.get(), net, schedule,
                  sc.getConf().getBoolean("spark.network.crypto.enabled", false),
                  star, server(), false, stepHost, idleNanos);
          started++;
        }
        before = session.traffic();
        r = session.step(params, epoch, step);
        if (r == null && ++ended > 2) {
          // sessions that end before their first step (a start slower than the tasks' wait on
          // a busy cluster): the steps run as jobs, as where sessions do not fit
          return fallBack("sessions ended before their first step, " + ended + " times");
        }
      } catch (GradsparkException e) {
        pause();
        throw e; // a setting to fix (the step server's port), not a task to retry
      } catch (Exception e) {
        StepSession failed = session;
        pause();
        if (failed != null && !failed.reached()) {
          // no task ever reached the driver's step server: a network that lets executors reach
          // only some of the driver's ports, or a session that could not start
          return fallBack("no task reached the driver's step server at port " + failed.port()
              + " (" + firstLine(e) + "); open a port of the driver to the executors and set "
              + StepSession.PORT + " to it, or set training.sessions.enabled = false");
        }
        if (++failures >= allowed || Thread.currentThread().isInterrupted()) {
          throw SparkEngine.<RuntimeException>rethrow(e);
        }
        LOG.warn("{}: its step session failed ({}); computing it again in a new session ({} of "
            + "{} attempts)", step >= 0 ? "Step " + (step + 1) + " of epoch " + (epoch + 1)
            : "The evaluation", firstLine(e), failures + 1, allowed);
      }
    }
    if (step >= 0) {
      figures.exchanged(session.traffic() - before, r.busiestLink());
    }
    return r;
  }

  /** Steps run as jobs from here on, said in one warning line; null (the caller's job step). */
  private StepSession.Sums fallBack(String why) {
    fellBack = true;
    pause();
    LOG.warn("Step sessions: {}; steps run as Spark jobs from here on", why);
    return null;
  }

  /** An exception's class and message, one line, no stack. */
  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
  }

  /** The driver's step server for TCP sessions, opened once on the settings' port. */
  private StepSession.Server server() {
    if (server == null) {
      org.apache.spark.SparkConf conf = sc.getConf();
      String host = conf.get("spark.driver.host", "127.0.0.1");
      server = new StepSession.Server(conf.get("spark.driver.bindAddress", host),
          settings.port());
    }
    return server;
  }
}
