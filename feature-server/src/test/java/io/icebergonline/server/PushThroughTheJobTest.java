package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.job.pipeline.MaterializationJob;
import io.icebergonline.job.pipeline.MaterializeOptions;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The full write path through the server: rows sent to {@code /push} and {@code
 * /write-to-online-store} become events the materialization job reads, the job writes them to
 * the view's table (newest wins: an older push of the same key loses), and {@code
 * /get-online-features} then answers them.
 */
class PushThroughTheJobTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path warehouse;

  @Test
  void pushedRowsReachTheTableThroughTheJobAndAreServedNewestWins() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("driver-events", 2);
      kafka.createTopic("dead-letters", 1);
      JobConfig job = JobConfigParser.parse(String.join("\n",
          "online_store: { type: iceberg, catalog_type: hadoop, warehouse: \"" + warehouse.toUri() + "\" }",
          "kafka: { bootstrap_servers: \"" + kafka.bootstrapServers() + "\", group_id: push-test }",
          "dead_letter_topic: dead-letters",
          "feature_views:",
          FeatureEventGenerator.featureViewYaml("driver-events", 2)), name -> null);
      Instant newer = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      Instant older = newer.minusSeconds(60);

      try (FeatureServer server = FeatureServer.start(job, FeatureServerConfig.DEFAULTS.withPort(0))) {
        String base = "http://127.0.0.1:" + server.port();
        assertThat(post(base, "/push", """
            {"push_source_name": "driver_stats",
             "df": {"driver_id": [1, 2], "trips": [5, 7], "city": ["Oslo", "Riga"], "conv_rate": [0.5, null],
                    "event_timestamp": ["%s", "%s"]}}""".formatted(newer, newer)).statusCode()).isEqualTo(200);
        assertThat(post(base, "/push", """
            {"push_source_name": "driver_stats",
             "df": {"driver_id": [1], "trips": [99], "city": ["Stale"], "event_timestamp": ["%s"]}}"""
            .formatted(older)).statusCode()).isEqualTo(200);
        assertThat(post(base, "/write-to-online-store", """
            {"feature_view_name": "driver_stats", "allow_registry_cache": false,
             "df": {"driver_id": [3], "trips": [11], "city": ["Lisbon"], "conv_rate": [0.25],
                    "event_timestamp": ["%s"], "created": [null]}}""".formatted(
                newer.atOffset(ZoneOffset.UTC).toLocalDateTime())).statusCode()).isEqualTo(200);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        MaterializationJob.build(env, job, new MaterializeOptions(Path.of("unused"), true, 1, Duration.ofSeconds(1),
            MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS));
        env.execute("materialize pushed rows");

        JsonNode expected = JSON.readTree("""
            {"metadata": {"feature_names": ["driver_id", "trips", "city", "conv_rate"]},
             "results": [
              {"values": [1, 2, 3, 4], "statuses": ["PRESENT", "PRESENT", "PRESENT", "PRESENT"],
               "event_timestamps": ["%1$s", "%1$s", "%1$s", "%1$s"]},
              {"values": [5, 7, 11, null], "statuses": ["PRESENT", "PRESENT", "PRESENT", "NOT_FOUND"],
               "event_timestamps": ["%2$s", "%2$s", "%2$s", "%1$s"]},
              {"values": ["Oslo", "Riga", "Lisbon", null], "statuses": ["PRESENT", "PRESENT", "PRESENT", "NOT_FOUND"],
               "event_timestamps": ["%2$s", "%2$s", "%2$s", "%1$s"]},
              {"values": [0.5, null, 0.25, null], "statuses": ["PRESENT", "NULL_VALUE", "PRESENT", "NOT_FOUND"],
               "event_timestamps": ["%2$s", "%2$s", "%2$s", "%1$s"]}]}""".formatted(Instant.EPOCH, newer));
        String request = """
            {"features": ["driver_stats:trips", "driver_stats:city", "driver_stats:conv_rate"],
             "entities": {"driver_id": [1, 2, 3, 4]}}""";
        // the server's reader picks up the job's commits within its refresh interval
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode answer = JSON.readTree(post(base, "/get-online-features", request).body());
        while (!answer.equals(expected) && System.nanoTime() < deadline) {
          Thread.sleep(50); // poll interval, not a wait for time to pass: the loop ends on the answer
          answer = JSON.readTree(post(base, "/get-online-features", request).body());
        }
        assertThat(answer).isEqualTo(expected);
      }
    }
  }

  private static HttpResponse<String> post(String base, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }
}
