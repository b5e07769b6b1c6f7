package io.gradspark.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code submit/gradspark} as a user would, in its own JVM (integration tests run after
 * {@code package}, so the launcher finds the jar and does not rebuild). Output goes to a log file.
 */
final class Launcher {
  static final Path HOME = Path.of(System.getProperty("user.dir")).toAbsolutePath();

  private Launcher() {}

  /** base followed by more: a test's fixed arguments and one run's own. */
  static String[] with(String[] base, String... more) {
    String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  /** Starts the launcher with args; env adds to the environment; output to log. */
  static Process start(Path log, Map<String, String> env, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(HOME.resolve("submit/gradspark").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(HOME.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return pb.start();
  }

  /** Runs to completion (at most 5 minutes) and returns the exit code; prints the log. */
  static int run(Path log, Map<String, String> env, String... args) throws Exception {
    Process p = start(log, env, args);
    try {
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        throw new AssertionError("gradspark " + String.join(" ", args) + " did not finish");
      }
      return p.exitValue();
    } finally {
      p.destroyForcibly();
      System.out.println("$ gradspark " + String.join(" ", args) + "\n" + Files.readString(log));
    }
  }
}
