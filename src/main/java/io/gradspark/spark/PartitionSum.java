package io.gradspark.spark;

import io.gradspark.data.RowBlock;
import io.gradspark.eval.Evaluation;
import io.gradspark.nn.Blas;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.spark.session.SessionWork;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.Batches;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientSum;

/**
 * What one partition's task computes, on its executor, whatever carries the result to the driver
 * (a job per step, a tree job, a step session): the loss and gradient sums of the rows of a batch
 * that its training part holds, and the evaluation sums of its validation and test parts. Every
 * step path calls {@link #of}, so they all add the same rows in the same order.
 *
 * <p>A step session's tasks get one PartitionSum each (the training part with the validation and
 * test parts of the same index, cached alongside it) and answer every message with a {@link
 * GradientSum}: a step's sums for a step number k >= 0, an evaluation's for {@link
 * #evaluationStep}, its sums in the shape of a gradient sum so that the session's exchange (star
 * or tree) carries and merges it as it does a step's: loss sum and row count as they are, the
 * confusion counts in the first classes² values (exact as doubles below 2^53), the rest zeros.
 * Merged in the canonical order and read back by {@link #evaluation(GradientSum, int)}, that is
 * {@link Evaluation#merge} in the canonical order, bit for bit, as a job's evaluation merges it.
 */
final class PartitionSum implements SessionWork {
  private final Network net;
  private final BatchSchedule schedule;
  private final Part train;
  private final Part validation;
  private final Part test;
  /** The driver's BLAS, installed before the task's arithmetic. */
  private final Blas.Choice blas;
  // a session's steps: the partition's own scratch, two when another thread fills the next
  // step's rows while this partition computes a step ({@link #helpedAhead}), step k's rows in
  // own[k % own.length], k = epoch * stepsPerEpoch + step
  private volatile boolean helped;
  private volatile Scratch[] own;
  private final java.util.concurrent.atomic.AtomicLong preparedSteps =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * A task's work over its training part and the validation and test parts (null: none), on
   * the driver's BLAS.
   */
  PartitionSum(Network net, BatchSchedule schedule, Blas.Choice blas, Part train,
      Part validation, Part test) {
    this.net = net;
    this.schedule = schedule;
    this.blas = blas;
    this.train = train;
    this.validation = validation;
    this.test = test;
  }

  @Override
  public int index() {
    return train.index();
  }

  /**
   * The partition a local master's driver computes: another task fills its next step's rows
   * into a second batch matrix ({@link #prepareAfter}) while the driver still computes this one.
   * Called before the partition's first step.
   */
  @Override
  public void helpedAhead() {
    helped = true;
  }

  /**
   * Copies the rows of the training step after (epoch, step) into this partition's batch matrix
   * (a batch of one pass, dense rows), for its compute to skip the copy: a task does it while the
   * driver merges and updates, time it would otherwise wait. Joins a copy another thread has
   * begun (the driver's, {@link #prepareSomeAfter}): the two take claims of {@link #CLAIM} rows
   * in turn.
   */
  @Override
  public void prepareAfter(int epoch, int step) {
    if (step >= 0) {
      prepare((long) epoch * schedule.stepsPerEpoch() + step + 1, Integer.MAX_VALUE);
    }
  }

  /**
   * Fills one claim of the rows of the training step after (epoch, step) (starting that fill
   * where no thread has), as a local master's driver does while it waits for the other
   * partitions' sums; returns whether rows are left to claim.
   */
  @Override
  public boolean prepareSomeAfter(int epoch, int step) {
    return step >= 0 && prepare((long) epoch * schedule.stepsPerEpoch() + step + 1, 1);
  }

