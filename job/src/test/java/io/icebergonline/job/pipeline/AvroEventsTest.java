package io.icebergonline.job.pipeline;

import static io.icebergonline.job.pipeline.ParserTestRecords.index;
import static io.icebergonline.job.pipeline.ParserTestRecords.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.core.ConfigException;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedAvro;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.PlaceholderConfig;
import io.icebergonline.testing.SchemaRegistryStandIn;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feature events in Avro ({@code format: avro}): framed by a schema registry (a stand-in of its
 * REST API, see {@link SchemaRegistryStandIn}) with several schema versions in one topic, or plain
 * Avro of a schema in the config; Avro's types, logical types and unions into the view's columns;
 * and whatever cannot be read dead-lettered with its reason, the rest materialized exact.
 */
class AvroEventsTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static final Schema TIMESTAMP_MILLIS = LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
  private static final Schema TIMESTAMP_MICROS = LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG));

  /** Version 1: no city yet; event time in timestamp-millis. */
  private static final Schema V1 = SchemaBuilder.record("DriverStats").namespace("test").fields()
      .requiredLong("driver_id").requiredDouble("conv_rate").optionalLong("trips")
      .name("event_timestamp").type(TIMESTAMP_MILLIS).noDefault().optionalLong("created").endRecord();
  /** Version 2 adds city. */
  private static final Schema V2 = SchemaBuilder.record("DriverStats").namespace("test").fields()
      .requiredLong("driver_id").requiredDouble("conv_rate").optionalLong("trips").optionalString("city")
      .name("event_timestamp").type(TIMESTAMP_MILLIS).noDefault().optionalLong("created").endRecord();
  /** Version 3: trips narrowed to int, event time in timestamp-micros, a field the view does not have. */
  private static final Schema V3 = SchemaBuilder.record("DriverStats").namespace("test").fields()
      .requiredLong("driver_id").optionalDouble("rating").requiredDouble("conv_rate").optionalInt("trips")
      .optionalString("city").name("event_timestamp").type(TIMESTAMP_MICROS).noDefault().optionalLong("created")
      .endRecord();
  /** A type change the view cannot take: trips as a string. */
  private static final Schema TRIPS_AS_STRING = SchemaBuilder.record("DriverStats").namespace("test").fields()
      .requiredLong("driver_id").requiredDouble("conv_rate").optionalString("trips")
      .name("event_timestamp").type(TIMESTAMP_MILLIS).noDefault().endRecord();
  /** A schema without the event time. */
  private static final Schema NO_EVENT_TIME = SchemaBuilder.record("DriverStats").namespace("test").fields()
      .requiredLong("driver_id").requiredDouble("conv_rate").endRecord();
  private static final Schema KEY = SchemaBuilder.record("DriverKey").namespace("test").fields()
      .requiredLong("driver_id").endRecord();

  @TempDir static Path warehouse;
  private static EmbeddedKafka kafka;
  private static SchemaRegistryStandIn registry;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
    registry = new SchemaRegistryStandIn();
  }

  @AfterAll
  static void stop() throws Exception {
    registry.close();
    kafka.close();
  }

  @Test
  void threeSchemaVersionsInOneTopicWithAdversarialEventsEndExactAndEveryBadRecordIsDeadLetteredWithItsReason()
      throws Exception {
    int v1 = registry.register(V1);
    int v2 = registry.register(V2);
    int v3 = registry.register(V3);
    int tripsAsString = registry.register(TRIPS_AS_STRING);
    int noEventTime = registry.register(NO_EVENT_TIME);
    int key = registry.register(KEY);
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "avro-registry");
    JobConfig config = JobConfigParser.parse(harness.configYaml(4, "").replace("    buckets: 4\n",
        "    buckets: 4\n    format: avro\n") + "schema_registry: { url: \"" + registry.url() + "\" }\n", name -> null);

    FeatureEventGenerator generator = new FeatureEventGenerator(
        FeatureEventGenerator.Settings.defaults(26, 150).withRates(0.25, 0.1, 0.02, 0.05));
    Random random = new Random(26);
    NewestRowOracle oracle = new NewestRowOracle();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    Map<String, String> expectedDead = new TreeMap<>(); // value as hex -> reason start
    int expectedLetters = 0;
    for (GeneratedEvent event : generator.next(3_000)) {
      switch (event.kind()) {
        case UPSERT -> {
          int version = random.nextInt(3);
          Schema schema = version == 0 ? V1 : version == 1 ? V2 : V3;
          byte[] value = registry.framed(version == 0 ? v1 : version == 1 ? v2 : v3,
              GeneratedAvro.record(schema, event));
          records.add(new ProducerRecord<>(harness.topic, null, event.recordTimestamp(), event.key(), value));
          oracle.accept(GeneratedAvro.asWritten(schema, event)); // version 1 has no city: the row's city is null
        }
        case TOMBSTONE -> {
          byte[] tombstoneKey = random.nextBoolean() ? event.key()
              : registry.framed(key, new GenericRecordBuilder(KEY).set("driver_id", event.driverId()).build());
          records.add(new ProducerRecord<>(harness.topic, null, (Long) event.recordTimestamp(), tombstoneKey, (byte[]) null));
          oracle.accept(event);
        }
        case MALFORMED -> {
          records.add(new ProducerRecord<>(harness.topic, null, event.recordTimestamp(), event.key(), event.value()));
          expectedDead.put(hex(event.value()), "value is not framed by a schema registry");
          expectedLetters++;
          oracle.accept(event);
        }
      }
    }
    long t = 1_767_225_600_000L;
    byte[] unknownId = registry.framed(999, upsert(7, t));
    byte[] truncated = registry.framed(v2, upsert(8, t));
    truncated = Arrays.copyOf(truncated, truncated.length - 3);
    byte[] wrongType = registry.framed(tripsAsString, new GenericRecordBuilder(TRIPS_AS_STRING)
        .set("driver_id", 9L).set("conv_rate", 0.5).set("trips", "many").set("event_timestamp", t).build());
    byte[] missingTime = registry.framed(noEventTime, new GenericRecordBuilder(NO_EVENT_TIME)
        .set("driver_id", 10L).set("conv_rate", 0.5).build());
    expectedDead.put(hex(unknownId), "value names schema id 999, which the schema registry does not know");
    expectedDead.put(hex(truncated), "value is not Avro of schema id " + v2);
    expectedDead.put(hex(wrongType), "trips: expected INT64, got Avro string");
    expectedDead.put(hex(missingTime), "missing event timestamp event_timestamp");
    expectedLetters += 4;
    for (byte[] value : List.of(unknownId, truncated, wrongType, missingTime)) {
      records.add(new ProducerRecord<>(harness.topic, null, t, "{}".getBytes(StandardCharsets.UTF_8), value));
    }
    try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      records.forEach(producer::send);
    }

    harness.runUntilEnd(config, 2, Duration.ofSeconds(1), 100_000);

    assertThat(oracle.staleCount()).isGreaterThan(0);
    assertThat(harness.rows(config)).isEqualTo(oracle.liveRows());
    Map<String, String> dead = new TreeMap<>();
    List<ConsumerRecord<byte[], byte[]>> letters = kafka.readCommitted(harness.deadLetterTopic, Duration.ofSeconds(30));
    assertThat(letters).hasSize(expectedLetters);
    for (ConsumerRecord<byte[], byte[]> letter : letters) {
      dead.put(hex(letter.value()), new String(letter.headers().lastHeader(DeadLetterSerializer.HEADER_REASON).value(),
          StandardCharsets.UTF_8));
    }
    assertThat(dead.keySet()).isEqualTo(expectedDead.keySet());
    expectedDead.forEach((value, reason) -> assertThat(dead.get(value)).startsWith(reason));
    for (int id : List.of(v1, v2, v3, key)) {
      assertThat(registry.fetches(id)).as("fetches of schema id %d", id).isEqualTo(1);
    }
  }

  @Test
  void avroTypesLogicalTypesAndUnionsBecomeTheViewsColumns() throws Exception {
    Schema decimal = LogicalTypes.decimal(9, 2).addToSchema(Schema.create(Schema.Type.BYTES));
    Schema date = LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT));
    Schema uuid = LogicalTypes.uuid().addToSchema(Schema.create(Schema.Type.STRING));
    Schema schema = SchemaBuilder.record("Everything").namespace("test").fields()
        .requiredLong("driver_id")
        .name("conv_rate").type(decimal).noDefault()
        .requiredInt("trips")
        .name("tags").type().array().items().enumeration("Tag").symbols("gold", "silver").noDefault()
        .name("raw").type().fixed("Raw").size(2).noDefault()
        .optionalBoolean("active")
        .requiredDouble("rating")
        .name("seen").type(date).noDefault()
        .name("visits").type().array().items(TIMESTAMP_MICROS).noDefault()
        .name("note").type(uuid).noDefault()
        .name("event_timestamp").type().stringType().noDefault()
        .optionalLong("created")
        .endRecord();
    FeatureViewSpec view = view(String.join("\n",
        "    format: avro",
        "    avro_schema: '" + schema.toString().replace("'", "''") + "'"));
    GenericRecord record = new GenericRecordBuilder(schema)
        .set("driver_id", 42L)
        .set("conv_rate", new Conversions.DecimalConversion().toBytes(new BigDecimal("12.34"), decimal,
            LogicalTypes.decimal(9, 2)))
        .set("trips", 7)
        .set("tags", List.of(new GenericData.EnumSymbol(schema.getField("tags").schema().getElementType(), "gold")))
        .set("raw", new GenericData.Fixed(schema.getField("raw").schema(), new byte[] {1, 2}))
        .set("active", null)
        .set("rating", 4.5)
        .set("seen", (int) LocalDate.parse("2026-12-01").toEpochDay())
        .set("visits", List.of(1_767_225_600_123_456L))
        .set("note", "6f9619ff-8b86-d011-b42d-00cf4fc964ff")
        .set("event_timestamp", "2026-12-06T10:00:00Z")
        .set("created", 1_700_000_000_123L)
        .build();

    org.apache.iceberg.Schema table = OnlineTableLayout.of(view).schema();
    RowData versioned = new FeatureEventParser(view, table).parse(record(SchemaRegistryStandIn.plain(record)));
    RowData row = VersionedRow.row(versioned, table.columns().size());

    assertThat(row.getLong(index(table, "driver_id"))).isEqualTo(42L);
    assertThat(row.getDouble(index(table, "conv_rate"))).isEqualTo(12.34);
    assertThat(row.getInt(index(table, "trips"))).isEqualTo(7);
    assertThat(row.getArray(index(table, "tags")).getString(0).toString()).isEqualTo("gold");
    assertThat(row.getBinary(index(table, "raw"))).containsExactly(1, 2);
    assertThat(row.isNullAt(index(table, "active"))).isTrue();
    assertThat(row.getFloat(index(table, "rating"))).isEqualTo(4.5f);
    assertThat(row.getTimestamp(index(table, "seen"), 6)).isEqualTo(
        TimestampData.fromInstant(LocalDate.parse("2026-12-01").atStartOfDay(ZoneOffset.UTC).toInstant()));
    assertThat(row.getArray(index(table, "visits")).getTimestamp(0, 6))
        .isEqualTo(TimestampData.fromInstant(Instant.parse("2026-01-01T00:00:00.123456Z")));
    assertThat(row.getString(index(table, "note")).toString()).isEqualTo("6f9619ff-8b86-d011-b42d-00cf4fc964ff");
    assertThat(VersionedRow.eventTime(versioned)).isEqualTo(Instant.parse("2026-12-06T10:00:00Z").toEpochMilli() * 1000);
    assertThat(VersionedRow.createdTime(versioned)).isEqualTo(1_700_000_000_123L * 1000);
  }

  @Test
  void aPlainAvroRecordThatDoesNotFitItsSchemaOrTheViewIsMalformedNamingWhy() throws Exception {
    Schema schema = SchemaBuilder.record("Small").namespace("test").fields().requiredLong("driver_id")
        .requiredString("trips").requiredLong("event_timestamp").endRecord();
    FeatureViewSpec view = view(String.join("\n",
        "    format: avro",
        "    avro_schema: '" + schema + "'"));
    FeatureEventParser parser = new FeatureEventParser(view, OnlineTableLayout.of(view).schema());
    byte[] good = SchemaRegistryStandIn.plain(new GenericRecordBuilder(schema).set("driver_id", 1L)
        .set("trips", "7").set("event_timestamp", 1_767_225_600_000L).build());

    assertThatThrownBy(() -> parser.parse(record(good)))
        .isInstanceOf(MalformedEventException.class).hasMessage("trips: expected INT32, got Avro string");
    assertThatThrownBy(() -> parser.parse(record(Arrays.copyOf(good, 3))))
        .isInstanceOf(MalformedEventException.class).hasMessageStartingWith("value is not Avro of the view's avro_schema");
    byte[] longer = Arrays.copyOf(good, good.length + 2);
    assertThatThrownBy(() -> parser.parse(record(longer)))
        .isInstanceOf(MalformedEventException.class)
        .hasMessage("value has bytes after the Avro record of the view's avro_schema");
  }

  @Test
  void anAvroViewWithoutAWriterSchemaOrWithASchemaThatMissesAJoinKeyFailsAtStartNamingTheKey() {
    assertThatThrownBy(() -> view("    format: avro"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("feature_views[0].format: avro needs the writer schema");
    assertThatThrownBy(() -> view("    format: avro\n    avro_schema: '{\"type\": \"record\", \"name\": \"R\", "
        + "\"fields\": [{\"name\": \"event_timestamp\", \"type\": \"long\"}]}'"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("feature_views[0].avro_schema: the Avro schema has no field 'driver_id' (a join key or the event "
            + "time of view 'driver_stats')");
    assertThatThrownBy(() -> view("    format: avro\n    avro_schema: 'not json'"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("feature_views[0].avro_schema: not a valid Avro schema");
    assertThatThrownBy(() -> view("    format: xml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("feature_views[0].format: unknown format 'xml'; expected json, avro or protobuf");
    assertThatThrownBy(() -> view("    format: avro\n    schema_registry: { url: \"ftp://registry\" }"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("feature_views[0].schema_registry.url: expected an http:// or https:// URL, got 'ftp://registry'");
  }

  @Test
  void registryCredentialsNeverAppearInTheConfigsText() {
    JobConfig config = JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: driver_stats",
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: trips, type: INT32 } ]",
        "    format: avro",
        "    schema_registry: { url: \"https://registry:8081\", basic_auth_user_info: \"${REGISTRY_AUTH}\" }"),
        name -> name.equals("REGISTRY_AUTH") ? "user:very-secret" : null);

    assertThat(config.featureViews().get(0).format().registry().basicAuthUserInfo()).isEqualTo("user:very-secret");
    assertThat(config.toString()).doesNotContain("very-secret");
  }

  private static FeatureViewSpec view(String formatLines) {
    return JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: driver_stats",
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: conv_rate, type: DOUBLE }, { name: trips, type: INT32 }, { name: tags, type: STRING_LIST },"
            + " { name: raw, type: BYTES }, { name: active, type: BOOL }, { name: rating, type: FLOAT },"
            + " { name: seen, type: UNIX_TIMESTAMP }, { name: visits, type: UNIX_TIMESTAMP_LIST },"
            + " { name: note, type: STRING } ]",
        "    created_timestamp_column: created",
        formatLines), name -> null).featureViews().get(0);
  }

  private static GenericRecord upsert(long driverId, long eventTime) {
    return new GenericRecordBuilder(V2).set("driver_id", driverId).set("conv_rate", 0.5).set("trips", 3L)
        .set("city", "Oslo").set("event_timestamp", eventTime).build();
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
