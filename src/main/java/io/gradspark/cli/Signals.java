package io.gradspark.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * Ctrl-C (SIGINT) and SIGTERM: the JVM exits with 128 + the signal's number (130, 143) after
 * running what the command registered ({@link #onSignal}): a run directory says where its newest
 * checkpoint is and removes its partial outputs and temporary files. What fails in the command's
 * own thread meanwhile (Spark stops its context in its shutdown hook) is not reported as an error,
 * and Spark's log lines and other threads' writes to stderr are silenced: the interruption is the
 * user's, not a bug.
 */
final class Signals {
  private static volatile String received;
  private static volatile int exitCode;
  private static final List<Runnable> ACTIONS = new ArrayList<>();

  private Signals() {}

  /** Installs the handlers (Main.main only: a test JVM or an embedding application keeps its own). */
  @SuppressWarnings("removal")
  static void install() {
    Thread main = Thread.currentThread();
    Thread hook = new Thread(Signals::runActions, "gradspark-signal");
    for (String name : List.of("INT", "TERM")) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
          exitCode = 128 + s.getNumber();
          received = "SIG" + s.getName();
          quiet();
          System.setErr(ownThreadsOnly(System.err, Set.of(main, hook)));
          System.exit(128 + s.getNumber());
        });
      } catch (IllegalArgumentException e) {
        // the JVM reserves the signal (e.g. -Xrs): keep its default
      }
    }
    try {
      Runtime.getRuntime().addShutdownHook(hook);
    } catch (IllegalStateException e) {
      // a signal arrived before the handlers above were in place (the JVM's default handler has
      // begun shutting down): nothing has run yet, so there is nothing to report. Without this
      // the JVM printed "IllegalStateException: Shutdown in progress" with its stack. exit blocks
      // here while the shutdown in progress ends the JVM with the signal's own exit code.
      System.exit(128 + 15);
    }
  }

  /** The signal that is stopping this JVM ("SIGINT", "SIGTERM"), or null. */
  static String received() {
    return received;
  }

  /** The exit code of the signal that is stopping this JVM (130 for SIGINT, 143 for SIGTERM). */
  static int exitCode() {
    return exitCode;
  }

  /** Stops a training whose JVM is being stopped by a signal, at its next step. */
  static void check() {
    if (received != null) {
      throw new IllegalStateException("interrupted by " + received);
    }
  }

  /** Runs action when a signal stops the JVM; closing the result unregisters it. */
  static AutoCloseable onSignal(Runnable action) {
    synchronized (ACTIONS) {
      ACTIONS.add(action);
    }
    return () -> {
      synchronized (ACTIONS) {
        ACTIONS.remove(action);
      }
    };
  }

  private static void runActions() {
    if (received == null) {
      return;
    }
    List<Runnable> todo;
    synchronized (ACTIONS) {
      todo = new ArrayList<>(ACTIONS);
    }
    for (int i = todo.size() - 1; i >= 0; i--) {
      try {
        todo.get(i).run();
      } catch (RuntimeException e) {
        System.err.println("warning: while stopping: " + e.getMessage());
      }
    }
    System.err.flush();
  }

  /**
   * err for the threads in ours only: once a signal stops the JVM, what other threads print while
   * Spark stops its context (a pool's stack trace for a task it rejects while shutting down) is
   * the consequence of the user's interruption, not news for the user.
   */
  static PrintStream ownThreadsOnly(PrintStream err, Set<Thread> ours) {
    return new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        if (ours.contains(Thread.currentThread())) {
          err.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) {
        if (ours.contains(Thread.currentThread())) {
          err.write(b, off, len);
        }
      }

      @Override
      public void flush() {
        err.flush();
      }
    }, true);
  }

  /** Spark and Netty log their own view of a stopped context: not for the user. */
  private static void quiet() {
    try {
      Configurator.setAllLevels(LogManager.ROOT_LOGGER_NAME, Level.OFF);
    } catch (RuntimeException | LinkageError e) {
      // another logging backend: leave it
    }
  }
}
