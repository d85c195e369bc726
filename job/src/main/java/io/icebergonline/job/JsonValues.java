package io.icebergonline.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.icebergonline.core.FeastValueType;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;

/**
 * Converts JSON values of Feast's Kafka JSON convention to Flink's internal data of a {@link
 * FeastValueType}: integers must be integral and in range, BYTES are base64 strings, timestamps
 * are ISO-8601 instants or epoch milliseconds, lists are JSON arrays. Anything else is malformed.
 */
final class JsonValues {
  private static final int MAX_SHOWN = 40;

  private JsonValues() {}

  /** The internal value, or null for JSON null. */
  static Object toInternal(String column, FeastValueType type, JsonNode node) throws MalformedEventException {
    if (node == null || node.isNull()) {
      return null;
    }
    if (type.isList()) {
      if (!node.isArray()) {
        throw wrongType(column, type, node);
      }
      Object[] elements = new Object[node.size()];
      for (int i = 0; i < elements.length; i++) {
        elements[i] = toInternal(column + "[" + i + "]", type.elementType(), node.get(i));
      }
      return new GenericArrayData(elements);
    }
    switch (type) {
      case INT32:
        if (node.isIntegralNumber() && node.canConvertToInt()) {
          return node.intValue();
        }
        break;
      case INT64:
        if (node.isIntegralNumber() && node.canConvertToLong()) {
          return node.longValue();
        }
        break;
      case FLOAT:
        if (node.isNumber()) {
          return node.floatValue();
        }
        break;
      case DOUBLE:
        if (node.isNumber()) {
          return node.doubleValue();
        }
        break;
      case STRING:
        if (node.isTextual()) {
          return StringData.fromString(node.textValue());
        }
        break;
      case BYTES:
        if (node.isTextual()) {
          try {
            return Base64.getDecoder().decode(node.textValue());
          } catch (IllegalArgumentException e) {
            throw new MalformedEventException(column + ": expected base64 bytes, got " + show(node));
          }
        }
        break;
      case BOOL:
        if (node.isBoolean()) {
          return node.booleanValue();
        }
        break;
      case UNIX_TIMESTAMP:
        return TimestampData.fromEpochMillis(epochMillis(column, node));
      default:
        throw new AssertionError(type);
    }
    throw wrongType(column, type, node);
  }

  /** A timestamp as epoch milliseconds: an ISO-8601 instant string or an integral number of millis. */
  static long epochMillis(String column, JsonNode node) throws MalformedEventException {
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      return node.longValue();
    }
    if (node.isTextual()) {
      try {
        return Instant.parse(node.textValue()).toEpochMilli();
      } catch (DateTimeParseException e) {
        // reported below
      }
    }
    throw new MalformedEventException(
        "bad timestamp " + column + ": expected an ISO-8601 instant or epoch milliseconds, got " + show(node));
  }

  private static MalformedEventException wrongType(String column, FeastValueType type, JsonNode node) {
    return new MalformedEventException(column + ": expected " + type + ", got " + show(node));
  }

  static String show(JsonNode node) {
    String text = node.toString();
    return text.length() <= MAX_SHOWN ? text : text.substring(0, MAX_SHOWN) + "...";
  }
}
