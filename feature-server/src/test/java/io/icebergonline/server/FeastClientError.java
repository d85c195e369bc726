package io.icebergonline.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An error answer as Feast's client reads it ({@code sdk/python/feast/rest_error_handler.py} and
 * {@code errors.py} at v0.63.0 and v0.66.0, the same code): {@code response.json()} (so the body
 * must be JSON, or the client fails on it), then {@code FeastError.from_error_detail}, which
 * {@code json.loads} that value and, when it holds {@code module}, {@code class} and {@code
 * message}, raises that class of {@code feast.errors} with the message; otherwise the remote
 * store raises {@code RuntimeError} with the status and the body's text.
 *
 * @param feastClass the FeastError class the client raises, null for its RuntimeError
 * @param message the message the client shows: the error detail's, else what the body says
 */
record FeastClientError(String feastClass, String message) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static FeastClientError read(String body) {
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException("Feast's client fails on an error body that is not JSON: " + body, e);
    }
    if (json.isTextual()) {
      try {
        JsonNode detail = JSON.readTree(json.textValue());
        if (detail != null && detail.isObject() && detail.has("module") && detail.has("class")
            && detail.has("message")) {
          if (!detail.get("module").asText().equals("feast.errors")) {
            throw new AssertionError("not a class of feast.errors: " + detail);
          }
          return new FeastClientError(detail.get("class").asText(), detail.get("message").asText());
        }
      } catch (IOException e) {
        // not an error detail: json.loads fails and the client raises RuntimeError
      }
      return new FeastClientError(null, json.textValue());
    }
    JsonNode detail = json.path("detail");
    if (detail.isTextual()) {
      return new FeastClientError(null, detail.textValue());
    }
    List<String> errors = new ArrayList<>();
    for (JsonNode error : detail) {
      List<String> loc = new ArrayList<>();
      error.path("loc").forEach(step -> loc.add(step.asText()));
      errors.add(String.join(".", loc) + ": " + error.path("msg").asText());
    }
    if (errors.isEmpty()) {
      throw new AssertionError("an error body in no shape of Feast's server: " + body);
    }
    return new FeastClientError(null, String.join("; ", errors));
  }
}
