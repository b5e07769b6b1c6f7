package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.api.RunSpec;
import io.gradspark.config.RunSpecs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How many trials share the cluster: one per set of partitions, and latency-bound ones two per
 * core where their steps are jobs (no step sessions).
 */
class ConcurrentTrialsTest {
  private static RunSpec spec(String conf, String... sets) {
    return RunSpecs.load(Path.of("conf/experiments/" + conf + ".conf"), List.of(sets), conf)
        .spec();
  }

  @Test
  void latencyBoundJobStepsRunTwoPerCoreAndSessionsOnePerPartitionSet() {
    SparkEngines engines = new SparkEngines(SharedSpark.get());
    int slots = SharedSpark.get().defaultParallelism();
    RunSpec neuron = spec("neuron-0", "training.partitions=1");
    RunSpec fullBatch = spec("full-batch", "training.partitions=1");
    RunSpec wide = spec("wide-1000", "training.partitions=1");
    assertTrue(SparkEngines.latencyBound(neuron), "128 x 785 multiply-adds a step");
    assertFalse(SparkEngines.latencyBound(fullBatch), "60,000 x 84,060");
    assertFalse(SparkEngines.latencyBound(wide), "100 x 795,010");
    // SharedSpark allows step sessions: a session holds its slot, one trial per slot
    assertEquals(slots, engines.concurrentTrials(neuron));
    assertEquals(slots, engines.concurrentTrials(fullBatch));
    // with a job per step, a latency-bound trial's task waits on the scheduler: two per core
    assertEquals(2 * slots, SparkEngines.concurrentTrials(neuron, slots, false));
    assertEquals(slots, SparkEngines.concurrentTrials(fullBatch, slots, false));
    RunSpec tooMany = spec("neuron-0", "training.partitions=" + (slots + 1));
    assertEquals(1, SparkEngines.concurrentTrials(tooMany, slots, true),
        "more partitions than slots: steps are jobs, " + 2 * slots / (slots + 1) + " at a time");
    assertEquals(1, engines.concurrentTrials(spec("neuron-0",
        "training.partitions=" + slots)), "a session on every slot");
    assertEquals(2, SparkEngines.concurrentTrials(spec("neuron-0",
        "training.partitions=" + slots), slots, false));
    assertEquals(1, engines.concurrentTrials(spec("full-batch")));
  }
}
