package io.icebergonline.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.iceberg.Schema;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;

class FeastValueTypeTest {

  @Test
  void everyTypeMapsToTheExpectedIcebergType() {
    assertThat(iceberg(FeastValueType.INT32)).isEqualTo(Types.IntegerType.get());
    assertThat(iceberg(FeastValueType.INT64)).isEqualTo(Types.LongType.get());
    assertThat(iceberg(FeastValueType.FLOAT)).isEqualTo(Types.FloatType.get());
    assertThat(iceberg(FeastValueType.DOUBLE)).isEqualTo(Types.DoubleType.get());
    assertThat(iceberg(FeastValueType.STRING)).isEqualTo(Types.StringType.get());
    assertThat(iceberg(FeastValueType.BYTES)).isEqualTo(Types.BinaryType.get());
    assertThat(iceberg(FeastValueType.BOOL)).isEqualTo(Types.BooleanType.get());
    assertThat(iceberg(FeastValueType.UNIX_TIMESTAMP)).isEqualTo(Types.TimestampType.withZone());
    for (FeastValueType type : FeastValueType.values()) {
      if (type.isList()) {
        Type list = iceberg(type);
        assertThat(list.isListType()).as(type.name()).isTrue();
        assertThat(list.asListType().isElementOptional()).as(type.name()).isTrue();
        assertThat(list.asListType().elementType()).as(type.name()).isEqualTo(iceberg(type.elementType()));
      }
    }
  }

  /** Our Flink types must be what Iceberg's own Flink integration derives from the Iceberg types. */
  @Test
  void flinkTypesAgreeWithIcebergsFlinkSchemaConversion() {
    List<Types.NestedField> fields = new ArrayList<>();
    int[] nextId = {1000};
    int id = 0;
    for (FeastValueType type : FeastValueType.values()) {
      fields.add(Types.NestedField.optional(++id, "opt_" + type.name().toLowerCase(), type.icebergType(() -> nextId[0]++)));
      fields.add(Types.NestedField.required(++id, "req_" + type.name().toLowerCase(), type.icebergType(() -> nextId[0]++)));
    }
    RowType icebergView = FlinkSchemaUtil.convert(new Schema(fields));

    int index = 0;
    for (FeastValueType type : FeastValueType.values()) {
      LogicalType optional = icebergView.getTypeAt(index++);
      LogicalType required = icebergView.getTypeAt(index++);
      assertThat(type.flinkType(true)).as(type.name()).isEqualTo(optional);
      assertThat(type.flinkType(false)).as(type.name()).isEqualTo(required);
    }
    assertThat(index).isEqualTo(2 * FeastValueType.values().length);
  }

  private static Type iceberg(FeastValueType type) {
    int[] nextId = {100};
    return type.icebergType(() -> nextId[0]++);
  }
}
