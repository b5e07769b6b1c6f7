package io.gradspark.spark;

import io.gradspark.train.CanonicalSum;
import io.gradspark.nn.Blas;
import io.gradspark.nn.Network;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.GradientSum;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Steps as Spark jobs: the parameters go out in a broadcast (on a local master, whose executor is
 * this JVM, in memory instead: {@link SameJvm}), each partition computes its {@link PartitionSum},
 * and the sums come back in one job whose P results the driver merges in the canonical order
 * ({@link Direct}), or merged on the executors along the canonical tree, level by level, so that
 * only a few reach the driver ({@link Tree}, for sums that would not fit the driver's result
 * limit). Both give bit-identical sums.
 */
abstract class JobStep implements StepPath {
  final JavaSparkContext sc;
  final Network net;
  final BatchSchedule schedule;
  final JavaRDD<Part> train;
  final int partitions;
  /** Whether the parameters (and a Direct step's sums) are handed over in this JVM. */
  private final boolean sameJvm;
  private final StepFigures figures;
  /** The driver's BLAS, which every task installs before its arithmetic (bit-identity). */
  private final Blas.Choice blas = Blas.inUse();

  JobStep(JavaSparkContext sc, Network net, BatchSchedule schedule, JavaRDD<Part> train,
      boolean sameJvm, StepFigures figures) {
    this.sc = sc;
    this.net = net;
    this.schedule = schedule;
    this.train = train;
    this.partitions = train.getNumPartitions();
    this.sameJvm = sameJvm;
    this.figures = figures;
  }

  /** A step's merged sum, the slowest partition's compute (0: not measured), its result bytes. */
  record Merged(CanonicalSum<GradientSum> sum, long computeNanos, long resultBytes) {}

  /** Runs f over the training partitions (slot != 0: sums handed over in this JVM) and merges. */
  abstract Merged run(StepFunction f, long slot);

  @Override
  public final GradientSum step(double[] params, int epoch, int step) {
    sc.setJobDescription(
        "epoch " + (epoch + 1) + " step " + (step + 1) + "/" + schedule.stepsPerEpoch());
    long t0 = System.nanoTime();
    // on a local master the executor is this JVM: the parameters (and a DIRECT step's sums) are
    // handed over in memory, see SameJvm; elsewhere, a broadcast
    long slot = sameJvm ? SameJvm.open(params, partitions) : 0;
    Broadcast<SparkEngine.Params> bc = sameJvm ? null
        : sc.broadcast(new SparkEngine.Params(params));
    long t1 = System.nanoTime();
    try {
      Merged m = run(new StepFunction(bc, slot, net, schedule, blas, epoch, step), slot);
      long t2 = System.nanoTime();
      GradientSum result = m.sum().result();
      long t3 = System.nanoTime();
      long driverBytes = 0;
      if (bc != null) {
        // what Spark moved for the step: the broadcast to each executor, the W-sized results
        long w = (long) net.precision().bytes() * net.numParams();
        int executors = Math.max(1, sc.sc().getExecutorIds().size());
        driverBytes = w * Math.min(executors, partitions) + m.resultBytes();
      }
      figures.exchanged(driverBytes, 0);
      if (bc != null) {
        bc.destroy();
      }
      figures.record(new SparkEngine.StepTimes(t1 - t0, t2 - t1, m.computeNanos(), t3 - t2,
          System.nanoTime() - t3));
      return result;
    } catch (RuntimeException e) {
      if (bc != null) {
        bc.destroy();
      }
      throw e;
    } finally {
      if (slot != 0) {
        SameJvm.close(slot);
      }
    }
  }

  /** One job per step; the driver merges the P sums along the canonical tree. */
  static final class Direct extends JobStep {
    private final scala.collection.immutable.Seq<Object> allPartitions;

    Direct(JavaSparkContext sc, Network net, BatchSchedule schedule, JavaRDD<Part> train,
        boolean sameJvm, StepFigures figures) {
      super(sc, net, schedule, train, sameJvm, figures);
      this.allPartitions = SparkEngine.indices(partitions);
    }

    @Override
    Merged run(StepFunction f, long slot) {
      PartResult[] results = new PartResult[partitions];
      sc.sc().runJob(train.rdd(), f, allPartitions, new Collect<>(results),
          scala.reflect.ClassTag$.MODULE$.apply(PartResult.class));
      CanonicalSum<GradientSum> sum = new CanonicalSum<>(partitions, GradientSum::merge);
      long compute = 0;
      long bytes = 0;
      long w = (long) net.precision().bytes() * net.numParams();
      for (int p = 0; p < partitions; p++) {
        sum.add(p, slot != 0 ? SameJvm.sum(slot, p) : results[p].sum());
        compute = Math.max(compute, results[p].nanos());
        if (slot == 0 && results[p].sum() != null && results[p].sum().count() > 0) {
          bytes += w;
        }
      }
      return new Merged(sum, compute, bytes);
    }
  }

  /** One job per step whose executors merge the sums along the plan's tree. */
  static final class Tree extends JobStep {
    private final AggregationPlan plan;

