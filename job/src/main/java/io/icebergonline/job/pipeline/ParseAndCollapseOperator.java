package io.icebergonline.job.pipeline;

import io.icebergonline.core.ClassLoaderReleaseHook;
import java.util.Arrays;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses a view's Kafka records and collapses them before the shuffle, on the source's subtask.
 * One operator rather than a parse function chained to a collapse operator: with object reuse off
 * Flink copies every record between two chained operators, which the profile measured at 14% of
 * the source thread.
 *
 * <p>Parse: what cannot be parsed goes to the {@link #DEAD_LETTERS} side output, counted
 * ({@code eventsMalformed}), with its reason: a malformed record, and also any record the parser
 * fails on otherwise.
 *
 * <p>Collapse: keeps the newest parsed event per entity key (by version, whatever the arrival
 * order; on an exact tie the later one, as newest wins decides) and emits only these winners, just
 * before each checkpoint barrier, whenever the buffer reaches {@code maxBufferedRows} (or {@link
 * NewestRowBuffer#MAX_BYTES}), and at the end of input. The keyed newest-wins state and the network
 * then see at most one row per key per checkpoint per source subtask instead of every event. Exact
 * because it only drops an event that is older than, or tied with and earlier than, one it keeps:
 * newest wins would drop that event too once the kept one is applied. A key read by several source
 * subtasks (a key in several partitions) sends one winner per subtask, and newest wins picks among
 * them by version. Each winner says how many events it stands for ({@link VersionedRow#SUPERSEDED},
 * {@link VersionedRow#STALE}), so the per-checkpoint counts still cover every event. Nothing is
 * checkpointed: the buffer is empty at every barrier.
 *
 * <p>Read positions: just before each barrier and at the end of input, it sends how far it has read
 * each partition ({@link #READ_POSITIONS}, one {@link ReadPosition} per partition read so far), so
 * the consumer group's offsets can follow what the tables committed ({@link SourceOffsetCommitter}).
 *
 * <p>{@link #parsingOnly} emits every parsed row instead: the source+parse ceiling the benchmarks
 * measure the pipeline against, with the same parse code.
 */
final class ParseAndCollapseOperator extends AbstractStreamOperator<RowData>
    implements OneInputStreamOperator<KafkaRecord, RowData>, BoundedOneInput {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ParseAndCollapseOperator.class);

  static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};
  static final OutputTag<ReadPosition> READ_POSITIONS = new OutputTag<>("read-positions") {};

  /** {@link #maxBufferedRows} of {@link #parsingOnly}: no buffer. */
  private static final int NO_COLLAPSE = 0;

  private final String featureView;
  private final FeatureEventParser parser;
  /** The parser's rows ({@link VersionedRow#type}); null for {@link #parsingOnly}. */
  private final RowType versionedType;
  private final int maxBufferedRows;

  private transient Counter malformed;
  private transient boolean unexpectedLogged;
  private transient NewestRowBuffer buffer;
  private transient StreamRecord<RowData> reuse;
  private transient String topic;
  /** Per partition, the offset of the next record to read; -1 for a partition not read. */
  private transient long[] nextOffsets;

  private ParseAndCollapseOperator(String featureView, FeatureEventParser parser, RowType versionedType,
      int maxBufferedRows) {
    this.featureView = featureView;
    this.parser = parser;
    this.versionedType = versionedType;
    this.maxBufferedRows = maxBufferedRows;
  }

  /**
   * Parses and collapses, emitting at most {@code maxBufferedRows} rows at a time.
   *
   * @param tableRow the row type of the view's table
   */
  static ParseAndCollapseOperator collapsing(String featureView, FeatureEventParser parser, RowType tableRow,
      int maxBufferedRows) {
    if (maxBufferedRows <= 0) {
      throw new IllegalArgumentException("maxBufferedRows must be positive, got " + maxBufferedRows);
    }
    return new ParseAndCollapseOperator(featureView, parser, VersionedRow.type(tableRow), maxBufferedRows);
  }

  /** Parses only, emitting every parsed row. */
  static ParseAndCollapseOperator parsingOnly(String featureView, FeatureEventParser parser) {
    return new ParseAndCollapseOperator(featureView, parser, null, NO_COLLAPSE);
  }

  @Override
  public void open() throws Exception {
    super.open();
    ClassLoaderReleaseHook.register(getRuntimeContext());
    malformed = getMetricGroup().counter("eventsMalformed");
    reuse = new StreamRecord<>(null);
    nextOffsets = new long[0];
    if (maxBufferedRows != NO_COLLAPSE) {
      buffer = new NewestRowBuffer(versionedType);
      getMetricGroup().gauge("preShuffleBufferedRows", () -> buffer.size());
    }
  }

  @Override
  public void processElement(StreamRecord<KafkaRecord> element) {
    KafkaRecord record = element.getValue();
    advance(record);
    RowData parsed;
    try {
      parsed = parser.parse(record);
    } catch (MalformedEventException e) {
      deadLetter(element, e.getMessage(), null);
      return;
    } catch (RuntimeException e) {
      // a bug or an input nobody foresaw: one record must never stop the job (it would fail on it again after every restart)
      deadLetter(element, "unexpected error parsing the record: " + e, e);
      return;
    }
    if (buffer == null) {
      output.collect(reuse.replace(parsed));
      return;
    }
    buffer.add(parsed);
    if (buffer.isFull(maxBufferedRows)) {
      flush();
    }
  }

  /** Logs the first malformed record, and the first unexpected failure with its stack trace. */
  private void deadLetter(StreamRecord<KafkaRecord> element, String reason, RuntimeException unexpected) {
    KafkaRecord record = element.getValue();
    if (unexpected != null && !unexpectedLogged) {
      unexpectedLogged = true;
      LOG.error("Feature view '{}': parsing the record at {} failed unexpectedly; it goes to the dead-letter topic "
          + "(later such failures are counted, not logged)", featureView, record.position(), unexpected);
    } else if (malformed.getCount() == 0) {
      LOG.warn("Feature view '{}': first malformed record at {} goes to the dead-letter topic: {}",
          featureView, record.position(), reason);
    }
    malformed.inc();
    DeadLetter letter = new DeadLetter(record, featureView, reason);
    output.collect(DEAD_LETTERS,
        element.hasTimestamp() ? new StreamRecord<>(letter, element.getTimestamp()) : new StreamRecord<>(letter));
  }

  private void advance(KafkaRecord record) {
    int partition = record.partition;
    if (partition >= nextOffsets.length) {
      int length = nextOffsets.length;
      nextOffsets = Arrays.copyOf(nextOffsets, partition + 1);
      Arrays.fill(nextOffsets, length, nextOffsets.length, -1L);
      topic = record.topic;
    }
    if (record.offset >= nextOffsets[partition]) {
      nextOffsets[partition] = record.offset + 1;
    }
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    sendReadPositions();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  /** Flushes and sends the read positions: no barrier follows the end of input on this operator. */
  @Override
  public void endInput() {
    flush();
    sendReadPositions();
  }

  private void sendReadPositions() {
    for (int partition = 0; partition < nextOffsets.length; partition++) {
      if (nextOffsets[partition] >= 0) {
        output.collect(READ_POSITIONS,
            new StreamRecord<>(new ReadPosition(featureView, topic, partition, nextOffsets[partition])));
      }
    }
  }

  private void flush() {
    if (buffer != null) {
      // the rows point into the buffer: the shuffle's record writer serializes each one in collect
      buffer.drain(winner -> output.collect(reuse.replace(winner)));
    }
  }
}
