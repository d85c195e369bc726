package io.icebergonline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Int64Value;
import com.google.protobuf.Timestamp;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WrappersProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * The generator's driver_stats upserts as Protobuf messages of {@code feast.test.DriverStats}
 * (proto3: {@code int64 driver_id = 1; double conv_rate = 2; google.protobuf.Int64Value trips = 3;
 * string city = 4; google.protobuf.Timestamp event_timestamp = 5; int64 created = 6;}), with the
 * descriptor set {@code protoc --descriptor_set_out --include_imports} would write for it. Every
 * field of an event is kept, so the oracle of the JSON events holds for the messages.
 */
public final class GeneratedProtobuf {
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String MESSAGE = "feast.test.DriverStats";
  /** The serialized {@code FileDescriptorSet}: driver.proto and the well-known types it imports. */
  public static final byte[] DESCRIPTOR_SET;
  private static final Descriptors.Descriptor TYPE;

  static {
    FileDescriptorProto driver = FileDescriptorProto.newBuilder().setName("driver.proto").setPackage("feast.test")
        .setSyntax("proto3").addDependency("google/protobuf/timestamp.proto")
        .addDependency("google/protobuf/wrappers.proto")
        .addMessageType(DescriptorProto.newBuilder().setName("DriverStats")
            .addField(scalar("driver_id", 1, FieldDescriptorProto.Type.TYPE_INT64))
            .addField(scalar("conv_rate", 2, FieldDescriptorProto.Type.TYPE_DOUBLE))
            .addField(message("trips", 3, ".google.protobuf.Int64Value"))
            .addField(scalar("city", 4, FieldDescriptorProto.Type.TYPE_STRING))
            .addField(message("event_timestamp", 5, ".google.protobuf.Timestamp"))
            .addField(scalar("created", 6, FieldDescriptorProto.Type.TYPE_INT64)))
        .build();
    DESCRIPTOR_SET = FileDescriptorSet.newBuilder().addFile(TimestampProto.getDescriptor().toProto())
        .addFile(WrappersProto.getDescriptor().toProto()).addFile(driver).build().toByteArray();
    try {
      TYPE = Descriptors.FileDescriptor.buildFrom(driver, new Descriptors.FileDescriptor[] {
          TimestampProto.getDescriptor(), WrappersProto.getDescriptor()}).findMessageTypeByName("DriverStats");
    } catch (Descriptors.DescriptorValidationException e) {
      throw new IllegalStateException(e);
    }
  }

  private GeneratedProtobuf() {}

  private static FieldDescriptorProto scalar(String name, int number, FieldDescriptorProto.Type type) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type).build();
  }

  private static FieldDescriptorProto message(String name, int number, String type) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number)
        .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(type).build();
  }

  /** The upsert's JSON value as a serialized message. */
  public static byte[] message(GeneratedEvent upsert) {
    JsonNode json;
    try {
      json = JSON.readTree(upsert.value());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JsonNode time = json.get("event_timestamp");
    Instant eventTime = time.isNumber() ? Instant.ofEpochMilli(time.longValue()) : Instant.parse(time.textValue());
    DynamicMessage.Builder message = DynamicMessage.newBuilder(TYPE)
        .setField(TYPE.findFieldByName("driver_id"), json.get("driver_id").longValue())
        .setField(TYPE.findFieldByName("conv_rate"), json.get("conv_rate").doubleValue())
        .setField(TYPE.findFieldByName("city"), json.path("city").asText(""))
        .setField(TYPE.findFieldByName("event_timestamp"), Timestamp.newBuilder()
            .setSeconds(eventTime.getEpochSecond()).setNanos(eventTime.getNano()).build())
        .setField(TYPE.findFieldByName("created"), json.get("created").longValue());
    if (json.hasNonNull("trips")) {
      message.setField(TYPE.findFieldByName("trips"), Int64Value.of(json.get("trips").longValue()));
    }
    return message.build().toByteArray();
  }
}
