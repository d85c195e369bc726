package io.icebergonline.reader;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;

/**
 * A row of flat columns as one byte array: a null bitmap, then each non-null value in its
 * fixed-width binary form (strings, bytes and decimals length-prefixed). The live index keeps its
 * rows this way, one small array per row instead of an object graph. Flink's own binary row
 * writer lives in flink-table-runtime, which the reader does not depend on.
 */
final class RowCodec {
  private final LogicalType[] types;
  private final RowData.FieldGetter[] getters;
  private final int bitmapBytes;

  /** @throws IllegalArgumentException naming the column when a column's type has no flat binary form here */
  RowCodec(RowType rowType) {
    types = rowType.getChildren().toArray(LogicalType[]::new);
    getters = new RowData.FieldGetter[types.length];
    for (int i = 0; i < types.length; i++) {
      switch (types[i].getTypeRoot()) {
        case BOOLEAN, TINYINT, SMALLINT, INTEGER, DATE, TIME_WITHOUT_TIME_ZONE, BIGINT, FLOAT, DOUBLE, CHAR, VARCHAR,
            BINARY, VARBINARY, DECIMAL, TIMESTAMP_WITHOUT_TIME_ZONE, TIMESTAMP_WITH_LOCAL_TIME_ZONE -> { }
        default -> throw new IllegalArgumentException("column '" + rowType.getFieldNames().get(i) + "' is " + types[i]
            + ", which the live index does not store");
      }
      getters[i] = RowData.createFieldGetter(types[i], i);
    }
    bitmapBytes = (types.length + 7) / 8;
  }

  byte[] encode(RowData row) {
    ByteBuffer out = ByteBuffer.allocate(bitmapBytes + 16 * types.length);
    out.position(bitmapBytes);
    for (int i = 0; i < types.length; i++) {
      Object value = getters[i].getFieldOrNull(row);
      if (value == null) {
        out.put(i / 8, (byte) (out.get(i / 8) | (1 << (i % 8))));
        continue;
      }
      switch (types[i].getTypeRoot()) {
        case BOOLEAN -> out = ensure(out, 1).put((byte) ((Boolean) value ? 1 : 0));
        case TINYINT -> out = ensure(out, 1).put((Byte) value);
        case SMALLINT -> out = ensure(out, 2).putShort((Short) value);
        case INTEGER, DATE, TIME_WITHOUT_TIME_ZONE -> out = ensure(out, 4).putInt((Integer) value);
        case BIGINT -> out = ensure(out, 8).putLong((Long) value);
        case FLOAT -> out = ensure(out, 4).putFloat((Float) value);
        case DOUBLE -> out = ensure(out, 8).putDouble((Double) value);
        case CHAR, VARCHAR -> out = putBytes(out, ((StringData) value).toBytes());
        case BINARY, VARBINARY -> out = putBytes(out, (byte[]) value);
        case DECIMAL -> out = putBytes(out, ((DecimalData) value).toUnscaledBytes());
        default -> { // the timestamps
          TimestampData timestamp = (TimestampData) value;
          out = ensure(out, 12).putLong(timestamp.getMillisecond()).putInt(timestamp.getNanoOfMillisecond());
        }
      }
    }
    return Arrays.copyOf(out.array(), out.position());
  }

  GenericRowData decode(byte[] encoded) {
    ByteBuffer in = ByteBuffer.wrap(encoded);
    in.position(bitmapBytes);
    GenericRowData row = new GenericRowData(types.length);
    for (int i = 0; i < types.length; i++) {
      if ((encoded[i / 8] & (1 << (i % 8))) != 0) {
        continue;
      }
      row.setField(i, switch (types[i].getTypeRoot()) {
        case BOOLEAN -> in.get() != 0;
        case TINYINT -> in.get();
        case SMALLINT -> in.getShort();
        case INTEGER, DATE, TIME_WITHOUT_TIME_ZONE -> in.getInt();
        case BIGINT -> in.getLong();
        case FLOAT -> in.getFloat();
        case DOUBLE -> in.getDouble();
        case CHAR, VARCHAR -> StringData.fromBytes(getBytes(in));
        case BINARY, VARBINARY -> getBytes(in);
        case DECIMAL -> {
          DecimalType decimal = (DecimalType) types[i];
          yield DecimalData.fromUnscaledBytes(getBytes(in), decimal.getPrecision(), decimal.getScale());
        }
        default -> TimestampData.fromEpochMillis(in.getLong(), in.getInt());
      });
    }
    return row;
  }

  private static ByteBuffer putBytes(ByteBuffer out, byte[] bytes) {
    return ensure(out, 4 + bytes.length).putInt(bytes.length).put(bytes);
  }

  private static byte[] getBytes(ByteBuffer in) {
    byte[] bytes = new byte[in.getInt()];
    in.get(bytes);
    return bytes;
  }

  private static ByteBuffer ensure(ByteBuffer out, int more) {
    if (out.remaining() >= more) {
      return out;
    }
    ByteBuffer larger = ByteBuffer.allocate(Math.max(out.capacity() * 2, out.position() + more));
    larger.put(out.array(), 0, out.position());
    return larger;
  }
}
