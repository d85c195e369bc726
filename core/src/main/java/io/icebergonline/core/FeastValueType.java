package io.icebergonline.core;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntSupplier;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.BooleanType;
import org.apache.flink.table.types.logical.DoubleType;
import org.apache.flink.table.types.logical.FloatType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LocalZonedTimestampType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.VarBinaryType;
import org.apache.flink.table.types.logical.VarCharType;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Feast's value types and their Iceberg and Flink SQL counterparts. The Flink types are those
 * Iceberg's own Flink integration uses for the same Iceberg types, so a table written by us and
 * read by Iceberg's Flink source (or our lookup connector) agree.
 */
public enum FeastValueType {
  INT32(null),
  INT64(null),
  FLOAT(null),
  DOUBLE(null),
  STRING(null),
  BYTES(null),
  BOOL(null),
  UNIX_TIMESTAMP(null),
  INT32_LIST(INT32),
  INT64_LIST(INT64),
  FLOAT_LIST(FLOAT),
  DOUBLE_LIST(DOUBLE),
  STRING_LIST(STRING),
  BYTES_LIST(BYTES),
  BOOL_LIST(BOOL),
  UNIX_TIMESTAMP_LIST(UNIX_TIMESTAMP);

  /** Types an entity (join key) column may have: exact, hashable, and bucketed by Iceberg. */
  public static final Set<FeastValueType> ENTITY_TYPES = EnumSet.of(INT32, INT64, STRING, BYTES);

  private final FeastValueType elementType;

  FeastValueType(FeastValueType elementType) {
    this.elementType = elementType;
  }

  public boolean isList() {
    return elementType != null;
  }

  /** The element type of a {@code _LIST} type. */
  public FeastValueType elementType() {
    if (elementType == null) {
      throw new IllegalStateException(name() + " is not a list type");
    }
    return elementType;
  }

  /**
   * The Iceberg type. List types need a field id for their (optional) element, taken from {@code
   * nextFieldId}; scalar types take none.
   */
  public Type icebergType(IntSupplier nextFieldId) {
    if (isList()) {
      return Types.ListType.ofOptional(nextFieldId.getAsInt(), elementType.icebergType(nextFieldId));
    }
    switch (this) {
      case INT32:
        return Types.IntegerType.get();
      case INT64:
        return Types.LongType.get();
      case FLOAT:
        return Types.FloatType.get();
      case DOUBLE:
        return Types.DoubleType.get();
      case STRING:
        return Types.StringType.get();
      case BYTES:
        return Types.BinaryType.get();
      case BOOL:
        return Types.BooleanType.get();
      case UNIX_TIMESTAMP:
        return Types.TimestampType.withZone();
      default:
        throw new AssertionError(this);
    }
  }

  /** The Flink SQL type of a column of this type. */
  public LogicalType flinkType(boolean nullable) {
    if (isList()) {
      return new ArrayType(nullable, elementType.flinkType(true));
    }
    switch (this) {
      case INT32:
        return new IntType(nullable);
      case INT64:
        return new BigIntType(nullable);
      case FLOAT:
        return new FloatType(nullable);
      case DOUBLE:
        return new DoubleType(nullable);
      case STRING:
        return new VarCharType(nullable, VarCharType.MAX_LENGTH);
      case BYTES:
        return new VarBinaryType(nullable, VarBinaryType.MAX_LENGTH);
      case BOOL:
        return new BooleanType(nullable);
      case UNIX_TIMESTAMP:
        return new LocalZonedTimestampType(nullable, 6);
      default:
        throw new AssertionError(this);
    }
  }

  /** Parses a type name as written in the config (case-insensitive). */
  static FeastValueType parse(ConfigTree tree) {
    String text = tree.asString();
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw tree.error("unknown value type '" + text + "'; expected one of " + Arrays.toString(values()));
    }
  }
}
