package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.api.Datasets;
import io.gradspark.api.RunSpec;
import io.gradspark.api.TrainingJob;
import io.gradspark.data.CsvSource;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import io.gradspark.optim.LearningRateSchedule;
import io.gradspark.optim.MomentumSgd;
import io.gradspark.train.Trainer;
import io.gradspark.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * summary.json's data figures are the run's own: a training repeated reports the same bytes read
 * (they were summed over every engine of the JVM), and two trainings side by side in one JVM,
 * through the API, each report their own.
 */
class PerRunFiguresTest {
  @TempDir Path tmp;

  private static String csv(int rows) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < rows; i++) {
      b.append(i % 3);
      for (int j = 0; j < 8; j++) {
        b.append(',').append((i * 31 + j * 17) % 97);
      }
      b.append('\n');
    }
    return b.toString();
  }

  private static RunSpec spec() {
    return RunSpec.builder(new Network(new int[] {8, 6, 3}, List.of(Activation.RELU),
            Head.SOFTMAX_CROSS_ENTROPY))
        .epochs(1).batchSize(100).seed(3).partitions(2)
        .prepare(new RunSpec.DataPrep(1.0 / 97, -1, 0, RunSpec.ValidationMode.LAST, 1, false))
        .optimizer(new RunSpec.Optimizer(MomentumSgd.Form.HEAVY_BALL, 0.9, 0,
            new LearningRateSchedule.Constant(0.05)))
        .build();
  }

  /** One training of file through a factory of its own; its summary's data figures. */
  private static Map<String, Object> train(Path file) {
    SparkEngines engines = new SparkEngines(SharedSpark.get());
    RunSpec spec = spec();
    Datasets data = Datasets.prepare(spec,
        new CsvSource(file.toString(), 0, false, ',', engines.splitTasks()), null);
    try (TrainingJob job = TrainingJob.start(spec, engines.over(spec, data), "test")) {
      return job.fit(TrainingListener.NONE, Trainer.Checkpoints.NONE).summary();
    }
  }

  @Test
  void eachTrainingReportsTheBytesOfItsOwnData() throws Exception {
    Path small = Files.writeString(tmp.resolve("small.csv"), csv(2_000));
    Path large = Files.writeString(tmp.resolve("large.csv"), csv(9_000));
    Map<String, Object> a = train(small);
    Map<String, Object> b = train(large);
    long aBytes = (Long) a.get("data_bytes_read_caching");
    long bBytes = (Long) b.get("data_bytes_read_caching");
    System.out.printf("alone: %s reads %d bytes to cache (%d counting), %s %d (%d)%n",
        small.getFileName(), aBytes, a.get("data_bytes_read_counting"), large.getFileName(),
        bBytes, b.get("data_bytes_read_counting"));
    assertTrue(aBytes >= Files.size(small), "the small file read whole: " + aBytes);
    assertTrue(bBytes >= Files.size(large), "the large file read whole: " + bBytes);
    // again: the same figures (a JVM-wide counter gave the first run's bytes plus these)
    Map<String, Object> again = train(small);
    assertEquals(a.get("data_bytes_read_caching"), again.get("data_bytes_read_caching"));
    assertEquals(a.get("data_bytes_read_counting"), again.get("data_bytes_read_counting"));
    // side by side
    CompletableFuture<Map<String, Object>> x = CompletableFuture.supplyAsync(() -> train(small));
    CompletableFuture<Map<String, Object>> y = CompletableFuture.supplyAsync(() -> train(large));
    assertEquals(a.get("data_bytes_read_caching"), x.get().get("data_bytes_read_caching"));
    assertEquals(b.get("data_bytes_read_caching"), y.get().get("data_bytes_read_caching"));
    assertEquals(a.get("data_bytes_read_counting"), x.get().get("data_bytes_read_counting"));
    assertEquals(b.get("data_bytes_read_counting"), y.get().get("data_bytes_read_counting"));
  }
}