  /**
   * Fills step key's rows into its scratch, up to maxClaims claims of {@link #CLAIM} rows: starts
   * the fill unless the scratch is in use, filled or being set up, or joins a fill under way;
   * never waits. Returns whether rows are left to claim.
   */
  private boolean prepare(long key, int maxClaims) {
    Scratch s = session(key);
    long state = s.state.get();
    if (state != (key << 3 | FILLING)) {
      long what = state & 7;
      if (state >= 0 && (what == FILLING || what == USED || what == SETUP || state >> 3 >= key)
          || !s.state.compareAndSet(state, key << 3 | SETUP)) {
        return false;
      }
      long now = NONE;
      try {
        int epoch = (int) (key / schedule.stepsPerEpoch());
        int step = (int) (key % schedule.stepsPerEpoch());
        RowBlock block = train.block();
        int lo = train.firstId();
        int n = schedule.batch(epoch, step, lo, lo + block.rows(), s.ids);
        if (n > 0 && Batches.onePass(block, n, s.ws)) {
          if (net.precision() == Precision.FLOAT32) {
            s.ws.rows32(); // made here, before a second thread may copy claims into it
          }
          s.fillRows = n;
          s.done.set(0);
          s.cursor.set(key << 16);
          now = key << 3 | FILLING;
        }
      } finally {
        s.state.set(now);
      }
      if (now == NONE) {
        return false;
      }
    }
    return claim(s, key, maxClaims);
  }

  /**
   * Fills claims of step key's rows in s, up to maxClaims; the thread that fills the last rows
   * marks them FILLED. Returns whether rows are left to claim.
   */
  private boolean claim(Scratch s, long key, int maxClaims) {
    int n = s.fillRows;
    RowBlock block = train.block();
    int lo = train.firstId();
    for (int claims = 0; claims < maxClaims; ) {
      long at = s.cursor.get();
      int from = (int) (at & 0xffff);
      if (at >>> 16 != key || from >= n) {
        return false; // all claimed, or another step's fill by now
      }
      int to = Math.min(n, from + CLAIM);
      if (!s.cursor.compareAndSet(at, key << 16 | to)) {
        continue; // another thread claimed these rows first: the next ones
      }
      claims++;
      Batches.fillPart(net, block, lo, s.ids, 0, from, to, s.x, s.y, s.w, s.ws);
      if (s.done.addAndGet(to - from) == n) {
        s.filledRows = n;
        s.state.set(key << 3 | FILLED);
        return false;
      }
    }
    long at = s.cursor.get();
    return at >>> 16 == key && (int) (at & 0xffff) < n;
  }

  /** How many steps used rows that {@link #prepareAfter} had copied (for tests). */
  long preparedSteps() {
    return preparedSteps.get();
  }

  /** The scratch of a session's step key (created on first use: {@link #helped} is set by then). */
  private Scratch session(long key) {
    Scratch[] scratches = own;
    if (scratches == null) {
      synchronized (this) {
        scratches = own;
        if (scratches == null) {
          scratches = new Scratch[helped ? 2 : 1];
          for (int i = 0; i < scratches.length; i++) {
            scratches[i] = new Scratch(null, net, rows(schedule, train));
          }
          own = scratches;
        }
      }
    }
    return scratches[(int) (key % scratches.length)];
  }

  /** The ids a partition's step can hold: its rows of a batch, at least 1. */
  private static int rows(BatchSchedule schedule, Part part) {
    return Math.max(1, Math.min(schedule.batchSize(), part.block().rows()));
  }

