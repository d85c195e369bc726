package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.RestCatalogOnS3;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The feature server over HTTP on real tables: Iceberg's REST catalog on the S3 mock, rows written
 * by Iceberg's own generic writers, events produced to embedded Kafka. The JSON shapes asserted
 * are those of Feast's Python SDK, read from its source (feast-dev/feast, sdk/python/feast):
 * requests as {@code infra/online_stores/remote.py} ({@code _construct_online_read_api_json_request},
 * {@code online_write_batch}) and {@code feature_server.py} ({@code GetOnlineFeaturesRequest},
 * {@code PushFeaturesRequest}) send them, answers as {@code feature_server.py} writes them
 * ({@code MessageToDict(response.proto, preserving_proto_field_name=True)} with {@code
 * proto_json.patch()}) and {@code remote.py} {@code online_read} / {@code _get_event_ts} read them.
 */
class FeatureServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  // like Feast's requests.Session: HTTP/1.1, keep-alive, one client for every request of the class
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final String DRIVER_TOPIC = "driver-events";
  private static final String CUSTOMER_TOPIC = "customer-events";
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.MILLIS);
  private static final Instant FRESH = NOW.minus(Duration.ofMinutes(5));
  private static final Instant EXPIRED = NOW.minus(Duration.ofHours(3));

  private static RestCatalogOnS3 catalog;
  private static EmbeddedKafka kafka;
  private static FeatureServer server;
  private static String base;

  static String config(RestCatalogOnS3 catalog, EmbeddedKafka kafka) {
    return String.join("\n",
        catalog.onlineStoreYaml(),
        "kafka:",
        "  bootstrap_servers: " + kafka.bootstrapServers(),
        "dead_letter_topic: dead-letters",
        "feature_views:",
        "  - name: driver_stats",
        "    topic: " + DRIVER_TOPIC,
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features:",
        "      - { name: conv_rate, type: DOUBLE }",
        "      - { name: trips, type: INT64 }",
        "      - { name: city, type: STRING }",
        "      - { name: scores, type: FLOAT_LIST }",
        "    created_timestamp_column: created",
        "    ttl: 1h",
        "    buckets: 4",
        "  - name: customer_region",
        "    topic: " + CUSTOMER_TOPIC,
        "    entities: [ { name: customer_id, type: STRING }, { name: region, type: INT32 } ]",
        "    features:",
        "      - { name: spend, type: DOUBLE }",
        "      - { name: tags, type: STRING_LIST }",
        "      - { name: avatar, type: BYTES }",
        "    buckets: 2",
        "");
  }

  @BeforeAll
  static void startServerOnWrittenTables() throws Exception {
    catalog = RestCatalogOnS3.start();
    kafka = EmbeddedKafka.start();
    kafka.createTopic(DRIVER_TOPIC, 2);
    kafka.createTopic(CUSTOMER_TOPIC, 1);
    String yaml = config(catalog, kafka);
    JobConfig job = JobConfigParser.parse(yaml, name -> null);
    Catalog client = catalog.newClient("writer");
    FeatureViewSpec driverView = job.featureView("driver_stats").orElseThrow();
    Table drivers = OnlineTables.createOrVerify(client, job.onlineStore().namespace(), driverView);
    GenericUpserts driverWriter = new GenericUpserts(drivers, OnlineTableLayout.of(driverView).equalityColumns());
    driverWriter.upsert(List.of(
        driver(drivers, 1001, 0.25, 7L, "Oslo", List.of(1.5f, 2.5f), FRESH.minusSeconds(60)),
        driver(drivers, 1002, 0.5, null, "Riga", List.of(), FRESH),
        driver(drivers, 1003, 0.75, 9L, "Lisbon", null, EXPIRED),
        driver(drivers, 1004, 0.1, 1L, "Berlin", null, FRESH)));
    driverWriter.upsert(List.of(driver(drivers, 1001, 0.3, 8L, "Oslo", Arrays.asList(3.5f, null), FRESH)));
    driverWriter.delete(List.of(driver(drivers, 1004, 0, 0L, "", null, FRESH)));

    FeatureViewSpec customerView = job.featureView("customer_region").orElseThrow();
    OnlineTableLayout customerLayout = OnlineTableLayout.of(customerView);
    Table customers = OnlineTables.createOrVerify(client, job.onlineStore().namespace(), customerView);
    GenericUpserts customerWriter = new GenericUpserts(customers, customerLayout.equalityColumns());
    Record alice = customerWriter.newRow();
    alice.setField("customer_id", "alice|eu");
    alice.setField("region", 7);
    alice.setField(OnlineTableLayout.DERIVED_KEY_COLUMN, customerLayout.keyValue(List.of("alice|eu", 7)));
    alice.setField("event_timestamp", OffsetDateTime.ofInstant(FRESH, ZoneOffset.UTC));
    alice.setField("spend", 12.5);
    alice.setField("tags", List.of("gold", "early"));
    alice.setField("avatar", ByteBuffer.wrap(new byte[] {1, 2, (byte) 255}));
    customerWriter.upsert(List.of(alice));

    server = FeatureServer.start(job, FeatureServerConfig.DEFAULTS.withPort(0));
    base = "http://127.0.0.1:" + server.port();
  }

  private static Record driver(Table table, long id, double convRate, Long trips, String city, List<Float> scores,
      Instant eventTime) {
    Record row = GenericRecord.create(table.schema());
    row.setField("driver_id", id);
    row.setField("event_timestamp", OffsetDateTime.ofInstant(eventTime, ZoneOffset.UTC));
    row.setField("conv_rate", convRate);
    row.setField("trips", trips);
    row.setField("city", city);
    row.setField("scores", scores);
    return row;
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (kafka != null) {
      kafka.close();
    }
    if (catalog != null) {
      catalog.close();
    }
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  @Test
  void presentDeletedNeverWrittenAndExpiredKeysGetFeastsStatusesValuesAndTimestamps() throws Exception {
    // the body Feast's remote online store sends (remote.py, _construct_online_read_api_json_request)
    HttpResponse<String> response = post("/get-online-features", """
        {"features": ["driver_stats:conv_rate", "driver_stats:trips", "driver_stats:scores"],
         "entities": {"driver_id": [1001, 1002, 1003, 1004, 9999, 1001]}}""");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode answer = json(response.body());
    String epoch = "1970-01-01T00:00:00Z";
    assertThat(answer).isEqualTo(json("""
        {"metadata": {"feature_names": ["driver_id", "conv_rate", "trips", "scores"]},
         "results": [
          {"values": [1001, 1002, 1003, 1004, 9999, 1001],
           "statuses": ["PRESENT", "PRESENT", "PRESENT", "PRESENT", "PRESENT", "PRESENT"],
           "event_timestamps": ["%1$s", "%1$s", "%1$s", "%1$s", "%1$s", "%1$s"]},
          {"values": [0.3, 0.5, null, null, null, 0.3],
           "statuses": ["PRESENT", "PRESENT", "OUTSIDE_MAX_AGE", "NOT_FOUND", "NOT_FOUND", "PRESENT"],
           "event_timestamps": ["%2$s", "%2$s", "%3$s", "%1$s", "%1$s", "%2$s"]},
          {"values": [8, null, null, null, null, 8],
           "statuses": ["PRESENT", "NULL_VALUE", "OUTSIDE_MAX_AGE", "NOT_FOUND", "NOT_FOUND", "PRESENT"],
           "event_timestamps": ["%2$s", "%2$s", "%3$s", "%1$s", "%1$s", "%2$s"]},
          {"values": [[3.5, null], [], null, null, null, [3.5, null]],
           "statuses": ["PRESENT", "PRESENT", "OUTSIDE_MAX_AGE", "NOT_FOUND", "NOT_FOUND", "PRESENT"],
           "event_timestamps": ["%2$s", "%2$s", "%3$s", "%1$s", "%1$s", "%2$s"]}]}
        """.formatted(epoch, FRESH, EXPIRED)));
    // what remote.py's _get_event_ts parses: results[1].event_timestamps[0], ISO with Z
    assertThat(Instant.parse(answer.at("/results/1/event_timestamps/0").asText())).isEqualTo(FRESH);
  }

  @Test
  void severalViewsCompositeKeysListsBytesAndFullFeatureNamesInOneRequest() throws Exception {
    HttpResponse<String> response = post("/get-online-features", """
        {"features": ["customer_region:tags", "driver_stats:city", "customer_region:avatar", "customer_region:spend"],
         "entities": {"customer_id": ["alice|eu", "alice|eu", "bob"], "region": [7, 8, 7],
                      "driver_id": [1001, 1001, 1003]},
         "full_feature_names": true}""");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode answer = json(response.body());
    assertThat(answer.at("/metadata/feature_names")).isEqualTo(json("""
        ["customer_id", "region", "driver_id", "customer_region__tags", "customer_region__avatar",
         "customer_region__spend", "driver_stats__city"]"""));
    assertThat(answer.at("/results/0/values")).isEqualTo(json("[\"alice|eu\", \"alice|eu\", \"bob\"]"));
    assertThat(answer.at("/results/3/values")).isEqualTo(json("[[\"gold\", \"early\"], null, null]"));
    assertThat(answer.at("/results/3/statuses")).isEqualTo(json("[\"PRESENT\", \"NOT_FOUND\", \"NOT_FOUND\"]"));
    assertThat(answer.at("/results/4/values/0").asText())
        .isEqualTo(Base64.getEncoder().encodeToString(new byte[] {1, 2, (byte) 255}));
    assertThat(answer.at("/results/5/values")).isEqualTo(json("[12.5, null, null]"));
    assertThat(answer.at("/results/6/values")).isEqualTo(json("[\"Oslo\", \"Oslo\", null]"));
    assertThat(answer.at("/results/6/statuses")).isEqualTo(json("[\"PRESENT\", \"PRESENT\", \"OUTSIDE_MAX_AGE\"]"));
  }

  @Test
  void healthAndMetricsAnswer() throws Exception {
    HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);

    post("/get-online-features", "{\"features\": [\"driver_stats:trips\"], \"entities\": {\"driver_id\": [1001]}}");
    HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("feature_server_requests_total{endpoint=\"/get-online-features\",status=\"200\"}")
        .contains("feature_server_request_duration_seconds_bucket")
        .contains("feature_server_feature_statuses_total{status=\"PRESENT\"}")
        .contains("feature_server_lookups_total");
  }

  @Test
  void pushProducesTheJobsEventsAndAnswersAfterKafkaAcknowledged() throws Exception {
    // PushFeaturesRequest (feature_server.py): push_source_name, df (columnar), to
    HttpResponse<String> response = post("/push", """
        {"push_source_name": "customer_region", "to": "online",
         "df": {"customer_id": ["carol"], "region": [3], "spend": [1.25], "tags": [["a", "b"]],
                "event_timestamp": ["2026-01-02 03:04:05.123456"]}}""");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<ConsumerRecord<byte[], byte[]>> records = kafka.readCommitted(CUSTOMER_TOPIC, Duration.ofSeconds(30));
    List<JsonNode> values = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      if (json(new String(record.key(), StandardCharsets.UTF_8)).equals(json("{\"customer_id\":\"carol\",\"region\":3}"))) {
        values.add(json(new String(record.value(), StandardCharsets.UTF_8)));
      }
    }
    assertThat(values).containsExactly(json("""
        {"customer_id": "carol", "region": 3, "spend": 1.25, "tags": ["a", "b"],
         "event_timestamp": "2026-01-02T03:04:05.123456Z"}"""));
  }

  @Test
  void writeToOnlineStoreMapsFeastsTimeColumnsToTheViews() throws Exception {
    // online_write_batch in remote.py: join keys, features, event_timestamp and created as naive UTC ISO
    HttpResponse<String> response = post("/write-to-online-store", """
        {"feature_view_name": "driver_stats", "allow_registry_cache": false,
         "df": {"driver_id": [2001, 2002], "conv_rate": [0.5, null], "trips": [3, 4], "city": ["Oslo", "Riga"],
                "scores": [[1.0], null],
                "event_timestamp": ["2026-03-01T10:00:00", "2026-03-01T10:00:01"],
                "created": ["2026-03-01T10:00:02", null]}}""");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<JsonNode> values = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : kafka.readCommitted(DRIVER_TOPIC, Duration.ofSeconds(30))) {
      JsonNode value = json(new String(record.value(), StandardCharsets.UTF_8));
      if (value.get("driver_id").asLong() >= 2001) {
        values.add(value);
      }
    }
    assertThat(values).containsExactlyInAnyOrder(
        json("""
            {"driver_id": 2001, "conv_rate": 0.5, "trips": 3, "city": "Oslo", "scores": [1.0],
             "event_timestamp": "2026-03-01T10:00:00Z", "created": "2026-03-01T10:00:02Z"}"""),
        json("""
            {"driver_id": 2002, "conv_rate": null, "trips": 4, "city": "Riga", "scores": null,
             "event_timestamp": "2026-03-01T10:00:01Z", "created": null}"""));
  }

  /**
   * Each case: path, body, the status, the FeastError class Feast's client raises (null: its
   * RuntimeError) and how the message starts. The classes are those Feast's own server answers
   * for the same request (feast/errors.py, utils.py, feature_server.py at v0.66.0).
   */
  static Stream<Arguments> badRequests() {
    String features = "\"features\": [\"driver_stats:trips\"]";
    return Stream.of(
        Arguments.of("/get-online-features", "", 422, null, "body: Field required"),
        Arguments.of("/get-online-features", "{\"features\": [", 422, null, "body: JSON decode error"),
        Arguments.of("/get-online-features", "[]", 422, null,
            "body: Input should be a valid dictionary or object to extract fields from"),
        Arguments.of("/get-online-features", "{\"entities\": {\"driver_id\": [1]}}", 400, null,
            "features: No features specified for retrieval"),
        Arguments.of("/get-online-features", "{\"features\": [], \"entities\": {\"driver_id\": [1]}}", 400, null,
            "features: No features specified for retrieval"),
        Arguments.of("/get-online-features", "{\"features\": \"driver_stats:trips\", \"entities\": {\"driver_id\": [1]}}",
            422, null, "body.features: Input should be a valid list"),
        Arguments.of("/get-online-features", "{\"features\": [7], \"entities\": {\"driver_id\": [1]}}",
            422, null, "body.features.0: Input should be a valid string"),
        Arguments.of("/get-online-features", "{\"features\": [\"trips\"], \"entities\": {\"driver_id\": [1]}}", 400, null,
            "features[0]: Invalid feature reference \"trips\""),
        Arguments.of("/get-online-features", "{\"features\": [\"nope:trips\"], \"entities\": {\"driver_id\": [1]}}",
            404, "FeatureViewNotFoundException", "features[0]: Feature view nope does not exist"),
        Arguments.of("/get-online-features",
            "{\"features\": [\"driver_stats:trips\", \"driver_stats:speed\"], \"entities\": {\"driver_id\": [1]}}",
            400, null, "features[1]: Feature speed not found in projection driver_stats; its features are [conv_rate, trips, city, scores]"),
        Arguments.of("/get-online-features",
            "{\"features\": [\"driver_stats:trips\", \"driver_stats:trips\"], \"entities\": {\"driver_id\": [1]}}",
            400, "FeatureNameCollisionError", "features[0], features[1]: Duplicate features named trips found."),
        Arguments.of("/get-online-features",
            "{\"features\": [\"driver_stats@v2:trips\"], \"entities\": {\"driver_id\": [1]}}",
            400, null, "features[0]: Version-qualified ref \"driver_stats@v2:trips\" not supported"),
        Arguments.of("/get-online-features", "{\"feature_service\": \"svc\", \"entities\": {\"driver_id\": [1]}}", 404,
            "FeatureServiceNotFoundException", "feature_service: Feature service svc does not exist"),
        Arguments.of("/get-online-features", "{" + features + "}", 422, null, "body.entities: Field required"),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": null}", 422, null,
            "body.entities: Input should be a valid dictionary"),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": {\"driver_id\": 1}}", 422, null,
            "body.entities.driver_id: Input should be a valid list"),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": {}}", 400, null,
            "entities: expected at least one join key"),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": {\"driver_id\": []}}", 400, null,
            "entities.driver_id: expected at least one value"),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": {\"customer_id\": [\"a\"]}}", 400, null,
            "entities: feature view 'driver_stats' needs join key 'driver_id'"),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": {\"driver_id\": [1, \"two\"]}}", 400, null,
            "entities.driver_id[1]: expected INT64, got \"two\""),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": {\"driver_id\": [1, 2.5]}}", 400, null,
            "entities.driver_id[1]: expected INT64, got 2.5"),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": {\"driver_id\": [1, null]}}", 400, null,
            "entities.driver_id[1]: a join key value must not be null"),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": {\"driver_id\": [1], \"city\": [\"a\", \"b\"]}}",
            400, null, "entities.city: has 2 values but entities.driver_id has 1"),
        Arguments.of("/get-online-features", "{\"features\": [\"customer_region:spend\"], "
            + "\"entities\": {\"customer_id\": [\"a\", \"b\"], \"region\": [1]}}", 400, null,
            "entities.region: has 1 values but entities.customer_id has 2"),
        Arguments.of("/get-online-features", "{\"features\": [\"customer_region:spend\"], "
            + "\"entities\": {\"customer_id\": [\"a\"], \"region\": [4294967296]}}", 400, null,
            "entities.region[0]: 4294967296 is out of range for INT32"),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": {\"driver_id\": [1]}, "
            + "\"full_feature_names\": \"maybe\"}", 422, null, "body.full_feature_names: Input should be a valid boolean"),
        Arguments.of("/get-online-features", "{" + features + ", \"entities\": {\"driver_id\": "
            + IntStream.rangeClosed(1, 1001).boxed().toList() + "}}",
            413, null, "entities.driver_id: 1001 entity rows, more than the server's max_entities of 1000"),
        Arguments.of("/get-online-features", "{\"pad\": \"" + "x".repeat(1024 * 1024) + "\"}", 413, null,
            "request body of 1048587 bytes is larger than the server's max_body_size of 1048576 bytes"),
        Arguments.of("/push", "{\"push_source_name\": \"nope\", \"df\": {\"driver_id\": [1]}}", 422,
            "PushSourceNotFoundException", "push_source_name: Unable to find push source \"nope\""),
        Arguments.of("/write-to-online-store", "{\"feature_view_name\": \"nope\", \"df\": {\"driver_id\": [1]}}", 404,
            "FeatureViewNotFoundException", "feature_view_name: Feature view \"nope\" does not exist"),
        Arguments.of("/push", "{\"df\": {\"driver_id\": [1]}}", 422, null, "body.push_source_name: Field required"),
        Arguments.of("/push", "{\"push_source_name\": \"driver_stats\", \"to\": \"offline\", \"df\": {\"driver_id\": [1]}}",
            422, null, "body.to: this server writes the online store only, so 'to' must be 'online'"),
        Arguments.of("/push", "{\"push_source_name\": \"driver_stats\", \"to\": \"online_and_offline\", "
            + "\"df\": {\"driver_id\": [1]}}", 422, null, "body.to: this server writes the online store only"),
        Arguments.of("/push", "{\"push_source_name\": \"driver_stats\", \"df\": {\"trips\": [1], "
            + "\"event_timestamp\": [\"2026-01-01T00:00:00Z\"]}}", 400, null,
            "df: feature view 'driver_stats' needs join key column 'driver_id'"),
        Arguments.of("/push", "{\"push_source_name\": \"driver_stats\", \"df\": {\"driver_id\": [1]}}", 400, null,
            "df: feature view 'driver_stats' needs its event time column 'event_timestamp'"),
        Arguments.of("/push", "{\"push_source_name\": \"driver_stats\", \"df\": {\"driver_id\": [1], \"speed\": [3], "
            + "\"event_timestamp\": [\"2026-01-01T00:00:00Z\"]}}", 400, null,
            "df.speed: feature view 'driver_stats' has no column 'speed'"),
        Arguments.of("/push", "{\"push_source_name\": \"driver_stats\", \"df\": {\"driver_id\": [1, 2], "
            + "\"event_timestamp\": [\"2026-01-01T00:00:00Z\"]}}", 400, null, "df.event_timestamp: has 1 values, other columns 2"),
        Arguments.of("/push", "{\"push_source_name\": \"driver_stats\", \"df\": {\"driver_id\": [1], \"trips\": [1.5], "
            + "\"event_timestamp\": [\"2026-01-01T00:00:00Z\"]}}", 400, null, "df.trips[0]: expected INT64, got 1.5"),
        Arguments.of("/push", "{\"push_source_name\": \"driver_stats\", \"df\": {\"driver_id\": [1], \"scores\": [[1, \"x\"]], "
            + "\"event_timestamp\": [\"2026-01-01T00:00:00Z\"]}}", 400, null, "df.scores[0][1]: expected FLOAT, got \"x\""),
        Arguments.of("/push", "{\"push_source_name\": \"driver_stats\", \"df\": {\"driver_id\": [1], "
            + "\"event_timestamp\": [\"yesterday\"]}}", 400, null,
            "df.event_timestamp[0]: expected an ISO-8601 date-time, got \"yesterday\""),
        Arguments.of("/write-to-online-store", "{\"feature_view_name\": \"customer_region\", \"df\": {\"customer_id\": [\"a\"], "
            + "\"region\": [1], \"avatar\": [\"%%%\"], \"event_timestamp\": [\"2026-01-01T00:00:00\"]}}", 400, null,
            "df.avatar[0]: expected base64 bytes, got \"%%%\""),
        Arguments.of("/nowhere", "{}", 404, null, "no endpoint /nowhere"));
  }

  @ParameterizedTest
  @MethodSource("badRequests")
  void aBadRequestGetsItsStatusAndTheErrorFeastsClientRaisesNamingWhatIsWrong(String path, String body, int status,
      String feastClass, String message) throws Exception {
    HttpResponse<String> response = post(path, body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    FeastClientError error = FeastClientError.read(response.body());
    assertThat(error.feastClass()).as(response.body()).isEqualTo(feastClass);
    assertThat(error.message()).startsWith(message);
    assertThat(response.body()).doesNotContain("\tat ", "Exception:");
  }

  static Stream<Arguments> longNames() {
    String name = "k".repeat(30_000);
    return Stream.of(
        Arguments.of("/get-online-features", "{\"features\": [\"" + name + ":trips\"], \"entities\": {\"driver_id\": [1]}}"),
        Arguments.of("/get-online-features", "{\"features\": [\"driver_stats:" + name + "\"], \"entities\": {\"driver_id\": [1]}}"),
        Arguments.of("/get-online-features", "{\"features\": [\"driver_stats:trips\"], \"entities\": {\"" + name
            + "\": [1, 2], \"driver_id\": [1]}}"),
        Arguments.of("/get-online-features", "{\"features\": [\"driver_stats:trips\"], \"entities\": {\"" + name + "\": [1]}}"),
        Arguments.of("/get-online-features", "{\"feature_service\": \"" + name + "\", \"entities\": {\"driver_id\": [1]}}"),
        Arguments.of("/get-online-features", "{\"features\": [\"" + name + "\"], \"entities\": {\"driver_id\": [1]}}"),
        Arguments.of("/push", "{\"push_source_name\": \"" + name + "\", \"df\": {}}"),
        Arguments.of("/push", "{\"push_source_name\": \"driver_stats\", \"df\": {\"" + name + "\": [1]}}"));
  }

  @ParameterizedTest
  @MethodSource("longNames")
  void aLongNameInARefusedRequestIsEchoedCutShort(String path, String body) throws Exception {
    HttpResponse<String> response = post(path, body);

    assertThat(response.statusCode()).as(response.body()).isBetween(400, 499);
    assertThat(response.body()).hasSizeLessThan(1_000).doesNotContain("k".repeat(41));
  }

  @Test
  void aRequestPastItsTimeoutFailsWholeNamingTheTimeout() throws Exception {
    JobConfig job = JobConfigParser.parse(config(catalog, kafka), name -> null);
    FeatureServerConfig oneNanosecond = new FeatureServerConfig(0, null, null, FeatureServerConfig.DEFAULT_MAX_BODY_BYTES,
        FeatureServerConfig.DEFAULT_MAX_ENTITIES, Duration.ofNanos(1), null, FeatureServerConfig.DEFAULT_INDEX_MAX_BYTES,
        FeatureServerConfig.Writes.DEFAULTS);
    try (FeatureServer impatient = FeatureServer.start(job, oneNanosecond)) {
      // a nanosecond has passed by the time the body is read (408, if its timer wins) or at the first key (504)
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + impatient.port() + "/get-online-features"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"features\": [\"driver_stats:trips\"], \"entities\": "
              + "{\"driver_id\": " + IntStream.rangeClosed(1, 1000).boxed().toList() + "}}")).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).as(response.body()).isIn(408, 504);
      assertThat(FeastClientError.read(response.body()).message()).contains("the server's request_timeout");
    }
  }

  @Test
  void aKeepAliveClientsNextRequestSucceedsAfterARejectedLargeBody() throws Exception {
    String large = "{\"pad\": \"" + "x".repeat(2 * 1024 * 1024) + "\"}";
    String read = "{\"features\": [\"driver_stats:trips\"], \"entities\": {\"driver_id\": [1001]}}";
    for (int attempt = 0; attempt < 3; attempt++) {
      HttpResponse<String> rejected = post("/get-online-features", large);
      HttpResponse<String> next = post("/get-online-features", read);

      assertThat(rejected.statusCode()).as(rejected.body()).isEqualTo(413);
      assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    }
  }

  @Test
  void aBodyOverTheLimitIsAnswered413AndReadToItsEndSoTheConnectionServesTheNextRequest() throws Exception {
    try (RawConnection connection = new RawConnection(server.port())) {
      connection.send("POST", "/get-online-features", new byte[2 * 1024 * 1024 + 7]);
      RawConnection.Answer rejected = connection.answer();
      connection.send("GET", "/health", new byte[0]);
      RawConnection.Answer next = connection.answer();

      assertThat(rejected.status()).isEqualTo(413);
      assertThat(rejected.header("connection")).isNull();
      assertThat(next.status()).isEqualTo(200);
    }
  }

  @Test
  void aBodyPastTheDrainBoundIsNotReadAndTheAnswerSaysConnectionClose() throws Exception {
    try (RawConnection connection = new RawConnection(server.port())) {
      // the client announces more than the server drains and sends none of it: nothing unread, a clean close
      connection.sendHead("POST", "/get-online-features",
          FeatureServerConfig.DEFAULT_MAX_BODY_BYTES + RequestBody.DRAIN_BEYOND_LIMIT + 1);
      RawConnection.Answer rejected = connection.answer();

      assertThat(rejected.status()).isEqualTo(413);
      assertThat(rejected.header("connection")).isEqualToIgnoringCase("close");
      assertThat(connection.closedByServer()).isTrue();
    }
  }

  static Stream<Arguments> refusalsBeforeTheBodyIsRead() {
    byte[] body = "{\"features\": [\"driver_stats:trips\"], \"entities\": {\"driver_id\": [1001]}}"
        .getBytes(StandardCharsets.UTF_8);
    byte[] padded = ("{\"pad\": \"" + "x".repeat(512 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
    return Stream.of(Arguments.of("PUT", "/get-online-features", padded, 405),
        Arguments.of("POST", "/nowhere", padded, 404),
        Arguments.of("POST", "/get-online-features", body, 200));
  }

  @ParameterizedTest
  @MethodSource("refusalsBeforeTheBodyIsRead")
  void aBodyWithinTheLimitIsReadToItsEndSoTheConnectionServesTheNextRequest(String method, String path, byte[] body,
      int status) throws Exception {
    try (RawConnection connection = new RawConnection(server.port())) {
      connection.send(method, path, body);
      RawConnection.Answer first = connection.answer();
      connection.send("GET", "/health", new byte[0]);
      RawConnection.Answer second = connection.answer();

      assertThat(first.status()).isEqualTo(status);
      assertThat(first.header("connection")).isNull();
      assertThat(second.status()).isEqualTo(200);
    }
  }

  @Test
  void aWrongMethodGets405() throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/get-online-features")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(FeastClientError.read(response.body()).message()).isEqualTo("/get-online-features takes POST, not GET");
  }
}
