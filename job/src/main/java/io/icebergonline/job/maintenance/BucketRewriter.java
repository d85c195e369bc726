package io.icebergonline.job.maintenance;

import io.icebergonline.core.LiveTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.RewriteFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.io.RollingDataWriter;
import org.apache.iceberg.types.Comparators;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts an online table bucket by bucket: plans the current snapshot once with Iceberg's scan
 * planning, reads each bucket's live rows applying every equality and position delete
 * ({@link BucketReader}), writes them sorted by key into new files of about the target size, and
 * commits {@link RewriteFiles} that remove the rewritten buckets' old data files <em>and all their
 * delete files</em>: one commit per run, or one per {@link #COMMIT_EVERY_BYTES} written on big
 * tables, or sooner where the orphan window requires it ({@link CommitDeadline}).
 *
 * <p>Hand-rolled because Iceberg's rewrite does not do that job: its commit step
 * ({@code RewriteDataFilesCommitManager}, behind both the Flink maintenance task
 * {@code RewriteDataFiles} and Spark's action) removes only the rewritten data files and dangling
 * deletion vectors. Equality-delete files stay referenced, and every later read of the bucket
 * still opens them; only Spark has {@code RemoveDanglingDeleteFiles}. Removing every delete file
 * of a bucket is safe only if every data file they could apply to is rewritten in the same
 * commit, hence whole buckets.
 *
 * <p>Concurrency with the materialization job: the new files keep the data sequence number of the
 * snapshot they were read from, so equality deletes the job commits meanwhile still apply to them,
 * and the commit validates from that snapshot (Iceberg rebases and re-validates on conflicting
 * commits). Hence all buckets of one commit are read from one snapshot. Few commits matter: the
 * job commits every checkpoint, and each maintenance commit must win a race against it (a commit
 * per bucket loses that race ever more often as the bucket count grows). A failed validation
 * (another maintenance run rewrote a bucket first) or a snapshot expired under our feet (by
 * another run) makes us re-plan from the current snapshot and rewrite the buckets not yet
 * committed, a bounded number of times.
 *
 * <p>A bucket's live rows are sorted in memory: size the bucket count so that a bucket fits.
 */
final class BucketRewriter {
  private static final Logger LOG = LoggerFactory.getLogger(BucketRewriter.class);

  /** Attempts of the rewrite (planning, reading, writing, committing) before the run gives up. */
  static final int MAX_ATTEMPTS = 5;
  /**
   * Written bytes after which the buckets rewritten so far are committed, so that a failure late
   * in a run over a big table keeps the earlier progress.
   */
  static final long COMMIT_EVERY_BYTES = 1L << 30;
  /** Snapshot summary properties of our rewrite commits: which maintenance run made it, from which snapshot. */
  static final String SUMMARY_RUN = "iceberg-online.maintenance-run";
  static final String SUMMARY_READ_SNAPSHOT = "iceberg-online.rewritten-from-snapshot";

  /**
   * @param conflictsValidated commits that other writers' commits raced (between reading the
   *     buckets and committing), which Iceberg validated against and rebased onto
   * @param retries rewrites redone from a new plan after a failed validation or commit
   */
  /** @param rowsDropped rows left out as past their retention (delete logs only) */
  record Result(int bucketsRewritten, int conflictsValidated, int retries, long rowsDropped) {

    Result(int bucketsRewritten, int conflictsValidated, int retries) {
      this(bucketsRewritten, conflictsValidated, retries, 0);
    }
  }

  /**
   * The live files of one bucket in one snapshot: Iceberg's scan tasks (each data file with the
   * deletes that apply to it) and every delete file, including those that apply to nothing.
   */
  private record BucketFiles(
      int bucket, StructLike partition, Snapshot snapshot, List<FileScanTask> tasks, List<DeleteFile> deleteFiles) {

    List<DataFile> dataFiles() {
      return tasks.stream().map(FileScanTask::file).toList();
    }
  }

  /** Rewritten buckets of one snapshot, written but not yet committed. */
  private static final class PendingCommit {
    private final Snapshot readFrom;
    private final CommitDeadline deadline;
    private final List<BucketFiles> replaced = new ArrayList<>();
    private final List<DataFile> written = new ArrayList<>();
    private long writtenBytes;

    PendingCommit(Snapshot readFrom, Duration orphanWindow) {
      this.readFrom = readFrom;
      this.deadline = new CommitDeadline(orphanWindow);
    }

    void add(BucketFiles bucket, List<DataFile> files) {
      replaced.add(bucket);
      written.addAll(files);
      writtenBytes += files.stream().mapToLong(DataFile::fileSizeInBytes).sum();
    }
  }

  private final LiveTable liveTable;
  private Table table;
  private final long targetFileSizeBytes;
  private final Duration orphanWindow;
  private final String runId;
  private final ExecutorService workers;
  private final String keyColumn;
  private final Comparator<Object> keyOrder;
  private final Set<Integer> committedBuckets = new HashSet<>();
  private int conflictsValidated;
  private int retries;

  /**
   * @param orphanWindow concurrent orphan cleanups delete unreferenced files older than this: the
   *     run commits its files well within it ({@link CommitDeadline})
   * @param workers runs Iceberg's parallel planning, validation and delete-file loading
   */
  @SuppressWarnings("unchecked")
  BucketRewriter(LiveTable liveTable, long targetFileSizeBytes, Duration orphanWindow, String runId,
      ExecutorService workers) {
    this.liveTable = liveTable;
    this.table = liveTable.table();
    this.targetFileSizeBytes = targetFileSizeBytes;
    this.orphanWindow = orphanWindow;
    this.runId = runId;
    this.workers = workers;
    PartitionSpec spec = table.spec();
    if (spec.fields().size() != 1 || !spec.fields().get(0).transform().toString().startsWith("bucket[")) {
      throw new IllegalStateException("Table " + table.name() + " is not an online table partitioned by bucket[N] "
          + "of its key (partitioning " + spec + ")");
    }
    PartitionField field = spec.fields().get(0);
    this.keyColumn = spec.schema().findColumnName(field.sourceId());
    this.keyOrder = (Comparator<Object>) Comparators.forType(spec.schema().findType(field.sourceId()).asPrimitiveType());
  }

  /** Rewrites every bucket of the current snapshot that has delete files or more than one small data file. */
  Result rewrite() {
    for (int attempt = 1; ; attempt++) {
      try {
        rewriteUncommittedBuckets();
        return new Result(committedBuckets.size(), conflictsValidated, retries);
      } catch (ValidationException | CommitFailedException e) {
        if (attempt == MAX_ATTEMPTS) {
          throw new IllegalStateException("Maintenance of " + table.name() + " gave up after " + MAX_ATTEMPTS
              + " attempts to rewrite its buckets; last failure: " + e.getMessage(), e);
        }
        retries++;
        LOG.info("Maintenance of {}: the rewrite conflicted with a concurrent commit, retrying from the current "
            + "snapshot (attempt {}): {}", table.name(), attempt + 1, e.getMessage());
      }
    }
  }

  /** Plans the current snapshot and rewrites the buckets that need it and no earlier attempt committed. */
  private void rewriteUncommittedBuckets() {
    Snapshot snapshot = refreshedSnapshot();
    if (snapshot == null) {
      return;
    }
    PendingCommit pending = new PendingCommit(snapshot, orphanWindow);
    try {
      for (BucketFiles bucket : plan(snapshot).values()) {
        if (committedBuckets.contains(bucket.bucket()) || !needsRewrite(bucket)) {
          continue;
        }
        long readStarted = System.nanoTime();
        List<Record> rows = reading(snapshot, () -> new BucketReader(table, workers).liveRows(bucket.tasks()));
        rows.sort(Comparator.comparing(row -> row.getField(keyColumn), keyOrder));
        long readNanos = System.nanoTime() - readStarted;
        pending.deadline.writing();
        pending.add(bucket, write(rows, bucket));
        LOG.debug("Rewrote bucket {} of {}: {} data and {} delete files, {} rows", bucket.bucket(), table.name(),
            bucket.dataFiles().size(), bucket.deleteFiles().size(), rows.size());
        // the next bucket's read, if it takes as long as this one's, would age the files too much
        if (pending.writtenBytes >= COMMIT_EVERY_BYTES || pending.deadline.dueBefore(readNanos)) {
          commit(pending);
          pending = new PendingCommit(snapshot, orphanWindow);
        }
      }
      commit(pending);
    } catch (ValidationException | CommitFailedException e) {
      // not committed: the files written for it are garbage (a commit in unknown state keeps them)
      pending.written.forEach(file -> table.io().deleteFile(file.location()));
      throw e;
    }
  }

  private boolean needsRewrite(BucketFiles files) {
    long smallFiles = files.dataFiles().stream().filter(file -> file.fileSizeInBytes() < targetFileSizeBytes).count();
    return !files.deleteFiles().isEmpty() || smallFiles > 1;
  }

  private void commit(PendingCommit pending) {
    if (pending.replaced.isEmpty()) {
      return;
    }
    pending.deadline.checkCommittable(table.name());
    Snapshot readFrom = pending.readFrom;
    RewriteFiles rewrite = table.newRewrite()
        .scanManifestsWith(workers)
        .validateFromSnapshot(readFrom.snapshotId())
        .dataSequenceNumber(readFrom.sequenceNumber())
        .set(SUMMARY_RUN, runId)
        .set(SUMMARY_READ_SNAPSHOT, Long.toString(readFrom.snapshotId()));
    for (BucketFiles bucket : pending.replaced) {
      bucket.dataFiles().forEach(rewrite::deleteFile);
      bucket.deleteFiles().forEach(rewrite::deleteFile);
    }
    pending.written.forEach(rewrite::addFile);
    rewrite.commit();
    pending.replaced.forEach(bucket -> committedBuckets.add(bucket.bucket()));
    if (othersCommittedSince(readFrom)) {
      conflictsValidated++;
    }
  }

  /** Whether the snapshots between {@code readFrom} and our commit include any not made by this run. */
  private boolean othersCommittedSince(Snapshot readFrom) {
    Snapshot snapshot = table.snapshot(table.currentSnapshot().parentId());
    while (snapshot != null && snapshot.snapshotId() != readFrom.snapshotId()) {
      if (!runId.equals(snapshot.summary().get(SUMMARY_RUN))) {
        return true;
      }
      snapshot = snapshot.parentId() == null ? null : table.snapshot(snapshot.parentId());
    }
    return false;
  }

  private List<DataFile> write(List<Record> rows, BucketFiles files) {
    OutputFileFactory fileFactory = OutputFileFactory.builderFor(table, files.bucket(), 0)
        .operationId(runId + "-" + retries) // unique per attempt: a retry may read the same snapshot
        .build();
    GenericFileWriterFactory writerFactory = new GenericFileWriterFactory.Builder(table)
        .dataSortOrder(table.sortOrder())
        .build();
    RollingDataWriter<Record> writer = new RollingDataWriter<>(
        writerFactory, fileFactory, table.io(), targetFileSizeBytes, table.spec(), files.partition());
    try (writer) {
      rows.forEach(writer::write);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return writer.result().dataFiles();
  }

  private Snapshot refreshedSnapshot() {
    table = liveTable.refresh();
    return table.currentSnapshot();
  }

  /** The live files of {@code snapshot} by bucket. */
  private Map<Integer, BucketFiles> plan(Snapshot snapshot) {
    Map<Integer, BucketFiles> buckets = new TreeMap<>();
    return reading(snapshot, () -> {
      try (CloseableIterable<FileScanTask> tasks =
          table.newScan().useSnapshot(snapshot.snapshotId()).planWith(workers).planFiles()) {
        tasks.forEach(task -> bucket(buckets, snapshot, task.file().specId(), task.file().partition()).tasks().add(task));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (ManifestFile manifest : snapshot.deleteManifests(table.io())) {
        try (ManifestReader<DeleteFile> reader =
            ManifestFiles.readDeleteManifest(manifest, table.io(), table.specs())) {
          for (DeleteFile file : reader) {
            bucket(buckets, snapshot, file.specId(), file.partition()).deleteFiles().add(file);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return buckets;
    });
  }

  /**
   * Runs a read of {@code snapshot}'s files. A failure because a concurrent maintenance run expired
   * the snapshot and deleted its files (which the FileIO reports in its own terms, e.g. S3's
   * NoSuchKeyException) becomes a {@link ValidationException}, so the step is retried.
   */
  private <T> T reading(Snapshot snapshot, Supplier<T> read) {
    try {
      ValidationException.check(table.snapshot(snapshot.snapshotId()) != null, "Snapshot %s was expired",
          snapshot.snapshotId());
      return read.get();
    } catch (RuntimeException e) {
      table = liveTable.refresh();
      if (!(e instanceof ValidationException) && table.snapshot(snapshot.snapshotId()) == null) {
        throw new ValidationException(e, "Snapshot %s was expired while it was read", snapshot.snapshotId());
      }
      throw e;
    }
  }

  private BucketFiles bucket(Map<Integer, BucketFiles> buckets, Snapshot snapshot, int specId, StructLike partition) {
    if (specId != table.spec().specId()) {
      throw new IllegalStateException("Table " + table.name() + " has files of partition spec " + specId
          + ", not of its current spec " + table.spec().specId() + "; online tables never change partitioning");
    }
    int bucket = partition.get(0, Integer.class);
    return buckets.computeIfAbsent(bucket,
        b -> new BucketFiles(b, partition, snapshot, new ArrayList<>(), new ArrayList<>()));
  }
}
