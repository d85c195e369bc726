package io.icebergonline.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Timestamp;
import io.icebergonline.core.EventFormat;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.ProtobufDescriptors;
import io.icebergonline.core.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * A pushed or written row as the value of a Kafka record in the view's format, so the job reads
 * it as it reads every other record of the topic: JSON, or Avro of the view's {@code avro_schema},
 * or Avro framed with the id of the latest schema of the topic's subject ({@code <topic>-value},
 * the registry's default subject naming) when the view's records come framed by a registry, or a
 * Protobuf message of the view's type, likewise framed with the latest schema of that subject and
 * the message's indexes when a registry frames the view's records.
 */
final class EventEncoder {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Conversions.DecimalConversion DECIMALS = new Conversions.DecimalConversion();

  private final FeatureViewSpec view;
  private final Schema plainSchema;
  private final Descriptors.Descriptor protobufType;
  private volatile ParsedSchema lastParsed;

  /** A registered schema ready to write with: {@code schema} for Avro, {@code message} for Protobuf. */
  private record ParsedSchema(int id, Schema schema, Descriptors.Descriptor message) {}

  EventEncoder(FeatureViewSpec view) {
    this.view = view;
    EventFormat format = view.format();
    this.plainSchema = format.kind() == EventFormat.Kind.AVRO && !format.framed()
        ? new Schema.Parser().parse(format.avroSchema()) : null;
    this.protobufType = format.kind() == EventFormat.Kind.PROTOBUF && !format.framed()
        ? ProtobufDescriptors.message(format.protobufDescriptors(), format.protobufMessage()) : null;
  }

