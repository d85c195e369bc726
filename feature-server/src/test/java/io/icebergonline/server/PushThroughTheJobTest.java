package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WrappersProto;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.job.pipeline.MaterializationJob;
import io.icebergonline.job.pipeline.MaterializeOptions;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.SchemaRegistryStandIn;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
  /** Python's {@code datetime.isoformat()} of a naive date-time without microseconds. */
  private static final DateTimeFormatter PYTHON_ISOFORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

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

  /**
   * What {@code feast materialize} sends through Feast's remote online store, a whole table in one
   * request, and a push as Feast's documentation shows it, end to end: the table equals the newest
   * row per key of what was sent, UNIX_TIMESTAMP features read back as the epoch seconds Feast sent.
   * The write body is built as {@code online_write_batch} builds it ({@code
   * sdk/python/feast/infra/online_stores/remote.py} at v0.66.0: join keys, then features, then
   * {@code event_timestamp} and {@code created} as naive UTC ISO strings, {@code
   * "allow_registry_cache": false}, serialized by {@code requests} with {@code json.dumps}); UNIX_TIMESTAMP
   * values are the raw int64 seconds v0.66.0 sends (earlier releases fail in the client on them).
   * The push is {@code docs/reference/feature-servers/python-feature-server.md} at v0.66.0, with
   * {@code to} left at Feast's default.
   */
  @Test
  void feastsMaterializeOfAWholeTableAndItsDocumentedPushReachTheTableExact() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("hourly", 2);
      kafka.createTopic("fresh", 1);
      kafka.createTopic("dead-letters", 1);
      JobConfig job = JobConfigParser.parse(String.join("\n",
          "online_store: { type: iceberg, catalog_type: hadoop, warehouse: \"" + warehouse.toUri() + "\" }",
          "kafka: { bootstrap_servers: \"" + kafka.bootstrapServers() + "\", group_id: feast-writes }",
          "dead_letter_topic: dead-letters",
          "feature_views:",
          "  - name: driver_hourly_stats",
          "    topic: hourly",
          "    entities: [ { name: driver_id, type: INT64 } ]",
          "    features: [ { name: conv_rate, type: FLOAT }, { name: avg_daily_trips, type: INT64 },",
          "                { name: last_trip, type: UNIX_TIMESTAMP } ]",
          "    created_timestamp_column: created",
          "    buckets: 4",
          "  - name: driver_hourly_stats_fresh",
          "    topic: fresh",
          "    entities: [ { name: driver_id, type: INT64 } ]",
          "    features: [ { name: conv_rate, type: FLOAT }, { name: acc_rate, type: FLOAT },",
          "                { name: avg_daily_trips, type: INT64 } ]",
          "    buckets: 2",
          "push_sources:",
          "  driver_stats_push_source: driver_hourly_stats_fresh",
          ""), name -> null);
      int rows = 20_000;
      Random random = new Random(42);
      LocalDateTime start = LocalDateTime.of(2026, 12, 1, 0, 0);
      Map<Long, long[]> newest = new HashMap<>(); // driver_id -> event second, conv_rate * 4, trips, last_trip
      StringBuilder ids = new StringBuilder();
      StringBuilder convRates = new StringBuilder();
      StringBuilder trips = new StringBuilder();
      StringBuilder lastTrips = new StringBuilder();
      StringBuilder eventTimes = new StringBuilder();
      StringBuilder created = new StringBuilder();
      for (int row = 0; row < rows; row++) {
        long id = 1 + random.nextInt(rows / 2); // about a third of the keys come more than once
        long second = row; // distinct event times: no ties to break
        long quarters = random.nextInt(400);
        long dailyTrips = random.nextInt(1_000);
        long lastTrip = 1_700_000_000L + random.nextInt(10_000_000);
        String sep = row == 0 ? "" : ", ";
        ids.append(sep).append(id);
        convRates.append(sep).append(quarters / 4.0);
        trips.append(sep).append(dailyTrips);
        lastTrips.append(sep).append(lastTrip);
        eventTimes.append(sep).append('"').append(PYTHON_ISOFORMAT.format(start.plusSeconds(row))).append('"');
        created.append(sep).append(row % 2 == 0 ? "null" : "\"" + PYTHON_ISOFORMAT.format(start.plusSeconds(row + 1)) + "\"");
        long[] earlier = newest.get(id);
        if (earlier == null || earlier[0] < second) {
          newest.put(id, new long[] {second, quarters, dailyTrips, lastTrip});
        }
      }
      String write = "{\"feature_view_name\": \"driver_hourly_stats\", \"df\": {\"driver_id\": [" + ids
          + "], \"conv_rate\": [" + convRates + "], \"avg_daily_trips\": [" + trips + "], \"last_trip\": ["
          + lastTrips + "], \"event_timestamp\": [" + eventTimes + "], \"created\": [" + created
          + "]}, \"allow_registry_cache\": false}";
      String push = """
          {
              "push_source_name": "driver_stats_push_source",
              "df": {
                      "driver_id": [1001],
                      "event_timestamp": ["2022-05-13 10:59:42+00:00"],
                      "created": ["2022-05-13 10:59:42"],
                      "conv_rate": [1.0],
                      "acc_rate": [1.0],
                      "avg_daily_trips": [1000]
              }
            }""";

      try (FeatureServer server = FeatureServer.start(job, FeatureServerConfig.DEFAULTS.withPort(0))) {
        String base = "http://127.0.0.1:" + server.port();
        HttpResponse<String> written = post(base, "/write-to-online-store", write);
        assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
        HttpResponse<String> pushed = post(base, "/push", push);
        assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        MaterializationJob.build(env, job, new MaterializeOptions(Path.of("unused"), true, 1, Duration.ofSeconds(1),
            MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS));
        env.execute("materialize what Feast wrote");

        List<Long> keys = new ArrayList<>(new TreeSet<>(newest.keySet()));
        for (int from = 0; from < keys.size(); from += 1_000) {
          List<Long> batch = keys.subList(from, Math.min(keys.size(), from + 1_000));
          String request = "{\"features\": [\"driver_hourly_stats:conv_rate\", \"driver_hourly_stats:avg_daily_trips\", "
              + "\"driver_hourly_stats:last_trip\"], \"entities\": {\"driver_id\": " + batch + "}}";
          JsonNode answer = awaitAnswer(base, request, results -> results.at("/results/1/statuses").toString()
              .equals(JSON.valueToTree(Collections.nCopies(batch.size(), "PRESENT")).toString()));
          for (int i = 0; i < batch.size(); i++) {
            long[] expected = newest.get(batch.get(i));
            assertThat(answer.at("/results/1/values/" + i).doubleValue()).as("conv_rate of %s", batch.get(i))
                .isEqualTo(expected[1] / 4.0);
            assertThat(answer.at("/results/2/values/" + i).longValue()).as("avg_daily_trips of %s", batch.get(i))
                .isEqualTo(expected[2]);
            assertThat(answer.at("/results/3/values/" + i).longValue()).as("last_trip of %s", batch.get(i))
                .isEqualTo(expected[3]);
            assertThat(answer.at("/results/1/event_timestamps/" + i).asText()).isEqualTo(
                start.plusSeconds(expected[0]).toInstant(ZoneOffset.UTC).toString());
          }
        }
        JsonNode fresh = awaitAnswer(base, """
            {"features": ["driver_hourly_stats_fresh:conv_rate", "driver_hourly_stats_fresh:acc_rate",
                          "driver_hourly_stats_fresh:avg_daily_trips"], "entities": {"driver_id": [1001]}}""",
            results -> results.at("/results/1/statuses/0").asText().equals("PRESENT"));
        assertThat(fresh.at("/results/1/values/0").doubleValue()).isEqualTo(1.0);
        assertThat(fresh.at("/results/2/values/0").doubleValue()).isEqualTo(1.0);
        assertThat(fresh.at("/results/3/values/0").longValue()).isEqualTo(1000);
        assertThat(fresh.at("/results/1/event_timestamps/0").asText()).isEqualTo("2022-05-13T10:59:42Z");
      }
    }
  }

  /**
   * Views whose records are Avro or Protobuf: a push to one framed by a registry is written in the
   * latest schema of the topic's subject with that schema's id (for Protobuf, the message the view
   * names and its indexes), one to a view with an inline schema as plain Avro of it; the job reads
   * them as it reads the rest of their topics.
   */
  @Test
  void pushesToAvroAndProtobufViewsAreWrittenInTheViewsFormatAndReachTheTable() throws Exception {
    Schema framed = SchemaBuilder.record("DriverStats").namespace("test").fields()
        .requiredLong("driver_id").optionalLong("trips").optionalString("city")
        .name("event_timestamp").type(LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG)))
        .noDefault().endRecord();
    Schema inline = SchemaBuilder.record("Plain").namespace("test").fields()
        .requiredLong("driver_id").optionalLong("trips").requiredString("event_timestamp").endRecord();
    try (EmbeddedKafka kafka = EmbeddedKafka.start(); SchemaRegistryStandIn registry = new SchemaRegistryStandIn()) {
      kafka.createTopic("avro-framed", 1);
      kafka.createTopic("avro-plain", 1);
      kafka.createTopic("proto-framed", 1);
      kafka.createTopic("dead-letters", 1);
      int id = registry.register("avro-framed-value", framed);
      FileDescriptorProto driverProto = FileDescriptorProto.newBuilder().setName("driver.proto").setPackage("feast.test")
          .setSyntax("proto3").addDependency("google/protobuf/timestamp.proto")
          .addDependency("google/protobuf/wrappers.proto")
          .addMessageType(DescriptorProto.newBuilder().setName("Header"))
          .addMessageType(DescriptorProto.newBuilder().setName("DriverStats")
              .addField(protoField("driver_id", 1, FieldDescriptorProto.Type.TYPE_INT64, null))
              .addField(protoField("trips", 2, FieldDescriptorProto.Type.TYPE_MESSAGE, ".google.protobuf.Int64Value"))
              .addField(protoField("event_timestamp", 3, FieldDescriptorProto.Type.TYPE_MESSAGE,
                  ".google.protobuf.Timestamp")))
          .build();
      int protoId = registry.registerProtobuf("proto-framed-value", Descriptors.FileDescriptor.buildFrom(driverProto,
          new Descriptors.FileDescriptor[] {TimestampProto.getDescriptor(), WrappersProto.getDescriptor()}));
      JobConfig job = JobConfigParser.parse(String.join("\n",
          "online_store: { type: iceberg, catalog_type: hadoop, warehouse: \"" + warehouse.toUri() + "\" }",
          "kafka: { bootstrap_servers: \"" + kafka.bootstrapServers() + "\", group_id: avro-push }",
          "dead_letter_topic: dead-letters",
          "schema_registry: { url: \"" + registry.url() + "\" }",
          "feature_views:",
          "  - { name: framed, topic: avro-framed, format: avro, entities: [ { name: driver_id, type: INT64 } ],",
          "      features: [ { name: trips, type: INT64 }, { name: city, type: STRING } ] }",
          "  - { name: plain, topic: avro-plain, format: avro, entities: [ { name: driver_id, type: INT64 } ],",
          "      features: [ { name: trips, type: INT64 } ],",
          "      avro_schema: '" + inline + "' }",
          "  - { name: proto, topic: proto-framed, format: protobuf, protobuf_message: feast.test.DriverStats,",
          "      entities: [ { name: driver_id, type: INT64 } ], features: [ { name: trips, type: INT64 } ] }",
          ""), name -> null);
      Instant at = Instant.parse("2026-12-06T10:00:00Z");

      try (FeatureServer server = FeatureServer.start(job, FeatureServerConfig.DEFAULTS.withPort(0))) {
        String base = "http://127.0.0.1:" + server.port();
        HttpResponse<String> toFramed = post(base, "/push", """
            {"push_source_name": "framed",
             "df": {"driver_id": [1, 2], "trips": [5, null], "city": ["Oslo", "Riga"],
                    "event_timestamp": ["%1$s", "%1$s"]}}""".formatted(at));
        HttpResponse<String> toPlain = post(base, "/push", """
            {"push_source_name": "plain", "df": {"driver_id": [3], "trips": [8], "event_timestamp": ["%s"]}}"""
            .formatted(at));
        assertThat(toFramed.statusCode()).as(toFramed.body()).isEqualTo(200);
        assertThat(toPlain.statusCode()).as(toPlain.body()).isEqualTo(200);
        HttpResponse<String> toProto = post(base, "/push", """
            {"push_source_name": "proto", "df": {"driver_id": [6, 7], "trips": [null, 9], "event_timestamp": ["%1$s", "%1$s"]}}"""
            .formatted(at));
        assertThat(toProto.statusCode()).as(toProto.body()).isEqualTo(200);
        HttpResponse<String> unfit = post(base, "/push", """
            {"push_source_name": "plain", "df": {"driver_id": [4], "event_timestamp": ["%s"], "trips": [1]}}"""
            .formatted(at).replace("\"trips\": [1]", "\"trips\": [1.5]"));
        assertThat(unfit.statusCode()).as(unfit.body()).isEqualTo(400);

        List<ConsumerRecord<byte[], byte[]>> written = kafka.readCommitted("avro-framed", Duration.ofSeconds(30));
        assertThat(written).hasSize(2).allSatisfy(record -> {
          assertThat(record.value()[0]).isEqualTo((byte) 0);
          assertThat(ByteBuffer.wrap(record.value(), 1, 4).getInt()).isEqualTo(id);
        });
        assertThat(kafka.readCommitted("proto-framed", Duration.ofSeconds(30))).hasSize(2).allSatisfy(record -> {
          assertThat(record.value()[0]).isEqualTo((byte) 0);
          assertThat(ByteBuffer.wrap(record.value(), 1, 4).getInt()).isEqualTo(protoId);
          assertThat(Arrays.copyOfRange(record.value(), 5, 7)).as("message indexes [1]: count 1, index 1, zigzag")
              .containsExactly(2, 2);
        });

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        MaterializationJob.build(env, job, new MaterializeOptions(Path.of("unused"), true, 1, Duration.ofSeconds(1),
            MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS));
        env.execute("materialize pushed Avro rows");

        JsonNode framedAnswer = awaitAnswer(base, """
            {"features": ["framed:trips", "framed:city"], "entities": {"driver_id": [1, 2]}}""",
            answer -> answer.at("/results/2/statuses").toString().equals("[\"PRESENT\",\"PRESENT\"]"));
        assertThat(framedAnswer.at("/results/1/values").toString()).isEqualTo("[5,null]");
        assertThat(framedAnswer.at("/results/2/values").toString()).isEqualTo("[\"Oslo\",\"Riga\"]");
        JsonNode plainAnswer = awaitAnswer(base, """
            {"features": ["plain:trips"], "entities": {"driver_id": [3]}}""",
            answer -> answer.at("/results/1/statuses/0").asText().equals("PRESENT"));
        assertThat(plainAnswer.at("/results/1/values/0").asLong()).isEqualTo(8);
        JsonNode protoAnswer = awaitAnswer(base, """
            {"features": ["proto:trips"], "entities": {"driver_id": [6, 7]}}""",
            answer -> answer.at("/results/1/statuses/1").asText().equals("PRESENT"));
        assertThat(protoAnswer.at("/results/1/values").toString()).isEqualTo("[null,9]");
        assertThat(protoAnswer.at("/results/1/statuses").toString()).isEqualTo("[\"NULL_VALUE\",\"PRESENT\"]");
        assertThat(kafka.readCommitted("dead-letters", Duration.ofSeconds(5))).isEmpty();
      }
    }
  }

  private static FieldDescriptorProto protoField(String name, int number, FieldDescriptorProto.Type type,
      String typeName) {
    FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type);
    return (typeName == null ? field : field.setTypeName(typeName)).build();
  }

  /** The answer to {@code request} once {@code done} holds (the server's reader picks up commits within its refresh interval). */
  private static JsonNode awaitAnswer(String base, String request, Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode answer = JSON.readTree(post(base, "/get-online-features", request).body());
    while (!done.test(answer) && System.nanoTime() < deadline) {
      Thread.sleep(50); // poll interval, not a wait for time to pass: the loop ends on the answer
      answer = JSON.readTree(post(base, "/get-online-features", request).body());
    }
    assertThat(done.test(answer)).as(answer.toString()).isTrue();
    return answer;
  }

  private static HttpResponse<String> post(String base, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }
}
