package io.icebergonline.job.pipeline;

import io.icebergonline.core.DeleteLog;
import io.icebergonline.core.EntityKeys;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.FieldSpec;
import io.icebergonline.core.LiveTable;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.job.maintenance.BucketReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.apache.flink.table.data.TimestampData;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;

/**
 * The versions the tables hold for the keys of one bucket: where newest wins starts from when it
 * has no state for the bucket (README "Newest wins across restarts"). Reads the bucket's live rows
 * in the online table's current snapshot, only the entity, event-time and created-time columns,
 * with every delete applied ({@link BucketReader}), and the bucket's deletes within the view's
 * retention from its {@link DeleteLog}; a key found in both gets the newer version.
 *
 * <p>The one place that converts between table timestamps and newest-wins versions
 * ({@link #version}, {@link #timestamp}).
 */
public final class BucketVersions {
  private final FeatureViewSpec view;
  private final LiveTable onlineTable;
  private final LiveTable deleteLog;
  private final ExecutorService workers;

  /** What one read found, from which snapshot of the online table. */
  record Read(Map<String, long[]> versions, long liveRows, long retainedDeletes, Long snapshotId) {}

  BucketVersions(FeatureViewSpec view, LiveTable onlineTable, LiveTable deleteLog, ExecutorService workers) {
    this.view = view;
    this.onlineTable = onlineTable;
    this.deleteLog = deleteLog;
    this.workers = workers;
  }

  /**
   * The version of every key of {@code bucket} that has a live row in the online table's current
   * snapshot or a delete applied within the retention.
   */
  Read read(int bucket) {
    Map<String, long[]> versions = new HashMap<>();
    long retainedDeletes = readRetainedDeletes(bucket, versions);
    Table table = onlineTable.refresh();
    Snapshot snapshot = table.currentSnapshot();
    if (snapshot == null) {
      return new Read(versions, 0, retainedDeletes, null);
    }
    List<FileScanTask> tasks = new ArrayList<>();
    String keyColumn = OnlineTableLayout.of(view).keyColumn();
    try (CloseableIterable<FileScanTask> planned = table.newScan()
        .useSnapshot(snapshot.snapshotId())
        .filter(Expressions.equal(Expressions.bucket(keyColumn, view.buckets()), bucket))
        .planWith(workers)
        .planFiles()) {
      for (FileScanTask task : planned) {
        if (task.file().partition().get(0, Integer.class) == bucket) {
          tasks.add(task);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> columns = new ArrayList<>();
    view.entities().forEach(entity -> columns.add(entity.name()));
    columns.add(view.timestampField());
    boolean hasCreated = view.createdTimestamp().isPresent()
        && table.schema().findField(view.createdTimestampColumn()) != null;
    if (hasCreated) {
      columns.add(view.createdTimestampColumn());
    }
    Schema projection = table.schema().select(columns);
    List<Record> rows = new BucketReader(table, workers).liveRows(tasks, projection);
    for (Record row : rows) {
      List<Object> entityValues = new ArrayList<>(view.entities().size());
      for (FieldSpec entity : view.entities()) {
        entityValues.add(row.getField(entity.name()));
      }
      long eventTime = version((OffsetDateTime) row.getField(view.timestampField()));
      OffsetDateTime created = hasCreated ? (OffsetDateTime) row.getField(view.createdTimestampColumn()) : null;
      long createdTime = created == null ? VersionedRow.NO_CREATED_TIME : version(created);
      versions.merge(EntityKeys.compositeKey(entityValues), new long[] {eventTime, createdTime}, BucketVersions::newer);
    }
    return new Read(versions, rows.size(), retainedDeletes, snapshot.snapshotId());
  }

  /** Adds the versions of the bucket's deletes applied within the retention; returns how many were read. */
  private long readRetainedDeletes(int bucket, Map<String, long[]> versions) {
    Table log = deleteLog.refresh();
    long appliedSince = System.currentTimeMillis() - view.deleteVersionRetention().toMillis();
    long count = 0;
    try (CloseableIterable<Record> deletes = retainedDeletes(log, bucket, appliedSince)) {
      for (Record delete : deletes) {
        long[] version = {version((OffsetDateTime) delete.getField(DeleteLog.EVENT_TIME)), VersionedRow.NO_CREATED_TIME};
        versions.merge((String) delete.getField(DeleteLog.ENTITY_KEY), version, BucketVersions::newer);
        count++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return count;
  }

  /**
   * The delete log's rows of one bucket applied at or after {@code appliedSinceMillis}: what seeding
   * a bucket reads (public for the benchmark that measures it). Partition pruning opens only that
   * bucket's files.
   */
  public static CloseableIterable<Record> retainedDeletes(Table log, int bucket, long appliedSinceMillis) {
    return IcebergGenerics.read(log)
        .where(Expressions.and(
            Expressions.equal(DeleteLog.BUCKET, bucket),
            Expressions.greaterThanOrEqual(DeleteLog.DELETED_AT, appliedSinceMillis * 1000)))
        .build();
  }

  /** A table timestamp as a newest-wins version component (epoch microseconds, as the parser's). */
  static long version(OffsetDateTime timestamp) {
    return JsonValues.epochMicros(timestamp.toInstant());
  }

  /** A newest-wins version component (epoch microseconds) as a table timestamp in Flink's internal form. */
  static TimestampData timestamp(long version) {
    return TimestampData.fromEpochMillis(Math.floorDiv(version, 1_000L), (int) Math.floorMod(version, 1_000L) * 1_000);
  }

  /** The newer of two versions (event time, then created time). */
  static long[] newer(long[] a, long[] b) {
    return isOlder(a, b) ? b : a;
  }

  /** Whether version {@code a} is older than {@code b}: an event carrying {@code a} is stale against {@code b}. */
  static boolean isOlder(long[] a, long[] b) {
    return isOlder(a[0], a[1], b[0], b[1]);
  }

  /** Whether version (event time, created time) {@code a} is older than {@code b}. */
  static boolean isOlder(long aEventTime, long aCreatedTime, long bEventTime, long bCreatedTime) {
    return aEventTime < bEventTime || (aEventTime == bEventTime && aCreatedTime < bCreatedTime);
  }
}
