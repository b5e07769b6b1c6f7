package io.gradspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** After a signal, stderr carries what gradspark's own threads write, not other threads' noise. */
class SignalsTest {
  @Test
  void onlyOurThreadsReachStderrOnceASignalStopsTheJvm() throws InterruptedException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = Signals.ownThreadsOnly(new PrintStream(bytes, true,
        StandardCharsets.UTF_8), Set.of(Thread.currentThread()));
    err.println("Interrupted (SIGTERM): nothing written to runs/x");
    Thread pool = new Thread(() -> new java.util.concurrent.RejectedExecutionException(
        "Task Future(<not completed>) rejected").printStackTrace(err), "pool-1-thread-1");
    pool.start();
    pool.join();
    String written = bytes.toString(StandardCharsets.UTF_8);
    assertEquals("Interrupted (SIGTERM): nothing written to runs/x" + System.lineSeparator(),
        written, written);
  }
}
