package io.icebergonline.job.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.icebergonline.core.EntityValues;
import io.icebergonline.core.FeastValueType;
import io.icebergonline.core.TimestampUnit;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.function.Supplier;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.TimestampData;

/**
 * Converts JSON values of Feast's Kafka JSON convention to Flink's internal data of a {@link
 * FeastValueType}: integers must be integral and in range, floating-point numbers finite, BYTES
 * are base64 strings, timestamps ISO-8601 instants or integers in the view's {@link
 * TimestampUnit} within {@link #EARLIEST}..{@link #LATEST}, lists JSON arrays. Anything else is
 * malformed. Timestamps keep microseconds, the precision of the Iceberg column. INT32, INT64,
 * STRING and BYTES are read by core's {@link EntityValues} ({@code EXACT}), the converter of join
 * key values the feature server shares.
 */
final class JsonValues {
  /**
   * The timestamps accepted: the years 0001 to 9999, what ISO-8601 writes without a sign and what
   * Flink SQL's TIMESTAMP types hold, so every stored time reads back. Earlier than 1970 is allowed
   * (a UNIX_TIMESTAMP feature may be a birth date). A number in the wrong unit is caught when it
   * lands past 9999: microseconds or nanoseconds read as milliseconds do.
   */
  static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
  static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");
  private static final long EARLIEST_MICROS = epochMicros(EARLIEST);
  private static final long LATEST_MICROS = epochMicros(LATEST);

  private JsonValues() {}

  /** The internal value, or null for JSON null. */
  static Object toInternal(String column, FeastValueType type, JsonNode node, TimestampUnit unit)
      throws MalformedEventException {
    if (node == null || node.isNull()) {
      return null;
    }
    if (type.isList()) {
      if (!node.isArray()) {
        throw wrongType(column, type, node);
      }
      Object[] elements = new Object[node.size()];
      for (int i = 0; i < elements.length; i++) {
        elements[i] = toInternal(column + "[" + i + "]", type.elementType(), node.get(i), unit);
      }
      return new GenericArrayData(elements);
    }
    switch (type) {
      case INT32:
      case INT64:
      case STRING:
      case BYTES:
        try {
          return EntityValues.fromJson(type, node, EntityValues.Conversion.EXACT);
        } catch (EntityValues.InvalidValueException e) {
          throw new MalformedEventException(column + ": " + e.getMessage());
        }
      case FLOAT:
        if (node.isNumber()) {
          float value = node.floatValue();
          if (!Float.isFinite(value)) {
            throw notFinite(column, type, node);
          }
          return value;
        }
        break;
      case DOUBLE:
        if (node.isNumber()) {
          double value = node.doubleValue();
          if (!Double.isFinite(value)) {
            throw notFinite(column, type, node);
          }
          return value;
        }
        break;
      case BOOL:
        if (node.isBoolean()) {
          return node.booleanValue();
        }
        break;
      case UNIX_TIMESTAMP:
        return TimestampData.fromInstant(instant(column, node, unit));
      default:
        throw new AssertionError(type);
    }
    throw wrongType(column, type, node);
  }

  /**
   * A timestamp, truncated to microseconds: an ISO-8601 instant string or an integer in {@code
   * unit}, within {@link #EARLIEST}..{@link #LATEST}.
   */
  static Instant instant(String column, JsonNode node, TimestampUnit unit) throws MalformedEventException {
    if (node.isIntegralNumber()) {
      if (node.canConvertToLong()) {
        long micros = epochMicros(column, node.longValue(), unit);
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
      }
      throw outOfRange(column, show(node) + " " + unit.description());
    }
    if (node.isTextual()) {
      Instant instant;
      try {
        instant = Instant.parse(node.textValue());
      } catch (DateTimeParseException e) {
        instant = null; // reported below
      }
      if (instant != null) {
        return inRange(column, instant, () -> show(node));
      }
    }
    throw new MalformedEventException("bad timestamp " + column + ": expected an ISO-8601 instant or "
        + unit.description() + ", got " + show(node));
  }

  /**
   * Epoch microseconds of an integer timestamp in {@code unit}, checked as {@link #instant(String,
   * JsonNode, TimestampUnit)} checks it. Without an {@link Instant}: the parser calls it for most
   * events.
   */
  static long epochMicros(String column, long value, TimestampUnit unit) throws MalformedEventException {
    long micros;
    try {
      micros = unit.toEpochMicros(value);
    } catch (ArithmeticException e) {
      throw outOfRange(column, value + " " + unit.description()); // beyond even a long's microseconds
    }
    if (micros < EARLIEST_MICROS || micros > LATEST_MICROS) {
      throw outOfRange(column, value + " " + unit.description());
    }
    return micros;
  }

  /** Epoch microseconds of an instant, which within {@link #EARLIEST}..{@link #LATEST} never overflow. */
  static long epochMicros(Instant instant) {
    // not ChronoUnit.MICROS.between: it counts in nanoseconds, which overflow 292 years from the epoch
    return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }

  /** Epoch microseconds of a timestamp within {@link #EARLIEST}..{@link #LATEST}, which never overflow. */
  static long epochMicros(TimestampData timestamp) {
    return timestamp.getMillisecond() * 1_000 + timestamp.getNanoOfMillisecond() / 1_000;
  }

  /** The timestamp of epoch microseconds. */
  static TimestampData timestampData(long epochMicros) {
    return TimestampData.fromEpochMillis(Math.floorDiv(epochMicros, 1_000), Math.floorMod(epochMicros, 1_000) * 1_000);
  }

  /** {@code shown} is the value as the error message shows it, made only for the message. */
  private static Instant inRange(String column, Instant instant, Supplier<String> shown) throws MalformedEventException {
    if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
      throw outOfRange(column, shown.get());
    }
    return instant.truncatedTo(ChronoUnit.MICROS);
  }

  private static MalformedEventException outOfRange(String column, String shown) {
    return new MalformedEventException("bad timestamp " + column + ": " + shown + " is outside " + EARLIEST + ".." + LATEST);
  }

  private static MalformedEventException notFinite(String column, FeastValueType type, JsonNode node) {
    // a JSON number beyond even a double's range was read as Infinity: its text is gone
    String shown = Double.isFinite(node.doubleValue()) ? show(node) : "a number beyond its range";
    return new MalformedEventException(column + ": expected a finite " + type + ", got " + shown);
  }

  private static MalformedEventException wrongType(String column, FeastValueType type, JsonNode node) {
    return new MalformedEventException(column + ": expected " + type + ", got " + show(node));
  }

  static String show(JsonNode node) {
    return EntityValues.shown(node);
  }
}
