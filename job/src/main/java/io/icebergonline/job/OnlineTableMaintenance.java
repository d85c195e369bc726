package io.icebergonline.job;

import io.icebergonline.core.MaintenanceConfig;
import java.util.List;
import java.util.UUID;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.FileInfo;

/**
 * One maintenance run of one online table, the same for the one-shot {@code maintain} command and
 * the in-job schedule: compact every bucket applying all deletes and dropping every delete file
 * ({@link BucketRewriter}, ours), expire snapshots (Iceberg's {@code ExpireSnapshots}, which also
 * deletes the files only expired snapshots referenced), then delete orphan files older than the
 * safety window ({@link OrphanFiles}). Safe to run concurrently with the materialization job and
 * with other maintenance runs: every commit is validated by Iceberg and conflicts are retried.
 */
public final class OnlineTableMaintenance {
  private OnlineTableMaintenance() {}

  /**
   * @param runner who runs it ({@code maintain}, {@code in-job}); recorded in the snapshot summary of
   *     rewrite commits with a unique run id
   */
  public static MaintenanceReport run(Table table, MaintenanceConfig settings, String runner) {
    String runId = runner + "-" + UUID.randomUUID();
    table.refresh();
    MaintenanceReport.TableState before = MaintenanceReport.TableState.of(table, OrphanFiles.list(table));

    BucketRewriter.Result rewrite = new BucketRewriter(table, settings.targetFileSizeBytes(), runId).rewrite();

    long now = System.currentTimeMillis();
    table.expireSnapshots()
        .expireOlderThan(now - settings.expireOlderThan().toMillis())
        .retainLast(settings.retainLast())
        .cleanExpiredFiles(true)
        .commit();

    OrphanFiles.Result orphans = OrphanFiles.deleteOrphans(table, now - settings.orphanOlderThan().toMillis());
    table.refresh();
    MaintenanceReport.TableState after = MaintenanceReport.TableState.of(table, orphans.remaining());
    List<FileInfo> deleted = orphans.deleted();
    return new MaintenanceReport(table.name(), before, after, rewrite.bucketsRewritten(), rewrite.conflictsValidated(),
        rewrite.retries(), deleted.size(), deleted.stream().mapToLong(FileInfo::size).sum());
  }
}
