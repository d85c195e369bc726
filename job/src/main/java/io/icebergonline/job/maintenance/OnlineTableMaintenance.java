package io.icebergonline.job.maintenance;

import io.icebergonline.core.DeleteLog;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.LiveTable;
import io.icebergonline.core.MaintenanceConfig;
import io.icebergonline.core.OnlineTables;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.util.SnapshotUtil;

/**
 * One maintenance run of one online table (and of its delete log, {@link #runDeleteLog}), the same
 * for the one-shot {@code maintain} command and the in-job schedule: compact every bucket applying all deletes and dropping every delete file
 * ({@link BucketRewriter}, ours), expire snapshots (Iceberg's {@code ExpireSnapshots}, which also
 * deletes the files only expired snapshots referenced; never the job's last commit, see
 * {@link #retainedSnapshots}), then delete orphan files older than the
 * safety window ({@link OrphanFiles}). Safe to run concurrently with the materialization job and
 * with other maintenance runs: every commit is validated by Iceberg and conflicts are retried.
 */
public final class OnlineTableMaintenance {
  private static final int WORKER_THREADS = 2;
  /** Snapshot summary property of Iceberg's Flink committer (its {@code SinkUtil}). */
  public static final String COMMITTED_CHECKPOINT = "flink.max-committed-checkpoint-id";

  private OnlineTableMaintenance() {}

  /**
   * @param loader loads the table from its catalog: at the start, and again whenever the loaded
   *     object cannot refresh any more ({@link LiveTable}; a run can outlast many job commits)
   * @param runner who runs it ({@code maintain}, {@code in-job}); recorded in the snapshot summary of
   *     rewrite commits with a unique run id
   */
  public static MaintenanceReport run(Supplier<Table> loader, MaintenanceConfig settings, String runner) {
    return withWorkers(workers -> run(new LiveTable(loader), settings, runner, workers,
        (table, runId) -> new BucketRewriter(
            table, settings.targetFileSizeBytes(), settings.orphanOlderThan(), runId, workers).rewrite()));
  }

  /**
   * One maintenance run of a view's {@link DeleteLog}: compaction into one file per bucket, leaving
   * out rows past {@code retention} ({@link DeleteLogCompaction}), then snapshot expiry and orphan
   * removal as for the online table.
   */
  public static MaintenanceReport runDeleteLog(Supplier<Table> loader, Duration retention, MaintenanceConfig settings,
      String runner) {
    return withWorkers(workers -> run(new LiveTable(loader), settings, runner, workers, (table, runId) -> {
      DeleteLog.partitionByBucket(table.table());
      DeleteLogCompaction.Result result =
          new DeleteLogCompaction(table, retention, settings.orphanOlderThan(), runId, workers).compact();
      return new BucketRewriter.Result(result.bucketsRewritten(), 0, result.retries(), result.rowsDropped());
    }));
  }

  /**
   * Maintains a feature view's online table and its delete log, in that order; returns the report
   * of each (for the log line).
   */
  public static List<MaintenanceReport> maintainView(Catalog catalog, String namespace, FeatureViewSpec view,
      MaintenanceConfig settings, String runner) {
    TableIdentifier table = OnlineTables.identifier(namespace, view);
    TableIdentifier deleteLog = DeleteLog.identifier(namespace, view);
    MaintenanceReport online = run(() -> catalog.loadTable(table), settings, runner);
    if (!catalog.tableExists(deleteLog)) {
      return List.of(online); // a view the job has not started on yet
    }
    return List.of(online,
        runDeleteLog(() -> catalog.loadTable(deleteLog), view.deleteVersionRetention(), settings, runner));
  }

  /** The step that compacts a table's files, given the table and the run id. */
  private interface Compaction {
    BucketRewriter.Result compact(LiveTable table, String runId);
  }

  // Its own small pool for Iceberg's parallel manifest and delete-file work, instead of Iceberg's
  // JVM-wide worker pool: maintenance then does not compete with the job's committer, and no
  // pool thread outlives the run (a JVM-wide pool thread keeps the context class loader of the
  // Flink job that created it, which breaks class loading once that job's class loader is closed).
  private static MaintenanceReport withWorkers(Function<ExecutorService, MaintenanceReport> run) {
    ExecutorService workers = Executors.newFixedThreadPool(WORKER_THREADS, runnable -> {
      Thread thread = new Thread(runnable, "iceberg-online-maintenance-worker");
      thread.setDaemon(true);
      return thread;
    });
    try {
      return run.apply(workers);
    } finally {
      workers.shutdownNow();
    }
  }

  private static MaintenanceReport run(LiveTable liveTable, MaintenanceConfig settings, String runner,
      ExecutorService workers, Compaction compaction) {
    String runId = runner + "-" + UUID.randomUUID();
    Table table = liveTable.table();
    MaintenanceReport.TableState before = MaintenanceReport.TableState.of(table, OrphanFiles.list(table));

    long started = System.nanoTime();
    BucketRewriter.Result rewrite = compaction.compact(liveTable, runId);
    long rewritten = System.nanoTime();

    table = liveTable.refresh();
    long now = System.currentTimeMillis();
    table.expireSnapshots()
        .expireOlderThan(now - settings.expireOlderThan().toMillis())
        .retainLast(retainedSnapshots(table, settings.retainLast()))
        .cleanExpiredFiles(true)
        .planWith(workers)
        .executeDeleteWith(workers)
        .commit();

    long expired = System.nanoTime();
    OrphanFiles.Result orphans = OrphanFiles.deleteOrphans(liveTable, now - settings.orphanOlderThan().toMillis());
    long cleaned = System.nanoTime();
    table = liveTable.refresh();
    MaintenanceReport.TableState after = MaintenanceReport.TableState.of(table, orphans.remaining());
    List<FileInfo> deleted = orphans.deleted();
    return new MaintenanceReport(table.name(), before, after, rewrite.bucketsRewritten(), rewrite.conflictsValidated(),
        rewrite.retries(), rewrite.rowsDropped(), deleted.size(), deleted.stream().mapToLong(FileInfo::size).sum(),
        new MaintenanceReport.Durations(millis(started, rewritten), millis(rewritten, expired), millis(expired, cleaned)));
  }

  /**
   * At least {@code retainLast}, and as many of the newest snapshots as reach back to the
   * materialization job's last commit. Iceberg's Flink committer, restored from a savepoint, walks
   * back from the current snapshot to the last commit carrying {@value #COMMITTED_CHECKPOINT} to
   * learn what it committed; were that commit expired (compaction commits on top while the job is
   * stopped), it would commit the savepoint's checkpoint again, from manifests it already deleted,
   * and the restore would fail.
   */
  static int retainedSnapshots(Table table, int retainLast) {
    int distance = 0;
    for (Snapshot snapshot : SnapshotUtil.currentAncestors(table)) {
      distance++;
      if (snapshot.summary().containsKey(COMMITTED_CHECKPOINT)) {
        return Math.max(retainLast, distance);
      }
    }
    return retainLast;
  }

  private static long millis(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1_000_000;
  }
}
