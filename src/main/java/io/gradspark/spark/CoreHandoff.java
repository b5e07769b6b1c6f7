package io.gradspark.spark;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What handing data from one core to another costs on this machine, as a local master's step
 * session does every step (the parameters to the tasks, their sums back, rows one thread copies
 * for another): one thread writes an array of doubles and a second thread reads it all, against
 * one thread writing and then reading it itself. Two cores that share a last-level cache pass the
 * lines through it; two that do not (sockets, core complexes, or a virtual machine's two vCPUs
 * that its host has placed on such cores) pass them through memory, and every hand-off of a step
 * costs that much more while the work of one thread does not change: bench reports it so that a
 * slow local[2] run can be told from a slow engine.
 */
public final class CoreHandoff {
  private CoreHandoff() {}

  /**
   * Rounds of values doubles for about the given seconds, in turns of cross-thread and
   * one-thread rounds: the median microseconds of a round of each (write plus read), and their
   * ratio. Starts and ends its own reader thread.
   */
  public static Map<String, Object> measure(int values, double seconds) {
    double[] data = new double[Math.max(1, values)];
    Reader reader = new Reader(data);
    Thread t = new Thread(reader, "gradspark-handoff");
    t.setDaemon(true);
    t.start();
    long[] cross = new long[4096];
    long[] same = new long[4096];
    int nc = 0;
    int ns = 0;
    double sink = 0;
    try {
      long end = System.nanoTime() + (long) (seconds * 1e9);
      for (long round = 1; System.nanoTime() < end && nc < cross.length && ns < same.length; ) {
        for (int k = 0; k < 16 && nc < cross.length; k++, round++) {
          long start = System.nanoTime();
          fill(data, round);
          reader.ask = round;
          while (reader.done != round) {
            Thread.onSpinWait();
          }
          cross[nc++] = System.nanoTime() - start;
        }
        for (int k = 0; k < 16 && ns < same.length; k++, round++) {
          long start = System.nanoTime();
          fill(data, round);
          sink += sum(data);
          same[ns++] = System.nanoTime() - start;
        }
      }
    } finally {
      reader.ask = -1;
    }
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    double crossUs = medianMicros(cross, nc);
    double sameUs = medianMicros(same, ns);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("values", data.length);
    m.put("bytes", 8L * data.length);
    m.put("cross_us", crossUs);
    m.put("same_us", sameUs);
    m.put("ratio", crossUs / sameUs);
    m.put("rounds", nc + ns);
    m.put("checksum", sink + reader.sink); // keeps the reads from being optimized away
    return m;
  }

  private static void fill(double[] data, long round) {
    double base = round;
    for (int i = 0; i < data.length; i++) {
      data[i] = base + i;
    }
  }

  private static double sum(double[] data) {
    double s = 0;
    for (double x : data) {
      s += x;
    }
    return s;
  }

  private static double medianMicros(long[] nanos, int n) {
    return BenchFigures.median(Arrays.stream(nanos, 0, n).mapToDouble(t -> t / 1e3).toArray());
  }

  /** The second thread: reads the whole array each time it is asked, then says so. */
  private static final class Reader implements Runnable {
    private final double[] data;
    volatile long ask; // the round to read; -1 ends the thread
    volatile long done;
    double sink; // read by the caller after join

    Reader(double[] data) {
      this.data = data;
    }

    @Override
    public void run() {
      long seen = 0;
      for (;;) {
        long a = ask;
        if (a < 0) {
          return;
        }
        if (a == seen) {
          Thread.onSpinWait();
          continue;
        }
        sink += sum(data);
        seen = a;
        done = a;
      }
    }
  }
}
