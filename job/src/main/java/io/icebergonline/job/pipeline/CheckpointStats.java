package io.icebergonline.job.pipeline;

/**
 * What one subtask of a feature view did between two checkpoint barriers (or before its input
 * ended); summed per checkpoint, and over a run, by {@link CommitReporter}. A Flink POJO.
 */
public class CheckpointStats {
  public String featureView;
  public long checkpointId;
  public long eventsIn;
  public long applied;
  public long staleDropped;
  public long malformed;
  public long rowsWritten;
  public long deletesWritten;
  /** Newest event time emitted for writing, epoch microseconds; {@code Long.MIN_VALUE} if none. */
  public long maxEventTime = Long.MIN_VALUE;
  /** Completed checkpoints that wrote rows or deletes (each commits them to Iceberg); run totals only. */
  public long commits;

  public CheckpointStats() {}

  static CheckpointStats empty(String featureView) {
    CheckpointStats stats = new CheckpointStats();
    stats.featureView = featureView;
    return stats;
  }

  static CheckpointStats malformed(String featureView) {
    CheckpointStats stats = empty(featureView);
    stats.checkpointId = -1;
    stats.malformed = 1;
    return stats;
  }

  /** Every record read: the events parsed and the malformed records. */
  long recordsRead() {
    return eventsIn + malformed;
  }

  void add(CheckpointStats other) {
    eventsIn += other.eventsIn;
    applied += other.applied;
    staleDropped += other.staleDropped;
    malformed += other.malformed;
    rowsWritten += other.rowsWritten;
    deletesWritten += other.deletesWritten;
    maxEventTime = Math.max(maxEventTime, other.maxEventTime);
    commits += other.commits;
  }

  /** Adds the stats of a committed checkpoint to these totals. */
  void addCommitted(CheckpointStats checkpoint) {
    add(checkpoint);
    if (checkpoint.rowsWritten + checkpoint.deletesWritten > 0) {
      commits++;
    }
  }
}
