package io.icebergonline.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A request the server refuses: the HTTP status and a message naming the field, view, feature,
 * key or index at fault, rendered in the shape Feast's own server gives the same fault, so Feast's
 * client ({@code rest_error_handler.py}, {@code FeastError.from_error_detail}) reacts as it does
 * to Feast's server:
 *
 * <ul>
 *   <li>{@link #feast}: a {@code FeastError} subclass of {@code feast.errors}, which Feast's server
 *       answers with {@code JSONResponse(content=exc.to_error_detail())}: a JSON string holding
 *       {@code {"module", "class", "message"}}; the client raises that class with the message.
 *   <li>{@link #badRequest}: a fault Feast's code raises as a plain Python exception (ValueError,
 *       KeyError, TypeError), answered {@code JSONResponse(content=str(exc))}: the message as a
 *       JSON string; the client raises RuntimeError with status and text. Feast answers those
 *       500; this server 400, since the request is at fault.
 *   <li>{@link #validation}: the request does not fit Feast's pydantic model; FastAPI's 422 {@code
 *       {"detail": [{"type", "loc", "msg"}]}}.
 *   <li>{@link #RequestException(int, String)}: HTTP-level refusals (unknown path, method, token,
 *       size, time, unreadable table) in FastAPI's {@code HTTPException} shape {@code {"detail"}}.
 * </ul>
 *
 * Never carries a stack trace or a secret.
 */
final class RequestException extends RuntimeException {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final int status;
  private final JsonNode body;

  private RequestException(int status, String message, JsonNode body) {
    super(message, null, false, false);
    this.status = status;
    this.body = body;
  }

  /** An HTTP-level refusal: {@code {"detail": message}}. */
  RequestException(int status, String message) {
    this(status, message, NODES.objectNode().put("detail", message));
  }

  /** What Feast raises as a plain Python exception: the message as a JSON string. */
  static RequestException badRequest(String message) {
    return plain(400, message);
  }

  /** A failure of the server (Feast's 500 for any exception): the message as a JSON string. */
  static RequestException internal(String message) {
    return plain(500, message);
  }

  private static RequestException plain(int status, String message) {
    return new RequestException(status, message, NODES.textNode(message));
  }

  /** What Feast raises as {@code feast.errors.<feastClass>}, answered with Feast's error detail. */
  static RequestException feast(int status, String feastClass, String message) {
    ObjectNode detail = NODES.objectNode();
    detail.put("module", "feast.errors");
    detail.put("class", feastClass);
    detail.put("message", message);
    return new RequestException(status, message, NODES.textNode(detail.toString()));
  }

  /**
   * A body that does not fit Feast's request model: FastAPI's 422, {@code loc} the path into the
   * body (field names and indexes), {@code type} pydantic's error type.
   */
  static RequestException validation(List<Object> loc, String type, String message) {
    ObjectNode error = NODES.objectNode();
    error.put("type", type);
    var path = error.putArray("loc").add("body");
    StringBuilder where = new StringBuilder();
    for (Object step : loc) {
      if (step instanceof Integer index) {
        path.add(index);
        where.append('[').append(index).append(']');
      } else {
        path.add(step.toString());
        where.append(where.isEmpty() ? "" : ".").append(step);
      }
    }
    error.put("msg", message);
    ObjectNode body = NODES.objectNode();
    body.putArray("detail").add(error);
    return new RequestException(422, (where.isEmpty() ? "body" : where) + ": " + message, body);
  }

  int status() {
    return status;
  }

  /** The answer's JSON body. */
  JsonNode body() {
    return body;
  }
}
