package io.icebergonline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
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
  /** feast.test.DriverStats, in driver.proto. */
  public static final Descriptors.Descriptor TYPE;

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
    return message(TYPE, upsert).toByteArray();
  }

  /**
   * The upsert's JSON value as a message of {@code type}: the fields of the event the type has
   * (trips and city as wrappers or scalars, as the type declares them; the event time a
   * {@code google.protobuf.Timestamp}).
   */
  public static DynamicMessage message(Descriptors.Descriptor type, GeneratedEvent upsert) {
    JsonNode json = json(upsert);
    JsonNode time = json.get("event_timestamp");
    Instant eventTime = time.isNumber() ? Instant.ofEpochMilli(time.longValue()) : Instant.parse(time.textValue());
    DynamicMessage.Builder message = DynamicMessage.newBuilder(type)
        .setField(type.findFieldByName("driver_id"), json.get("driver_id").longValue())
        .setField(type.findFieldByName("conv_rate"), json.get("conv_rate").doubleValue())
        .setField(type.findFieldByName("event_timestamp"), Timestamp.newBuilder()
            .setSeconds(eventTime.getEpochSecond()).setNanos(eventTime.getNano()).build());
    Descriptors.FieldDescriptor created = type.findFieldByName("created");
    if (created != null) {
      message.setField(created, json.get("created").longValue());
    }
    Descriptors.FieldDescriptor trips = type.findFieldByName("trips");
    if (trips != null && json.hasNonNull("trips")) {
      long value = json.get("trips").longValue();
      message.setField(trips, trips.getJavaType() == Descriptors.FieldDescriptor.JavaType.MESSAGE
          ? Int64Value.of(value) : value);
    }
    Descriptors.FieldDescriptor city = type.findFieldByName("city");
    if (city != null) {
      String value = json.path("city").asText("");
      if (city.getJavaType() != Descriptors.FieldDescriptor.JavaType.MESSAGE) {
        message.setField(city, value);
      } else if (json.hasNonNull("city")) {
        message.setField(city, StringValue.of(value));
      }
    }
    return message.build();
  }

  /** The upsert as the job reads it from a message of {@code type}: only the fields the type has. */
  public static GeneratedEvent asWritten(Descriptors.Descriptor type, GeneratedEvent upsert) {
    ObjectNode json = (ObjectNode) json(upsert);
    json.retain(type.getFields().stream().map(Descriptors.FieldDescriptor::getName).toList());
    try {
      return new GeneratedEvent(upsert.kind(), upsert.driverId(), upsert.key(), JSON.writeValueAsBytes(json),
          upsert.recordTimestamp(), upsert.malformedReason());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode json(GeneratedEvent upsert) {
    try {
      return JSON.readTree(upsert.value());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
