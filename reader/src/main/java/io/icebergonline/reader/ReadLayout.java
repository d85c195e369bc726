package io.icebergonline.reader;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.Schema;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.types.Types;

/**
 * The columns a reader reads, in one schema of the table: found by field id, so they follow
 * renames and type promotions, with the types the table has now (a file written before an int
 * column was widened to long is read as long, one written after can only be), then the row
 * position. Values are handed to the caller in the types it opened the reader with: a value of a
 * widened column is narrowed back when it fits, else the lookup fails saying so; a column dropped
 * since the reader opened is still read, as null where a file lacks it. A reader makes a new
 * layout when the table's schema changes; rows are always read and returned through the same
 * layout. Immutable.
 */
final class ReadLayout {
  private final int schemaId;
  private final List<LogicalType> callerTypes;
  private final Schema schema;
  private final Schema columns;
  private final RowType columnsType;
  private final RowData.FieldGetter[] getters;
  private final List<UnaryOperator<Object>> toCaller;
  private final boolean[] typeChanged;

  /** @param before the read columns as they were: a column dropped since is still read, as null where files lack it */
  private ReadLayout(Schema tableSchema, List<Types.NestedField> before, List<LogicalType> callerTypes) {
    this.schemaId = tableSchema.schemaId();
    this.callerTypes = List.copyOf(callerTypes);
    List<Types.NestedField> fields = new ArrayList<>();
    for (Types.NestedField field : before) {
      Types.NestedField now = tableSchema.findField(field.fieldId());
      fields.add(now != null ? now : field.asOptional());
    }
    this.columns = new Schema(fields);
    int size = fields.size();
    fields.add(MetadataColumns.ROW_POSITION);
    this.schema = new Schema(fields);
    this.columnsType = FlinkSchemaUtil.convert(columns);
    this.getters = new RowData.FieldGetter[size];
    this.typeChanged = new boolean[size];
    List<UnaryOperator<Object>> converters = new ArrayList<>();
    for (int i = 0; i < getters.length; i++) {
      getters[i] = RowData.createFieldGetter(columnsType.getTypeAt(i), i);
      converters.add(converter(columns.columns().get(i).name(), columnsType.getTypeAt(i), callerTypes.get(i)));
      typeChanged[i] = !sameType(columnsType.getTypeAt(i), callerTypes.get(i));
    }
    this.toCaller = List.copyOf(converters);
  }

  /**
   * The layout of the read columns in the table's schema, handed to the caller in its types.
   *
   * @param columns the read columns, columns of {@code tableSchema}
   * @param callerTypes per read column, the type the caller reads it as
   */
  static ReadLayout of(Schema tableSchema, List<Types.NestedField> columns, List<LogicalType> callerTypes) {
    return new ReadLayout(tableSchema, columns, callerTypes);
  }

  /** The same columns in the table's current schema; this layout when the schema is the same. */
  ReadLayout in(Schema tableSchema) {
    return tableSchema.schemaId() == schemaId ? this : new ReadLayout(tableSchema, columns.columns(), callerTypes);
  }

  int schemaId() {
    return schemaId;
  }

  /** The read columns, then the row position: what files are read with. */
  Schema schema() {
    return schema;
  }

  /** The read columns alone. */
  Schema columns() {
    return columns;
  }

  /** The Flink type of {@link #columns()}. */
  RowType columnsType() {
    return columnsType;
  }

  /** The current name of read column {@code index}. */
  String name(int index) {
    return columns.columns().get(index).name();
  }

  /** True when read column {@code index} has another type in the table than the caller's. */
  boolean typeChanged(int index) {
    return typeChanged[index];
  }

  /** Read column {@code index} of a row read with this layout, in the caller's type. */
  Object value(RowData row, int index) {
    return toCaller.get(index).apply(getters[index].getFieldOrNull(row));
  }

  /** A copy of a row read with this layout (the reader may reuse it), with its row position. */
  RowData copy(RowData row) {
    GenericRowData copy = new GenericRowData(getters.length + 1);
    for (int i = 0; i < getters.length; i++) {
      copy.setField(i, getters[i].getFieldOrNull(row));
    }
    copy.setField(getters.length, row.getLong(getters.length));
    return copy;
  }

  /** Turns a value of the column's current type into the caller's; the identity when they are the same. */
  private static UnaryOperator<Object> converter(String column, LogicalType current, LogicalType caller) {
    if (sameType(current, caller)) {
      return UnaryOperator.identity();
    }
    LogicalTypeRoot from = current.getTypeRoot();
    LogicalTypeRoot to = caller.getTypeRoot();
    if (from == LogicalTypeRoot.BIGINT && to == LogicalTypeRoot.INTEGER) {
      return value -> {
        if (value == null) {
          return null;
        }
        long widened = (Long) value;
        if (widened != (int) widened) {
          throw doesNotFit(column, current, caller, value);
        }
        return (int) widened;
      };
    } else if (from == LogicalTypeRoot.DOUBLE && to == LogicalTypeRoot.FLOAT) {
      return value -> value == null ? null : (float) (double) (Double) value;
    } else if (from == LogicalTypeRoot.DECIMAL && to == LogicalTypeRoot.DECIMAL) {
      DecimalType decimal = (DecimalType) caller;
      return value -> {
        if (value == null) {
          return null;
        }
        BigDecimal widened = ((DecimalData) value).toBigDecimal();
        DecimalData narrowed = DecimalData.fromBigDecimal(widened, decimal.getPrecision(), decimal.getScale());
        if (narrowed == null) {
          throw doesNotFit(column, current, caller, widened);
        }
        return narrowed;
      };
    }
    return value -> {
      if (value == null) {
        return null;
      }
      throw doesNotFit(column, current, caller, value);
    };
  }

  private static boolean sameType(LogicalType current, LogicalType caller) {
    return TableBinding.sameIgnoringNullability(caller, current);
  }

  private static UnreadableTableException doesNotFit(String column, LogicalType current, LogicalType caller,
      Object value) {
    return new UnreadableTableException("Column '" + column + "' is now " + current.copy(true) + " in the table; the "
        + "reader was opened with it as " + caller.copy(true) + ", which cannot hold " + value + "; open the reader "
        + "again with the new type (for a Flink lookup join, declare the column " + current.copy(true)
        + " and restart the job)");
  }
}
