package io.icebergonline.job.pipeline;

import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.BooleanType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.VarCharType;

/**
 * The record the parser sends to the newest-wins operator: a table row plus what ordering needs
 * (bucket, canonical entity key, version, delete flag). The version is (event time, created
 * time) in epoch microseconds, the precision of the table's timestamp columns, so times that
 * differ in the column differ in the version. It is a {@link RowData} so that Flink serializes
 * it with its binary row serializer rather than Kryo.
 *
 * <p>The {@link ParseAndCollapseOperator} folds the older events of a key into its newest one
 * before the shuffle; the folded events still count in the newest-wins figures, so the row says
 * how many it stands for: {@code superseded} (applied-or-stale together with this row, see {@link
 * NewestWinsCollapseOperator}) and {@code stale} (already older than a buffered version).
 */
final class VersionedRow {
  static final int BUCKET = 0;
  static final int KEY = 1;
  static final int EVENT_TIME = 2;
  static final int CREATED_TIME = 3;
  static final int DELETE = 4;
  static final int ROW = 5;
  static final int SUPERSEDED = 6;
  static final int STALE = 7;

  /** Version component used when a record has no created time: older than any real one. */
  static final long NO_CREATED_TIME = Long.MIN_VALUE;

  private VersionedRow() {}

  static RowType type(RowType tableRow) {
    return RowType.of(
        new LogicalType[] {
          new IntType(false), new VarCharType(false, VarCharType.MAX_LENGTH), new BigIntType(false),
          new BigIntType(false), new BooleanType(false), tableRow, new IntType(false), new IntType(false)
        },
        new String[] {"bucket", "entity_key", "event_time", "created_time", "is_delete", "row", "superseded", "stale"});
  }

  static RowData of(int bucket, String key, long eventTime, long createdTime, boolean delete, RowData row) {
    return GenericRowData.of(bucket, StringData.fromString(key), eventTime, createdTime, delete, row, 0, 0);
  }

  static boolean isOlder(RowData a, RowData b) {
    return BucketVersions.isOlder(eventTime(a), createdTime(a), eventTime(b), createdTime(b));
  }

  static int superseded(RowData versioned) {
    return versioned.getInt(SUPERSEDED);
  }

  static int stale(RowData versioned) {
    return versioned.getInt(STALE);
  }

  static int bucket(RowData versioned) {
    return versioned.getInt(BUCKET);
  }

  static String key(RowData versioned) {
    return versioned.getString(KEY).toString();
  }

  static long eventTime(RowData versioned) {
    return versioned.getLong(EVENT_TIME);
  }

  static long createdTime(RowData versioned) {
    return versioned.getLong(CREATED_TIME);
  }

  static boolean isDelete(RowData versioned) {
    return versioned.getBoolean(DELETE);
  }

  static RowData row(RowData versioned, int tableArity) {
    return versioned.getRow(ROW, tableArity);
  }
}
