package io.gradspark.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.GradsparkException;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Head;
import io.gradspark.nn.Network;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The driver's memory check counts a dense batch matrix of batch x features only for dense rows:
 * a network of 1,000,000 sparse inputs at batch 128 fits a 1 GiB heap (4 M parameters), where
 * the same rows held dense would need 128 x 1,000,000 doubles per task, and are refused.
 */
class MemoryCheckTest {
  @Test
  void sparseRowsNeedNoDenseBatchMatrix() {
    RunSpec spec = RunSpec.builder(new Network(new int[] {1_000_000, 4, 2},
        List.of(Activation.RELU), Head.SOFTMAX_CROSS_ENTROPY)).batchSize(128).build();
    long heap = 1L << 30;
    assertDoesNotThrow(() -> TrainingJob.checkMemory(spec, heap, true));
    GradsparkException dense = assertThrows(GradsparkException.class,
        () -> TrainingJob.checkMemory(spec, heap, false));
    System.out.println("dense rows: " + dense.getMessage());
    assertTrue(dense.getMessage().contains("GiB of memory"), dense.getMessage());
  }
}
