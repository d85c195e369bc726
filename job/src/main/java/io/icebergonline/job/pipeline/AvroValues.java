package io.icebergonline.job.pipeline;

import io.icebergonline.core.FeastValueType;
import io.icebergonline.core.TimestampUnit;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.List;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.util.Utf8;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;

/**
 * Values of Avro records (as Avro's generic reader gives them) in a view's columns, the internal
 * values {@link JsonValues} gives for JSON: numbers widen where no value is lost (int to INT64,
 * float to DOUBLE, any to FLOAT or DOUBLE that stays finite), {@code decimal} to DOUBLE and FLOAT,
 * enums and {@code uuid} strings to STRING, bytes and fixed to BYTES, arrays to list types;
 * timestamps from {@code timestamp-millis} / {@code -micros} (and the local forms, read as UTC),
 * {@code date} (midnight UTC), a plain long in the view's timestamp unit, or an ISO-8601 string.
 * Anything else is a {@link MalformedEventException} naming the field, the type wanted and the
 * Avro type found.
 */
final class AvroValues {
  private static final Conversions.DecimalConversion DECIMALS = new Conversions.DecimalConversion();

  private AvroValues() {}

  /** The internal value of {@code value} (of Avro schema {@code schema}) in a column of {@code type}; null for null. */
  static Object toInternal(String column, FeastValueType type, Object value, Schema schema, TimestampUnit unit)
      throws MalformedEventException {
    if (value == null) {
      return null;
    }
    Schema actual = branch(schema, value);
    if (type.isList()) {
      if (!(value instanceof Collection<?> elements) || actual.getType() != Schema.Type.ARRAY) {
        throw wrongType(column, type, actual);
      }
      Object[] converted = new Object[elements.size()];
      int i = 0;
      for (Object element : elements) {
        converted[i] = toInternal(column + "[" + i + "]", type.elementType(), element, actual.getElementType(), unit);
        i++;
      }
      return new GenericArrayData(converted);
    }
    if (type == FeastValueType.UNIX_TIMESTAMP) {
      return TimestampData.fromInstant(instant(column, value, actual, unit));
    }
    Object number = decimalOrValue(actual, value);
    switch (type) {
      case INT64:
        if (number instanceof Long || number instanceof Integer) {
          return ((Number) number).longValue();
        }
        break;
      case INT32:
        if (number instanceof Integer) {
          return number;
        }
        if (number instanceof Long wide && wide == (int) (long) wide) {
          return (int) (long) wide;
        }
        break;
      case DOUBLE:
        if (number instanceof Number numeric) {
          double converted = numeric.doubleValue();
          if (!Double.isFinite(converted)) {
            throw new MalformedEventException(column + ": expected a finite DOUBLE, got " + converted);
          }
          return converted;
        }
        break;
      case FLOAT:
        if (number instanceof Number numeric) {
          float converted = numeric.floatValue();
          if (!Float.isFinite(converted)) {
            throw new MalformedEventException(column + ": expected a finite FLOAT, got " + numeric);
          }
          return converted;
        }
        break;
      case STRING:
        if (value instanceof Utf8 text) {
          // the record is read afresh for each event, so its string's bytes are not reused: no decode, no copy
          return StringData.fromBytes(text.getBytes(), 0, text.getByteLength());
        }
        if (value instanceof CharSequence || value instanceof GenericData.EnumSymbol) {
          return StringData.fromString(value.toString());
        }
        break;
      case BYTES:
        if (value instanceof ByteBuffer buffer) {
          byte[] bytes = new byte[buffer.remaining()];
          buffer.duplicate().get(bytes);
          return bytes;
        }
        if (value instanceof GenericFixed fixed) {
          return fixed.bytes().clone();
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
    throw wrongType(column, type, actual);
  }

  /**
   * An event, created or UNIX_TIMESTAMP time: {@code timestamp-millis}/{@code -micros} (and the
   * local forms) as they say, {@code date} at midnight UTC, another long in the view's unit, an
   * ISO-8601 string; within the years {@link JsonValues} accepts.
   */
  static Instant instant(String column, Object value, Schema schema, TimestampUnit unit)
      throws MalformedEventException {
    Schema actual = branch(schema, value);
    LogicalType logical = actual.getLogicalType();
    if (value instanceof Long raw) {
      long micros;
      if (logical instanceof LogicalTypes.TimestampMillis || logical instanceof LogicalTypes.LocalTimestampMillis) {
        micros = JsonValues.epochMicros(column, raw, TimestampUnit.MILLIS);
      } else if (logical instanceof LogicalTypes.TimestampMicros
          || logical instanceof LogicalTypes.LocalTimestampMicros) {
        micros = JsonValues.epochMicros(column, raw, TimestampUnit.MICROS);
      } else if (logical == null) {
        micros = JsonValues.epochMicros(column, raw, unit);
      } else {
        throw new MalformedEventException("bad timestamp " + column + ": Avro " + logical.getName()
            + " is not a point in time");
      }
      return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
    if (value instanceof Integer days && logical instanceof LogicalTypes.Date) {
      long micros = JsonValues.epochMicros(column, days * 86_400L, TimestampUnit.SECONDS);
      return Instant.ofEpochSecond(micros / 1_000_000L);
    }
    if (value instanceof CharSequence text) {
      try {
        Instant instant = Instant.parse(text.toString().trim()).truncatedTo(ChronoUnit.MICROS);
        if (instant.isBefore(JsonValues.EARLIEST) || instant.isAfter(JsonValues.LATEST)) {
          throw new MalformedEventException("bad timestamp " + column + ": " + instant + " is outside "
              + JsonValues.EARLIEST + ".." + JsonValues.LATEST);
        }
        return instant;
      } catch (DateTimeParseException e) {
        throw new MalformedEventException("bad timestamp " + column + ": expected an ISO-8601 instant, got '"
            + shorten(text.toString()) + "'");
      }
    }
    throw new MalformedEventException("bad timestamp " + column + ": expected an Avro timestamp-millis, "
        + "timestamp-micros, date, long or string, got " + describe(actual));
  }

  /** The branch of a union {@code value} was written with; the schema itself otherwise. */
  /**
   * The branch of {@code schema} that {@code value} (not null) was read with: for the usual union
   * of null and one type, that type, without Avro's resolution by the value's class (a profile of
   * the Avro path put {@code GenericData.resolveUnion} at 12% of the parse).
   */
  private static Schema branch(Schema schema, Object value) {
    if (schema.getType() != Schema.Type.UNION) {
      return schema;
    }
    List<Schema> branches = schema.getTypes();
    if (branches.size() == 2 && (branches.get(0).getType() == Schema.Type.NULL
        || branches.get(1).getType() == Schema.Type.NULL)) {
      return branches.get(branches.get(0).getType() == Schema.Type.NULL ? 1 : 0);
    }
    return branches.get(GenericData.get().resolveUnion(schema, value));
  }

  private static Object decimalOrValue(Schema schema, Object value) {
    if (schema.getLogicalType() instanceof LogicalTypes.Decimal decimal) {
      if (value instanceof ByteBuffer bytes) {
        return DECIMALS.fromBytes(bytes.duplicate(), schema, decimal);
      }
      if (value instanceof GenericFixed fixed) {
        return DECIMALS.fromFixed(fixed, schema, decimal);
      }
    }
    return value;
  }

  private static MalformedEventException wrongType(String column, FeastValueType type, Schema actual) {
    return new MalformedEventException(column + ": expected " + type + ", got Avro " + describe(actual));
  }

  private static String describe(Schema schema) {
    return schema.getLogicalType() != null ? schema.getLogicalType().getName() : schema.getType().getName();
  }

  private static String shorten(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
