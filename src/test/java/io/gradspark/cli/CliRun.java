package io.gradspark.cli;

import io.gradspark.spark.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs the real command-line entry point in this JVM and captures what it prints. Spark commands
 * join the test JVM's shared SparkContext (as they would a notebook's).
 */
record CliRun(int exitCode, String out, String err) {

  /** Exit 2, the message contains every part, no stack trace, no "this is a bug". */
  void assertRefused(String... parts) {
    org.junit.jupiter.api.Assertions.assertEquals(2, exitCode, out + err);
    for (String p : parts) {
      org.junit.jupiter.api.Assertions.assertTrue(err.contains(p),
          "expected '" + p + "' in:\n" + err);
    }
    org.junit.jupiter.api.Assertions.assertFalse(err.contains("\tat "), "no stack trace: " + err);
    org.junit.jupiter.api.Assertions.assertFalse(err.contains("bug"), err);
  }

  static CliRun run(String... args) {
    SharedSpark.get();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = Main.execute(args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    CliRun r = new CliRun(code, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
    oldOut.println("$ gradspark " + String.join(" ", args) + "\n" + r.out + r.err + "[exit "
        + code + "]");
    return r;
  }
}
