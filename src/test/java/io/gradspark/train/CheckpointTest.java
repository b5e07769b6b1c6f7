package io.gradspark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.data.MoonsSource;
import io.gradspark.data.RowBlock;
import io.gradspark.eval.EpochStats;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resuming from a checkpoint, in memory and through the file, ends bit-identical. */
class CheckpointTest {
  private static final Network NET = new Network(new int[] {2, 16, 2}, List.of(Activation.TANH),
      Head.SOFTMAX_CROSS_ENTROPY);

  @TempDir
  Path tmp;

  private static MomentumSgd optimizer() {
    return new MomentumSgd(MomentumSgd.Form.NESTEROV, 0.9, 1e-4,
        new LearningRateSchedule.Cosine(0.1, 0.001), NET.weightMask());
  }

  private static LocalEngine engine() {
    MoonsSource moons = new MoonsSource(500, 0.1, 3);
    RowBlock data = moons.load(0, 500);
    return new LocalEngine(NET, new BatchSchedule(400, 32, 5, true, false),
        RowBlock.ofDoubles(copy(data, 0, 400), 400, 2, labels(data, 0, 400)),
        RowBlock.ofDoubles(copy(data, 400, 500), 100, 2, labels(data, 400, 500)), null);
  }

  private static double[] copy(RowBlock b, int from, int to) {
    double[] x = new double[(to - from) * 2];
    for (int r = from; r < to; r++) {
      b.copyRow(r, x, (r - from) * 2);
    }
    return x;
  }

  private static double[] labels(RowBlock b, int from, int to) {
    double[] y = new double[to - from];
    for (int r = from; r < to; r++) {
      y[r - from] = b.label(r);
    }
    return y;
  }

  /** Records every checkpoint it is asked to save, in memory and as a file. */
  private final class Recorder implements Trainer.Checkpoints {
    final List<Trainer.Position> positions = new ArrayList<>();
    final List<Path> files = new ArrayList<>();

    @Override
    public boolean dueAfterStep(int epoch, int stepsDone) {
      return stepsDone == 5;
    }

    @Override
    public boolean dueAfterEpoch(int epochsDone) {
      return true;
    }

    @Override
    public void save(Trainer.Position at, double[] params, double[] velocity) {
      Path f = tmp.resolve("ckpt-" + positions.size() + ".npz");
      CheckpointFile.save(f, at, params, velocity);
      positions.add(at);
      files.add(f);
    }
  }

  @Test
  void resumingFromEveryCheckpointEndsBitIdentical() {
    double[] uninterrupted = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    Recorder rec = new Recorder();
    Trainer.Result full = new Trainer(optimizer(), 4, TrainingListener.NONE)
        .fit(engine(), uninterrupted, Trainer.Position.START, rec);
    assertEquals(7, rec.files.size(), "mid-epoch in each of 4 epochs + after epochs 1..3");
    for (Path f : rec.files) {
      CheckpointFile.Loaded l = CheckpointFile.load(f, NET.numParams());
      MomentumSgd opt = optimizer();
      opt.restore(l.velocity());
      double[] params = l.params();
      Trainer.Result resumed = new Trainer(opt, 4, TrainingListener.NONE)
          .fit(engine(), params, l.position(), Trainer.Checkpoints.NONE);
      assertArrayEquals(uninterrupted, params, "resumed from " + f.getFileName());
      assertEquals(full.steps(), resumed.steps());
      for (int e = 0; e < 4; e++) {
        EpochStats a = full.history().get(e);
        EpochStats b = resumed.history().get(e);
        assertEquals(a.trainLoss(), b.trainLoss(), 0.0, "train loss of epoch " + (e + 1));
        assertEquals(a.valLoss(), b.valLoss(), 0.0);
      }
    }
    System.out.println("resume: all " + rec.files.size() + " checkpoints end bit-identical");
  }

  @Test
  void earlyStoppingRestoresTheBestEpochAndResumesToo() {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    MomentumSgd hot = new MomentumSgd(MomentumSgd.Form.HEAVY_BALL, 0.9, 0,
        new LearningRateSchedule.Constant(2.0), NET.weightMask());
    Trainer.Result r = new Trainer(hot, 30, TrainingListener.NONE, 2).fit(engine(), params);
    assertTrue(r.history().size() < 30, "stopped early after " + r.history().size());
    double best = r.history().stream().mapToDouble(EpochStats::valLoss).min().orElseThrow();
    assertEquals(best, r.history().get(r.keptEpoch() - 1).valLoss(), 0.0);
    assertEquals(best, r.validation().meanLoss(), 0.0, "restored parameters are the best epoch's");
  }

  @Test
  void damagedCheckpointsAreRefused() throws IOException {
    double[] params = NET.initialParameters(Initializer.XAVIER_UNIFORM, 1);
    Path f = tmp.resolve("c.npz");
    CheckpointFile.save(f, Trainer.Position.START, params, new double[params.length]);
    assertArrayEquals(params, CheckpointFile.load(f, NET.numParams()).params());
    byte[] bytes = Files.readAllBytes(f);
    int mutated = 0;
    for (int i = 0; i < bytes.length; i += 7) {
      byte[] copy = bytes.clone();
      copy[i] ^= 0x5A;
      Path g = tmp.resolve("bad.npz");
      Files.write(g, copy);
      try {
        CheckpointFile.Loaded l = CheckpointFile.load(g, NET.numParams());
        assertArrayEquals(params, l.params(), "a flip that loads must not change the data");
      } catch (GradsparkException e) {
        mutated++;
      }
    }
    Files.write(tmp.resolve("short.npz"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
    GradsparkException e = assertThrows(GradsparkException.class,
        () -> CheckpointFile.load(tmp.resolve("short.npz"), NET.numParams()));
    System.out.println("damaged checkpoints refused: " + mutated + " flips; truncated: "
        + e.getMessage());
    assertTrue(mutated > bytes.length / 7 / 2, "most flips must be caught, got " + mutated);
    assertThrows(GradsparkException.class, () -> CheckpointFile.load(f, NET.numParams() + 1));
  }
}
