package io.icebergonline.job.pipeline;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.icebergonline.core.EventFormat;
import io.icebergonline.core.FeastValueType;
import io.icebergonline.core.ProtobufDescriptors;
import io.icebergonline.core.SchemaRegistryClient;
import io.icebergonline.core.TimestampUnit;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;

/**
 * Protobuf messages of a view's type (from the descriptor set of its config, or framed by a schema
 * registry, whose schemas are fetched once per id), read with
 * protobuf-java's {@link DynamicMessage}, and their fields as the view's internal values, by
 * field name as {@link AvroValues} does for Avro: numbers widen where nothing is lost, enums to
 * STRING by name, {@code bytes} to BYTES, repeated fields to list types, the wrapper types
 * ({@code google.protobuf.Int64Value}, ...) to their value or null, {@code google.protobuf.Timestamp}
 * (or a long in the view's unit, or an ISO-8601 string) to a time. A field without presence (a
 * proto3 scalar) that is not set holds its default, as Protobuf defines; one with presence is null.
 */
final class ProtobufValues implements Serializable {
  private static final long serialVersionUID = 1L;

  private final EventFormat format;
  /** The type of plain messages (from the descriptor set), null when messages are framed. */
  private transient Descriptors.Descriptor type;
  private transient SchemaRegistryClient registry;
  /** The file of each schema id met so far, built once per id. */
  private transient Map<Integer, Descriptors.FileDescriptor> filesById;

  ProtobufValues(EventFormat format) {
    this.format = format;
  }

  /** True when {@code bytes} carry the registry's framing (what a framed key looks like; a JSON key does not). */
  boolean isFramed(byte[] bytes) {
    return format.framed() && bytes.length >= 6 && bytes[0] == AvroRecords.MAGIC_BYTE;
  }

  /** Where a record's message starts and its type; {@code schemaId} is -1 for plain messages. */
  record Located(Descriptors.Descriptor type, int offset, int schemaId) {}

  /** The message {@code bytes} hold; {@code what} names them in errors ("value", "tombstone key"). */
  DynamicMessage read(byte[] bytes, String what) throws MalformedEventException {
    return parse(bytes, locate(bytes, what), what);
  }

  /** The message at {@code at} in {@code bytes}, read by protobuf-java's {@link DynamicMessage}. */
  static DynamicMessage parse(byte[] bytes, Located at, String what) throws MalformedEventException {
    try {
      return DynamicMessage.parseFrom(at.type(), CodedInputStream.newInstance(bytes, at.offset(),
          bytes.length - at.offset()));
    } catch (IOException e) {
      throw notAMessage(what, at, e);
    }
  }

