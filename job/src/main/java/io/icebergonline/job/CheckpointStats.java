package io.icebergonline.job;

/**
 * What one subtask of a feature view did between two checkpoint barriers; summed per checkpoint
 * by {@link CommitReporter}. A Flink POJO.
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

  public CheckpointStats() {}

  static CheckpointStats malformed(String featureView) {
    CheckpointStats stats = new CheckpointStats();
    stats.featureView = featureView;
    stats.checkpointId = -1;
    stats.malformed = 1;
    return stats;
  }

  void add(CheckpointStats other) {
    eventsIn += other.eventsIn;
    applied += other.applied;
    staleDropped += other.staleDropped;
    malformed += other.malformed;
    rowsWritten += other.rowsWritten;
    deletesWritten += other.deletesWritten;
    maxEventTime = Math.max(maxEventTime, other.maxEventTime);
  }
}
