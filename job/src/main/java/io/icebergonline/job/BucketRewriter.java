package io.icebergonline.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
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
import org.apache.iceberg.expressions.Evaluator;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.expressions.Projections;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.io.RollingDataWriter;
import org.apache.iceberg.transforms.Transform;
import org.apache.iceberg.types.Comparators;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compacts an online table bucket by bucket: plans the current snapshot once with Iceberg's scan
 * planning, reads each bucket's live rows applying every equality and position delete
 * ({@link BucketReader}), writes them sorted by key into new files of about the target size, and
 * commits one {@link RewriteFiles} per bucket that removes all the bucket's old data files
 * <em>and all its delete files</em>.
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
 * commits). A failed validation (another maintenance run rewrote the bucket first) or a snapshot
 * expired under our feet (by another run) makes us re-plan and re-read the bucket from the current
 * snapshot, a bounded number of times.
 *
 * <p>A bucket's live rows are sorted in memory: size the bucket count so that a bucket fits.
 */
final class BucketRewriter {
  private static final Logger LOG = LoggerFactory.getLogger(BucketRewriter.class);

  /** Attempts of the planning and of each bucket before the run gives up. */
  static final int MAX_ATTEMPTS = 5;
  /** Snapshot summary properties of our rewrite commits: which maintenance run made it, from which snapshot. */
  static final String SUMMARY_RUN = "iceberg-online.maintenance-run";
  static final String SUMMARY_READ_SNAPSHOT = "iceberg-online.rewritten-from-snapshot";

  /**
   * @param conflictsValidated bucket commits that other writers' commits raced (between reading the
   *     bucket and committing), which Iceberg validated against and rebased onto
   * @param retries planning or bucket rewrites redone after a failed validation or commit
   */
  record Result(int bucketsRewritten, int conflictsValidated, int retries) {}

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

  private final Table table;
  private final long targetFileSizeBytes;
  private final String runId;
  private final ExecutorService workers;
  private final String keyColumn;
  private final Transform<?, Integer> bucketTransform;
  private final Comparator<Object> keyOrder;
  private int conflictsValidated;
  private int retries;

  /** @param workers runs Iceberg's parallel planning, validation and delete-file loading */
  @SuppressWarnings("unchecked")
  BucketRewriter(Table table, long targetFileSizeBytes, String runId, ExecutorService workers) {
    this.table = table;
    this.targetFileSizeBytes = targetFileSizeBytes;
    this.runId = runId;
    this.workers = workers;
    PartitionSpec spec = table.spec();
    if (spec.fields().size() != 1 || !spec.fields().get(0).transform().toString().startsWith("bucket[")) {
      throw new IllegalStateException("Table " + table.name() + " is not an online table partitioned by bucket[N] "
          + "of its key (partitioning " + spec + ")");
    }
    PartitionField field = spec.fields().get(0);
    this.keyColumn = spec.schema().findColumnName(field.sourceId());
    this.bucketTransform = (Transform<?, Integer>) field.transform();
    this.keyOrder = (Comparator<Object>) Comparators.forType(spec.schema().findType(field.sourceId()).asPrimitiveType());
  }

  /** Rewrites every bucket of the current snapshot that has delete files or more than one small data file. */
  Result rewrite() {
    Map<Integer, BucketFiles> planned = withRetries("planning", () -> plan(Expressions.alwaysTrue()));
    int rewritten = 0;
    for (Map.Entry<Integer, BucketFiles> bucket : planned.entrySet()) {
      AtomicReference<BucketFiles> files = new AtomicReference<>(bucket.getValue());
      boolean done = withRetries("bucket " + bucket.getKey(), () -> {
        // a retry re-plans the bucket from the then current snapshot
        BucketFiles current = files.getAndSet(null);
        if (current == null) {
          current = plan(inBucket(bucket.getKey())).get(bucket.getKey());
        }
        if (current == null || !needsRewrite(current)) {
          return false;
        }
        rewriteBucket(current);
        return true;
      });
      rewritten += done ? 1 : 0;
    }
    return new Result(rewritten, conflictsValidated, retries);
  }

