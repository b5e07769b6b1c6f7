package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.data.InMemorySource;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Blas;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DataSplit;
import io.gradspark.train.GradientSum;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A session partition's steps with the next step's rows copied ahead ({@link
 * PartitionSum#prepareAfter}, what a task does while the driver merges and updates): the same
 * sums, bit for bit, as a job's task computing each step from scratch, whichever steps were
 * prepared and whichever were not (a step computed before its rows were ready, an evaluation in
 * between, an epoch's last step whose next is the next epoch's first).
 */
class PartitionSumTest {
  private static final int ROWS = 90;

  /**
   * The tests' network, 90 rows, schedule (batches of 16: 6 steps an epoch, the last one short),
   * partition index's share of the rows (50 from first) and rounded initial parameters.
   */
  private record Setup(Network net, InMemorySource src, BatchSchedule schedule, Part part,
      double[] params) {
    static Setup of(Precision precision, int index, int first) {
      return of(precision, index, first, 16);
    }

    /** As above, in batches of batch rows. */
    static Setup of(Precision precision, int index, int first, int batch) {
      Network net = new Network(new int[] {5, 12, 3}, List.of(Activation.RELU),
          Head.SOFTMAX_CROSS_ENTROPY).withPrecision(precision);
      InMemorySource src = ArraySource.random(ROWS, 5, 3, 31, true);
      return new Setup(net, src, new BatchSchedule(ROWS, batch, 7, true, false),
          new Part(index, first, src.load(first, first + 50)),
          precision.round(net.initialParameters(Initializer.HE_NORMAL, 3), null));
    }

    /** The partition's session work, with these validation rows (or none). */
    PartitionSum work(Part validation) {
      return new PartitionSum(net, schedule, Blas.inUse(), part, validation, null);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Precision.class)
  void preparedStepsGiveTheSumsOfUnpreparedOnes(Precision precision) {
    Setup t = Setup.of(precision, 1, 10);
    Part validation = new Part(1, 0, t.src().load(0, 30));
    PartitionSum work = t.work(validation);
    int steps = t.schedule().stepsPerEpoch();
    long expectPrepared = 0;
    double maxDiff = 0;
    for (int epoch = 0; epoch < 2; epoch++) {
      for (int k = 0; k < steps; k++) {
        // every step but the third of each epoch has its rows copied ahead
        boolean prepare = k != 2;
        if (prepare && (epoch > 0 || k > 0)) { // after the step before (none before the first)
          int before = k > 0 ? k - 1 : steps - 1;
          work.prepareAfter(k > 0 ? epoch : epoch - 1, before);
          work.prepareAfter(k > 0 ? epoch : epoch - 1, before); // a second call finds them ready
          expectPrepared++;
        }
        if (k == 4) { // an evaluation between the copy and the step leaves the rows be
          work.compute(t.params(), 0, PartitionSum.evaluationStep(DataSplit.VALIDATION));
        }
        GradientSum session = work.compute(t.params(), epoch, k);
        maxDiff = Math.max(maxDiff, sameAsAJobsTask(session, t, epoch, k));
      }
    }
    System.out.printf("%s: %d of %d steps on prepared rows, max |difference| %.1e%n", precision,
        work.preparedSteps(), 2 * steps, maxDiff);
    assertEquals(expectPrepared, work.preparedSteps());
  }

  /**
   * The driver's partition on a local master: another thread fills each next step's rows into
   * the second batch matrix while this step computes on the first (prepareAfter), and every step
   * after the first computes on rows it filled, with the same sums as a job's task.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Precision.class)
  void rowsFilledByAnotherThreadDuringTheStepGiveTheSameSums(Precision precision)
      throws Exception {
    Setup t = Setup.of(precision, 0, 0);
    PartitionSum work = t.work(null);
    work.helpedAhead();
    int steps = t.schedule().stepsPerEpoch();
    double maxDiff = 0;
    for (int epoch = 0; epoch < 2; epoch++) {
      for (int k = 0; k < steps; k++) {
        int e = epoch;
        int step = k;
        // the helper starts on the next step's rows as this step starts computing
        Thread helper = new Thread(() -> work.prepareAfter(e, step));
        helper.start();
        GradientSum session = work.compute(t.params(), epoch, k);
        helper.join();
        maxDiff = Math.max(maxDiff, sameAsAJobsTask(session, t, epoch, k));
      }
    }
    System.out.printf("%s, rows filled by another thread: %d of %d steps on prepared rows, "
        + "max |difference| %.1e%n", precision, work.preparedSteps(), 2 * steps, maxDiff);
    assertEquals(2 * steps - 1, work.preparedSteps());
  }

  /**
   * A task's partition whose steps the driver's thread sometimes takes (its task was late): the
   * task copies the next rows after each step it saw, also while the driver's thread still
   * computes the step on the same batch matrix. The copy waits for none and spoils none: the same
   * sums, bit for bit.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Precision.class)
  void stepsTakenByAnotherThreadWhileTheTaskCopiesGiveTheSameSums(Precision precision)
      throws Exception {
    Setup t = Setup.of(precision, 1, 10);
    PartitionSum work = t.work(null);
    int steps = t.schedule().stepsPerEpoch();
    double maxDiff = 0;
    java.util.concurrent.ExecutorService task = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      for (int epoch = 0; epoch < 2; epoch++) {
        for (int k = 0; k < steps; k++) {
          int e = epoch;
          int step = k;
          GradientSum session;
          if (k % 3 == 1) { // taken by this thread while the task copies the next rows
            java.util.concurrent.Future<?> copying = task.submit(() -> {
              for (int i = 0; i < 50; i++) {
                work.prepareAfter(e, step);
              }
            });
            session = work.compute(t.params(), epoch, k);
            copying.get();
          } else { // the task's own step, then its copy of the next step's rows
            session = task.submit(() -> {
              GradientSum sum = work.compute(t.params(), e, step);
              work.prepareAfter(e, step);
              return sum;
            }).get();
          }
          maxDiff = Math.max(maxDiff, sameAsAJobsTask(session, t, epoch, k));
        }
      }
    } finally {
      task.shutdownNow();
    }
    System.out.printf("%s, steps taken while the task copies: %d of %d steps on prepared rows, "
        + "max |difference| %.1e%n", precision, work.preparedSteps(), 2 * steps, maxDiff);
    assertTrue(work.preparedSteps() > 0);
  }

  /**
   * The driver's partition on a local master, its next rows filled claim by claim of 16 rows
   * ({@link PartitionSum#prepareSomeAfter}, what the driver's thread does while it waits for
   * the other sums) and the rest by partition 1's task ({@link PartitionSum#prepareAfter}), or
   * by the step itself: batches of 64 (about 36 of this partition's rows, three claims), filled
   * by one claim and the task, by claims alone, by one claim and the step, and by claims and the
   * task on two threads at once. Every step computes on rows filled ahead, with a job's sums.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Precision.class)
  void rowsFilledClaimByClaimByTwoThreadsGiveTheSameSums(Precision precision) throws Exception {
    Setup t = Setup.of(precision, 0, 0, 64);
    PartitionSum work = t.work(null);
    work.helpedAhead();
    int steps = t.schedule().stepsPerEpoch();
    double maxDiff = 0;
    int claims = 0;
    for (int epoch = 0; epoch < 4; epoch++) {
      for (int k = 0; k < steps; k++) {
        int e = epoch;
        int step = k;
        Thread helper = null;
        switch ((epoch * steps + k) % 4) {
          case 0 -> { // one claim, then the task fills the rest
            claims += work.prepareSomeAfter(e, step) ? 1 : 0;
            work.prepareAfter(e, step);
          }
          case 1 -> { // claims only, until none are left
            while (work.prepareSomeAfter(e, step)) {
              claims++;
            }
          }
          case 2 -> { // one claim; the step after fills the rest itself
            claims += work.prepareSomeAfter(e, step) ? 1 : 0;
          }
          default -> { // the task and this thread's claims at once
            helper = new Thread(() -> work.prepareAfter(e, step));
            helper.start();
            while (work.prepareSomeAfter(e, step)) {
              claims++;
            }
          }
        }
        if (helper != null) {
          helper.join();
        }
        int nextEpoch = k + 1 < steps ? epoch : epoch + 1;
        int next = (k + 1) % steps;
        GradientSum session = work.compute(t.params(), nextEpoch, next);
        maxDiff = Math.max(maxDiff, sameAsAJobsTask(session, t, nextEpoch, next));
      }
    }
    System.out.printf("%s, rows filled claim by claim: %d of %d steps on prepared rows, %d "
        + "claims with more left, max |difference| %.1e%n", precision, work.preparedSteps(),
        4 * steps, claims, maxDiff);
    assertEquals(4 * steps, work.preparedSteps());
    assertTrue(claims >= 4 * steps / 2, "claims that left rows: " + claims);
  }

  /**
   * The first fill of a partition's batch matrix, by two threads at once from the start (the
   * driver's claims and partition 1's task): the float32 rows exist before either copies into
   * them, so that no claim goes to a matrix the step does not read. Fresh partitions, many times.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Precision.class)
  void aFirstFillByTwoThreadsAtOnceFillsOneMatrix(Precision precision) throws Exception {
    Setup t = Setup.of(precision, 0, 0, 64);
    double maxDiff = 0;
    int prepared = 0;
    for (int i = 0; i < 200; i++) {
      PartitionSum work = t.work(null);
      work.helpedAhead();
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      Thread helper = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        work.prepareAfter(0, 0);
      });
      helper.start();
      go.countDown();
      while (work.prepareSomeAfter(0, 0)) {
        Thread.onSpinWait();
      }
      helper.join();
      GradientSum sum = work.compute(t.params(), 0, 1);
      prepared += (int) work.preparedSteps();
      maxDiff = Math.max(maxDiff, sameAsAJobsTask(sum, t, 0, 1));
    }
    System.out.printf("%s, first fills by two threads: %d of 200 steps on prepared rows, max "
        + "|difference| %.1e%n", precision, prepared, maxDiff);
    assertEquals(200, prepared);
  }

  /**
   * A fill the driver's thread began for a step that does not come next (the last step of a fit,
   * or a warm-up's, followed by another step number on the same batch matrix) and no task
   * finished: the step that comes finishes it rather than wait for it, and computes its own rows.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Precision.class)
  void aFillLeftHalfClaimedHoldsUpNoLaterStep(Precision precision) {
    Setup t = Setup.of(precision, 0, 0, 64);
    PartitionSum work = t.work(null);
    work.helpedAhead();
    int steps = t.schedule().stepsPerEpoch();
    double maxDiff = assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
      double max = 0;
      // epoch 0's step 1's rows, one claim of three; then epoch 1's step 1 (the same matrix)
      assertTrue(work.prepareSomeAfter(0, 0), "rows left after one claim");
      GradientSum later = work.compute(t.params(), 1, 1);
      max = Math.max(max, sameAsAJobsTask(later, t, 1, 1));
      // epoch 2's step 0's rows, one claim; then back to epoch 0's step 0 (the same matrix: a
      // warm-up's steps, then the fit's)
      assertTrue(work.prepareSomeAfter(1, 1), "rows left after one claim");
      GradientSum earlier = work.compute(t.params(), 0, 0);
      return Math.max(max, sameAsAJobsTask(earlier, t, 0, 0));
    });
    System.out.printf("%s, fills left half-claimed: %d steps of %d per epoch on prepared rows, "
        + "max |difference| %.1e%n", precision, work.preparedSteps(), steps, maxDiff);
    assertEquals(0, work.preparedSteps(), "neither step had its own rows filled ahead");
  }

  /**
   * Asserts that a session step's sum has the bits of a job's task's sum of the same step (row
   * count, loss sum, gradient); returns their largest gradient difference (0 when they do).
   */
  private static double sameAsAJobsTask(GradientSum session, Setup t, int epoch, int k) {
    GradientSum job = PartitionSum.of(t.net(), t.schedule(), t.params(), t.part(), epoch, k);
    String at = t.net().precision() + " epoch " + epoch + " step " + k;
    assertEquals(job.count(), session.count(), at);
    assertEquals(job.lossSum(), session.lossSum(), 0.0, at);
    double maxDiff = 0;
    for (int i = 0; i < job.grad().length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(job.grad()[i] - session.grad()[i]));
    }
    assertArrayEquals(job.grad(), session.grad(), at);
    return maxDiff;
  }
}
