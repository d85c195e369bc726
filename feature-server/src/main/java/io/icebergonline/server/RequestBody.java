package io.icebergonline.server;

import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * One request's body, bounded by the server's max_body_size: read whole for the endpoint, or, when
 * the request is answered without it (a 401, 404, 405, 413), read to its end and dropped, up to
 * {@link #DRAIN_BEYOND_LIMIT} past max_body_size. Both keep the connection usable for the client's
 * next request, and let the client read the answer at all: a server that closes a connection with
 * unread bytes in it resets it, and the reset discards the answer the client had not read yet (a
 * 2 MB body got no 413 but "header parser received no bytes", on a loaded machine). A body past the
 * drain bound is not read; {@link #drain()} then says the connection has to close.
 */
final class RequestBody {
  /** How far past max_body_size a refused body is still read and dropped. */
  static final long DRAIN_BEYOND_LIMIT = 8L * 1024 * 1024;

  private final Request request;
  private final long limit;
  private final long drainLimit;
  private InputStream in;
  private long bytesRead;
  private boolean ended;

  RequestBody(Request request, long limit) {
    this.request = request;
    this.limit = limit;
    this.drainLimit = limit + DRAIN_BEYOND_LIMIT;
  }

  /**
   * The whole body; a 413 when it is larger than the limit (by its Content-Length or as read), a
   * 400 when the client went away or stalled before sending it all (the connection's idle
   * timeout): the client's doing, answered as such, not logged as a failure of the server.
   */
  byte[] read() {
    long declared = request.getLength();
    if (declared > limit) {
      throw tooLarge(declared);
    }
    byte[] bytes;
    try {
      bytes = stream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
    } catch (IOException e) {
      throw new RequestException(400, "the request body ended early: the client closed the connection or sent "
          + "nothing for too long (" + e.getClass().getSimpleName() + ")");
    }
    bytesRead += bytes.length;
    if (bytes.length > limit) {
      throw tooLarge(-1);
    }
    ended = true;
    return bytes;
  }

  /**
   * Reads and drops what is left of the body, up to the drain bound in all; true when the body
   * ended within it, so the connection can stay open. Releases the body either way.
   */
  boolean drain() {
    try {
      if (!ended && request.getLength() <= drainLimit) {
        InputStream body = stream();
        byte[] skipped = new byte[8192];
        while (!ended && bytesRead <= drainLimit) {
          int n = body.read(skipped);
          if (n < 0) {
            ended = true;
          } else {
            bytesRead += n;
          }
        }
      }
      return ended;
    } catch (IOException e) {
      return false;
    } finally {
      closeQuietly();
    }
  }

  private InputStream stream() {
    if (in == null) {
      in = Content.Source.asInputStream(request);
    }
    return in;
  }

  private void closeQuietly() {
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        // the body failed or was cut off: the connection closes, which is what the caller asked for
      }
    }
  }

  private RequestException tooLarge(long length) {
    return new RequestException(413, "request body " + (length >= 0 ? "of " + length + " bytes " : "")
        + "is larger than the server's max_body_size of " + limit + " bytes");
  }
}
