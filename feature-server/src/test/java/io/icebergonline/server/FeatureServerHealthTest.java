package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.GenericUpserts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.Predicate;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /health} and the views' tables over the server's life: a missing table takes only its
 * view out (503 naming it, health 200 and saying which), a table created later is served, one
 * dropped while open is noticed and one replaced is read anew, all without a restart.
 */
class FeatureServerHealthTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  /** Long enough for several table checks on a loaded machine; the waits end as soon as the state is seen. */
  private static final Duration PATIENCE = Duration.ofSeconds(90);

  @TempDir
  Path warehouse;

  @Test
  void aMissingDroppedOrReplacedTableTakesOnlyItsViewOutAndIsPickedUpWithoutARestart() throws Exception {
    JobConfig job = JobConfigParser.parse(String.join("\n",
        "online_store: { type: iceberg, catalog_type: hadoop, warehouse: \"" + warehouse.toUri() + "\" }",
        "kafka: { bootstrap_servers: \"127.0.0.1:9\" }",
        "dead_letter_topic: dead-letters",
        "feature_views:",
        "  - { name: present, topic: a, entities: [ { name: id, type: INT64 } ], features: [ { name: x, type: INT64 } ] }",
        "  - { name: later, topic: b, entities: [ { name: id, type: INT64 } ], features: [ { name: y, type: INT64 } ] }",
        ""), name -> null);
    Catalog catalog = IcebergCatalogs.load(job.onlineStore());
    write(catalog, job, "present", "x", 1);

    try (FeatureServer server = FeatureServer.start(job, FeatureServerConfig.DEFAULTS.withPort(0))) {
      String base = "http://127.0.0.1:" + server.port();

      HttpResponse<String> health = get(base + "/health");
      assertThat(health.statusCode()).isEqualTo(200);
      JsonNode state = JSON.readTree(health.body());
      assertThat(state.path("status").asText()).isEqualTo("degraded");
      assertThat(state.at("/feature_views/present/status").asText()).isEqualTo("serving");
      assertThat(state.at("/feature_views/later/status").asText()).isEqualTo("unavailable");
      assertThat(state.at("/feature_views/later/reason").asText()).contains("feast_online.later");
      HttpResponse<String> missing = read(base, "later:y");
      assertThat(missing.statusCode()).isEqualTo(503);
      assertThat(FeastClientError.read(missing.body()).message()).contains("feast_online.later");
      assertThat(value(read(base, "present:x"))).isEqualTo(1);

      write(catalog, job, "later", "y", 2);
      awaitHealth(base, body -> body.path("status").asText().equals("ok"));
      assertThat(value(read(base, "later:y"))).isEqualTo(2);

      catalog.dropTable(OnlineTables.identifier(job.onlineStore().namespace(), "present"), true);
      awaitHealth(base, body -> body.at("/feature_views/present/reason").asText().contains("was dropped"));
      HttpResponse<String> dropped = read(base, "present:x");
      assertThat(dropped.statusCode()).isEqualTo(503);
      assertThat(FeastClientError.read(dropped.body()).message()).contains("feast_online.present");
      assertThat(value(read(base, "later:y"))).isEqualTo(2);

      write(catalog, job, "present", "x", 3);
      awaitHealth(base, body -> body.path("status").asText().equals("ok"));
      assertThat(value(read(base, "present:x"))).isEqualTo(3);

      // replaced while open: dropped and created again between two checks
      catalog.dropTable(OnlineTables.identifier(job.onlineStore().namespace(), "later"), true);
      write(catalog, job, "later", "y", 4);
      long deadline = System.nanoTime() + PATIENCE.toNanos();
      HttpResponse<String> replaced = read(base, "later:y");
      while (!(replaced.statusCode() == 200 && value(replaced) == 4) && System.nanoTime() < deadline) {
        Thread.sleep(100); // poll interval; the loop ends on the answer
        replaced = read(base, "later:y");
      }
      assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
      assertThat(value(replaced)).isEqualTo(4);
    }
  }

  private static void write(Catalog catalog, JobConfig job, String viewName, String feature, long value) {
    FeatureViewSpec view = job.featureView(viewName).orElseThrow();
    Table table = OnlineTables.createOrVerify(catalog, job.onlineStore().namespace(), view);
    GenericUpserts writer = new GenericUpserts(table, OnlineTableLayout.of(view).equalityColumns());
    Record row = writer.newRow();
    row.setField("id", 7L);
    row.setField(feature, value);
    row.setField("event_timestamp", OffsetDateTime.ofInstant(Instant.now(), ZoneOffset.UTC));
    writer.upsert(List.of(row));
  }

  private static HttpResponse<String> read(String base, String feature) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/get-online-features"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"features\": [\"" + feature + "\"], \"entities\": {\"id\": [7]}}"))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static long value(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body()).at("/results/1/values/0").asLong();
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void awaitHealth(String base, Predicate<JsonNode> condition) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    JsonNode body = JSON.readTree(get(base + "/health").body());
    while (!condition.test(body) && System.nanoTime() < deadline) {
      Thread.sleep(100); // poll interval; the loop ends on the state
      body = JSON.readTree(get(base + "/health").body());
    }
    assertThat(condition.test(body)).as(body.toString()).isTrue();
  }
}
