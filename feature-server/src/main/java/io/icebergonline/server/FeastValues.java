package io.icebergonline.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.icebergonline.core.EntityValues;
import io.icebergonline.core.FeastValueType;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.TimestampData;

/**
 * Feast values in JSON, the way Feast's feature server writes and reads them ({@code
 * feast/proto_json.py}: a {@code Value} is the bare JSON value, lists are JSON arrays, null is
 * null): request values checked against a view's {@link FeastValueType}, and the reader's Flink
 * internal values rendered back. BYTES travel as base64 strings, as the job's events carry them;
 * UNIX_TIMESTAMP values are rendered as epoch seconds, Feast's {@code unix_timestamp_val}.
 */
final class FeastValues {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** The years 0001 to 9999, what the job and Flink SQL's TIMESTAMP types hold. */
  private static final long EARLIEST_SECONDS = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond();
  private static final long LATEST_SECONDS = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();

  private FeastValues() {}

  /**
   * An entity (join key) value as the reader's key row holds it (Integer, Long, StringData or
   * byte[]), converted as Feast's server converts it (core's {@link EntityValues}, {@code
   * FEAST_TYPE_MAP}: {@code "1001"} reads INT64 key 1001); a 400 naming {@code where} for what it
   * does not take, and for null, which Feast's server fails on too ({@code
   * utils._get_unique_entities} sorts by the value's field, and a null has none).
   */
  static Object entityKey(FeastValueType type, JsonNode node, String where) {
    if (node == null || node.isNull()) {
      throw RequestException.badRequest(where + ": a join key value must not be null (Feast's server cannot read a "
          + "null join key either)");
    }
    return convert(type, node, EntityValues.Conversion.FEAST_TYPE_MAP, where);
  }

  private static Object convert(FeastValueType type, JsonNode node, EntityValues.Conversion conversion, String where) {
    try {
      return EntityValues.fromJson(type, node, conversion);
    } catch (EntityValues.InvalidValueException e) {
      throw RequestException.badRequest(where + ": " + e.getMessage());
    }
  }

  /**
   * A value of an event the job reads (its FeatureEventParser's JSON convention), checked against
   * {@code type}: numbers in range and finite, base64 BYTES, lists as arrays. Timestamps become
   * ISO-8601 instants, a zone-less date-time (what Feast's remote store sends) read as UTC, an
   * integer as Feast's epoch seconds. JSON null stays null.
   */
  static JsonNode eventValue(FeastValueType type, JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return NODES.nullNode();
    }
    if (type.isList()) {
      if (!node.isArray()) {
        throw wrongType(type, node, where);
      }
      ArrayNode elements = NODES.arrayNode(node.size());
      for (int i = 0; i < node.size(); i++) {
        elements.add(eventValue(type.elementType(), node.get(i), where + "[" + i + "]"));
      }
      return elements;
    }
    switch (type) {
      case INT32:
      case INT64:
      case STRING:
      case BYTES:
        convert(type, node, EntityValues.Conversion.EXACT, where);
        return node;
      case FLOAT:
      case DOUBLE:
        if (node.isNumber()) {
          double value = type == FeastValueType.FLOAT ? node.floatValue() : node.doubleValue();
          if (!Double.isFinite(value)) {
            throw RequestException.badRequest(where + ": expected a finite " + type + ", got " + shown(node));
          }
          return node;
        }
        break;
      case BOOL:
        if (node.isBoolean()) {
          return node;
        }
        break;
      case UNIX_TIMESTAMP:
        if (node.isIntegralNumber() && node.canConvertToLong()) {
          // Feast's unix_timestamp_val: epoch seconds (remote.py since v0.66.0 sends it as is);
          // sent on as an instant, so the job does not read it in the view's timestamp_unit
          long seconds = node.longValue();
          if (seconds < EARLIEST_SECONDS || seconds > LATEST_SECONDS) {
            throw RequestException.badRequest(where + ": expected epoch seconds within the years 0001 to 9999, got "
                + shown(node));
          }
          return NODES.textNode(Instant.ofEpochSecond(seconds).toString());
        }
        if (node.isTextual()) {
          return NODES.textNode(instant(node, where).toString());
        }
        break;
      default:
        throw new AssertionError(type);
    }
    throw wrongType(type, node, where);
  }

  /**
   * A value of a view's event or created time column: an ISO-8601 date-time becomes an instant,
   * an integer passes through, read by the job in the view's {@code timestamp_unit}.
   */
  static JsonNode timeColumnValue(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return NODES.nullNode();
    }
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      return node;
    }
    if (node.isTextual()) {
      return NODES.textNode(instant(node, where).toString());
    }
    throw RequestException.badRequest(where + ": expected an ISO-8601 date-time or an integer timestamp, got "
        + shown(node));
  }

  /** An ISO-8601 date-time: an instant, one with an offset, or a zone-less one read as UTC ({@code T} or a space). */
  static Instant instant(JsonNode node, String where) {
    String text = node.textValue().trim();
    try {
      return Instant.parse(text);
    } catch (DateTimeException e) {
      // other forms below
    }
    String isoText = text.replace(' ', 'T');
    try {
      return OffsetDateTime.parse(isoText).toInstant();
    } catch (DateTimeException e) {
      // zone-less below
    }
    try {
      return LocalDateTime.parse(isoText).toInstant(ZoneOffset.UTC);
    } catch (DateTimeException e) {
      throw RequestException.badRequest(where + ": expected an ISO-8601 date-time, got " + shown(node));
    }
  }

  /** Writes a reader value of {@code type} as Feast's JSON answer shows it; null stays null. */
  static void write(JsonGenerator json, FeastValueType type, Object value) throws IOException {
    if (value == null) {
      json.writeNull();
      return;
    }
    if (type.isList()) {
      ArrayData array = (ArrayData) value;
      ArrayData.ElementGetter getter = ArrayData.createElementGetter(type.elementType().flinkType(true));
      json.writeStartArray();
      for (int i = 0; i < array.size(); i++) {
        write(json, type.elementType(), getter.getElementOrNull(array, i));
      }
      json.writeEndArray();
      return;
    }
    switch (type) {
      case INT32 -> json.writeNumber((Integer) value);
      case INT64 -> json.writeNumber((Long) value);
      case FLOAT -> json.writeNumber((Float) value);
      case DOUBLE -> json.writeNumber((Double) value);
      case STRING -> json.writeString(value.toString());
      case BYTES -> json.writeString(Base64.getEncoder().encodeToString((byte[]) value));
      case BOOL -> json.writeBoolean((Boolean) value);
      case UNIX_TIMESTAMP -> json.writeNumber(((TimestampData) value).toInstant().getEpochSecond());
      default -> throw new AssertionError(type);
    }
  }

  private static RequestException wrongType(FeastValueType type, JsonNode node, String where) {
    return RequestException.badRequest(where + ": expected " + type + ", got " + shown(node));
  }

  /** The value as sent, cut short: never more than 40 characters of client input in a message. */
  static String shown(JsonNode node) {
    return EntityValues.shown(node);
  }

  /** A name the client sent (a view, feature, service or column name), cut short as {@link #shown(JsonNode)} cuts values. */
  static String shown(String name) {
    return name.length() <= 40 ? name : name.substring(0, 40) + "...";
  }

  /** Names the client sent, each cut short, at most ten of them. */
  static String shown(Collection<String> names) {
    List<String> shown = names.stream().limit(10).map(FeastValues::shown).toList();
    return names.size() <= 10 ? shown.toString() : shown.toString().replaceFirst("]$", ", ... (" + names.size()
        + " in all)]");
  }
}
