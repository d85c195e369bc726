package io.icebergonline.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.icebergonline.core.FeastValueType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.regex.Pattern;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.StringData;
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

  private FeastValues() {}

  /** A decimal integer as Python's {@code int(str)} reads it: a sign, digits, single underscores between digits. */
  private static final Pattern PYTHON_INT = Pattern.compile("[+-]?[0-9]+(_[0-9]+)*");

  /**
   * An entity (join key) value as the reader's key row holds it (Integer, Long, StringData or
   * byte[]), converted as Feast's server converts it ({@code type_map.py}, {@code
   * python_values_to_proto_values} with the join key's type): INT32 and INT64 take integers and
   * what Python's {@code int()} makes of a string ({@code "1001"}, {@code " 1_001 "}), STRING takes
   * strings and integers (written in decimal, as Python's {@code str()} does). Refused, naming
   * {@code where}: null, which Feast's server fails on too ({@code utils._get_unique_entities}
   * sorts by the value's field, and a null has none), as it does on lists and objects; values out
   * of the type's range, as protobuf refuses them. Refused although Feast accepts them, because the
   * key read would not be the key meant: fractions for integer keys (Feast truncates 1001.7 to
   * 1001), booleans for integer keys (Feast reads true as 1) and numbers other than integers or
   * booleans for STRING keys (Feast spells them as Python does). BYTES keys are base64 strings:
   * Feast's type map takes only Python bytes, which JSON cannot carry.
   */
  static Object entityKey(FeastValueType type, JsonNode node, String where) {
    if (node == null || node.isNull()) {
      throw RequestException.badRequest(where + ": a join key value must not be null (Feast's server cannot read a "
          + "null join key either)");
    }
    switch (type) {
      case INT32:
      case INT64: {
        BigInteger value = integer(node);
        if (value == null) {
          break;
        }
        if (value.bitLength() > (type == FeastValueType.INT32 ? 31 : 63)) {
          throw RequestException.badRequest(where + ": " + shown(node) + " is out of range for " + type);
        }
        return type == FeastValueType.INT32 ? (Object) value.intValue() : (Object) value.longValue();
      }
      case STRING:
        if (node.isTextual()) {
          return StringData.fromString(node.textValue());
        }
        if (node.isIntegralNumber()) {
          return StringData.fromString(node.bigIntegerValue().toString());
        }
        break;
      case BYTES:
        if (node.isTextual()) {
          return base64(node, where);
        }
        break;
      default:
        throw new IllegalArgumentException(type + " is not an entity type");
    }
    throw wrongType(type, node, where);
  }

  /** The integer a JSON value stands for (an integral number, or a string Python's int() reads), else null. */
  private static BigInteger integer(JsonNode node) {
    if (node.isIntegralNumber()) {
      return node.bigIntegerValue();
    }
    if (node.isFloatingPointNumber()) {
      BigDecimal value = node.decimalValue();
      return value.signum() == 0 || value.stripTrailingZeros().scale() <= 0 ? value.toBigInteger() : null;
    }
    if (node.isTextual()) {
      String text = node.textValue().strip();
      if (PYTHON_INT.matcher(text).matches()) {
        return new BigInteger(text.replace("_", ""));
      }
    }
    return null;
  }

  /**
   * A value of an event the job reads (its FeatureEventParser's JSON convention), checked against
   * {@code type}: numbers in range and finite, base64 BYTES, lists as arrays. Timestamps become
   * ISO-8601 instants, a zone-less date-time (what Feast's remote store sends) read as UTC;
   * integers pass through, read by the job in the view's timestamp unit. JSON null stays null.
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
        if (node.isIntegralNumber() && (type == FeastValueType.INT32 ? node.canConvertToInt() : node.canConvertToLong())) {
          return node;
        }
        break;
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
      case STRING:
      case BOOL:
        if (type == FeastValueType.STRING ? node.isTextual() : node.isBoolean()) {
          return node;
        }
        break;
      case BYTES:
        if (node.isTextual()) {
          base64(node, where);
          return node;
        }
        break;
      case UNIX_TIMESTAMP:
        if (node.isIntegralNumber() && node.canConvertToLong()) {
          return node;
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

  /** The JSON of a reader value of {@code type}; null stays null. */
  static JsonNode toJson(FeastValueType type, Object value) {
    if (value == null) {
      return NODES.nullNode();
    }
    if (type.isList()) {
      ArrayData array = (ArrayData) value;
      ArrayData.ElementGetter getter = ArrayData.createElementGetter(type.elementType().flinkType(true));
      ArrayNode elements = NODES.arrayNode(array.size());
      for (int i = 0; i < array.size(); i++) {
        elements.add(toJson(type.elementType(), getter.getElementOrNull(array, i)));
      }
      return elements;
    }
    return switch (type) {
      case INT32 -> NODES.numberNode((Integer) value);
      case INT64 -> NODES.numberNode((Long) value);
      case FLOAT -> NODES.numberNode((Float) value);
      case DOUBLE -> NODES.numberNode((Double) value);
      case STRING -> NODES.textNode(value.toString());
      case BYTES -> NODES.textNode(Base64.getEncoder().encodeToString((byte[]) value));
      case BOOL -> NODES.booleanNode((Boolean) value);
      case UNIX_TIMESTAMP -> NODES.numberNode(((TimestampData) value).toInstant().getEpochSecond());
      default -> throw new AssertionError(type);
    };
  }

  private static byte[] base64(JsonNode node, String where) {
    try {
      return Base64.getDecoder().decode(node.textValue());
    } catch (IllegalArgumentException e) {
      throw RequestException.badRequest(where + ": expected base64 BYTES, got " + shown(node));
    }
  }

  private static RequestException wrongType(FeastValueType type, JsonNode node, String where) {
    return RequestException.badRequest(where + ": expected " + type + ", got " + shown(node));
  }

  /** The value as sent, cut short: never more than 40 characters of client input in a message. */
  static String shown(JsonNode node) {
    String text = node.toString();
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
