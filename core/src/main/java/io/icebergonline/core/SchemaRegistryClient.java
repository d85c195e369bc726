package io.icebergonline.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writer schemas by id from a schema registry's Confluent REST API ({@code GET
 * /schemas/ids/{id}}), each fetched once and cached for good (a registered schema never
 * changes). An id the registry does not know is reported as absent; a registry that cannot be
 * reached is retried with backoff and then fails loudly ({@link RegistryUnavailableException}),
 * never taken for an unknown id, so good records are not dead-lettered because the registry blinked.
 * Credentials are sent, never logged.
 */
public final class SchemaRegistryClient {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Waits between attempts: about a minute in all before the registry counts as down. */
  private static final Duration[] BACKOFF = {Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
      Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(16), Duration.ofSeconds(30)};

  /** The registry did not answer, or answered with a server error, through every retry. */
  public static final class RegistryUnavailableException extends RuntimeException {
    RegistryUnavailableException(String message) {
      super(message);
    }
  }

  /** A registered schema: its type ({@code AVRO} when the registry leaves it out) and text. */
  public record RegisteredSchema(int id, String type, String schema) {}

  /** One client per registry config in a JVM (a TaskManager), so its subtasks fetch each id once between them. */
  private static final Map<SchemaRegistryConfig, SchemaRegistryClient> SHARED = new ConcurrentHashMap<>();

  private final SchemaRegistryConfig config;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final Map<Integer, Optional<RegisteredSchema>> byId = new ConcurrentHashMap<>();
  /** How long the latest version of a subject is taken as the latest (a newly registered one is used after that). */
  private static final Duration LATEST_FOR = Duration.ofMinutes(5);
  private final Map<String, Latest> latestBySubject = new ConcurrentHashMap<>();

  private record Latest(Optional<RegisteredSchema> schema, long fetchedNanos) {}

  private SchemaRegistryClient(SchemaRegistryConfig config) {
    this.config = config;
  }

  /** The client of this JVM for {@code config}. */
  public static SchemaRegistryClient of(SchemaRegistryConfig config) {
    return SHARED.computeIfAbsent(config, SchemaRegistryClient::new);
  }

  /** The schema registered under {@code id}, or empty when the registry has none (its 404). */
  public Optional<RegisteredSchema> schema(int id) {
    return byId.computeIfAbsent(id, this::fetch);
  }

  /**
   * The latest version of {@code subject} ({@code GET /subjects/{subject}/versions/latest}), or
   * empty when the registry has no such subject; looked up again after {@link #LATEST_FOR}.
   */
  public Optional<RegisteredSchema> latest(String subject) {
    Latest known = latestBySubject.get(subject);
    if (known != null && System.nanoTime() - known.fetchedNanos() < LATEST_FOR.toNanos()) {
      return known.schema();
    }
    String path = "/subjects/" + java.net.URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20")
        + "/versions/latest";
    Optional<RegisteredSchema> fetched = get(path, "the latest schema of subject " + subject, -1);
    latestBySubject.put(subject, new Latest(fetched, System.nanoTime()));
    return fetched;
  }

  private Optional<RegisteredSchema> fetch(int id) {
    return get("/schemas/ids/" + id, "schema id " + id, id);
  }

  /** {@code id}: the id asked for, or -1 when the answer carries it. */
  private Optional<RegisteredSchema> get(String path, String what, int id) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(config.url() + path))
        .timeout(Duration.ofSeconds(30)).header("Accept", "application/vnd.schemaregistry.v1+json, application/json");
    if (config.basicAuthUserInfo() != null) {
      request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
          config.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8)));
    } else if (config.bearerToken() != null) {
      request.header("Authorization", "Bearer " + config.bearerToken());
    }
    String problem = null;
    for (int attempt = 0; attempt <= BACKOFF.length; attempt++) {
      if (attempt > 0) {
        LOG.warn("Schema registry {}: fetching {} failed ({}); attempt {} of {} in {}", config.url(), what,
            problem, attempt + 1, BACKOFF.length + 1, BACKOFF[attempt - 1]);
        sleep(BACKOFF[attempt - 1]);
      }
      HttpResponse<String> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        problem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RegistryUnavailableException("interrupted while fetching " + what + " from " + config.url());
      }
      if (response.statusCode() == 404) {
        return Optional.empty();
      }
      if (response.statusCode() == 401 || response.statusCode() == 403) {
        throw new RegistryUnavailableException("schema registry " + config.url() + " refused the credentials ("
            + response.statusCode() + ") fetching " + what);
      }
      if (response.statusCode() != 200) {
        problem = "HTTP " + response.statusCode();
        continue;
      }
      try {
        JsonNode body = JSON.readTree(response.body());
        String type = body.path("schemaType").asText("AVRO");
        int schemaId = id >= 0 ? id : body.path("id").asInt(-1);
        LOG.info("Schema registry {}: {} ({}, id {}) fetched", config.url(), what, type, schemaId);
        return Optional.of(new RegisteredSchema(schemaId, type, body.path("schema").asText()));
      } catch (IOException e) {
        problem = "an answer that is not the registry's JSON";
      }
    }
    throw new RegistryUnavailableException("schema registry " + config.url() + " did not answer for " + what
        + " after " + (BACKOFF.length + 1) + " attempts (last: " + problem + ")");
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryUnavailableException("interrupted while waiting to retry the schema registry");
    }
  }
}
