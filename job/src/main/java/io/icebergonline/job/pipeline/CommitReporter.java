package io.icebergonline.job.pipeline;

import io.icebergonline.core.ClassLoaderReleaseHook;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sums the per-subtask {@link CheckpointStats} of every feature view and, when a checkpoint
 * completes (which is when Iceberg's committer commits it), logs one INFO line per view with the
 * counts and updates the view's freshness-lag gauge. When the input ends ({@code --until-end}) it
 * logs, after the final commit, one line of totals per view for the whole run. The totals and the
 * start time are checkpointed, so a run that restarted still reports all of it. Runs with
 * parallelism 1.
 */
final class CommitReporter extends AbstractStreamOperator<Void>
    implements OneInputStreamOperator<CheckpointStats, Void>, BoundedOneInput {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(CommitReporter.class);

  private transient Map<String, CheckpointStats> pending;
  private transient Map<String, CheckpointStats> committedTotals;
  private transient Map<String, Long> committedEventTime;
  private transient MetricGroup viewMetrics;
  private transient ListState<CheckpointStats> totalsState;
  private transient ListState<Long> startedState;
  private transient long startedMillis;
  private transient boolean inputEnded;

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    pending = new TreeMap<>();
    committedTotals = new TreeMap<>();
    committedEventTime = new TreeMap<>();
    totalsState = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("committed-totals", TypeInformation.of(CheckpointStats.class)));
    startedState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("started", Types.LONG));
    for (CheckpointStats totals : totalsState.get()) {
      committedTotals.put(totals.featureView, totals);
    }
    startedMillis = System.currentTimeMillis();
    for (Long started : startedState.get()) {
      startedMillis = started;
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    ClassLoaderReleaseHook.register(getRuntimeContext());
    viewMetrics = getMetricGroup();
  }

  @Override
  public void processElement(StreamRecord<CheckpointStats> element) {
    CheckpointStats stats = element.getValue();
    pending.computeIfAbsent(stats.featureView, view -> {
      viewMetrics.addGroup("featureView", view).gauge("freshnessLagMillis", () -> freshnessLag(view));
      return CheckpointStats.empty(view);
    }).add(stats);
  }

  /** The totals as of this checkpoint: what it commits counts as committed once it is restored. */
  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    Map<String, CheckpointStats> totals = new TreeMap<>();
    committedTotals.forEach((view, committed) -> totals.computeIfAbsent(view, CheckpointStats::empty).add(committed));
    pending.forEach((view, stats) -> totals.computeIfAbsent(view, CheckpointStats::empty).addCommitted(stats));
    totalsState.update(List.copyOf(totals.values()));
    startedState.update(List.of(startedMillis));
  }

  @Override
  public void endInput() {
    inputEnded = true;
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) throws Exception {
    super.notifyCheckpointComplete(checkpointId);
    for (CheckpointStats stats : pending.values()) {
      if (stats.maxEventTime != Long.MIN_VALUE) {
        committedEventTime.merge(stats.featureView, stats.maxEventTime, Math::max);
      }
      // a checkpoint that saw nothing is logged at DEBUG, so an idle job does not repeat zeros at INFO
      boolean idle = stats.eventsIn == 0 && stats.malformed == 0;
      // slf4j 1.x API only: a Flink cluster loads org.slf4j parent-first from its lib/ (slf4j-api 1.7)
      String message = "Feature view '{}' checkpoint {} committed: {} records read, {} applied, {} stale dropped, "
          + "{} malformed; {} rows and {} deletes written; freshness lag {} ms";
      Object[] values = {stats.featureView, checkpointId, stats.recordsRead(), stats.applied, stats.staleDropped,
          stats.malformed, stats.rowsWritten, stats.deletesWritten, freshnessLag(stats.featureView)};
      if (idle) {
        LOG.debug(message, values);
      } else {
        LOG.info(message, values);
      }
      committedTotals.computeIfAbsent(stats.featureView, CheckpointStats::empty).addCommitted(stats);
      pending.put(stats.featureView, CheckpointStats.empty(stats.featureView));
    }
    if (inputEnded) {
      // the checkpoint after the end of input is the final one: everything read is committed now
      double seconds = (System.currentTimeMillis() - startedMillis) / 1000.0;
      for (CheckpointStats totals : committedTotals.values()) {
        LOG.info("Feature view '{}' done: {} records read, {} applied, {} stale dropped, {} dead-lettered; "
                + "{} rows and {} deletes written, committed by {} checkpoints; {} s",
            totals.featureView, totals.recordsRead(), totals.applied, totals.staleDropped, totals.malformed,
            totals.rowsWritten, totals.deletesWritten, totals.commits, String.format("%.1f", seconds));
      }
      inputEnded = false;
    }
  }

  /** Now minus the newest committed event time of the view, in milliseconds; -1 before the first commit. */
  private long freshnessLag(String view) {
    Long newestMicros = committedEventTime.get(view);
    return newestMicros == null ? -1 : System.currentTimeMillis() - Math.floorDiv(newestMicros, 1_000L);
  }
}
