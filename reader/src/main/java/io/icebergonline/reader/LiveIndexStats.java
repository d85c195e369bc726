package io.icebergonline.reader;

/**
 * What a reader's live index holds, for metrics.
 *
 * @param indexedBuckets buckets answered from memory
 * @param bucketsOverBudget buckets that did not fit the memory budget and are served by point reads
 * @param bytes the estimated memory of the indexed rows
 * @param bucketBuilds how many bucket builds (first builds and rebuilds) completed
 * @param lastBuildMillis how long the last bucket build took
 * @param lastApplyMillis how long applying the last new snapshots took
 * @param snapshotId the snapshot the reader serves
 * @param lagMillis how far the oldest indexed bucket's snapshot is behind that snapshot (commit times)
 */
public record LiveIndexStats(int indexedBuckets, int bucketsOverBudget, long rows, long bytes, long bucketBuilds,
    long lastBuildMillis,
    long lastApplyMillis, long snapshotId, long lagMillis) {

  /** Bytes per indexed row; 0 when empty. */
  public long bytesPerRow() {
    return rows == 0 ? 0 : bytes / rows;
  }
}
