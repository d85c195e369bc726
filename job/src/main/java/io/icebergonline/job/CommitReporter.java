package io.icebergonline.job;

import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Sums the per-subtask {@link CheckpointStats} of every feature view and, when a checkpoint
 * completes (which is when Iceberg's committer commits it), logs one INFO line per view with the
 * counts and updates the view's freshness-lag gauge. Runs with parallelism 1.
 */
final class CommitReporter extends ProcessFunction<CheckpointStats, Void> implements CheckpointListener {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(CommitReporter.class);

  private transient Map<String, CheckpointStats> pending;
  private transient Map<String, Long> committedEventTime;
  private transient MetricGroup metrics;

  @Override
  public void open(OpenContext openContext) {
    pending = new TreeMap<>();
    committedEventTime = new TreeMap<>();
    metrics = getRuntimeContext().getMetricGroup();
  }

  @Override
  public void processElement(CheckpointStats stats, Context context, Collector<Void> out) {
    pending.computeIfAbsent(stats.featureView, view -> {
      metrics.addGroup("featureView", view).gauge("freshnessLagMillis", () -> freshnessLag(view));
      CheckpointStats sum = new CheckpointStats();
      sum.featureView = view;
      return sum;
    }).add(stats);
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) {
    for (CheckpointStats stats : pending.values()) {
      if (stats.maxEventTime != Long.MIN_VALUE) {
        committedEventTime.merge(stats.featureView, stats.maxEventTime, Math::max);
      }
      // a checkpoint that saw nothing is logged at DEBUG, so an idle job does not repeat zeros at INFO
      boolean idle = stats.eventsIn == 0 && stats.malformed == 0;
      LOG.atLevel(idle ? Level.DEBUG : Level.INFO).log(
          "Feature view '{}' checkpoint {} committed: {} events in, {} applied, {} stale dropped, {} malformed; "
              + "{} rows and {} deletes written; freshness lag {} ms",
          stats.featureView, checkpointId, stats.eventsIn, stats.applied, stats.staleDropped, stats.malformed,
          stats.rowsWritten, stats.deletesWritten, freshnessLag(stats.featureView));
      CheckpointStats reset = new CheckpointStats();
      reset.featureView = stats.featureView;
      pending.put(stats.featureView, reset);
    }
  }

  /** Now minus the newest committed event time of the view, in milliseconds; -1 before the first commit. */
  private long freshnessLag(String view) {
    Long newestMicros = committedEventTime.get(view);
    return newestMicros == null ? -1 : System.currentTimeMillis() - Math.floorDiv(newestMicros, 1_000L);
  }
}
