package io.gradspark.spark;

import java.util.ArrayDeque;
import java.util.List;

/**
 * What an engine's steps measured, whatever path they took: each step's times (the latest
 * {@link #MAX_TIMES}: a long training keeps no more), and the bytes through the driver's side of
 * the exchange and on its busiest link, over the steps they were counted for.
 */
final class StepFigures {
  static final int MAX_TIMES = 100_000;
  private final ArrayDeque<SparkEngine.StepTimes> times = new ArrayDeque<>();
  private long exchangeBytes;
  private long exchangeSteps;
  private long busiestLinkBytes;

  void record(SparkEngine.StepTimes t) {
    if (times.size() >= MAX_TIMES) {
      times.removeFirst();
    }
    times.addLast(t);
  }

  /** One step's bytes through the driver and on its busiest link (0: not measured). */
  void exchanged(long driverBytes, long busiestLink) {
    exchangeBytes += driverBytes;
    busiestLinkBytes += busiestLink;
    exchangeSteps++;
  }

  List<SparkEngine.StepTimes> times() {
    return List.copyOf(times);
  }

  void reset() {
    times.clear();
    exchangeBytes = 0;
    busiestLinkBytes = 0;
    exchangeSteps = 0;
  }

  double driverBytesPerStep() {
    return exchangeSteps == 0 ? 0 : (double) exchangeBytes / exchangeSteps;
  }

  double busiestLinkBytesPerStep() {
    return exchangeSteps == 0 ? 0 : (double) busiestLinkBytes / exchangeSteps;
  }
}
