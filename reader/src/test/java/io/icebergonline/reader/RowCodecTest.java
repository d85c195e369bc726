package io.icebergonline.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.RowType;
import org.junit.jupiter.api.Test;

/** The live index's row encoding gives back every value of every column type it accepts, nulls included. */
class RowCodecTest {
  private static final RowType ROW = (RowType) DataTypes.ROW(
      DataTypes.FIELD("flag", DataTypes.BOOLEAN()), DataTypes.FIELD("tiny", DataTypes.TINYINT()),
      DataTypes.FIELD("small", DataTypes.SMALLINT()), DataTypes.FIELD("count", DataTypes.INT()),
      DataTypes.FIELD("day", DataTypes.DATE()), DataTypes.FIELD("id", DataTypes.BIGINT()),
      DataTypes.FIELD("ratio", DataTypes.FLOAT()), DataTypes.FIELD("rate", DataTypes.DOUBLE()),
      DataTypes.FIELD("city", DataTypes.STRING()), DataTypes.FIELD("tag", DataTypes.BYTES()),
      DataTypes.FIELD("amount", DataTypes.DECIMAL(20, 4)), DataTypes.FIELD("at", DataTypes.TIMESTAMP(6)),
      DataTypes.FIELD("at_ltz", DataTypes.TIMESTAMP_LTZ(6))).getLogicalType();

  @Test
  void everyValueAndEveryNullComesBack() {
    RowCodec codec = new RowCodec(ROW);
    GenericRowData row = GenericRowData.of(true, (byte) -3, (short) 300, 70_000, 19_000, 1L << 40, 0.5f, -2.25,
        StringData.fromString("Zürich|x"), "tag".getBytes(StandardCharsets.UTF_8),
        DecimalData.fromBigDecimal(new BigDecimal("1234567890123.4567"), 20, 4),
        TimestampData.fromEpochMillis(1_700_000_000_123L, 456_000), TimestampData.fromEpochMillis(-5L, 999_000));
    GenericRowData nulls = new GenericRowData(row.getArity());
    // one encoder for all rows, as a build encodes a file's rows: nothing of one row stays in the next
    RowCodec.Encoder encoder = codec.encoder();
    byte[] firstNulls = encoder.encode(nulls);
    GenericRowData decoded = codec.decode(encoder.encode(row));
    GenericRowData decodedNulls = codec.decode(encoder.encode(nulls));
    assertThat(decodedNulls.getArity()).isEqualTo(row.getArity());
    assertThat(encoder.encode(nulls)).isEqualTo(firstNulls);
    for (int i = 0; i < row.getArity(); i++) {
      Object expected = row.getField(i);
      assertThat(Objects.deepEquals(decoded.getField(i), expected))
          .as("column %s: %s decoded as %s", ROW.getFieldNames().get(i), expected, decoded.getField(i)).isTrue();
      assertThat(decodedNulls.isNullAt(i)).as("column %s", ROW.getFieldNames().get(i)).isTrue();
    }
  }

  @Test
  void aColumnTypeWithoutAFlatFormIsRefusedByName() {
    RowType withArray = (RowType) DataTypes.ROW(DataTypes.FIELD("id", DataTypes.BIGINT()),
        DataTypes.FIELD("scores", DataTypes.ARRAY(DataTypes.DOUBLE()))).getLogicalType();
    assertThatThrownBy(() -> new RowCodec(withArray)).hasMessageContaining("column 'scores'");
  }
}
