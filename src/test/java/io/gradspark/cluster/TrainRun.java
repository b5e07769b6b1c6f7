package io.gradspark.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One {@code submit/gradspark train} (or {@code sweep}) run, as a user starts it, in its own JVM (the driver). Every
 * line it prints is kept with the time it arrived, so that a test can wait for a line and measure
 * between lines and its own actions; the output also goes to DIR.log and to this JVM's stdout.
 */
final class TrainRun implements AutoCloseable {
  /** A line of the driver's output and when this JVM read it (System.nanoTime). */
  record Line(long nanos, String text) {}

  final String name;
  final Path out;
  private final Process process;
  private final List<Line> lines = new ArrayList<>();
  private final Thread reader;
  private boolean ended;

  private TrainRun(String name, Path out, Process process, Path log) {
    this.name = name;
    this.out = out;
    this.process = process;
    this.reader = new Thread(() -> read(log), "output of " + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts submit/gradspark train ARGS --out OUT (OUT must not exist). */
  static TrainRun start(String name, Path out, Map<String, String> env, List<String> args)
      throws IOException {
    return start(name, "train", out, env, args);
  }

  /** Starts submit/gradspark COMMAND ARGS --out OUT (OUT must not exist). */
  static TrainRun start(String name, String command, Path out, Map<String, String> env,
      List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(LocalCluster.HOME.resolve("submit/gradspark").toString());
    cmd.add(command);
    cmd.addAll(args);
    cmd.add("--out");
    cmd.add(out.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(LocalCluster.HOME.toFile())
        .redirectErrorStream(true);
    // Nothing from the calling environment decides which secret or Spark the run uses.
    pb.environment().remove("SPARK_AUTHENTICATE_SECRET");
    pb.environment().remove("SPARK_HOME");
    pb.environment().remove("SPARK_CONF_DIR");
    pb.environment().remove("JAVA_OPTS");
    pb.environment().putAll(env);
    System.out.println("[" + name + "] $ " + String.join(" ", cmd));
    Path log = Path.of(out + ".log");
    return new TrainRun(name, out, pb.start(), log);
  }

  private void read(Path log) {
    try (BufferedReader r = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter w = new PrintWriter(Files.newBufferedWriter(log), true)) {
      String s;
      while ((s = r.readLine()) != null) {
        long t = System.nanoTime();
        synchronized (this) {
          lines.add(new Line(t, s));
          notifyAll();
        }
        w.println(s);
        System.out.println("[" + name + "] " + s);
      }
    } catch (IOException e) {
      // the process is gone
    } finally {
      synchronized (this) {
        ended = true;
        notifyAll();
      }
    }
  }

  /**
   * The first line after time {@code after} (nanoTime) that matches, waiting for it at most
   * timeout; null when it does not come (the run ended or the time is up).
   */
  synchronized Line await(Predicate<String> match, long after, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int i = 0;
    while (true) {
      for (; i < lines.size(); i++) {
        Line l = lines.get(i);
        if (l.nanos() >= after && match.test(l.text())) {
          return l;
        }
      }
      long left = deadline - System.nanoTime();
      if (ended || left <= 0) {
        return null;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /** Waits for the run to end (at most timeout, else it is killed and the test fails). */
  int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      close();
      throw new AssertionError(name + " did not finish within " + timeout.toSeconds() + " s");
    }
    reader.join(10_000);
    return process.exitValue();
  }

  /** summary.json of the finished run. */
  JsonNode summary() throws IOException {
    return new ObjectMapper().readTree(out.resolve("summary.json").toFile());
  }

  /** history.json of the finished run: one object per epoch. */
  JsonNode history() throws IOException {
    return new ObjectMapper().readTree(out.resolve("history.json").toFile());
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** Stops the driver if it still runs: TERM (Spark stops its context), then KILL. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }
}