  /**
   * Runs {@code step} up to {@link #MAX_ATTEMPTS} times while it fails validation or commit (a
   * concurrent commit removed what it read, or expired the snapshot it read).
   */
  private <T> T withRetries(String step, Supplier<T> attempt) {
    for (int number = 1; ; number++) {
      try {
        return attempt.get();
      } catch (ValidationException | CommitFailedException e) {
        if (number == MAX_ATTEMPTS) {
          throw new IllegalStateException("Maintenance of " + table.name() + " gave up on " + step + " after "
              + MAX_ATTEMPTS + " attempts; last failure: " + e.getMessage(), e);
        }
        retries++;
        LOG.info("Maintenance of {}: {} conflicted with a concurrent commit, retrying from the current snapshot "
            + "(attempt {}): {}", table.name(), step, number + 1, e.getMessage());
      }
    }
  }

  private boolean needsRewrite(BucketFiles files) {
    long smallFiles = files.dataFiles().stream().filter(file -> file.fileSizeInBytes() < targetFileSizeBytes).count();
    return !files.deleteFiles().isEmpty() || smallFiles > 1;
  }

  private void rewriteBucket(BucketFiles files) {
    Snapshot readFrom = files.snapshot();
    List<Record> rows = reading(readFrom, () -> new BucketReader(table, workers).liveRows(files.tasks()));
    rows.sort(Comparator.comparing(row -> row.getField(keyColumn), keyOrder));
    List<DataFile> written = write(rows, files);

    RewriteFiles rewrite = table.newRewrite()
        .scanManifestsWith(workers)
        .validateFromSnapshot(readFrom.snapshotId())
        .dataSequenceNumber(readFrom.sequenceNumber())
        .set(SUMMARY_RUN, runId)
        .set(SUMMARY_READ_SNAPSHOT, Long.toString(readFrom.snapshotId()));
    files.dataFiles().forEach(rewrite::deleteFile);
    files.deleteFiles().forEach(rewrite::deleteFile);
    written.forEach(rewrite::addFile);
    try {
      rewrite.commit();
    } catch (ValidationException | CommitFailedException e) {
      // not committed: our new files are garbage (a commit in unknown state keeps them)
      written.forEach(file -> table.io().deleteFile(file.location()));
      throw e;
    }
    if (othersCommittedSince(readFrom)) {
      conflictsValidated++;
    }
    LOG.debug("Rewrote bucket {} of {}: {} data and {} delete files into {} files, {} rows", files.bucket(),
        table.name(), files.dataFiles().size(), files.deleteFiles().size(), written.size(), rows.size());
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
        .operationId(runId + "-" + files.snapshot().snapshotId())
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

  /** The live files of the current snapshot by bucket, for the buckets {@code filter} selects. */
  private Map<Integer, BucketFiles> plan(Expression filter) {
    table.refresh();
    Snapshot snapshot = table.currentSnapshot();
    Map<Integer, BucketFiles> buckets = new TreeMap<>();
    if (snapshot == null) {
      return buckets;
    }
    return reading(snapshot, () -> {
      try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(snapshot.snapshotId()).filter(filter)
          .planWith(workers).planFiles()) {
        tasks.forEach(task -> bucket(buckets, snapshot, task.file().specId(), task.file().partition()).tasks().add(task));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Evaluator selected =
          new Evaluator(table.spec().partitionType(), Projections.inclusive(table.spec()).project(filter));
      for (ManifestFile manifest : snapshot.deleteManifests(table.io())) {
        try (ManifestReader<DeleteFile> reader =
            ManifestFiles.readDeleteManifest(manifest, table.io(), table.specs())) {
          for (DeleteFile file : reader) {
            if (selected.eval(file.partition())) {
              bucket(buckets, snapshot, file.specId(), file.partition()).deleteFiles().add(file);
            }
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
      table.refresh();
      if (!(e instanceof ValidationException) && table.snapshot(snapshot.snapshotId()) == null) {
        throw new ValidationException(e, "Snapshot %s was expired while it was read", snapshot.snapshotId());
      }
      throw e;
    }
  }

  @SuppressWarnings("unchecked")
  private Expression inBucket(int bucket) {
    return Expressions.equal(Expressions.transform(keyColumn, bucketTransform), bucket);
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
