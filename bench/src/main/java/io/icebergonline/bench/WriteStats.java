package io.icebergonline.bench;

import java.util.Map;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotSummary;
import org.apache.iceberg.Table;

/**
 * What the writers of a table wrote, summed over its snapshots from Iceberg's snapshot summaries,
 * and what the table holds now.
 *
 * @param liveBytes files of the current snapshot
 * @param storeBytes every file under the table's location
 */
record WriteStats(long commits, long dataRows, long equalityDeleteRows, long positionDeleteRows, long dataFiles,
    long deleteFiles, long liveRows, long liveBytes, long storeBytes) {

  static WriteStats of(Table table) {
    table.refresh();
    long commits = 0;
    long dataRows = 0;
    long equalityDeletes = 0;
    long positionDeletes = 0;
    long dataFiles = 0;
    long deleteFiles = 0;
    for (Snapshot snapshot : table.snapshots()) {
      Map<String, String> summary = snapshot.summary();
      commits++;
      dataRows += count(summary, SnapshotSummary.ADDED_RECORDS_PROP);
      equalityDeletes += count(summary, SnapshotSummary.ADDED_EQ_DELETES_PROP);
      positionDeletes += count(summary, SnapshotSummary.ADDED_POS_DELETES_PROP);
      dataFiles += count(summary, SnapshotSummary.ADDED_FILES_PROP);
      deleteFiles += count(summary, SnapshotSummary.ADDED_DELETE_FILES_PROP);
    }
    Map<String, String> current = table.currentSnapshot() == null ? Map.of() : table.currentSnapshot().summary();
    return new WriteStats(commits, dataRows, equalityDeletes, positionDeletes, dataFiles, deleteFiles,
        count(current, SnapshotSummary.TOTAL_RECORDS_PROP), count(current, SnapshotSummary.TOTAL_FILE_SIZE_PROP),
        BenchCatalog.storeBytes(table));
  }

  long rowsWritten() {
    return dataRows + equalityDeleteRows + positionDeleteRows;
  }

  double filesPerCommit() {
    return commits == 0 ? 0 : (dataFiles + deleteFiles) / (double) commits;
  }

  private static long count(Map<String, String> summary, String property) {
    return Long.parseLong(summary.getOrDefault(property, "0"));
  }
}