  /**
   * A step session's answer to a message: step >= 0, the sums of batch (epoch, step); else the
   * evaluation of the split {@link #evaluationStep} names, in a gradient sum's shape.
   */
  @Override
  public GradientSum compute(double[] params, int epoch, int step) {
    Blas.use(blas); // the driver's BLAS, whatever this executor would pick on its own
    if (step >= 0) {
      long key = (long) epoch * schedule.stepsPerEpoch() + step;
      Scratch s = session(key);
      long state = s.state.get();
      if (state >= 0 && (state & 7) == FILLING) {
        // a fill under way, this step's or one a thread left half-claimed for a step that did
        // not come (the last of a fit, a session's warm-up): its rest is copied here, not
        // waited for
        claim(s, state >> 3, Integer.MAX_VALUE);
      }
      int rows = s.take(key);
      try {
        preparedSteps.addAndGet(rows >= 0 ? 1 : 0);
        return sums(net, schedule, params, train, epoch, step, s, rows, true);
      } finally {
        s.state.set(key << 3 | DONE);
      }
    }
    DataSplit split = DataSplit.values()[-1 - step];
    Part part = switch (split) {
      case TRAIN -> train;
      case VALIDATION -> validation;
      case TEST -> test;
    };
    if (part == null) {
      throw new IllegalStateException("partition " + index() + " holds no " + split + " rows");
    }
    Evaluation ev = new Evaluation(net.classes());
    Batches.evaluate(net, params, part.block(), ev);
    if (ev.count() == 0) {
      return new GradientSum();
    }
    double[] values = new double[net.numParams()];
    long[] confusion = ev.confusionCounts();
    for (int i = 0; i < confusion.length; i++) {
      values[i] = confusion[i];
    }
    return new GradientSum(ev.lossSum(), ev.count(), ev.count(), values);
  }

  /** The step number that asks a session's tasks for split's evaluation (negative). */
  static int evaluationStep(DataSplit split) {
    return -1 - split.ordinal();
  }

  /**
   * Whether a network's evaluation fits a step session's messages: its classes² confusion counts
   * within the W values of a gradient sum (true for any network whose last layer has at least
   * classes - 1 inputs).
   */
  static boolean evaluatesInSession(Network net) {
    long classes = net.classes();
    return classes * classes <= net.numParams();
  }

  /** The evaluation a session's merged sum carries (see the class comment). */
  static Evaluation evaluation(GradientSum merged, int classes) {
    long[] confusion = new long[classes * classes];
    if (merged.count() > 0) {
      for (int i = 0; i < confusion.length; i++) {
        confusion[i] = (long) merged.grad()[i];
      }
    }
    return Evaluation.of(classes, merged.lossSum(), merged.count(), confusion);
  }

  /**
   * A job's task's scratch, one per thread (tasks run one per thread): the batch matrix, labels,
   * ids and layer buffers, reused from task to task. A step session's partition has its own
   * ({@link #session}), whose two gradient arrays its steps fill in turn: a session's step sum
   * holds one of them, so it stays valid until that partition's step after next. The driver has
   * used it long before (it posts a step only once it has applied the previous one, and {@link
   * io.gradspark.train.GradientEngine#gradient} promises no more), and a sum that leaves the JVM
   * (a TCP frame) is written out before the next step. A job's tasks get a new array: a thread
   * may run several of a job's tasks, and a local master's job hands their sums over in memory. A
   * new 407 KB array a step (conf/mnist.conf) cost a session's task a fifth of its compute here:
   * zeroed by the allocator, then written through a cold cache, where the reused array is still
   * in it.
   */
  private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

  // a session scratch's states (Scratch.state)
  private static final long NONE = -1;
  private static final long FILLED = 1;
  private static final long FILLING = 2;
  private static final long USED = 3;
  private static final long DONE = 4;
  private static final long SETUP = 5;
  /** Rows a claim of a fill copies: about 10 us of MNIST rows as floats here. */
  private static final int CLAIM = 16;

