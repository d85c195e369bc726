package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WrappersProto;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.ProtobufDescriptors;
import io.icebergonline.testing.PlaceholderConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pushed row as a Protobuf message of the view's type: the fields the job then reads, by name. */
class EventEncoderTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path directory;

  @Test
  void aRowBecomesAMessageOfTheViewsTypeAndWhatDoesNotFitIsA400() throws Exception {
    FileDescriptorProto driver = FileDescriptorProto.newBuilder().setName("driver.proto").setPackage("feast.test")
        .setSyntax("proto3").addDependency("google/protobuf/timestamp.proto")
        .addDependency("google/protobuf/wrappers.proto")
        .addMessageType(DescriptorProto.newBuilder().setName("DriverStats")
            .addField(FieldDescriptorProto.newBuilder().setName("driver_id").setNumber(1)
                .setType(FieldDescriptorProto.Type.TYPE_INT64))
            .addField(FieldDescriptorProto.newBuilder().setName("trips").setNumber(2)
                .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".google.protobuf.Int64Value"))
            .addField(FieldDescriptorProto.newBuilder().setName("tags").setNumber(3)
                .setType(FieldDescriptorProto.Type.TYPE_STRING).setLabel(FieldDescriptorProto.Label.LABEL_REPEATED))
            .addField(FieldDescriptorProto.newBuilder().setName("event_timestamp").setNumber(4)
                .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".google.protobuf.Timestamp")))
        .build();
    Path file = directory.resolve("driver.desc");
    Files.write(file, FileDescriptorSet.newBuilder().addFile(TimestampProto.getDescriptor().toProto())
        .addFile(WrappersProto.getDescriptor().toProto()).addFile(driver).build().toByteArray());
    FeatureViewSpec view = JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: driver_stats",
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: trips, type: INT64 }, { name: tags, type: STRING_LIST } ]",
        "    format: protobuf",
        "    protobuf_descriptor_file: " + file,
        "    protobuf_message: feast.test.DriverStats"), name -> null).featureViews().get(0);
    Descriptors.Descriptor type = ProtobufDescriptors.message(view.format().protobufDescriptors(),
        "feast.test.DriverStats");
    EventEncoder encoder = new EventEncoder(view);

    JsonNode event = JSON.readTree("""
        {"driver_id": 7, "trips": 3, "tags": ["a", "b"], "event_timestamp": "2026-12-06T10:00:00.250Z"}""");
    DynamicMessage message = DynamicMessage.parseFrom(type, encoder.value(event, "df row 0"));

    assertThat(message.getField(type.findFieldByName("driver_id"))).isEqualTo(7L);
    Message trips = (Message) message.getField(type.findFieldByName("trips"));
    assertThat(trips.getField(trips.getDescriptorForType().findFieldByName("value"))).isEqualTo(3L);
    assertThat(message.getRepeatedFieldCount(type.findFieldByName("tags"))).isEqualTo(2);
    Message time = (Message) message.getField(type.findFieldByName("event_timestamp"));
    assertThat(time.getField(time.getDescriptorForType().findFieldByName("seconds")))
        .isEqualTo(java.time.Instant.parse("2026-12-06T10:00:00Z").getEpochSecond());
    assertThat(time.getField(time.getDescriptorForType().findFieldByName("nanos"))).isEqualTo(250_000_000);
    DynamicMessage withoutTrips = DynamicMessage.parseFrom(type, encoder.value(JSON.readTree("""
        {"driver_id": 8, "trips": null, "event_timestamp": "2026-12-06T10:00:00Z"}"""), "df row 1"));
    assertThat(withoutTrips.hasField(type.findFieldByName("trips"))).as("null stays unset").isFalse();

    assertThatThrownBy(() -> encoder.value(JSON.readTree("{\"driver_id\": 1.5}"), "df row 2"))
        .isInstanceOf(RequestException.class)
        .hasMessage("df row 2.driver_id: the view's Protobuf field is int64, which 1.5 does not fit");
  }
}
