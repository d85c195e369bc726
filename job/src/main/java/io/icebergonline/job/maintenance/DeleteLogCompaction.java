package io.icebergonline.job.maintenance;

import io.icebergonline.core.DeleteLog;
import io.icebergonline.core.LiveTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.RewriteFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.io.RollingDataWriter;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts a view's {@link DeleteLog}: every bucket with more than one file, or with a row past the
 * view's {@code delete_retention}, becomes one file of its retained rows sorted by key; files left
 * from another partitioning (the former by-day layout) are rewritten into the bucket layout. One
 * commit per run, which replaces only files of the snapshot it read, so the job's appends after it
 * stay. Without it the log gains a file per writer and checkpoint with deletes, and seeding one
 * bucket would open every one of them.
 */
final class DeleteLogCompaction {
  private static final Logger LOG = LoggerFactory.getLogger(DeleteLogCompaction.class);
  private static final int MAX_ATTEMPTS = 5;
  /** Retained deletes are small rows: one file per bucket, whatever their number. */
  private static final long TARGET_FILE_SIZE_BYTES = 512L * 1024 * 1024;

  /**
   * @param bucketsRewritten buckets whose files were replaced
   * @param rowsDropped rows past the retention left out
   * @param retries attempts redone after a concurrent commit
   */
  record Result(int bucketsRewritten, long rowsDropped, int retries) {}

  private final LiveTable liveTable;
  private final Duration retention;
  private final Duration orphanWindow;
  private final String runId;
  private final ExecutorService workers;

  /**
   * @param orphanWindow concurrent orphan cleanups delete unreferenced files older than this
   *     ({@link CommitDeadline})
   */
  DeleteLogCompaction(LiveTable liveTable, Duration retention, Duration orphanWindow, String runId,
      ExecutorService workers) {
    this.liveTable = liveTable;
    this.retention = retention;
    this.orphanWindow = orphanWindow;
    this.runId = runId;
    this.workers = workers;
  }

  Result compact() {
    for (int attempt = 1; ; attempt++) {
      try {
        return compactOnce(attempt - 1);
      } catch (ValidationException | CommitFailedException e) {
        if (attempt == MAX_ATTEMPTS) {
          throw new IllegalStateException("Maintenance of the delete log " + liveTable.table().name() + " gave up after "
              + MAX_ATTEMPTS + " attempts; last failure: " + e.getMessage(), e);
        }
        LOG.info("Maintenance of {}: the compaction conflicted with a concurrent commit, retrying (attempt {}): {}",
            liveTable.table().name(), attempt + 1, e.getMessage());
      }
    }
  }

  private Result compactOnce(int retries) {
    Table table = liveTable.refresh();
    Snapshot snapshot = table.currentSnapshot();
    if (snapshot == null) {
      return new Result(0, 0, retries);
    }
    long retainedFromMicros = (System.currentTimeMillis() - retention.toMillis()) * 1_000;
    Types.NestedField deletedAt = table.schema().findField(DeleteLog.DELETED_AT);
    Map<Integer, List<DataFile>> filesByBucket = new TreeMap<>();
    Set<Integer> withExpiredRows = new HashSet<>();
    List<DataFile> otherLayout = new ArrayList<>();
    try (CloseableIterable<FileScanTask> tasks =
        table.newScan().useSnapshot(snapshot.snapshotId()).planWith(workers).planFiles()) {
      for (FileScanTask task : tasks) {
        DataFile file = task.file();
        if (file.specId() != table.spec().specId()) {
          otherLayout.add(file);
          continue;
        }
        int bucket = file.partition().get(0, Integer.class);
        filesByBucket.computeIfAbsent(bucket, b -> new ArrayList<>()).add(file);
        ByteBuffer lowerBound = file.lowerBounds() == null ? null : file.lowerBounds().get(deletedAt.fieldId());
        Long oldestMicros = lowerBound == null ? null : Conversions.fromByteBuffer(deletedAt.type(), lowerBound);
        if (oldestMicros == null || oldestMicros < retainedFromMicros) {
          withExpiredRows.add(bucket);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // files of another layout hold any bucket: then every bucket is rewritten
    boolean everything = !otherLayout.isEmpty();
    Set<Integer> rewritten = new TreeSet<>();
    filesByBucket.forEach((bucket, files) -> {
      if (everything || files.size() > 1 || withExpiredRows.contains(bucket)) {
        rewritten.add(bucket);
      }
    });
    if (!everything && rewritten.isEmpty()) {
      return new Result(0, 0, retries);
    }

    Map<Integer, List<Record>> retained = new TreeMap<>();
    long dropped = 0;
    try (CloseableIterable<Record> rows = IcebergGenerics.read(table).useSnapshot(snapshot.snapshotId())
        .where(everything ? Expressions.alwaysTrue() : Expressions.in(DeleteLog.BUCKET, rewritten.toArray()))
        .build()) {
      for (Record row : rows) {
        OffsetDateTime applied = (OffsetDateTime) row.getField(DeleteLog.DELETED_AT);
        if (applied.toEpochSecond() * 1_000_000 + applied.getNano() / 1_000 < retainedFromMicros) {
          dropped++;
        } else {
          retained.computeIfAbsent((Integer) row.getField(DeleteLog.BUCKET), bucket -> new ArrayList<>()).add(row);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }

    RewriteFiles rewrite = table.newRewrite().validateFromSnapshot(snapshot.snapshotId()).scanManifestsWith(workers);
    otherLayout.forEach(rewrite::deleteFile);
    rewritten.forEach(bucket -> filesByBucket.get(bucket).forEach(rewrite::deleteFile));
    CommitDeadline deadline = new CommitDeadline(orphanWindow);
    List<DataFile> written = new ArrayList<>();
    for (Map.Entry<Integer, List<Record>> bucket : retained.entrySet()) {
      bucket.getValue().sort(Comparator.comparing(row -> (String) row.getField(DeleteLog.ENTITY_KEY)));
      deadline.writing();
      written.addAll(write(table, bucket.getKey(), bucket.getValue(), retries));
    }
    written.forEach(rewrite::addFile);
    rewrite.set(BucketRewriter.SUMMARY_RUN, runId);
    try {
      deadline.checkCommittable(table.name());
      rewrite.commit();
    } catch (ValidationException | CommitFailedException e) {
      // not committed: the files written for it are garbage (a commit in unknown state keeps them)
      written.forEach(file -> table.io().deleteFile(file.location()));
      throw e;
    }
    rewritten.addAll(retained.keySet());
    return new Result(rewritten.size(), dropped, retries);
  }

  private List<DataFile> write(Table table, int bucket, List<Record> rows, int attempt) {
    OutputFileFactory fileFactory = OutputFileFactory.builderFor(table, bucket, 0)
        .operationId(runId + "-delete-log-" + attempt)
        .build();
    GenericFileWriterFactory writerFactory = new GenericFileWriterFactory.Builder(table).build();
    PartitionKey partition = new PartitionKey(table.spec(), table.schema());
    partition.partition(rows.get(0));
    RollingDataWriter<Record> writer = new RollingDataWriter<>(
        writerFactory, fileFactory, table.io(), TARGET_FILE_SIZE_BYTES, table.spec(), partition);
    try (writer) {
      rows.forEach(writer::write);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return writer.result().dataFiles();
  }
}
