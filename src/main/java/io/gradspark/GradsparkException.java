package io.gradspark;

/**
 * An error the user can fix: a bad file, a bad configuration value, an impossible network, a diverged
 * run. The message says what was wrong and where; the hint says how to fix it. The command line prints
 * both (no stack trace) and exits with code 2.
 */
public class GradsparkException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String hint;

  public GradsparkException(String message) {
    this(message, null, null);
  }

  public GradsparkException(String message, String hint) {
    this(message, hint, null);
  }

  public GradsparkException(String message, String hint, Throwable cause) {
    super(message, cause);
    this.hint = hint;
  }

  /** How to fix it, or null when the message says it all. */
  public String hint() {
    return hint;
  }

  /** The first GradsparkException in the cause chain of {@code t} (Spark wraps task failures), or null. */
  public static GradsparkException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof GradsparkException g) {
        return g;
      }
    }
    return null;
  }
}
