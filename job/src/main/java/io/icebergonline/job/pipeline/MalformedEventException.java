package io.icebergonline.job.pipeline;

/** A record that cannot become a feature row; the message is the reason recorded in the dead-letter topic. */
public class MalformedEventException extends Exception {
  private static final long serialVersionUID = 1L;

  public MalformedEventException(String reason) {
    super(reason, null, false, false);
  }
}
