package io.gradspark.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowBlock;
import io.gradspark.eval.EpochStats;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.nn.Precision;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.LocalEngine;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import io.gradspark.train.TrainingState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Resuming a run with dropout and weighted rows from every checkpoint (mid-epoch and between
 * epochs) ends bit-identical to the uninterrupted run: the masks are functions of (seed, epoch,
 * row), and the checkpoint keeps the epoch's weight sum so far, what its training loss divides by.
 */
class WeightedDropoutResumeTest {
  private static final Network NET = new Network(new int[] {2, 16, 8, 2},
      List.of(Activation.TANH), Head.SOFTMAX_CROSS_ENTROPY).withDropout(0.2, 0.4);

  @TempDir
  Path tmp;

  private static LocalEngine engine(Network net) {
    RowBlock all = new MoonsSource(500, 0.1, 3).load(0, 500);
    int[] train = new int[400];
    int[] val = new int[100];
    double[] w = new double[400];
    for (int r = 0; r < 500; r++) {
      if (r < 400) {
        train[r] = r;
        // class 1 weighs 3, and every seventh row 0: weight sums are not row counts
        w[r] = r % 7 == 6 ? 0.0 : all.label(r) == 1 ? 3.0 : 1.0;
      } else {
        val[r - 400] = r;
      }
    }
    return new LocalEngine(net, new BatchSchedule(400, 32, 5, true, false),
        all.select(train).withWeights(w), all.select(val), null);
  }

  private static Trainer trainer() {
    return new Trainer(new MomentumSgd(MomentumSgd.Form.NESTEROV, 0.9, 1e-4,
        new LearningRateSchedule.Cosine(0.1, 0.001), NET.weightMask()), 4, TrainingListener.NONE);
  }

  /** In either precision: float32's master weights and optimizer state are the checkpoint's. */
  @ParameterizedTest
  @EnumSource(Precision.class)
  void resumingFromEveryCheckpointEndsBitIdentical(Precision precision) {
    Network net = NET.withPrecision(precision);
    CheckpointRecorder every = new CheckpointRecorder(tmp);
    List<Path> files = every.files;
    double[] full = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    Trainer.Result r = trainer().fit(engine(net), full, TrainingState.START, every);
    assertEquals(7, files.size(), "mid-epoch in each of 4 epochs + after epochs 1..3");
    CheckpointFile.Loaded mid = CheckpointFile.load(files.get(0), NET.numParams());
    assertNotEquals((double) mid.state().epochRows(), mid.state().epochWeightSum(),
        "the weight sum so far is not the row count");
    for (Path f : files) {
      CheckpointFile.Loaded l = CheckpointFile.load(f, NET.numParams());
      double[] params = l.params();
      Trainer.Result resumed = trainer().fit(engine(net), params, l.state(),
          Trainer.Checkpoints.NONE);
      assertArrayEquals(full, params, "resumed from " + f.getFileName());
      for (int e = 0; e < r.history().size(); e++) {
        EpochStats a = r.history().get(e);
        EpochStats b = resumed.history().get(e);
        assertEquals(a.trainLoss(), b.trainLoss(), 0.0, "train loss of epoch " + (e + 1));
        assertEquals(a.valLoss(), b.valLoss(), 0.0);
      }
    }
    System.out.println("resume with dropout and weights, " + precision.configName() + ": all "
        + files.size()
        + " checkpoints end bit-identical");
  }
}
