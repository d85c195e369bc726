package io.icebergonline.job.maintenance;

import java.util.List;
import java.util.Map;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotSummary;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.FileInfo;

/**
 * What one maintenance run of one table did.
 *
 * @param bucketsRewritten buckets compacted (each one commit)
 * @param conflictsValidated bucket commits raced by other writers' commits, validated and rebased
 * @param retries planning or bucket rewrites redone after a failed validation or commit
 * @param rowsDropped delete-log rows past the view's delete retention left out by the compaction
 */
public record MaintenanceReport(
    String table, TableState before, TableState after, int bucketsRewritten, int conflictsValidated, int retries,
    long rowsDropped, int orphansRemoved, long orphanBytesRemoved, Durations durations) {

  /** Wall-clock milliseconds of each step. */
  public record Durations(long rewriteMillis, long expireMillis, long orphanMillis) {}

  /**
   * A table's size: live files of its current snapshot (from the snapshot summary's totals) and
   * everything in its store (data, deletes, manifests, metadata of all snapshots, orphans).
   */
  public record TableState(long dataFiles, long deleteFiles, long liveBytes, int snapshots, long storeFiles,
      long storeBytes) {

    static TableState of(Table table, List<FileInfo> store) {
      Snapshot current = table.currentSnapshot();
      Map<String, String> summary = current == null ? Map.of() : current.summary();
      int snapshots = 0;
      for (Snapshot ignored : table.snapshots()) {
        snapshots++;
      }
      return new TableState(
          total(summary, SnapshotSummary.TOTAL_DATA_FILES_PROP),
          total(summary, SnapshotSummary.TOTAL_DELETE_FILES_PROP),
          total(summary, SnapshotSummary.TOTAL_FILE_SIZE_PROP),
          snapshots,
          store.size(),
          store.stream().mapToLong(FileInfo::size).sum());
    }

    private static long total(Map<String, String> summary, String property) {
      return Long.parseLong(summary.getOrDefault(property, "0"));
    }
  }

  /** One line for the log: before → after of every count. */
  public String describe() {
    return String.format("%s: data files %d -> %d, delete files %d -> %d, live bytes %d -> %d, snapshots %d -> %d, "
            + "store files %d -> %d, store bytes %d -> %d; %d buckets rewritten, %d conflicts validated, %d retries, "
            + "%d rows past retention dropped, %d orphan files removed (%d bytes); took %d ms rewriting, %d ms expiring, "
            + "%d ms removing orphans",
        table, before.dataFiles(), after.dataFiles(), before.deleteFiles(), after.deleteFiles(), before.liveBytes(),
        after.liveBytes(), before.snapshots(), after.snapshots(), before.storeFiles(), after.storeFiles(),
        before.storeBytes(), after.storeBytes(), bucketsRewritten, conflictsValidated, retries, rowsDropped, orphansRemoved,
        orphanBytesRemoved, durations.rewriteMillis(), durations.expireMillis(), durations.orphanMillis());
  }
}
