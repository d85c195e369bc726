package io.icebergonline.job;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.RowData;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.OutputTag;

/**
 * Newest wins, then collapse, per bucket. Keeps in keyed state (keyed by bucket) the version of
 * the last applied record of every entity key, in epoch microseconds ({@link VersionedRow}); a
 * record older than that version is late or a duplicate and is dropped. Applied records wait in
 * a buffer that holds only the latest row per key, and the buffer is emitted, sorted by key, just
 * before each checkpoint barrier: the writer downstream then writes one data row and one equality
 * delete per touched key per checkpoint.
 *
 * <p>The buffer is bounded: past {@code maxBufferedRows} it is emitted early. A key emitted twice
 * in one checkpoint is still exact, because Iceberg's upsert writer turns the repeat into a
 * position delete. Nothing buffered is checkpointed: the buffer is empty at every barrier.
 */
final class NewestWinsCollapseOperator extends AbstractStreamOperator<RowData>
    implements OneInputStreamOperator<RowData, RowData>, BoundedOneInput {
  private static final long serialVersionUID = 1L;

  /**
   * The keyed state of applied versions, named for its unit: the state "applied-versions" of
   * earlier releases held milliseconds and is not read, so that no millisecond version is ever
   * compared with a microsecond one.
   */
  private static final String APPLIED_VERSIONS = "applied-versions-micros";

  /** Side output of what each subtask did between barriers. */
  static final OutputTag<CheckpointStats> STATS = new OutputTag<>("checkpoint-stats") {};

  private final String featureView;
  private final int tableArity;
  private final int maxBufferedRows;
  private final boolean numericKey;

  private transient MapState<String, long[]> appliedVersions;
  private transient Map<String, BufferedRow> buffer;
  private transient Counter eventsIn;
  private transient Counter applied;
  private transient Counter staleDropped;
  private transient Counter rowsEmitted;
  private transient Counter deletesEmitted;
  private transient CheckpointStats sinceBarrier;

  /** The newest row of a key in the current checkpoint. */
  private record BufferedRow(String key, long numericKey, RowData row) {}

  /**
   * @param numericKey the key is a single integer column: rows are then emitted in numeric key
   *     order, as the table's sort order has them (other keys sort by their canonical string)
   */
  NewestWinsCollapseOperator(String featureView, int tableArity, int maxBufferedRows, boolean numericKey) {
    this.featureView = featureView;
    this.tableArity = tableArity;
    this.maxBufferedRows = maxBufferedRows;
    this.numericKey = numericKey;
  }

  @Override
  public void open() throws Exception {
    super.open();
    appliedVersions = getRuntimeContext().getMapState(
        new MapStateDescriptor<>(APPLIED_VERSIONS, Types.STRING, PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
    buffer = new HashMap<>();
    eventsIn = getMetricGroup().counter("eventsIn");
    applied = getMetricGroup().counter("eventsApplied");
    staleDropped = getMetricGroup().counter("eventsStaleDropped");
    rowsEmitted = getMetricGroup().counter("rowsEmitted");
    deletesEmitted = getMetricGroup().counter("deletesEmitted");
    getMetricGroup().gauge("bufferedRows", () -> buffer.size());
    sinceBarrier = newStats();
  }

  @Override
  public void processElement(StreamRecord<RowData> element) throws Exception {
    RowData versioned = element.getValue();
    eventsIn.inc();
    sinceBarrier.eventsIn++;
    String key = VersionedRow.key(versioned);
    long eventTime = VersionedRow.eventTime(versioned);
    long createdTime = VersionedRow.createdTime(versioned);
    long[] current = appliedVersions.get(key);
    if (current != null && (eventTime < current[0] || (eventTime == current[0] && createdTime < current[1]))) {
      staleDropped.inc();
      sinceBarrier.staleDropped++;
      return;
    }
    applied.inc();
    sinceBarrier.applied++;
    sinceBarrier.maxEventTime = Math.max(sinceBarrier.maxEventTime, eventTime);
    appliedVersions.put(key, new long[] {eventTime, createdTime});
    RowData row = VersionedRow.row(versioned, tableArity);
    row.setRowKind(VersionedRow.isDelete(versioned) ? RowKind.DELETE : RowKind.INSERT);
    buffer.put(key, new BufferedRow(key, numericKey ? Long.parseLong(key) : 0, row));
    if (buffer.size() >= maxBufferedRows) {
      flush();
    }
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    sinceBarrier.checkpointId = checkpointId;
    output.collect(STATS, new StreamRecord<>(sinceBarrier));
    sinceBarrier = newStats();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  /** Flushes and reports: no barrier follows the end of input on this operator, so its stats go now. */
  @Override
  public void endInput() {
    flush();
    output.collect(STATS, new StreamRecord<>(sinceBarrier));
    sinceBarrier = newStats();
  }

  private void flush() {
    if (buffer.isEmpty()) {
      return;
    }
    List<BufferedRow> rows = new ArrayList<>(buffer.values());
    rows.sort(numericKey
        ? Comparator.comparingLong(BufferedRow::numericKey)
        : Comparator.comparing(BufferedRow::key));
    StreamRecord<RowData> reuse = new StreamRecord<>(null);
    for (BufferedRow buffered : rows) {
      if (buffered.row().getRowKind() == RowKind.DELETE) {
        deletesEmitted.inc();
        sinceBarrier.deletesWritten++;
      } else {
        rowsEmitted.inc();
        sinceBarrier.rowsWritten++;
      }
      output.collect(reuse.replace(buffered.row()));
    }
    buffer.clear();
  }

  private CheckpointStats newStats() {
    return CheckpointStats.empty(featureView);
  }
}
