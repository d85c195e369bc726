package io.icebergonline.job.pipeline;

import static io.icebergonline.job.pipeline.ParserTestRecords.index;
import static io.icebergonline.job.pipeline.ParserTestRecords.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Int64Value;
import com.google.protobuf.Timestamp;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WrappersProto;
import io.icebergonline.core.ConfigException;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.ProtobufDescriptors;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.GeneratedProtobuf;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.PlaceholderConfig;
import io.icebergonline.testing.SchemaRegistryStandIn;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feature events as Protobuf messages ({@code format: protobuf}): of a type from a descriptor set
 * file, as {@code protoc --descriptor_set_out --include_imports} writes it (built here with
 * protobuf-java's own descriptor types), or framed by a schema registry (a stand-in of its REST
 * API, see {@link SchemaRegistryStandIn}) with two schema versions and an imported file in one
 * topic; scalars, enums, repeated fields, the wrapper types for nullable values, {@code
 * google.protobuf.Timestamp}; what does not fit is dead-lettered or malformed, naming why.
 */
class ProtobufEventsTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  @TempDir Path directory;
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

  private static FieldDescriptorProto field(String name, int number, FieldDescriptorProto.Type type) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
        .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL).build();
  }

  private static FieldDescriptorProto message(String name, int number, String typeName, boolean repeated) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number)
        .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(typeName)
        .setLabel(repeated ? FieldDescriptorProto.Label.LABEL_REPEATED : FieldDescriptorProto.Label.LABEL_OPTIONAL)
        .build();
  }

  /** driver.proto: package feast.test; message DriverStats { ... } in proto3, with the imports it needs. */
  private Path descriptorSet() throws Exception {
    FileDescriptorProto driver = FileDescriptorProto.newBuilder()
        .setName("driver.proto").setPackage("feast.test").setSyntax("proto3")
        .addDependency("google/protobuf/timestamp.proto").addDependency("google/protobuf/wrappers.proto")
        .addEnumType(EnumDescriptorProto.newBuilder().setName("Tier")
            .addValue(EnumValueDescriptorProto.newBuilder().setName("TIER_UNKNOWN").setNumber(0))
            .addValue(EnumValueDescriptorProto.newBuilder().setName("GOLD").setNumber(1)))
        .addMessageType(DescriptorProto.newBuilder().setName("DriverStats")
            .addField(field("driver_id", 1, FieldDescriptorProto.Type.TYPE_INT64))
            .addField(field("conv_rate", 2, FieldDescriptorProto.Type.TYPE_FLOAT))
            .addField(message("trips", 3, ".google.protobuf.Int64Value", false))
            .addField(FieldDescriptorProto.newBuilder().setName("tier").setNumber(4)
                .setType(FieldDescriptorProto.Type.TYPE_ENUM).setTypeName(".feast.test.Tier")
                .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL))
            .addField(FieldDescriptorProto.newBuilder().setName("tags").setNumber(5)
                .setType(FieldDescriptorProto.Type.TYPE_STRING).setLabel(FieldDescriptorProto.Label.LABEL_REPEATED))
            .addField(field("raw", 6, FieldDescriptorProto.Type.TYPE_BYTES))
            .addField(message("event_timestamp", 7, ".google.protobuf.Timestamp", false))
            .addField(field("created", 8, FieldDescriptorProto.Type.TYPE_INT64))
            .addField(field("unknown_to_the_view", 9, FieldDescriptorProto.Type.TYPE_STRING)))
        .build();
    Path file = directory.resolve("driver.desc");
    Files.write(file, FileDescriptorSet.newBuilder().addFile(TimestampProto.getDescriptor().toProto())
        .addFile(WrappersProto.getDescriptor().toProto()).addFile(driver).build().toByteArray());
    return file;
  }

  private FeatureViewSpec view(Path descriptors, String message) {
    return JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: driver_stats",
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: conv_rate, type: DOUBLE }, { name: trips, type: INT64 }, { name: tier, type: STRING },"
            + " { name: tags, type: STRING_LIST }, { name: raw, type: BYTES } ]",
        "    created_timestamp_column: created",
        "    format: protobuf",
        "    protobuf_descriptor_file: " + descriptors,
        "    protobuf_message: " + message), name -> null).featureViews().get(0);
  }

  @Test
  void aMessageOfTheViewsTypeBecomesItsRow() throws Exception {
    FeatureViewSpec view = view(descriptorSet(), "feast.test.DriverStats");
    Descriptors.Descriptor type = ProtobufDescriptors.message(view.format().protobufDescriptors(),
        "feast.test.DriverStats");
    DynamicMessage event = DynamicMessage.newBuilder(type)
        .setField(type.findFieldByName("driver_id"), 42L)
        .setField(type.findFieldByName("conv_rate"), 0.25f)
        .setField(type.findFieldByName("tier"), type.getFile().findEnumTypeByName("Tier").findValueByName("GOLD"))
        .addRepeatedField(type.findFieldByName("tags"), "a")
        .addRepeatedField(type.findFieldByName("tags"), "b")
        .setField(type.findFieldByName("raw"), ByteString.copyFrom(new byte[] {1, 2}))
        .setField(type.findFieldByName("event_timestamp"), DynamicMessage.newBuilder(Timestamp.newBuilder()
            .setSeconds(1_767_225_600L).setNanos(123_456_000).build()).build())
        .setField(type.findFieldByName("created"), 1_700_000_000_123L)
        .setField(type.findFieldByName("unknown_to_the_view"), "ignored")
        .build();
    Schema table = OnlineTableLayout.of(view).schema();

    RowData versioned = new FeatureEventParser(view, table).parse(record(event.toByteArray()));
    RowData row = VersionedRow.row(versioned, table.columns().size());

    assertThat(row.getLong(index(table, "driver_id"))).isEqualTo(42L);
    assertThat(row.getDouble(index(table, "conv_rate"))).isEqualTo(0.25);
    assertThat(row.isNullAt(index(table, "trips"))).as("an unset wrapper is null").isTrue();
    assertThat(row.getString(index(table, "tier")).toString()).isEqualTo("GOLD");
    assertThat(row.getArray(index(table, "tags")).size()).isEqualTo(2);
    assertThat(row.getBinary(index(table, "raw"))).containsExactly(1, 2);
    assertThat(row.getTimestamp(index(table, "event_timestamp"), 6))
        .isEqualTo(TimestampData.fromInstant(Instant.parse("2026-01-01T00:00:00.123456Z")));
    assertThat(VersionedRow.createdTime(versioned)).isEqualTo(1_700_000_000_123L * 1000);

    DynamicMessage withTrips = event.toBuilder()
        .setField(type.findFieldByName("trips"), DynamicMessage.newBuilder(Int64Value.of(7)).build()).build();
    RowData second = VersionedRow.row(new FeatureEventParser(view, table).parse(record(withTrips.toByteArray())),
        table.columns().size());
    assertThat(second.getLong(index(table, "trips"))).isEqualTo(7L);
  }

  @Test
  void whatIsNotAMessageOfTheTypeOrLacksTheEventTimeIsMalformedNamingWhy() throws Exception {
    FeatureViewSpec view = view(descriptorSet(), "feast.test.DriverStats");
    Descriptors.Descriptor type = ProtobufDescriptors.message(view.format().protobufDescriptors(),
        "feast.test.DriverStats");
    FeatureEventParser parser = new FeatureEventParser(view, OnlineTableLayout.of(view).schema());

    assertThatThrownBy(() -> parser.parse(record("{\"driver_id\": 1}".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageStartingWith("value is not a Protobuf feast.test.DriverStats");
    byte[] noTime = DynamicMessage.newBuilder(type).setField(type.findFieldByName("driver_id"), 1L).build()
        .toByteArray();
    assertThatThrownBy(() -> parser.parse(record(noTime)))
        .isInstanceOf(MalformedEventException.class)
        .hasMessage("missing event timestamp event_timestamp");
  }

  @Test
  void aProtobufViewWhoseMessageIsMissingOrLacksAJoinKeyFailsAtStartNamingTheKey() throws Exception {
    Path descriptors = descriptorSet();
    assertThatThrownBy(() -> view(descriptors, "feast.test.Nope"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("feature_views[0].protobuf_message: the descriptor set has no message feast.test.Nope");
    assertThatThrownBy(() -> view(directory.resolve("missing.desc"), "feast.test.DriverStats"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("feature_views[0].protobuf_descriptor_file: cannot read the descriptor set file");
  }

  /** common.proto: {@code package shared; message Money { int64 cents = 1; }}, imported by version 2. */
  private static final FileDescriptorProto COMMON = FileDescriptorProto.newBuilder().setName("common.proto")
      .setPackage("shared").setSyntax("proto3").addMessageType(DescriptorProto.newBuilder().setName("Money")
          .addField(field("cents", 1, FieldDescriptorProto.Type.TYPE_INT64))).build();

  /**
   * A version of driver.proto: version 1 has DriverStats first and no city; version 2 puts a
   * Header message first (so DriverStats is at index 1), adds city as a {@code StringValue} and a
   * field of an imported type the view does not have.
   */
  private static Descriptors.FileDescriptor driverProto(int version, Descriptors.FileDescriptor common)
      throws Exception {
    DescriptorProto.Builder stats = DescriptorProto.newBuilder().setName("DriverStats")
        .addField(field("driver_id", 1, FieldDescriptorProto.Type.TYPE_INT64))
        .addField(field("conv_rate", 2, FieldDescriptorProto.Type.TYPE_DOUBLE))
        .addField(message("trips", 3, ".google.protobuf.Int64Value", false))
        .addField(message("event_timestamp", 5, ".google.protobuf.Timestamp", false))
        .addField(field("created", 6, FieldDescriptorProto.Type.TYPE_INT64));
    FileDescriptorProto.Builder file = FileDescriptorProto.newBuilder().setName("driver.proto").setPackage("feast.test")
        .setSyntax("proto3").addDependency("google/protobuf/timestamp.proto")
        .addDependency("google/protobuf/wrappers.proto");
    if (version == 1) {
      return Descriptors.FileDescriptor.buildFrom(file.addMessageType(stats).build(), new Descriptors.FileDescriptor[] {
          TimestampProto.getDescriptor(), WrappersProto.getDescriptor()});
    }
    stats.addField(message("city", 4, ".google.protobuf.StringValue", false))
        .addField(message("earned", 7, ".shared.Money", false));
    return Descriptors.FileDescriptor.buildFrom(file.addDependency("common.proto")
        .addMessageType(DescriptorProto.newBuilder().setName("Header")).addMessageType(stats).build(),
        new Descriptors.FileDescriptor[] {TimestampProto.getDescriptor(), WrappersProto.getDescriptor(), common});
  }

  @Test
  void messagesFramedByARegistryInTwoSchemaVersionsWithAdversarialEventsEndExactAndBadRecordsAreDeadLettered()
      throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "protobuf-registry");
    Descriptors.FileDescriptor common = Descriptors.FileDescriptor.buildFrom(COMMON, new Descriptors.FileDescriptor[0]);
    registry.registerProtobuf("common.proto", common);
    Descriptors.Descriptor v1 = driverProto(1, common).findMessageTypeByName("DriverStats");
    Descriptors.Descriptor v2 = driverProto(2, common).findMessageTypeByName("DriverStats");
    int v1Id = registry.registerProtobuf(harness.topic + "-value", v1.getFile());
    int v2Id = registry.registerProtobuf(harness.topic + "-value", v2.getFile());
    Descriptors.Descriptor keyType = Descriptors.FileDescriptor.buildFrom(FileDescriptorProto.newBuilder()
        .setName("key.proto").setPackage("feast.test").setSyntax("proto3").addMessageType(DescriptorProto.newBuilder()
            .setName("DriverKey").addField(field("driver_id", 1, FieldDescriptorProto.Type.TYPE_INT64))).build(),
        new Descriptors.FileDescriptor[0]).findMessageTypeByName("DriverKey");
    int keyId = registry.registerProtobuf(harness.topic + "-key", keyType.getFile());
    int avroId = registry.register(org.apache.avro.SchemaBuilder.record("R").fields().requiredLong("driver_id")
        .endRecord());
    JobConfig config = JobConfigParser.parse(harness.configYaml(4, "").replace("    buckets: 4\n",
        "    buckets: 4\n    format: protobuf\n") + "schema_registry: { url: \"" + registry.url() + "\" }\n",
        name -> null);

    FeatureEventGenerator generator = new FeatureEventGenerator(
        FeatureEventGenerator.Settings.defaults(27, 150).withRates(0.25, 0.1, 0.02, 0.05));
    Random random = new Random(27);
    NewestRowOracle oracle = new NewestRowOracle();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    Map<String, String> expectedDead = new TreeMap<>(); // value as hex -> reason start
    int expectedLetters = 5;
    for (GeneratedEvent event : generator.next(3_000)) {
      switch (event.kind()) {
        case UPSERT -> {
          Descriptors.Descriptor type = random.nextBoolean() ? v1 : v2;
          byte[] value = registry.framed(type == v1 ? v1Id : v2Id, GeneratedProtobuf.message(type, event));
          records.add(new ProducerRecord<>(harness.topic, null, event.recordTimestamp(), event.key(), value));
          oracle.accept(GeneratedProtobuf.asWritten(type, event)); // version 1 has no city: the row's city is null
        }
        case TOMBSTONE -> {
          byte[] key = random.nextBoolean() ? event.key() : registry.framed(keyId, DynamicMessage.newBuilder(keyType)
              .setField(keyType.findFieldByName("driver_id"), event.driverId()).build());
          records.add(new ProducerRecord<>(harness.topic, null, (Long) event.recordTimestamp(), key, (byte[]) null));
          oracle.accept(event);
        }
        case MALFORMED -> {
          records.add(new ProducerRecord<>(harness.topic, null, event.recordTimestamp(), event.key(), event.value()));
          expectedDead.put(HexFormat.of().formatHex(event.value()), "value is not framed by a schema registry");
          expectedLetters++;
          oracle.accept(event);
        }
      }
    }
    long t = 1_767_225_600_000L;
    DynamicMessage good = DynamicMessage.newBuilder(v2).setField(v2.findFieldByName("driver_id"), 7L)
        .setField(v2.findFieldByName("event_timestamp"), Timestamp.newBuilder().setSeconds(t / 1000).build()).build();
    byte[] unknownId = registry.framed(999, good);
    byte[] avroIdValue = registry.framed(avroId, good);
    byte[] noSuchIndex = registry.framed(v1Id, good); // index [1]: version 1 has one message
    byte[] truncated = registry.framed(v2Id, good);
    truncated = Arrays.copyOf(truncated, truncated.length + 1);
    truncated[truncated.length - 1] = 0x0a; // a length-delimited field 1 whose length never comes
    byte[] missingTime = registry.framed(v1Id, DynamicMessage.newBuilder(v1).setField(v1.findFieldByName("driver_id"),
        8L).build());
    expectedDead.put(HexFormat.of().formatHex(unknownId), "value names schema id 999, which the schema registry does not know");
    expectedDead.put(HexFormat.of().formatHex(avroIdValue), "value names schema id " + avroId
        + ", a AVRO schema; this view's format is protobuf");
    expectedDead.put(HexFormat.of().formatHex(noSuchIndex), "value names message indexes [1], which schema id " + v1Id
        + " (driver.proto) does not have");
    expectedDead.put(HexFormat.of().formatHex(truncated), "value is not a Protobuf feast.test.DriverStats of schema id "
        + v2Id);
    expectedDead.put(HexFormat.of().formatHex(missingTime), "missing event timestamp event_timestamp");
    for (byte[] value : List.of(unknownId, avroIdValue, noSuchIndex, truncated, missingTime)) {
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
      dead.put(HexFormat.of().formatHex(letter.value()), new String(
          letter.headers().lastHeader(DeadLetterSerializer.HEADER_REASON).value(), StandardCharsets.UTF_8));
    }
    assertThat(dead.keySet()).isEqualTo(expectedDead.keySet());
    expectedDead.forEach((value, reason) -> assertThat(dead.get(value)).startsWith(reason));
    for (int id : List.of(v1Id, v2Id, keyId)) {
      assertThat(registry.fetches(id)).as("requests for schema id %d: its type, then its file serialized", id)
          .isEqualTo(2);
    }
  }

  @Test
  void aProtobufViewWithoutADescriptorSetOrARegistryFailsAtStartNamingTheKey() {
    assertThatThrownBy(() -> JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: driver_stats",
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: conv_rate, type: DOUBLE } ]",
        "    format: protobuf"), name -> null))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("feature_views[0].format: protobuf needs the message type: protobuf_descriptor_file");
  }
}
