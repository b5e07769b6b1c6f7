package io.gradspark.io;

import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Records every checkpoint it is asked to save (after step 5 and every epoch), in memory and as a
 * file in dir: what the resume tests resume from.
 */
final class CheckpointRecorder implements Trainer.Checkpoints {
  final List<TrainingState> states = new ArrayList<>();
  final List<double[]> params = new ArrayList<>();
  final List<Path> files = new ArrayList<>();
  private final Path dir;

  CheckpointRecorder(Path dir) {
    this.dir = dir;
  }

  @Override
  public boolean dueAfterStep(int epoch, int stepsDone) {
    return stepsDone == 5;
  }

  @Override
  public boolean dueAfterEpoch(int epochsDone) {
    return true;
  }

  @Override
  public void save(TrainingState at, double[] p) {
    Path f = dir.resolve("ckpt-" + files.size() + ".npz");
    CheckpointFile.save(f, at, p);
    states.add(at);
    params.add(p);
    files.add(f);
  }
}
