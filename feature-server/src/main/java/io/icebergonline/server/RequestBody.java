package io.icebergonline.server;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * One request's body, read as the client sends it without holding a thread while it waits (a few
 * hundred clients sending a byte a second would otherwise hold every thread of the server, and
 * {@code /health} with them), and bounded in size and time:
 * <ul>
 *   <li>read whole for the endpoint, up to the endpoint's size limit; past it, a 413;
 *   <li>for a request answered without its body (401, 404, 405, 413), read to its end and dropped,
 *       up to {@link #DRAIN_BEYOND_LIMIT} past the limit, so a keep-alive client (Feast's
 *       {@code requests.Session}) can send its next request on the connection and read the answer
 *       at all: a server that closes a connection with unread bytes in it resets it, and the reset
 *       discards the answer the client had not read yet;
 *   <li>a body that has not arrived within the endpoint's timeout is answered 408, a client gone
 *       mid-body 400: the client's doing, answered as such, never logged as a failure of the server.
 * </ul>
 * A body that did not end within these bounds is not read further, and {@link Result#ended()} says
 * that the answer has to close the connection.
 */
final class RequestBody {
  /** How far past the limit a refused body is still read and dropped. */
  static final long DRAIN_BEYOND_LIMIT = 8L * 1024 * 1024;
  /** The buffer a body starts in, grown by doubling as it arrives. */
  private static final int INITIAL_BUFFER = 64 * 1024;

  /**
   * The body whole ({@code bytes}), or the refusal to answer ({@code refusal}); {@code ended} when
   * the body was read to its end, so the connection can stay open.
   */
  record Result(byte[] bytes, RequestException refusal, boolean ended) {}

  /** An endpoint's bounds, with the config keys that set them (named in a 413 or 408). */
  record Bounds(long limit, String limitKey, Duration timeout, String timeoutKey) {}

  private final Request request;
  private final long limit;
  private final Bounds bounds;
  private final AtomicBoolean finished = new AtomicBoolean();
  private Consumer<Result> then;
  private RequestException refusal;
  private volatile Scheduler.Task timeout;
  private byte[] collected;
  private int size;
  private volatile long bytesRead;

  RequestBody(Request request, Bounds bounds) {
    this.request = request;
    this.limit = bounds.limit();
    this.bounds = bounds;
  }

  /**
   * Reads the body, then calls {@code then} once, on the thread that read its end (or found it
   * late): with the body, or with {@code refusal} (null: the body is wanted) or the body's own.
   */
  void read(RequestException refusalBeforeBody, Consumer<Result> then) {
    this.then = then;
    this.refusal = refusalBeforeBody;
    long declared = request.getLength();
    if (refusal == null && declared > limit) {
      refusal = tooLarge(declared);
    }
    if (refusal != null && declared > limit + DRAIN_BEYOND_LIMIT) {
      finish(new Result(null, refusal, false));
      return;
    }
    if (refusal == null) {
      // grown as bytes arrive: a Content-Length alone (up to max_write_body_size) must not take that much memory
      collected = new byte[(int) Math.min(declared >= 0 ? declared : INITIAL_BUFFER, INITIAL_BUFFER)];
    }
    onContent();
  }

  private void onContent() {
    while (!finished.get()) {
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        if (timeout == null) {
          // the clock starts only for a body that has to be waited for: most arrive with their headers
          long millis = Math.max(1, bounds.timeout().toMillis());
          timeout = request.getComponents().getScheduler().schedule(() -> finish(new Result(null,
              new RequestException(408, "the request body did not arrive within the server's " + bounds.timeoutKey()
                  + " of " + bounds.timeout() + " (" + bytesRead + " bytes came)"), false)), millis,
              TimeUnit.MILLISECONDS);
        }
        request.demand(this::onContent);
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        if (refusal == null) {
          refusal = new RequestException(400, "the request body ended early: the client closed the connection ("
              + chunk.getFailure().getClass().getSimpleName() + ")");
        }
        finish(new Result(null, refusal, false));
        return;
      }
      ByteBuffer bytes = chunk.getByteBuffer();
      bytesRead += bytes.remaining();
      if (refusal == null && bytesRead > limit) {
        refusal = tooLarge(-1);
        collected = null;
      }
      if (refusal == null) {
        append(bytes);
      }
      boolean last = chunk.isLast();
      chunk.release();
      if (last) {
        finish(new Result(refusal == null ? (size == collected.length ? collected : Arrays.copyOf(collected, size)) : null,
            refusal, true));
        return;
      }
      if (refusal != null && bytesRead > limit + DRAIN_BEYOND_LIMIT) {
        finish(new Result(null, refusal, false));
        return;
      }
    }
  }

  private void append(ByteBuffer bytes) {
    int n = bytes.remaining();
    if (size + n > collected.length) {
      collected = Arrays.copyOf(collected, (int) Math.min(Math.max((long) collected.length * 2, (long) size + n), limit));
    }
    bytes.get(collected, size, n);
    size += n;
  }

  /** The first outcome wins: the body's end, its failure, or the timeout (a 408 whatever is still on its way). */
  private void finish(Result result) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    if (timeout != null) {
      timeout.cancel();
    }
    then.accept(result);
  }

  private RequestException tooLarge(long length) {
    return new RequestException(413, "request body " + (length >= 0 ? "of " + length + " bytes " : "")
        + "is larger than the server's " + bounds.limitKey() + " of " + limit + " bytes");
  }
}
