package io.icebergonline.job.sql;

/** A SQL script that cannot run; the message names the script, the statement and its line. */
public final class SqlScriptException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  SqlScriptException(String message) {
    super(message);
  }

  SqlScriptException(String message, Throwable cause) {
    super(message, cause);
  }
}