    Tree(JavaSparkContext sc, Network net, BatchSchedule schedule, JavaRDD<Part> train,
        boolean sameJvm, StepFigures figures, AggregationPlan plan) {
      super(sc, net, schedule, train, sameJvm, figures);
      this.plan = plan;
    }

    @Override
    Merged run(StepFunction f, long slot) {
      return new Merged(TreeSum.of(sc, train, plan, f, GradientSum::merge), 0, 0);
    }
  }

  /**
   * The slots of the steps under way on a local master, whose executor is this JVM: each holds
   * the step's parameters (the driver's array, not copied: it is not changed while the job runs,
   * as a broadcast's value is not) and, for a DIRECT step, its partitions' sums. So a step there
   * creates and destroys no broadcast (its serialisation, checksum and block manager round trips:
   * ~4.7 ms a step for 152,650 parameters here) and a DIRECT step's W-sized sums skip Spark's
   * result path (serialised, copied about five times, deserialised on the driver): the tasks
   * return only their times. The same arrays, merged in the same canonical order: bit-identical
   * to the path through Spark. A step opens its slot before its job and closes it after, also
   * when the job fails; a task that finds no slot (its job was already given up) fails.
   */
  static final class SameJvm {
    private SameJvm() {}

    private record Slot(double[] params,
        AtomicReferenceArray<GradientSum> sums) {}

    private static final AtomicLong NEXT =
        new AtomicLong();
    private static final ConcurrentHashMap<Long, Slot> SLOTS =
        new ConcurrentHashMap<>();

    static long open(double[] params, int partitions) {
      long key = NEXT.incrementAndGet();
      SLOTS.put(key, new Slot(params,
          new AtomicReferenceArray<>(partitions)));
      return key;
    }

    private static Slot slot(long key) {
      Slot s = SLOTS.get(key);
      if (s == null) {
        throw new IllegalStateException("step " + key + " is not under way in this JVM");
      }
      return s;
    }

    static double[] params(long key) {
      return slot(key).params();
    }

    /** A task's sum (a retried task's attempt replaces the earlier one's). */
    static void put(long key, int partition, GradientSum sum) {
      slot(key).sums().set(partition, sum);
    }

    static GradientSum sum(long key, int partition) {
      GradientSum sum = slot(key).sums().get(partition);
      if (sum == null) {
        throw new IllegalStateException("no sum of partition " + partition + " in step " + key);
      }
      return sum;
    }

    static void close(long key) {
      SLOTS.remove(key);
    }

    /** Steps under way (for tests: none once a step has returned or failed). */
    static int open() {
      return SLOTS.size();
    }
  }

  /** One partition's sum and how long computing it took. */
  record PartResult(GradientSum sum, long nanos) implements java.io.Serializable {}

  /**
   * The per-partition work of one step, as a serializable function object: not a closure, so
   * Spark's closure cleaner has nothing to do, and usable both as runJob's function and as a
   * tree's leaf. The parameters come from a broadcast, or on a local master from the step's
   * {@link SameJvm} slot (slot != 0), where runJob's tasks also leave their sums (their results
   * are then only their times).
   */
  static final class StepFunction
      extends scala.runtime.AbstractFunction2<TaskContext, scala.collection.Iterator<Part>, PartResult>
      implements TreeSum.PartFunction<GradientSum> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<SparkEngine.Params> params;
    private final long slot;
    private final Network net;
    private final BatchSchedule schedule;
    private final Blas.Choice blas;
    private final int epoch;
    private final int step;

    StepFunction(Broadcast<SparkEngine.Params> params, long slot, Network net, BatchSchedule schedule,
        Blas.Choice blas, int epoch, int step) {
      this.params = params;
      this.slot = slot;
      this.net = net;
      this.schedule = schedule;
      this.blas = blas;
      this.epoch = epoch;
      this.step = step;
    }

    private double[] values() {
      return slot != 0 ? SameJvm.params(slot) : params.value().values();
    }

    /** runJob: the partition holds exactly one Part. */
    @Override
    public PartResult apply(TaskContext context, scala.collection.Iterator<Part> parts) {
      Part part = parts.next();
      Blas.use(blas); // the driver's BLAS, whatever this executor would pick on its own
      long start = System.nanoTime();
      GradientSum sum = PartitionSum.of(net, schedule, values(), part, epoch, step);
      long nanos = System.nanoTime() - start;
      if (slot != 0) {
        SameJvm.put(slot, part.index(), sum);
        return new PartResult(null, nanos);
      }
      return new PartResult(sum, nanos);
    }

    /** A tree's leaf: the partition's sum. */
    @Override
    public GradientSum apply(Part part) {
      Blas.use(blas);
      return PartitionSum.of(net, schedule, values(), part, epoch, step);
    }
  }

  /**
   * runJob's result handler: stores each partition's result at its index, as it arrives (on the
   * driver).
   */
  static final class Collect<T>
      extends scala.runtime.AbstractFunction2<Object, T, scala.runtime.BoxedUnit>
      implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final transient T[] results;

    Collect(T[] results) {
      this.results = results;
    }

    @Override
    public scala.runtime.BoxedUnit apply(Object index, T r) {
      results[(Integer) index] = r;
      return scala.runtime.BoxedUnit.UNIT;
    }
  }
}
