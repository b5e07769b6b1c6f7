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
    return cli.execute(args);
  }
}
