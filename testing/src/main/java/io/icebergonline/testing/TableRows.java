package io.icebergonline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.TreeMap;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;

/**
 * A table's live rows as Iceberg's generic reader returns them (it applies equality and position
 * deletes), converted to plain maps comparable with {@link NewestRowOracle} rows: timestamps as
 * epoch microseconds (the columns' precision), binary as {@code byte[]}, lists as {@link List}.
 */
public final class TableRows {
  /** Reads of {@link #read} before it gives up on a table whose snapshots expire faster than it reads them. */
  private static final int EXPIRED_READ_ATTEMPTS = 10;

  private TableRows() {}

  /**
   * All live rows of the table's current snapshot. A read that fails because a concurrent
   * maintenance run expired that snapshot and deleted its files (reported as the FileIO reports
   * it: NotFoundException, S3's NoSuchKeyException, ...) reads the new current snapshot; a failure
   * on a snapshot that still exists, such as a file it references gone missing, is thrown.
   */
  public static List<Map<String, Object>> read(Table table) {
    table.refresh();
    for (int attempt = 1; ; attempt++) {
      Snapshot snapshot = table.currentSnapshot();
      List<Map<String, Object>> rows = new ArrayList<>();
      try {
        forEach(table, snapshot, rows::add);
        return rows;
      } catch (RuntimeException e) {
        table.refresh(); // a failed read has a snapshot: forEach reads nothing of a table without one
        if (table.snapshot(snapshot.snapshotId()) != null || attempt == EXPIRED_READ_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /** Hands each live row of the table's current snapshot to {@code action}, one at a time (for tables too big to hold). */
  public static void forEach(Table table, Consumer<Map<String, Object>> action) {
    table.refresh();
    forEach(table, table.currentSnapshot(), action);
  }

  private static void forEach(Table table, Snapshot snapshot, Consumer<Map<String, Object>> action) {
    if (snapshot == null) {
      return;
    }
    // the table's schema, not the snapshot's: a column added since the last commit reads as null
    try (CloseableIterable<Record> records =
        IcebergGenerics.read(table).useSnapshot(snapshot.snapshotId()).project(table.schema()).build()) {
      for (Record record : records) {
        action.accept(toMap(record, table.schema().asStruct()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Live rows by the value of {@code keyColumn}, sorted; fails if a key has more than one live row
   * (an upsert table must never show two).
   */
  public static Map<Object, Map<String, Object>> readByKey(Table table, String keyColumn) {
    Map<Object, Map<String, Object>> byKey = new TreeMap<>();
    for (Map<String, Object> row : read(table)) {
      Map<String, Object> previous = byKey.put(row.get(keyColumn), row);
      if (previous != null) {
        throw new AssertionError("key " + row.get(keyColumn) + " has more than one live row: " + previous + " and " + row);
      }
    }
    return byKey;
  }

  private static Map<String, Object> toMap(Record record, Types.StructType struct) {
    Map<String, Object> row = new LinkedHashMap<>();
    for (Types.NestedField field : struct.fields()) {
      row.put(field.name(), plain(record.getField(field.name())));
    }
    return row;
  }

  /** Epoch microseconds of an instant, as rows hold timestamps (sub-microsecond digits dropped). */
  public static long epochMicros(Instant instant) {
    // not ChronoUnit.MICROS.between: it counts in nanoseconds, which overflow 292 years from the epoch
    return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }

  /** The instant of epoch microseconds as rows hold them. */
  public static Instant instant(long epochMicros) {
    return Instant.EPOCH.plus(epochMicros, ChronoUnit.MICROS);
  }

  private static Object plain(Object value) {
    if (value instanceof OffsetDateTime time) {
      return epochMicros(time.toInstant());
    } else if (value instanceof ByteBuffer buffer) {
      byte[] bytes = new byte[buffer.remaining()];
      buffer.duplicate().get(bytes);
      return bytes;
    } else if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      list.forEach(element -> copy.add(plain(element)));
      return copy;
    }
    return value;
  }
}
