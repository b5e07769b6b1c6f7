package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainedModel;
import io.gradspark.api.TrainingJob;
import io.gradspark.data.InMemorySource;
import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowBlock;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.Vectors;
import org.junit.jupiter.api.Test;

/**
 * The API in one JVM: rows held in arrays ({@link InMemorySource}) train through the same
 * pipeline, and equal the Spark API on the same rows as an RDD to round-off.
 */
class LocalApiTest {

  @Test
  void inMemoryRowsOnTheLocalEngineEqualTheSameRowsAsAnRddToRoundOff() {
    RowBlock moons = new MoonsSource(400, 0.1, 3).load(0, 400);
    double[] x = new double[400 * 2];
    double[] y = new double[400];
    List<LabeledVector> rows = new ArrayList<>();
    for (int r = 0; r < 400; r++) {
      moons.copyRow(r, x, 2 * r);
      y[r] = moons.label(r);
      rows.add(new LabeledVector(y[r], Vectors.dense(x[2 * r], x[2 * r + 1])));
    }
    RunSpec spec = RunSpec.builder(new Network(new int[] {2, 16, 2}, List.of(Activation.TANH),
            Head.SOFTMAX_CROSS_ENTROPY))
        .epochs(3).batchSize(32).seed(5).engine(RunSpec.Engine.LOCAL)
        .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.HEAVY_BALL, 0.9, 0,
            new LearningRateSchedule.Constant(0.1)))
        .build();
    InMemorySource source = InMemorySource.ofDoubles(x, 400, 2, y, "moons");
    TrainedModel local;
    try (TrainingJob job = TrainingJob.start(spec,
        Engines.local().over(spec, Datasets.prepare(spec, source, null)), "test")) {
      local = job.fit(TrainingListener.NONE, Trainer.Checkpoints.NONE);
    }
    double[] a = local.parameters();
    double[] b = Gradspark.fit(SharedSpark.get(), SharedSpark.get().parallelize(rows, 3), null,
        spec).model().parameters();
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), 1e-12));
    }
    System.out.printf("local engine on in-memory rows vs Spark on the RDD: max relative "
        + "difference %.3e%n", worst);
    assertTrue(worst < 1e-9, "round-off only: " + worst);
    assertEquals(3, local.history().size());
    assertEquals("local", local.summary().get("engine"));
    assertTrue(local.history().get(2).trainLoss() < local.history().get(0).trainLoss());
  }
}
