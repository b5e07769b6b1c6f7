package io.gradspark.cli;

import io.gradspark.GradsparkException;
import io.gradspark.train.DivergedException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code gradspark} command line. Errors the user can fix (bad settings, bad files, a diverged
 * run) print what was wrong and how to fix it, without a stack trace; set GRADSPARK_DEBUG=1 to see
 * one.
 */
@Command(name = "gradspark", mixinStandardHelpOptions = true, version = "gradspark 0.1.0",
    description = "Data-parallel training of feed-forward neural networks on Apache Spark.",
    subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class,
        ExportCommand.class, GradcheckCommand.class, BenchCommand.class, RepeatCommand.class,
        SweepCommand.class, ReportCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Run 'gradspark COMMAND --help' for a command's options. "
        + "Settings: src/main/resources/reference.conf and the README."})
public final class Main implements Runnable {
  /** Held strongly: java.util.logging keeps only weak references, and would forget the level. */
  private static final java.util.logging.Logger NETLIB_LOG =
      java.util.logging.Logger.getLogger("dev.ludovic.netlib");

  /** Exit code for bad input or settings: nothing was written. */
  public static final int BAD_INPUT = 2;
  /** Exit code for a run that diverged (the last good model was written). */
  public static final int DIVERGED = 3;
  /** Exit code of gradcheck when a difference is above its tolerance. */
  public static final int CHECK_FAILED = 4;

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    // netlib reports each BLAS it could not load through java.util.logging; which one it did load
    // is in summary.json ("blas"), so those lines are noise for users.
    NETLIB_LOG.setLevel(java.util.logging.Level.SEVERE);
    Signals.install();
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code (what main exits with). */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setParameterExceptionHandler((ex, a) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println("error: " + ex.getMessage());
      List<String> near = ex instanceof CommandLine.UnmatchedArgumentException u
          ? u.getSuggestions() : List.of();
      if (!near.isEmpty()) {
        err.println("hint: did you mean '" + near.get(0) + "'? run '"
            + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the "
            + (ex.getCommandLine().getSubcommands().isEmpty() ? "options" : "commands"));
        return BAD_INPUT;
      }
      err.println("hint: run '" + ex.getCommandLine().getCommandSpec().qualifiedName()
          + " --help' for the options");
      return BAD_INPUT;
    });
    cli.setExecutionExceptionHandler((ex, c, parsed) -> {
      PrintWriter err = c.getErr();
      if (Signals.received() != null) {
        // a signal stops the JVM: what failed meanwhile is its consequence (the shutdown hook
        // says where the run stands)
        return Signals.exitCode();
      }
      GradsparkException g = GradsparkException.find(ex);
      if (System.getenv("GRADSPARK_DEBUG") != null) {
        ex.printStackTrace(err);
      }
      if (g == null) {
        err.println("internal error: " + ex);
        err.println("hint: this is a bug in gradspark; rerun with GRADSPARK_DEBUG=1 for the "
            + "stack trace and report it");
        return 1;
      }
      err.println("error: " + g.getMessage());
      if (g.hint() != null) {
        err.println("hint: " + g.hint());
      }
      return g instanceof DivergedException ? DIVERGED : BAD_INPUT;
    });
    cli.setExecutionStrategy(parsed -> {
      if (CommandLine.printHelpIfRequested(parsed)) {
        return CommandLine.ExitCode.OK;
      }
      String problem = javaProblem(Runtime.version().feature(),
          System.getProperty("java.security.manager"));
      if (problem != null) {
        PrintWriter err = cli.getErr();
        err.println("error: " + problem + " (this JVM: " + System.getProperty("java.home") + ")");
        err.println("hint: run on Java 17 or 21: put its bin directory first on PATH "
            + "(submit/gradspark) or set JAVA_HOME (spark-submit)");
        return BAD_INPUT;
      }
      return new CommandLine.RunLast().execute(parsed);
    });
    return cli.execute(args);
  }

  /**
   * Why a command cannot run on Java {@code feature}, or null when it can. Spark 4.1's Hadoop
   * client asks for the caller's {@code Subject} ({@code Subject.getSubject}) to open any file
   * and to start Spark: Java 23 refuses that unless the JVM runs with
   * {@code -Djava.security.manager=allow}, and Java 24 and later always do, so every command would
   * fail on its first file with a message that does not say why.
   */
  static String javaProblem(int feature, String securityManager) {
    if (feature < 23 || feature == 23 && "allow".equals(securityManager)) {
      return null;
    }
    return "Java " + feature + " cannot run Spark 4.1's Hadoop client, which every command "
        + "uses to open files and start Spark: it calls Subject.getSubject, which Java 23 refuses "
        + "unless -Djava.security.manager=allow and Java 24 and later always refuse";
  }
}
