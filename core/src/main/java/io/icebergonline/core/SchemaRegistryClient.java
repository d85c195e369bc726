package io.icebergonline.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writer schemas by id from a schema registry's Confluent REST API ({@code GET
 * /schemas/ids/{id}}), each fetched once and cached for good (a registered schema never
 * changes). Protobuf schemas are asked for with {@code format=serialized} (a base64 {@code
 * FileDescriptorProto}, which Confluent Schema Registry and Redpanda 25.2+ serve), so no
 * {@code .proto} parser is needed; the files they import come the same way through their
 * references. An id the registry does not know is reported as absent, and asked for again after
 * {@link #UNKNOWN_FOR} (a registry replica learns a newly registered schema a little after the
 * producer that registered it got its id); a registry that cannot be
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

  /**
   * A registered schema: its type ({@code AVRO} when the registry leaves it out), text (for
   * Protobuf the base64 {@code FileDescriptorProto}) and the schemas it imports.
   */
  public record RegisteredSchema(int id, String type, String schema, List<Reference> references) {}

  /** An import of a schema: the name it is imported by and the subject version that holds it. */
  public record Reference(String name, String subject, int version) {}

  /** One client per registry config in a JVM (a TaskManager), so its subtasks fetch each id once between them. */
  private static final Map<SchemaRegistryConfig, SchemaRegistryClient> SHARED = new ConcurrentHashMap<>();

  private final SchemaRegistryConfig config;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  /** How long an id (or version) the registry did not know is taken as unknown before it is asked for again. */
  static final Duration UNKNOWN_FOR = Duration.ofSeconds(10);
  private final Map<Integer, Fetched> byId = new ConcurrentHashMap<>();
  private final Map<Integer, Fetched> protobufById = new ConcurrentHashMap<>();
  private final Map<Reference, Fetched> protobufByVersion = new ConcurrentHashMap<>();
  /** How long the latest version of a subject is taken as the latest (a newly registered one is used after that). */
  private static final Duration LATEST_FOR = Duration.ofMinutes(5);
  private final Map<String, Latest> latestBySubject = new ConcurrentHashMap<>();

  private record Latest(Optional<RegisteredSchema> schema, long fetchedNanos) {}

  /** A registry's answer for an id or version: a schema, kept for good, or none, kept for {@link #UNKNOWN_FOR}. */
  private record Fetched(Optional<RegisteredSchema> schema, long fetchedNanos) {}

  private final LongSupplier nanoTime;

  private SchemaRegistryClient(SchemaRegistryConfig config) {
    this(config, System::nanoTime);
  }

  /** A client of its own (not shared in the JVM) reading time from {@code nanoTime}. */
  SchemaRegistryClient(SchemaRegistryConfig config, LongSupplier nanoTime) {
    this.config = config;
    this.nanoTime = nanoTime;
  }

  /** The client of this JVM for {@code config}. */
  public static SchemaRegistryClient of(SchemaRegistryConfig config) {
    return SHARED.computeIfAbsent(config, SchemaRegistryClient::new);
  }

  /** The schema registered under {@code id}, or empty when the registry has none (its 404). */
  public Optional<RegisteredSchema> schema(int id) {
    return cached(byId, id, () -> get("/schemas/ids/" + id, "schema id " + id, id, false));
  }

  /**
   * The schema registered under {@code id}, a Protobuf one serialized (asked for again in that
   * form once its type is known: a registry may refuse the form for other types); empty when the
   * registry has none.
   */
  public Optional<RegisteredSchema> protobufSchema(int id) {
    Optional<RegisteredSchema> schema = schema(id);
    if (schema.isEmpty() || !schema.get().type().equals("PROTOBUF")) {
      return schema;
    }
    return cached(protobufById, id, () -> get("/schemas/ids/" + id + "?format=serialized", "schema id " + id, id,
        true));
  }

  /** The Protobuf schema an import refers to, serialized; empty when the registry has none. */
  public Optional<RegisteredSchema> protobufSchema(Reference reference) {
    return cached(protobufByVersion, reference, () -> get(subjectPath(reference.subject()) + "/versions/"
        + reference.version() + "?format=serialized", "version " + reference.version() + " of subject "
        + reference.subject(), -1, true));
  }

  /** The cached answer for {@code key}, fetched when there is none yet or when "unknown" has grown stale. */
  private <K> Optional<RegisteredSchema> cached(Map<K, Fetched> cache, K key, Supplier<Optional<RegisteredSchema>> fetch) {
    Fetched known = cache.get(key);
    if (known != null && (known.schema().isPresent() || nanoTime.getAsLong() - known.fetchedNanos()
        < UNKNOWN_FOR.toNanos())) {
      return known.schema();
    }
    // one fetch per key at a time; a thread that waited for another's fresh answer takes it
    return cache.compute(key, (k, current) -> current != null && current != known ? current
        : new Fetched(fetch.get(), nanoTime.getAsLong())).schema();
  }

  /**
   * The latest version of {@code subject} ({@code GET /subjects/{subject}/versions/latest}), or
   * empty when the registry has no such subject; looked up again after {@link #LATEST_FOR}. With
   * {@code protobuf}, a Protobuf schema comes serialized, asked for by its id once the plain
   * answer said its type (as {@link #protobufSchema(int)} does: a registry may refuse the
   * serialized form of other types, and a subject of another type is then just that type).
   */
  public Optional<RegisteredSchema> latest(String subject, boolean protobuf) {
    Latest known = latestBySubject.get(subject);
    Optional<RegisteredSchema> latest;
    if (known != null && nanoTime.getAsLong() - known.fetchedNanos() < LATEST_FOR.toNanos()) {
      latest = known.schema();
    } else {
      latest = get(subjectPath(subject) + "/versions/latest", "the latest schema of subject " + subject, -1, false);
      latestBySubject.put(subject, new Latest(latest, nanoTime.getAsLong()));
    }
    if (protobuf && latest.isPresent() && latest.get().type().equals("PROTOBUF")) {
      return protobufSchema(latest.get().id());
    }
    return latest;
  }

  private static String subjectPath(String subject) {
    return "/subjects/" + java.net.URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /**
   * {@code id}: the id asked for, or -1 when the answer carries it; {@code serialized}: a
   * Protobuf schema was asked for in its serialized form, which a registry that does not serve it
   * makes a failure at once rather than a schema nothing can read.
   */
  private Optional<RegisteredSchema> get(String path, String what, int id, boolean serialized) {
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
      if (serialized && (response.statusCode() == 501 || response.statusCode() == 422)) {
        throw notSerialized(what, "answered HTTP " + response.statusCode());
      }
      if (response.statusCode() != 200) {
        problem = "HTTP " + response.statusCode();
        continue;
      }
      JsonNode body;
      try {
        body = JSON.readTree(response.body());
      } catch (IOException e) {
        problem = "an answer that is not the registry's JSON";
        continue;
      }
      String type = body.path("schemaType").asText("AVRO");
      int schemaId = id >= 0 ? id : body.path("id").asInt(-1);
      String schema = body.path("schema").asText();
      if (serialized && type.equals("PROTOBUF") && !isSerializedFile(schema)) {
        throw notSerialized(what, "sent it as .proto text");
      }
      List<Reference> references = new ArrayList<>();
      for (JsonNode reference : body.path("references")) {
        references.add(new Reference(reference.path("name").asText(), reference.path("subject").asText(),
            reference.path("version").asInt()));
      }
      LOG.info("Schema registry {}: {} ({}, id {}) fetched", config.url(), what, type, schemaId);
      return Optional.of(new RegisteredSchema(schemaId, type, schema, List.copyOf(references)));
    }
    throw new RegistryUnavailableException("schema registry " + config.url() + " did not answer for " + what
        + " after " + (BACKOFF.length + 1) + " attempts (last: " + problem + ")");
  }

  private static boolean isSerializedFile(String schema) {
    try {
      FileDescriptorProto.parseFrom(Base64.getDecoder().decode(schema));
      return true;
    } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
      return false;
    }
  }

  private RegistryUnavailableException notSerialized(String what, String how) {
    return new RegistryUnavailableException("schema registry " + config.url() + " was asked for " + what
        + " as a serialized Protobuf descriptor (format=serialized) and " + how + "; this job reads Protobuf schemas "
        + "only in that form, which Confluent Schema Registry and Redpanda 25.2 or later serve");
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