  /**
   * The type and start of the message {@code bytes} hold. Framed: magic byte 0, the schema id,
   * the message indexes naming the message in that schema's file, then the message.
   */
  Located locate(byte[] bytes, String what) throws MalformedEventException {
    if (!format.framed()) {
      if (type == null) {
        type = ProtobufDescriptors.message(format.protobufDescriptors(), format.protobufMessage());
      }
      return new Located(type, 0, -1);
    }
    if (bytes.length < 6 || bytes[0] != AvroRecords.MAGIC_BYTE) {
      throw new MalformedEventException(what + " is not framed by a schema registry (magic byte 0, a schema id and "
          + "message indexes)" + (bytes.length == 0 ? ": it is empty" : ": its first byte is " + (bytes[0] & 0xff)));
    }
    int id = ((bytes[1] & 0xff) << 24) | ((bytes[2] & 0xff) << 16) | ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff);
    Descriptors.FileDescriptor file = file(id, what);
    CodedInputStream in = CodedInputStream.newInstance(bytes, 5, bytes.length - 5);
    int[] indexes;
    try {
      indexes = ProtobufDescriptors.readIndexes(in);
    } catch (IOException e) {
      throw new MalformedEventException(what + " has no readable message indexes after schema id " + id + ": "
          + e.getMessage());
    }
    Descriptors.Descriptor message = ProtobufDescriptors.messageAt(file, indexes);
    if (message == null) {
      throw new MalformedEventException(what + " names message indexes " + Arrays.toString(indexes) + ", which schema id "
          + id + " (" + file.getName() + ") does not have");
    }
    return new Located(message, 5 + in.getTotalBytesRead(), id);
  }

  /** {@code what} does not decode as a message of the type it names. */
  static MalformedEventException notAMessage(String what, Located at, IOException e) {
    return new MalformedEventException(what + " is not a Protobuf " + at.type().getFullName()
        + (at.schemaId() < 0 ? "" : " of schema id " + at.schemaId()) + ": " + e.getMessage());
  }

  private Descriptors.FileDescriptor file(int id, String what) throws MalformedEventException {
    if (filesById == null) {
      filesById = new HashMap<>();
      registry = SchemaRegistryClient.of(format.registry());
    }
    Descriptors.FileDescriptor file = filesById.get(id);
    if (file == null) {
      Optional<SchemaRegistryClient.RegisteredSchema> registered = registry.protobufSchema(id);
      if (registered.isEmpty()) {
        throw new MalformedEventException(what + " names schema id " + id + ", which the schema registry does not know");
      }
      if (!registered.get().type().equals("PROTOBUF")) {
        throw new MalformedEventException(what + " names schema id " + id + ", a " + registered.get().type()
            + " schema; this view's format is protobuf");
      }
      try {
        file = ProtobufDescriptors.registered(registry, registered.get());
      } catch (IllegalArgumentException e) {
        throw new MalformedEventException(what + " names schema id " + id + ", which cannot be built: " + e.getMessage());
      }
      filesById.put(id, file);
    }
    return file;
  }

  /** The field's value in the message: null where the field has presence and is not set. */
  static Object raw(Message message, Descriptors.FieldDescriptor field) {
    if (!field.isRepeated() && field.hasPresence() && !message.hasField(field)) {
      return null;
    }
    return message.getField(field);
  }

  static Object toInternal(String column, FeastValueType type, Object value, Descriptors.FieldDescriptor field,
      TimestampUnit unit) throws MalformedEventException {
    if (value == null) {
      return null;
    }
    if (type.isList()) {
      if (!field.isRepeated()) {
        throw wrongType(column, type, field);
      }
      List<?> elements = (List<?>) value;
      Object[] converted = new Object[elements.size()];
      for (int i = 0; i < converted.length; i++) {
        converted[i] = scalar(column + "[" + i + "]", type.elementType(), unwrap(elements.get(i)), field, unit);
      }
      return new GenericArrayData(converted);
    }
    if (field.isRepeated()) {
      throw wrongType(column, type, field);
    }
    return scalar(column, type, unwrap(value), field, unit);
  }

  private static Object scalar(String column, FeastValueType type, Object value, Descriptors.FieldDescriptor field,
      TimestampUnit unit) throws MalformedEventException {
    if (value == null) {
      return null;
    }
    if (type == FeastValueType.UNIX_TIMESTAMP) {
      return TimestampData.fromInstant(instant(column, value, unit));
    }
    switch (type) {
      case INT64:
        if (value instanceof Long || value instanceof Integer) {
          return ((Number) value).longValue();
        }
        break;
      case INT32:
        if (value instanceof Integer) {
          return value;
        }
        if (value instanceof Long wide && wide == (int) (long) wide) {
          return (int) (long) wide;
        }
        break;
      case DOUBLE:
        if (value instanceof Number number && Double.isFinite(number.doubleValue())) {
          return number.doubleValue();
        }
        break;
      case FLOAT:
        if (value instanceof Number number && Float.isFinite(number.floatValue())) {
          return number.floatValue();
        }
        break;
      case STRING:
        if (value instanceof String text) {
          return StringData.fromString(text);
        }
        if (value instanceof Descriptors.EnumValueDescriptor symbol) {
          return StringData.fromString(symbol.getName());
        }
        break;
      case BYTES:
        if (value instanceof ByteString bytes) {
          return bytes.toByteArray();
        }
        break;
      case BOOL:
        if (value instanceof Boolean) {
          return value;
        }
        break;
      default:
        break;
    }
    throw wrongType(column, type, field);
  }

  /** An event, created or UNIX_TIMESTAMP time: a {@code google.protobuf.Timestamp}, a long in the view's unit, or an ISO-8601 string. */
  static Instant instant(String column, Object value, TimestampUnit unit) throws MalformedEventException {
    Object unwrapped = unwrap(value);
    if (unwrapped instanceof ProtobufFieldReader.Timestamp timestamp) {
      long micros = JsonValues.epochMicros(column, timestamp.seconds(), TimestampUnit.SECONDS) + timestamp.nanos() / 1_000;
      return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
    if (unwrapped instanceof Message timestamp
        && timestamp.getDescriptorForType().getFullName().equals("google.protobuf.Timestamp")) {
      Descriptors.Descriptor descriptor = timestamp.getDescriptorForType();
      long seconds = (Long) timestamp.getField(descriptor.findFieldByName("seconds"));
      int nanos = (Integer) timestamp.getField(descriptor.findFieldByName("nanos"));
      long micros = JsonValues.epochMicros(column, seconds, TimestampUnit.SECONDS) + nanos / 1_000;
      return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
    if (unwrapped instanceof Long || unwrapped instanceof Integer) {
      long micros = JsonValues.epochMicros(column, ((Number) unwrapped).longValue(), unit);
      return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
    if (unwrapped instanceof String text) {
      try {
        Instant instant = Instant.parse(text.trim()).truncatedTo(ChronoUnit.MICROS);
        if (instant.isBefore(JsonValues.EARLIEST) || instant.isAfter(JsonValues.LATEST)) {
          throw new MalformedEventException("bad timestamp " + column + ": " + instant + " is outside "
              + JsonValues.EARLIEST + ".." + JsonValues.LATEST);
        }
        return instant;
      } catch (DateTimeParseException e) {
        throw new MalformedEventException("bad timestamp " + column + ": expected an ISO-8601 instant, got '"
            + (text.length() <= 40 ? text : text.substring(0, 40) + "...") + "'");
      }
    }
    throw new MalformedEventException("bad timestamp " + column + ": expected a google.protobuf.Timestamp, "
        + "an integer or a string, got " + (unwrapped instanceof Message message
            ? message.getDescriptorForType().getFullName() : unwrapped.getClass().getSimpleName()));
  }

  /** The value of a wrapper message ({@code google.protobuf.Int64Value}, ...); anything else as it is. */
  private static Object unwrap(Object value) {
    if (value instanceof Message message
        && message.getDescriptorForType().getFile().getName().equals("google/protobuf/wrappers.proto")) {
      return message.getField(message.getDescriptorForType().findFieldByName("value"));
    }
    return value;
  }

  private static MalformedEventException wrongType(String column, FeastValueType type,
      Descriptors.FieldDescriptor field) {
    String found = field.getType() == Descriptors.FieldDescriptor.Type.MESSAGE ? field.getMessageType().getFullName()
        : field.getType().name().toLowerCase(java.util.Locale.ROOT);
    return new MalformedEventException(column + ": expected " + type + ", got Protobuf "
        + (field.isRepeated() ? "repeated " : "") + found);
  }
}
