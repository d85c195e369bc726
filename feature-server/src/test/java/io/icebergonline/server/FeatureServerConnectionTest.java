package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.GenericUpserts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections over the server's life: a stop (a pod's SIGTERM) refuses new connections but answers
 * the requests already in flight; a client that goes away mid-body is its own fault, not a 500.
 */
class FeatureServerConnectionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  /** More than the 200 threads of Jetty's default pool, which a blocking read would each hold. */
  private static final int SLOW_CLIENTS = 250;

  @TempDir
  Path warehouse;

  private JobConfig job() {
    return JobConfigParser.parse(String.join("\n",
        "online_store: { type: iceberg, catalog_type: hadoop, warehouse: \"" + warehouse.toUri() + "\" }",
        "kafka: { bootstrap_servers: \"127.0.0.1:9\" }",
        "dead_letter_topic: dead-letters",
        "feature_views:",
        "  - { name: v, topic: a, entities: [ { name: id, type: INT64 } ], features: [ { name: x, type: INT64 } ] }",
        ""), name -> null);
  }

  @Test
  void aClientThatClosesMidBodyIsCountedAsA400AndNeverAs500() throws Exception {
    try (FeatureServer server = FeatureServer.start(job(), FeatureServerConfig.DEFAULTS.withPort(0))) {
      try (RawConnection connection = new RawConnection(server.port())) {
        connection.sendHead("POST", "/get-online-features", 1_000);
        connection.sendPart("{\"features\": [".getBytes(StandardCharsets.UTF_8));
        await(() -> server.requestsInFlight() == 1);
      }
      String counted = "feature_server_requests_total{endpoint=\"/get-online-features\",status=\"400\"} 1.0";
      await(() -> metrics(server).contains(counted));
      assertThat(metrics(server)).doesNotContain("status=\"500\"");
    }
  }

  /**
   * Clients that send their body a byte at a time, more of them than the server has threads, hold
   * no thread while they send: {@code /health} and other clients are answered meanwhile, and each
   * slow body gets a 408 closing its connection once {@code request_timeout} has passed.
   */
  @Test
  void slowBodiesHoldNoThreadAndEndInA408AtTheRequestTimeout() throws Exception {
    JobConfig job = job();
    OnlineTables.createOrVerify(IcebergCatalogs.load(job.onlineStore()), job.onlineStore().namespace(),
        job.featureView("v").orElseThrow());
    List<RawConnection> slow = new ArrayList<>();
    try (FeatureServer server = FeatureServer.start(job, FeatureServerConfig.DEFAULTS.withPort(0))) {
      try {
        for (int i = 0; i < SLOW_CLIENTS; i++) {
          RawConnection connection = new RawConnection(server.port());
          slow.add(connection);
          connection.sendHead("POST", "/get-online-features", 1_000);
          connection.sendPart("{".getBytes(StandardCharsets.UTF_8));
        }
        await(() -> server.requestsInFlight() == SLOW_CLIENTS);

        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + server.port() + "/health")).timeout(PATIENCE).build(),
            HttpResponse.BodyHandlers.ofString());

        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        for (RawConnection connection : slow) {
          assertThat(connection.quiet()).as("a slow body is still being waited for").isTrue();
        }
      } finally {
        for (RawConnection connection : slow) {
          connection.close();
        }
      }
    }

    FeatureServerConfig impatient = new FeatureServerConfig(0, null, null, FeatureServerConfig.DEFAULT_MAX_BODY_BYTES,
        FeatureServerConfig.DEFAULT_MAX_ENTITIES, Duration.ofSeconds(1), null,
        FeatureServerConfig.DEFAULT_INDEX_MAX_BYTES, FeatureServerConfig.Writes.DEFAULTS);
    try (FeatureServer server = FeatureServer.start(job, impatient);
        RawConnection connection = new RawConnection(server.port())) {
      connection.sendHead("POST", "/get-online-features", 1_000);
      connection.sendPart("{".getBytes(StandardCharsets.UTF_8));

      RawConnection.Answer answer = connection.answer();

      assertThat(answer.status()).isEqualTo(408);
      assertThat(answer.header("connection")).isEqualTo("close");
      assertThat(new String(answer.body(), StandardCharsets.UTF_8))
          .contains("did not arrive within the server's request_timeout of PT1S");
      assertThat(connection.closedByServer()).isTrue();
      assertThat(metrics(server)).contains("status=\"408\"").doesNotContain("status=\"500\"");
    }
  }

  private static String metrics(FeatureServer server) {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
          + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aRequestInFlightWhenTheServerStopsIsAnsweredWhole() throws Exception {
    JobConfig job = job();
    FeatureViewSpec view = job.featureView("v").orElseThrow();
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(job.onlineStore()), job.onlineStore().namespace(),
        view);
    GenericUpserts writer = new GenericUpserts(table, OnlineTableLayout.of(view).equalityColumns());
    Record row = writer.newRow();
    row.setField("id", 7L);
    row.setField("x", 42L);
    row.setField("event_timestamp", OffsetDateTime.ofInstant(Instant.now(), ZoneOffset.UTC));
    writer.upsert(List.of(row));

    FeatureServer server = FeatureServer.start(job, FeatureServerConfig.DEFAULTS.withPort(0));
    int port = server.port();
    byte[] body = "{\"features\": [\"v:x\"], \"entities\": {\"id\": [7]}}".getBytes(StandardCharsets.UTF_8);
    try (RawConnection connection = new RawConnection(port)) {
      connection.sendHead("POST", "/get-online-features", body.length);
      connection.sendPart(Arrays.copyOf(body, 10));
      await(() -> server.requestsInFlight() == 1);

      CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
        try {
          server.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      await(() -> !accepts(port));
      assertThat(stopped).as("the stop waits for the request in flight").isNotDone();

      connection.sendPart(Arrays.copyOfRange(body, 10, body.length));
      RawConnection.Answer answer = connection.answer();

      assertThat(answer.status()).isEqualTo(200);
      assertThat(JSON.readTree(answer.body()).at("/results/1/values/0").asLong()).isEqualTo(42);
      stopped.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20); // poll interval; the loop ends on the condition
    }
    assertThat(condition.getAsBoolean()).isTrue();
  }
}
