package io.icebergonline.job;

/** The job cannot start (catalog unreachable, topic missing, ...); the message says what to fix. */
public class StartupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }

  public StartupException(String message) {
    super(message);
  }
}
