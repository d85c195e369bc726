package io.icebergonline.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Base64;
import java.util.regex.Pattern;
import org.apache.flink.table.data.StringData;

/**
 * The one converter of entity (join key) values from JSON to what the tables and readers hold
 * (Integer, Long, StringData, byte[]) for the entity types INT32, INT64, STRING and BYTES. The
 * job's events and the feature server's requests both go through it; each caller turns an {@link
 * InvalidValueException} into its own answer (a dead letter, a 4xx). Two {@link Conversion}s: the
 * exact one of Feast's Kafka JSON convention, and the lenient one of Feast's feature server.
 */
public final class EntityValues {
  private static final int MAX_SHOWN = 40;
  /** A decimal integer as Python's {@code int(str)} reads it: a sign, digits, single underscores between digits. */
  private static final Pattern PYTHON_INT = Pattern.compile("[+-]?[0-9]+(_[0-9]+)*");

  private EntityValues() {}

  /** How far a JSON value may be from the type it is read as. */
  public enum Conversion {
    /**
     * The JSON type is the value's: integers in range for INT32 and INT64, strings for STRING,
     * base64 strings for BYTES (the job's events, Feast's Kafka JSON convention).
     */
    EXACT,
    /**
     * As Feast's feature server converts a join key ({@code type_map.py}, {@code
     * python_values_to_proto_values}): INT32 and INT64 also take what Python's {@code int()}
     * makes of a string ({@code "1001"}, {@code " 1_001 "}) and integral floats, STRING also
     * integers (in decimal, as Python's {@code str()} writes them). Not taken although Feast takes
     * them, because the key read would not be the key meant: fractions for integer keys (Feast
     * truncates 1001.7 to 1001), booleans for integer keys (Feast reads true as 1), other numbers
     * for STRING keys (spelled as Python spells them). BYTES stay base64: Feast's type map takes
     * only Python bytes, which JSON cannot carry.
     */
    FEAST_TYPE_MAP
  }

  /** A value that is not one of its type; the message says what was expected and shows the value. */
  public static final class InvalidValueException extends Exception {
    InvalidValueException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The value of {@code node} (not null) as {@code type}, one of {@link FeastValueType#ENTITY_TYPES}.
   *
   * @throws InvalidValueException for a value {@code conversion} does not take, or out of the type's range
   */
  public static Object fromJson(FeastValueType type, JsonNode node, Conversion conversion)
      throws InvalidValueException {
    switch (type) {
      case INT32:
      case INT64: {
        BigInteger value = conversion == Conversion.EXACT ? (node.isIntegralNumber() ? node.bigIntegerValue() : null)
            : pythonInt(node);
        if (value == null) {
          break;
        }
        if (value.bitLength() > (type == FeastValueType.INT32 ? 31 : 63)) {
          if (conversion == Conversion.EXACT) {
            break;
          }
          throw new InvalidValueException(shown(node) + " is out of range for " + type);
        }
        return type == FeastValueType.INT32 ? (Object) value.intValue() : (Object) value.longValue();
      }
      case STRING:
        if (node.isTextual()) {
          return StringData.fromString(node.textValue());
        }
        if (conversion == Conversion.FEAST_TYPE_MAP && node.isIntegralNumber()) {
          return StringData.fromString(node.bigIntegerValue().toString());
        }
        break;
      case BYTES:
        if (node.isTextual()) {
          try {
            return Base64.getDecoder().decode(node.textValue());
          } catch (IllegalArgumentException e) {
            throw new InvalidValueException("expected base64 bytes, got " + shown(node));
          }
        }
        break;
      default:
        throw new IllegalArgumentException(type + " is not an entity type; expected one of " + FeastValueType.ENTITY_TYPES);
    }
    throw new InvalidValueException("expected " + type + ", got " + shown(node));
  }

  /** The integer a JSON value stands for to Python's int(): an integral number or float, or a string int() reads. */
  private static BigInteger pythonInt(JsonNode node) {
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

  /** The value as sent, cut short: never more than 40 characters of input in a message. */
  public static String shown(JsonNode node) {
    String text = node.toString();
    return text.length() <= MAX_SHOWN ? text : text.substring(0, MAX_SHOWN) + "...";
  }
}