  /** The value bytes of {@code event} (the job's event: column name to its JSON value); a 400 naming what does not fit. */
  byte[] value(JsonNode event, String where) {
    EventFormat format = view.format();
    if (format.kind() == EventFormat.Kind.JSON) {
      try {
        return JSON.writeValueAsBytes(event);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    if (protobufType != null) {
      return message(protobufType, event, where).toByteArray();
    }
    if (plainSchema != null) {
      return avro(record(plainSchema, event, where), -1);
    }
    String subject = view.topic() + "-value";
    boolean protobuf = format.kind() == EventFormat.Kind.PROTOBUF;
    SchemaRegistryClient registry = SchemaRegistryClient.of(format.registry());
    Optional<SchemaRegistryClient.RegisteredSchema> latest = registry.latest(subject, protobuf);
    String type = protobuf ? "PROTOBUF" : "AVRO";
    if (latest.isEmpty() || !latest.get().type().equals(type)) {
      throw new RequestException(503, "feature view '" + view.name() + "' takes " + (protobuf ? "Protobuf" : "Avro")
          + " framed by its schema registry, which has no " + type + " schema under subject '" + subject
          + "' to write the row with");
    }
    ParsedSchema parsed = parsed(registry, latest.get());
    if (protobuf) {
      ByteArrayOutputStream out = header(parsed.id());
      out.writeBytes(ProtobufDescriptors.indexes(parsed.message()));
      out.writeBytes(message(parsed.message(), event, where).toByteArray());
      return out.toByteArray();
    }
    return avro(record(parsed.schema(), event, where), parsed.id());
  }

  /**
   * The registered schema, parsed once per id (a write of a whole table encodes every row with
   * it): an Avro schema, or the Protobuf message the view names ({@code protobuf_message}, else
   * the file's first).
   */
  private ParsedSchema parsed(SchemaRegistryClient registry, SchemaRegistryClient.RegisteredSchema registered) {
    ParsedSchema parsed = lastParsed;
    if (parsed != null && parsed.id() == registered.id()) {
      return parsed;
    }
    if (registered.type().equals("AVRO")) {
      parsed = new ParsedSchema(registered.id(), new Schema.Parser().parse(registered.schema()), null);
    } else {
      Descriptors.FileDescriptor file = ProtobufDescriptors.registered(registry, registered);
      String name = view.format().protobufMessage();
      Descriptors.Descriptor message = name == null
          ? file.getMessageTypes().stream().findFirst().orElse(null)
          : file.getMessageTypes().stream().filter(type -> type.getFullName().equals(name)).findFirst().orElse(null);
      if (message == null) {
        throw new RequestException(503, "feature view '" + view.name() + "' takes Protobuf framed by its schema "
            + "registry, whose latest schema of subject '" + view.topic() + "-value' (id " + registered.id() + ", "
            + file.getName() + ") has no " + (name == null ? "message" : "top-level message " + name)
            + " to write the row with");
      }
      parsed = new ParsedSchema(registered.id(), null, message);
    }
    lastParsed = parsed;
    return parsed;
  }

  /** The registry's framing before the encoded value: magic byte 0, the schema id in 4 bytes, big-endian. */
  private static ByteArrayOutputStream header(int id) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
    return out;
  }

  /** Avro binary of {@code record}, framed with {@code id} (magic byte 0, 4-byte id) unless it is -1. */
  private static byte[] avro(GenericRecord record, int id) {
    ByteArrayOutputStream out = id >= 0 ? header(id) : new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    try {
      new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new IllegalStateException("writing Avro to memory failed", e);
    }
    return out.toByteArray();
  }

  private static GenericRecord record(Schema schema, JsonNode event, String where) {
    GenericData.Record record = new GenericData.Record(schema);
    for (Schema.Field field : schema.getFields()) {
      JsonNode value = event.get(field.name());
      if (value == null || value.isNull()) {
        if (!nullable(field.schema()) && !field.hasDefaultValue()) {
          throw RequestException.badRequest(where + ": the view's Avro schema needs field '" + field.name()
              + "', which has no value in the row");
        }
        record.put(field.pos(), value == null && field.hasDefaultValue() ? GenericData.get().getDefaultValue(field)
            : null);
      } else {
        record.put(field.pos(), avroValue(field.schema(), value, where + "." + field.name()));
      }
    }
    return record;
  }

  private static boolean nullable(Schema schema) {
    return schema.getType() == Schema.Type.NULL
        || schema.getType() == Schema.Type.UNION && schema.getTypes().stream().anyMatch(EventEncoder::nullable);
  }

  private static Object avroValue(Schema schema, JsonNode value, String where) {
    if (schema.getType() == Schema.Type.UNION) {
      RequestException last = null;
      for (Schema branch : schema.getTypes()) {
        if (branch.getType() != Schema.Type.NULL) {
          try {
            return avroValue(branch, value, where);
          } catch (RequestException e) {
            last = e;
          }
        }
      }
      throw last != null ? last : wrong(schema, value, where);
    }
    LogicalType logical = schema.getLogicalType();
    switch (schema.getType()) {
      case LONG:
        if (logical instanceof LogicalTypes.TimestampMillis || logical instanceof LogicalTypes.TimestampMicros) {
          if (value.isTextual()) {
            Instant instant = instant(value, where);
            return logical instanceof LogicalTypes.TimestampMillis ? instant.toEpochMilli()
                : Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
          }
        }
        if (value.isIntegralNumber() && value.canConvertToLong()) {
          return value.longValue();
        }
        break;
      case INT:
        if (logical instanceof LogicalTypes.Date && value.isTextual()) {
          return (int) LocalDate.ofInstant(instant(value, where), ZoneOffset.UTC).toEpochDay();
        }
        if (value.isIntegralNumber() && value.canConvertToInt()) {
          return value.intValue();
        }
        break;
      case DOUBLE:
        if (value.isNumber()) {
          return value.doubleValue();
        }
        break;
      case FLOAT:
        if (value.isNumber()) {
          return value.floatValue();
        }
        break;
      case STRING:
        if (value.isTextual()) {
          return value.textValue();
        }
        break;
      case BOOLEAN:
        if (value.isBoolean()) {
          return value.booleanValue();
        }
        break;
      case ENUM:
        if (value.isTextual() && schema.hasEnumSymbol(value.textValue())) {
          return new GenericData.EnumSymbol(schema, value.textValue());
        }
        break;
      case BYTES:
        if (logical instanceof LogicalTypes.Decimal decimal && value.isNumber()) {
          try {
            BigDecimal number = value.decimalValue().setScale(decimal.getScale(), RoundingMode.UNNECESSARY);
            return DECIMALS.toBytes(number, schema, decimal);
          } catch (ArithmeticException e) {
            throw RequestException.badRequest(where + ": " + FeastValues.shown(value) + " has more than the "
                + decimal.getScale() + " decimal places of the view's Avro decimal");
          }
        }
        if (value.isTextual()) {
          return ByteBuffer.wrap(base64(value, where));
        }
        break;
      case FIXED:
        if (value.isTextual()) {
          byte[] bytes = base64(value, where);
          if (bytes.length == schema.getFixedSize()) {
            return new GenericData.Fixed(schema, bytes);
          }
        }
        break;
      case ARRAY:
        if (value.isArray()) {
          List<Object> elements = new ArrayList<>(value.size());
          for (int i = 0; i < value.size(); i++) {
            JsonNode element = value.get(i);
            elements.add(element.isNull() && nullable(schema.getElementType()) ? null
                : avroValue(schema.getElementType(), element, where + "[" + i + "]"));
          }
          return elements;
        }
        break;
      default:
        break;
    }
    throw wrong(schema, value, where);
  }

  private static DynamicMessage message(Descriptors.Descriptor type, JsonNode event, String where) {
    DynamicMessage.Builder message = DynamicMessage.newBuilder(type);
    for (Descriptors.FieldDescriptor field : type.getFields()) {
      JsonNode value = event.get(field.getName());
      if (value == null || value.isNull()) {
        continue; // not set: null where the field has presence, its default where not
      }
      String at = where + "." + field.getName();
      if (field.isRepeated()) {
        if (!value.isArray()) {
          throw RequestException.badRequest(at + ": the view's Protobuf field is repeated, "
              + FeastValues.shown(value) + " is no list");
        }
        for (int i = 0; i < value.size(); i++) {
          message.addRepeatedField(field, protobufValue(field, value.get(i), at + "[" + i + "]"));
        }
      } else {
        message.setField(field, protobufValue(field, value, at));
      }
    }
    return message.build();
  }

  private static Object protobufValue(Descriptors.FieldDescriptor field, JsonNode value, String where) {
    switch (field.getJavaType()) {
      case INT:
        if (value.isIntegralNumber() && value.canConvertToInt()) {
          return value.intValue();
        }
        break;
      case LONG:
        if (value.isIntegralNumber() && value.canConvertToLong()) {
          return value.longValue();
        }
        break;
      case FLOAT:
        if (value.isNumber()) {
          return value.floatValue();
        }
        break;
      case DOUBLE:
        if (value.isNumber()) {
          return value.doubleValue();
        }
        break;
      case BOOLEAN:
        if (value.isBoolean()) {
          return value.booleanValue();
        }
        break;
      case STRING:
        if (value.isTextual()) {
          return value.textValue();
        }
        break;
      case BYTE_STRING:
        if (value.isTextual()) {
          return ByteString.copyFrom(base64(value, where));
        }
        break;
      case ENUM:
        if (value.isTextual() && field.getEnumType().findValueByName(value.textValue()) != null) {
          return field.getEnumType().findValueByName(value.textValue());
        }
        break;
      case MESSAGE:
        Descriptors.Descriptor type = field.getMessageType();
        if (type.getFullName().equals("google.protobuf.Timestamp") && value.isTextual()) {
          Instant instant = instant(value, where);
          return DynamicMessage.newBuilder(Timestamp.newBuilder().setSeconds(instant.getEpochSecond())
              .setNanos(instant.getNano()).build()).build();
        }
        if (type.getFile().getName().equals("google/protobuf/wrappers.proto")) {
          Descriptors.FieldDescriptor wrapped = type.findFieldByName("value");
          return DynamicMessage.newBuilder(type).setField(wrapped, protobufValue(wrapped, value, where)).build();
        }
        break;
      default:
        break;
    }
    throw RequestException.badRequest(where + ": the view's Protobuf field is "
        + (field.getJavaType() == Descriptors.FieldDescriptor.JavaType.MESSAGE ? field.getMessageType().getFullName()
            : field.getType().name().toLowerCase(java.util.Locale.ROOT)) + ", which " + FeastValues.shown(value)
        + " does not fit");
  }

  private static Instant instant(JsonNode value, String where) {
    try {
      return Instant.parse(value.textValue());
    } catch (DateTimeParseException e) {
      throw RequestException.badRequest(where + ": expected an ISO-8601 instant, got " + FeastValues.shown(value));
    }
  }

  private static byte[] base64(JsonNode value, String where) {
    try {
      return Base64.getDecoder().decode(value.textValue());
    } catch (IllegalArgumentException e) {
      throw RequestException.badRequest(where + ": expected base64 bytes, got " + FeastValues.shown(value));
    }
  }

  private static RequestException wrong(Schema schema, JsonNode value, String where) {
    return RequestException.badRequest(where + ": the view's Avro schema has "
        + (schema.getLogicalType() != null ? schema.getLogicalType().getName() : schema.getType().getName())
        + " here, which " + FeastValues.shown(value) + " does not fit");
  }
}
