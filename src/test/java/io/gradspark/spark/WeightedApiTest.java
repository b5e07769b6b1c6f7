package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.api.Datasets;
import io.gradspark.api.Engines;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainedModel;
import io.gradspark.api.TrainingJob;
import io.gradspark.data.ClassWeights;
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
 * Weighted rows through the API: an RDD of weighted {@link LabeledVector}s with balanced class
 * weights and dropout trains as the same rows in memory on the local engine (to round-off), the
 * summaries say the training loss is weighted, and a bad weight is refused naming its row.
 */
class WeightedApiTest {
  private static RunSpec spec() {
    return RunSpec.builder(new Network(new int[] {2, 16, 2}, List.of(Activation.TANH),
            Head.SOFTMAX_CROSS_ENTROPY).withDropout(0.25))
        .epochs(3).batchSize(32).seed(5).engine(RunSpec.Engine.LOCAL)
        .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.HEAVY_BALL, 0.9, 0,
            new LearningRateSchedule.Constant(0.1)))
        .prepare(RunSpec.DataPrep.NONE.withClassWeights(ClassWeights.BALANCED))
        .build();
  }

  @Test
  void weightedRddRowsTrainAsTheSameRowsInMemory() {
    // 3 rows in 4 of class 0 dropped out of the set: the classes are unbalanced
    RowBlock moons = new MoonsSource(600, 0.1, 3).load(0, 600);
    List<Integer> keep = new ArrayList<>();
    for (int r = 0; r < 600; r++) {
      if (moons.label(r) == 1 || r % 4 == 0) {
        keep.add(r);
      }
    }
    int n = keep.size();
    double[] x = new double[n * 2];
    double[] y = new double[n];
    double[] w = new double[n];
    List<LabeledVector> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      moons.copyRow(keep.get(i), x, 2 * i);
      y[i] = moons.label(keep.get(i));
      w[i] = 0.5 + (i % 3);
      rows.add(new LabeledVector(y[i], Vectors.dense(x[2 * i], x[2 * i + 1]), w[i]));
    }
    RunSpec spec = spec();
    InMemorySource source = new InMemorySource(
        RowBlock.ofDoubles(x, n, 2, y).withWeights(w), "unbalanced moons");
    RunSpec local = spec.toBuilder().prepare(spec.data().withRowWeights()).build();
    TrainedModel a;
    try (TrainingJob job = TrainingJob.start(local,
        Engines.local().over(local, Datasets.prepare(local, source, null)), "test")) {
      a = job.fit(TrainingListener.NONE, Trainer.Checkpoints.NONE);
    }
    TrainedModel b = Gradspark.fit(SharedSpark.get(), SharedSpark.get().parallelize(rows, 3),
        null, spec).model();
    double worst = 0;
    for (int i = 0; i < a.parameters().length; i++) {
      worst = Math.max(worst, Math.abs(a.parameters()[i] - b.parameters()[i])
          / Math.max(Math.abs(a.parameters()[i]), 1e-12));
    }
    double lossA = a.history().get(2).trainLoss();
    double lossB = b.history().get(2).trainLoss();
    System.out.printf("weighted rows + balanced classes + dropout, local vs RDD: max relative "
        + "parameter difference %.3e, train loss %.6f vs %.6f%n", worst, lossA, lossB);
    assertTrue(worst < 1e-9, "round-off only: " + worst);
    assertEquals(lossA, lossB, 1e-12);
    assertEquals(true, a.summary().get("train_loss_weighted"));
    assertEquals(true, b.summary().get("train_loss_weighted"));
  }

  @Test
  void aBadWeightIsRefusedNamingItsRow() {
    List<LabeledVector> rows = new ArrayList<>();
    for (int r = 0; r < 10; r++) {
      rows.add(new LabeledVector(r % 2, Vectors.dense(r, -r), r == 6 ? -1 : 1));
    }
    GradsparkException e = assertThrows(GradsparkException.class, () -> Gradspark.fit(
        SharedSpark.get(), SharedSpark.get().parallelize(rows, 2), null, spec()));
    System.out.println(e.getMessage());
    assertTrue(e.getMessage().contains("row 7 (1-based) has weight -1.0"), e.getMessage());
    List<LabeledVector> zero = new ArrayList<>();
    for (int r = 0; r < 10; r++) {
      zero.add(new LabeledVector(r % 2, Vectors.dense(r, -r), 0.0));
    }
    GradsparkException z = assertThrows(GradsparkException.class, () -> Gradspark.fit(
        SharedSpark.get(), SharedSpark.get().parallelize(zero, 2), null, spec()));
    assertTrue(z.getMessage().contains("every row of the training RDD has weight 0"),
        z.getMessage());
  }
}
