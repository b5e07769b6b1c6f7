package io.gradspark.data;

import io.gradspark.GradsparkException;

/**
 * A bad data file or data parameter. The message names the file and the line (text formats, 1-based) or
 * record (IDX, 0-based) and says what was expected and what was found; the hint says how to fix it.
 */
public final class DataException extends GradsparkException {
  private static final long serialVersionUID = 1L;

  public DataException(String message, String hint) {
    super(message, hint);
  }

  public DataException(String message, String hint, Throwable cause) {
    super(message, hint, cause);
  }
}