  private static final class Scratch {
    final String key;
    final int[] ids;
    final double[] x;
    final double[] y;
    final double[] w;
    final Network.Workspace ws;
    private final double[][] grads = new double[2][];
    private int turn;
    /**
     * A session scratch's rows: {@link #NONE}, or a step's key << 3 with SETUP (a thread is
     * listing the step's rows), FILLING (threads are copying them, claim by claim), FILLED
     * (filledRows of them are in), USED (the step computes on them) or DONE (it has). Rows are
     * filled only into a scratch no step uses, and only by the claims of one fill at a time.
     */
    final java.util.concurrent.atomic.AtomicLong state =
        new java.util.concurrent.atomic.AtomicLong(NONE);
    int filledRows; // published by state's FILLED
    /** The rows of the fill under way (published by state's FILLING). */
    int fillRows;
    /**
     * That fill's step key << 16 | the first of its rows no thread has claimed: a claim is a
     * compareAndSet, which a thread still holding an earlier step's fill cannot win.
     */
    final java.util.concurrent.atomic.AtomicLong cursor =
        new java.util.concurrent.atomic.AtomicLong(-1);
    /** The fill's rows copied so far: the thread that copies the last ones marks it FILLED. */
    final java.util.concurrent.atomic.AtomicInteger done =
        new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Takes this scratch for step key's compute: the number of its rows already filled, or -1
     * when the step copies them itself. Waits while another thread is filling it (a copy under
     * way on its own core: at most about 0.1 ms for conf/mnist.conf), spinning, then yielding
     * its core in case the filling thread waits for it.
     */
    int take(long key) {
      for (int spins = 0; ; spins++) {
        long st = state.get();
        if (st >= 0 && ((st & 7) == FILLING || (st & 7) == SETUP)) {
          if (spins < 10_000) {
            Thread.onSpinWait();
          } else {
            Thread.yield();
          }
        } else if (state.compareAndSet(st, key << 3 | USED)) {
          return st == (key << 3 | FILLED) ? filledRows : -1;
        }
      }
    }

    private Scratch(String key, Network net, int rows) {
      int m = Batches.matrixRows(rows);
      this.key = key;
      this.ids = new int[rows];
      this.x = new double[m * net.inputSize()];
      this.y = new double[m];
      this.w = new double[m];
      this.ws = net.workspace(m);
    }

    /** For up to `rows` ids, computed in passes of at most Batches.CHUNK rows. */
    static Scratch of(Network net, int rows) {
      String key = net.describe() + "/" + rows;
      Scratch s = SCRATCH.get();
      if (s == null || !s.key.equals(key)) {
        s = new Scratch(key, net, rows);
        SCRATCH.set(s);
      }
      return s;
    }

    /**
     * The next of the two gradient arrays (numParams values), holding what it held two steps ago:
     * {@link Batches#gradient} writes a batch's sum over it.
     */
    double[] grad(int numParams) {
      turn ^= 1;
      double[] g = grads[turn];
      if (g == null) {
        return grads[turn] = new double[numParams];
      }
      return g;
    }
  }

  /** Loss and gradient sums of the rows of batch (epoch, step) that this part holds. */
  static GradientSum of(
      Network net, BatchSchedule schedule, double[] params, Part part, int epoch, int step) {
    // a partition holds at most its own rows of a batch, computed CHUNK rows at a time: a full
    // batch of 60,000 MNIST rows would otherwise be a 376 MB matrix per task
    return sums(net, schedule, params, part, epoch, step, Scratch.of(net, rows(schedule, part)),
        -1, false);
  }

  /**
   * As above in scratch s: filledRows >= 0 when s holds the batch's ids and rows already
   * (prepareAfter), and the sum in one of s's two gradient arrays when reuse.
   */
  private static GradientSum sums(Network net, BatchSchedule schedule, double[] params, Part part,
      int epoch, int step, Scratch s, int filledRows, boolean reuse) {
    RowBlock block = part.block();
    int lo = part.firstId();
    int n = filledRows >= 0 ? filledRows
        : schedule.batch(epoch, step, lo, lo + block.rows(), s.ids);
    if (n == 0) {
      return new GradientSum();
    }
    double[] grad = reuse ? s.grad(net.numParams()) : new double[net.numParams()];
    double loss = Batches.gradient(net, params, block, lo, s.ids, n, s.x, s.y, s.w, grad, s.ws,
        schedule.seed(), epoch, filledRows >= 0);
    return new GradientSum(loss, n, Batches.weightSum(block, lo, s.ids, n), grad,
        net.precision());
  }
}
