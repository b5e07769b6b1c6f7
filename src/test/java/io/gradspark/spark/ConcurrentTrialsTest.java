package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.api.RunSpec;
import io.gradspark.config.RunSpecs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How many trials share the cluster: latency-bound ones two per core, others by partitions. */
class ConcurrentTrialsTest {
  private static RunSpec spec(String conf, String... sets) {
    return RunSpecs.load(Path.of("conf/experiments/" + conf + ".conf"), List.of(sets), conf)
        .spec();
  }

  @Test
  void latencyBoundTrialsRunTwoPerCoreAndBigStepsOnePerPartitionSet() {
    SparkEngines engines = new SparkEngines(SharedSpark.get());
    int slots = SharedSpark.get().defaultParallelism();
    RunSpec neuron = spec("neuron-0", "training.partitions=1");
    RunSpec fullBatch = spec("full-batch", "training.partitions=1");
    RunSpec wide = spec("wide-1000", "training.partitions=1");
    assertTrue(SparkEngines.latencyBound(neuron), "128 x 785 multiply-adds a step");
    assertFalse(SparkEngines.latencyBound(fullBatch), "60,000 x 84,060");
    assertFalse(SparkEngines.latencyBound(wide), "100 x 795,010");
    assertEquals(2 * slots, engines.concurrentTrials(neuron));
    assertEquals(slots, engines.concurrentTrials(fullBatch));
    assertEquals(2, engines.concurrentTrials(spec("neuron-0",
        "training.partitions=" + slots)));
    assertEquals(1, engines.concurrentTrials(spec("full-batch")));
  }
}
