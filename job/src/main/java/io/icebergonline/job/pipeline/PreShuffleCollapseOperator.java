package io.icebergonline.job.pipeline;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.RowData;

/**
 * Collapse before the shuffle, on the source's subtask: keeps the newest parsed event per entity
 * key (by version, whatever the arrival order; on an exact tie the later one, as newest wins
 * decides) and emits only these winners, just before each checkpoint barrier and whenever the
 * buffer reaches {@code maxBufferedRows}. The keyed newest-wins state and the network then see at
 * most one row per key per checkpoint per source subtask instead of every event.
 *
 * <p>Exact because it only drops an event that is older than, or tied with and earlier than, one
 * it keeps: newest wins would drop that event too once the kept one is applied. A key read by
 * several source subtasks (a key in several partitions) sends one winner per subtask, and newest
 * wins picks among them by version. Each winner says how many events it stands for ({@link
 * VersionedRow#SUPERSEDED}, {@link VersionedRow#STALE}), so the per-checkpoint counts still cover
 * every event. Nothing is checkpointed: the buffer is empty at every barrier.
 */
final class PreShuffleCollapseOperator extends AbstractStreamOperator<RowData>
    implements OneInputStreamOperator<RowData, RowData>, BoundedOneInput {
  private static final long serialVersionUID = 1L;

  private final int tableArity;
  private final int maxBufferedRows;

  private transient Map<String, Newest> buffer;

  /** The newest event of a key in the buffer and the counts of the events it stands for. */
  private static final class Newest {
    RowData versioned;
    int superseded;
    int stale;

    Newest(RowData versioned) {
      this.versioned = versioned;
    }
  }

  PreShuffleCollapseOperator(int tableArity, int maxBufferedRows) {
    this.tableArity = tableArity;
    this.maxBufferedRows = maxBufferedRows;
  }

  @Override
  public void open() throws Exception {
    super.open();
    buffer = new HashMap<>();
    getMetricGroup().gauge("preShuffleBufferedRows", () -> buffer.size());
  }

  @Override
  public void processElement(StreamRecord<RowData> element) {
    RowData versioned = element.getValue();
    String key = VersionedRow.key(versioned);
    Newest newest = buffer.get(key);
    if (newest == null) {
      buffer.put(key, new Newest(versioned));
      if (buffer.size() >= maxBufferedRows) {
        flush();
      }
    } else if (VersionedRow.isOlder(versioned, newest.versioned)) {
      newest.stale++;
    } else {
      newest.versioned = versioned;
      newest.superseded++;
    }
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void endInput() {
    flush();
  }

  private void flush() {
    StreamRecord<RowData> reuse = new StreamRecord<>(null);
    for (Newest newest : buffer.values()) {
      RowData winner = newest.superseded == 0 && newest.stale == 0
          ? newest.versioned
          : VersionedRow.folding(newest.versioned, tableArity, newest.superseded, newest.stale);
      output.collect(reuse.replace(winner));
    }
    buffer.clear();
  }
}
