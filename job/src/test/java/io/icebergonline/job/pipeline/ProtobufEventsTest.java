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
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.ProtobufDescriptors;
import io.icebergonline.testing.PlaceholderConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.iceberg.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feature events as Protobuf messages ({@code format: protobuf}) of a type from a descriptor set
 * file, as {@code protoc --descriptor_set_out --include_imports} writes it (built here with
 * protobuf-java's own descriptor types): scalars, enums, repeated fields, the wrapper types for
 * nullable values, {@code google.protobuf.Timestamp}; what does not fit is malformed, naming why.
 */
class ProtobufEventsTest {
  @TempDir Path directory;

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
}
