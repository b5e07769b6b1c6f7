package io.gradspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradspark.data.InMemorySource;
import io.gradspark.nn.Activation;
import io.gradspark.nn.Blas;
import io.gradspark.nn.Head;
import io.gradspark.nn.Initializer;
import io.gradspark.nn.Network;
import io.gradspark.train.BatchSchedule;
import io.gradspark.train.DataSplit;
import java.util.List;
import java.util.Optional;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

/**
 * Executors run on the driver's BLAS: every task installs the choice the engine was built with
 * before its arithmetic, whatever its JVM would pick on its own (netlib's default). Here the
 * executor is this JVM: {@link Blas#uninstall} puts it back in a fresh executor's state before
 * each kind of step, and the step must install the driver's choice again. Without the task-side
 * install the JVM would stay on netlib's default (nothing installed) and these fail.
 */
class TaskBlasTest {
  private static final int ROWS = 40;

  @Test
  void everyKindOfTaskInstallsTheDriversBlas() {
    Optional<Blas.Choice> before = Blas.installed();
    Network net = new Network(new int[] {5, 4, 3}, List.of(Activation.RELU),
        Head.SOFTMAX_CROSS_ENTROPY);
    InMemorySource src = ArraySource.random(ROWS, 5, 3, 7, false);
    BatchSchedule schedule = new BatchSchedule(ROWS, 8, 3, true, false);
    double[] params = net.initialParameters(Initializer.XAVIER_NORMAL, 1);
    try {
      // the driver's choice: plain Java (available everywhere, and not netlib's default where a
      // native library or the vector module is there)
      Blas.Choice driver = Blas.force(Blas.Kind.JAVA);
      try (SparkEngine engine = new SparkEngine(SharedSpark.get(), net, schedule, src, src, null,
          2, StorageLevel.MEMORY_ONLY())) {
        Blas.uninstall();
        engine.gradient(params, 0, 0); // a step session's tasks in this JVM
        assertEquals(Optional.of(driver), Blas.installed(), "a step session's task");

        engine.stepSessions(false);
        Blas.uninstall();
        engine.gradient(params, 0, 1); // a job per step, the in-memory hand-off
        assertEquals(Optional.of(driver), Blas.installed(), "a job per step's task");

        engine.sameJvmHandoff(false);
        Blas.uninstall();
        engine.gradient(params, 0, 2); // a job per step through a broadcast, as on a cluster
        assertEquals(Optional.of(driver), Blas.installed(), "a broadcast step's task");

        engine.stepSessions(true);
        Blas.uninstall();
        engine.gradient(params, 0, 3); // a step session over TCP, as on a cluster
        assertEquals("star", engine.exchange());
        assertEquals(Optional.of(driver), Blas.installed(), "a TCP session's task");

        Blas.uninstall();
        engine.evaluate(params, DataSplit.VALIDATION);
        assertEquals(Optional.of(driver), Blas.installed(), "an evaluation's task");

        // the summary's figure: what the executors have installed, read without installing
        assertEquals("java", engine.executorBlas());
        Blas.uninstall();
        assertTrue(engine.executorBlas().startsWith("none installed (netlib's default: "),
            engine.executorBlas());
      }
    } finally {
      if (before.isPresent()) {
        Blas.use(before.get());
      } else {
        Blas.uninstall();
      }
    }
  }
}
