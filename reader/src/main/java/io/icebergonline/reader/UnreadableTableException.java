package io.icebergonline.reader;

/**
 * The table cannot be read as asked (missing, no key, a declared column it lacks or types
 * differently). The message names the table and the column; each adapter turns it into its own
 * error (a SQL {@code ValidationException}, an HTTP 4xx).
 */
public class UnreadableTableException extends RuntimeException {
  public UnreadableTableException(String message) {
    super(message);
  }

  public UnreadableTableException(String message, Throwable cause) {
    super(message, cause);
  }
}
