package io.icebergonline.server;

/**
 * A request the server refuses: the HTTP status and a message naming the field, view, feature,
 * key or index at fault. Rendered as a JSON error body; never carries a stack trace or a secret.
 */
final class RequestException extends RuntimeException {
  private final int status;

  RequestException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  static RequestException badRequest(String message) {
    return new RequestException(400, message);
  }

  int status() {
    return status;
  }
}
