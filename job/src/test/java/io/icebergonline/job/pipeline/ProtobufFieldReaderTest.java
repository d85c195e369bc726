package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Int64Value;
import com.google.protobuf.Message;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WireFormat;
import com.google.protobuf.WrappersProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Protobuf field reader against protobuf-java's {@link DynamicMessage} on the same bytes:
 * every field the view has reads to the same value, or the reader leaves the record to
 * DynamicMessage (a timestamp sent twice, which Protobuf merges; an enum number the type does not
 * name), and bytes that are no message fail both.
 */
class ProtobufFieldReaderTest {
  private static final Descriptors.Descriptor TYPE = type();
  /** The view's columns: every field but {@code ignored}. */
  private static final Map<String, Integer> COLUMNS = Map.of("driver_id", 0, "conv_rate", 1, "trips", 2, "tier", 3,
      "tags", 4, "raw", 5, "event_timestamp", 6, "counts", 7);

  private static Descriptors.Descriptor type() {
    FileDescriptorProto file = FileDescriptorProto.newBuilder().setName("reader.proto").setPackage("test")
        .setSyntax("proto3").addDependency("google/protobuf/timestamp.proto")
        .addDependency("google/protobuf/wrappers.proto")
        .addEnumType(EnumDescriptorProto.newBuilder().setName("Tier")
            .addValue(EnumValueDescriptorProto.newBuilder().setName("TIER_UNKNOWN").setNumber(0))
            .addValue(EnumValueDescriptorProto.newBuilder().setName("GOLD").setNumber(1)))
        .addMessageType(DescriptorProto.newBuilder().setName("Stats")
            .addField(field("driver_id", 1, FieldDescriptorProto.Type.TYPE_INT64, null, false))
            .addField(field("conv_rate", 2, FieldDescriptorProto.Type.TYPE_FLOAT, null, false))
            .addField(field("trips", 3, FieldDescriptorProto.Type.TYPE_MESSAGE, ".google.protobuf.Int64Value", false))
            .addField(field("tier", 4, FieldDescriptorProto.Type.TYPE_ENUM, ".test.Tier", false))
            .addField(field("tags", 5, FieldDescriptorProto.Type.TYPE_STRING, null, true))
            .addField(field("raw", 6, FieldDescriptorProto.Type.TYPE_BYTES, null, false))
            .addField(field("event_timestamp", 7, FieldDescriptorProto.Type.TYPE_MESSAGE, ".google.protobuf.Timestamp",
                false))
            .addField(field("counts", 8, FieldDescriptorProto.Type.TYPE_SINT64, null, true))
            .addField(field("ignored", 9, FieldDescriptorProto.Type.TYPE_STRING, null, false)))
        .build();
    try {
      return Descriptors.FileDescriptor.buildFrom(file, new Descriptors.FileDescriptor[] {
          TimestampProto.getDescriptor(), WrappersProto.getDescriptor()}).findMessageTypeByName("Stats");
    } catch (Descriptors.DescriptorValidationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static FieldDescriptorProto field(String name, int number, FieldDescriptorProto.Type type, String typeName,
      boolean repeated) {
    FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
        .setLabel(repeated ? FieldDescriptorProto.Label.LABEL_REPEATED : FieldDescriptorProto.Label.LABEL_OPTIONAL);
    return (typeName == null ? field : field.setTypeName(typeName)).build();
  }

  private static DynamicMessage.Builder full() {
    return DynamicMessage.newBuilder(TYPE)
        .setField(TYPE.findFieldByName("driver_id"), 42L)
        .setField(TYPE.findFieldByName("conv_rate"), 0.25f)
        .setField(TYPE.findFieldByName("trips"), DynamicMessage.newBuilder(Int64Value.of(7)).build())
        .setField(TYPE.findFieldByName("tier"), TYPE.getFile().findEnumTypeByName("Tier").findValueByName("GOLD"))
        .addRepeatedField(TYPE.findFieldByName("tags"), "a")
        .addRepeatedField(TYPE.findFieldByName("tags"), "b")
        .setField(TYPE.findFieldByName("raw"), ByteString.copyFrom(new byte[] {1, 2}))
        .setField(TYPE.findFieldByName("event_timestamp"), DynamicMessage.newBuilder(
            com.google.protobuf.Timestamp.newBuilder().setSeconds(1_767_225_600L).setNanos(5_000).build()).build())
        .addRepeatedField(TYPE.findFieldByName("counts"), -3L)
        .addRepeatedField(TYPE.findFieldByName("counts"), 4L)
        .setField(TYPE.findFieldByName("ignored"), "x");
  }

  /** What the reader reads, each value as ProtobufValues takes it: wrappers as their value, timestamps as records. */
  private static List<Object> fast(byte[] bytes) throws IOException {
    Object[] values = new ProtobufFieldReader(TYPE, COLUMNS).read(bytes, 0);
    return values == null ? null : Arrays.asList(values);
  }

  /** What DynamicMessage reads, in the forms of {@link #fast}. */
  private static List<Object> dynamic(byte[] bytes) throws IOException {
    List<Object> values = new ArrayList<>();
    for (Object value : new ProtobufFieldReader(TYPE, COLUMNS).values(DynamicMessage.parseFrom(TYPE, bytes))) {
      values.add(normal(value));
    }
    return values;
  }

  private static Object normal(Object value) {
    if (value instanceof List<?> list) {
      return list.stream().map(ProtobufFieldReaderTest::normal).toList();
    }
    if (value instanceof Message message) {
      Descriptors.Descriptor type = message.getDescriptorForType();
      if (type.getFullName().equals("google.protobuf.Timestamp")) {
        return new ProtobufFieldReader.Timestamp((Long) message.getField(type.findFieldByName("seconds")),
            (Integer) message.getField(type.findFieldByName("nanos")));
      }
      return message.getField(type.findFieldByName("value"));
    }
    return value;
  }

  @Test
  void everyFieldTheViewHasReadsAsDynamicMessageReadsIt() throws Exception {
    byte[] full = full().build().toByteArray();
    byte[] empty = new byte[0];
    byte[] emptyWrapper = full().setField(TYPE.findFieldByName("trips"),
        DynamicMessage.newBuilder(Int64Value.getDescriptor()).build()).build().toByteArray();

    for (byte[] bytes : List.of(full, empty, emptyWrapper, unpackedCountsAndDriverIdTwice())) {
      assertThat(fast(bytes)).isNotNull().isEqualTo(dynamic(bytes));
    }
    assertThat(fast(empty).get(0)).as("an unset proto3 scalar holds its default").isEqualTo(0L);
    assertThat(fast(empty).get(2)).as("an unset wrapper is null").isNull();
    assertThat(fast(emptyWrapper).get(2)).as("a wrapper without its value holds the value's default").isEqualTo(0L);
    assertThat(fast(unpackedCountsAndDriverIdTwice()).get(0)).as("the last of a scalar sent twice").isEqualTo(9L);
  }

  /** counts not packed (each element its own tag, as proto2 writers send them), and driver_id sent twice. */
  private static byte[] unpackedCountsAndDriverIdTwice() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeInt64(1, 8L);
    out.writeSInt64(8, -3L);
    out.writeSInt64(8, 4L);
    out.writeInt64(1, 9L);
    out.flush();
    return bytes.toByteArray();
  }

  @Test
  void whatProtobufMergesOrDoesNotNameIsLeftToDynamicMessage() throws Exception {
    byte[] timestampTwice = concat(full().build().toByteArray(), DynamicMessage.newBuilder(TYPE)
        .setField(TYPE.findFieldByName("event_timestamp"), DynamicMessage.newBuilder(
            com.google.protobuf.Timestamp.newBuilder().setNanos(7).build()).build()).build().toByteArray());
    ByteArrayOutputStream unknownEnum = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(unknownEnum);
    out.writeEnum(4, 99);
    out.flush();
    ByteArrayOutputStream wrongWireType = new ByteArrayOutputStream();
    out = CodedOutputStream.newInstance(wrongWireType);
    out.writeTag(1, WireFormat.WIRETYPE_FIXED64);
    out.writeFixed64NoTag(5L);
    out.flush();

    for (byte[] bytes : List.of(timestampTwice, unknownEnum.toByteArray(), wrongWireType.toByteArray())) {
      assertThat(fast(bytes)).isNull();
      assertThat(dynamic(bytes)).hasSize(COLUMNS.size());
    }
    assertThat(dynamic(timestampTwice).get(6)).as("merged: the seconds of the first, the nanos of the second")
        .isEqualTo(new ProtobufFieldReader.Timestamp(1_767_225_600L, 7));
  }

  @Test
  void bytesThatAreNoMessageFailTheReaderAsTheyFailDynamicMessage() {
    byte[] full = full().build().toByteArray();
    byte[] truncated = Arrays.copyOf(full, full.length - 1); // the last string's byte
    assertThatThrownBy(() -> fast(truncated)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> dynamic(truncated)).isInstanceOf(IOException.class);
  }

  private static byte[] concat(byte[] first, byte[] second) {
    byte[] both = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, both, first.length, second.length);
    return both;
  }
}
