package io.icebergonline.job.pipeline;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the fields a view takes straight from a Protobuf message's bytes, in the forms {@link
 * ProtobufValues} converts (the wrapper types as their value, {@code google.protobuf.Timestamp} as
 * a {@link Timestamp}), and skips the others by their framing, without decoding them. Protobuf's {@link DynamicMessage} builds a map entry
 * per field of every message and took 63% of the Protobuf parse in a profile (its sorted field map
 * alone 23%), which left this format slower than JSON; this reader does not build the message.
 * What it does not take on itself (a message field of another type or repeated, a singular
 * message field sent twice, which Protobuf merges, a real oneof, proto2 {@code required} fields,
 * a wire type other than the field's, an enum number the type does not name, groups) it leaves to
 * {@link DynamicMessage} by returning null, so every record reads as Protobuf defines it.
 */
final class ProtobufFieldReader {
  /** A {@code google.protobuf.Timestamp}. */
  record Timestamp(long seconds, int nanos) {}

  private enum Kind { SCALAR, TIMESTAMP, WRAPPER }

  /** A field of the message that the view has. */
  private record Planned(FieldDescriptor field, int column, Kind kind, FieldDescriptor wrapped) {}

  private final List<Planned> planned = new ArrayList<>();
  private final Map<Integer, Integer> plannedByNumber = new HashMap<>();
  /** True when no record of this type can be read here (see the class comment). */
  private final boolean dynamicOnly;
  private final boolean proto3;

  ProtobufFieldReader(Descriptors.Descriptor type, Map<String, Integer> columnsByName) {
    boolean dynamic = false;
    for (FieldDescriptor field : type.getFields()) {
      dynamic |= field.isRequired();
      Integer column = columnsByName.get(field.getName());
      if (column == null) {
        continue;
      }
      Kind kind = Kind.SCALAR;
      FieldDescriptor wrapped = null;
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        String name = field.getMessageType().getFullName();
        if (name.equals("google.protobuf.Timestamp")) {
          kind = Kind.TIMESTAMP;
        } else if (field.getMessageType().getFile().getName().equals("google/protobuf/wrappers.proto")) {
          kind = Kind.WRAPPER;
          wrapped = field.getMessageType().findFieldByName("value");
        } else {
          dynamic = true;
        }
        dynamic |= field.isRepeated();
      }
      dynamic |= field.getRealContainingOneof() != null;
      plannedByNumber.put(field.getNumber(), planned.size());
      planned.add(new Planned(field, column, kind, wrapped));
    }
    this.dynamicOnly = dynamic;
    this.proto3 = type.getFile().toProto().getSyntax().equals("proto3");
  }

  /** How many fields of the message the view has; {@code i} below counts them. */
  int fields() {
    return planned.size();
  }

  FieldDescriptor field(int i) {
    return planned.get(i).field();
  }

  int column(int i) {
    return planned.get(i).column();
  }

  /**
   * The raw value of each planned field, as {@link ProtobufValues#raw} gives it (null where the
   * field has presence and is not set); null when the record is for {@link DynamicMessage}.
   */
  Object[] read(byte[] bytes, int offset) throws IOException {
    if (dynamicOnly) {
      return null;
    }
    Object[] values = new Object[planned.size()];
    boolean[] seen = new boolean[planned.size()];
    CodedInputStream in = CodedInputStream.newInstance(bytes, offset, bytes.length - offset);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      Integer index = plannedByNumber.get(WireFormat.getTagFieldNumber(tag));
      if (index == null) {
        if (!in.skipField(tag)) {
          return null; // an end-group tag: groups are left to DynamicMessage
        }
        continue;
      }
      Planned field = planned.get(index);
      int wireType = WireFormat.getTagWireType(tag);
      Object value;
      if (field.kind() != Kind.SCALAR) {
        if (seen[index] || wireType != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          return null; // a message sent twice is merged; a wrong wire type is an unknown field
        }
        value = readMessage(in, field);
        if (value == null) {
          return null;
        }
      } else if (field.field().isRepeated()) {
        @SuppressWarnings("unchecked")
        List<Object> list = seen[index] ? (List<Object>) values[index] : new ArrayList<>();
        if (wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED && field.field().isPackable()) {
          int limit = in.pushLimit(in.readRawVarint32());
          while (in.getBytesUntilLimit() > 0) {
            Object element = scalar(in, field.field());
            if (element == null) {
              return null;
            }
            list.add(element);
          }
          in.popLimit(limit);
        } else if (wireType == field.field().getLiteType().getWireType()) {
          Object element = scalar(in, field.field());
          if (element == null) {
            return null;
          }
          list.add(element);
        } else {
          return null;
        }
        value = list;
      } else {
        if (wireType != field.field().getLiteType().getWireType()) {
          return null;
        }
        value = scalar(in, field.field());
        if (value == null) {
          return null;
        }
      }
      values[index] = value;
      seen[index] = true;
    }
    for (int i = 0; i < values.length; i++) {
      if (!seen[i]) {
        FieldDescriptor field = planned.get(i).field();
        values[i] = field.isRepeated() ? List.of() : field.hasPresence() ? null : field.getDefaultValue();
      }
    }
    return values;
  }

  /** The raw value of each planned field of {@code message}, as {@link #read} gives it. */
  Object[] values(DynamicMessage message) {
    Object[] values = new Object[planned.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = ProtobufValues.raw(message, planned.get(i).field());
    }
    return values;
  }

  /** A timestamp or a wrapper's value; null when the message holds what only DynamicMessage reads. */
  private Object readMessage(CodedInputStream in, Planned field) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    long seconds = 0;
    int nanos = 0;
    Object wrappedValue = field.kind() == Kind.WRAPPER ? field.wrapped().getDefaultValue() : null;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int number = WireFormat.getTagFieldNumber(tag);
      int wireType = WireFormat.getTagWireType(tag);
      if (field.kind() == Kind.TIMESTAMP && number == 1 && wireType == WireFormat.WIRETYPE_VARINT) {
        seconds = in.readInt64();
      } else if (field.kind() == Kind.TIMESTAMP && number == 2 && wireType == WireFormat.WIRETYPE_VARINT) {
        nanos = in.readInt32();
      } else if (field.kind() == Kind.WRAPPER && number == 1
          && wireType == field.wrapped().getLiteType().getWireType()) {
        wrappedValue = scalar(in, field.wrapped());
        if (wrappedValue == null) {
          return null;
        }
      } else if (!in.skipField(tag)) {
        return null;
      }
    }
    in.checkLastTagWas(0);
    in.popLimit(limit);
    return field.kind() == Kind.TIMESTAMP ? new Timestamp(seconds, nanos) : wrappedValue;
  }

  /** A scalar field's value as DynamicMessage holds it; null for an enum number the type does not name. */
  private Object scalar(CodedInputStream in, FieldDescriptor field) throws IOException {
    return switch (field.getType()) {
      case DOUBLE -> in.readDouble();
      case FLOAT -> in.readFloat();
      case INT64 -> in.readInt64();
      case UINT64 -> in.readUInt64();
      case INT32 -> in.readInt32();
      case FIXED64 -> in.readFixed64();
      case FIXED32 -> in.readFixed32();
      case BOOL -> in.readBool();
      case STRING -> proto3 ? in.readStringRequireUtf8() : in.readString();
      case BYTES -> in.readBytes();
      case UINT32 -> in.readUInt32();
      case SFIXED32 -> in.readSFixed32();
      case SFIXED64 -> in.readSFixed64();
      case SINT32 -> in.readSInt32();
      case SINT64 -> in.readSInt64();
      case ENUM -> field.getEnumType().findValueByNumber(in.readEnum());
      case MESSAGE, GROUP -> null;
    };
  }
}
