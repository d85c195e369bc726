package io.icebergonline.job.pipeline;

import io.icebergonline.core.ClassLoaderReleaseHook;
import io.icebergonline.core.DeleteLog;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.LiveTable;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.OutputTag;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.TableLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Newest wins, then collapse, per bucket. Keeps in keyed state (keyed by bucket) the version of
 * the last applied record of every entity key, in epoch microseconds ({@link VersionedRow}); a
 * record older than that version is late or a duplicate and is dropped. Applied records wait in
 * a buffer that holds only the latest row per key, and the buffer is emitted, sorted by key, just
 * before each checkpoint barrier: the writer downstream then writes one data row and one equality
 * delete per touched key per checkpoint.
 *
 * <p>Its input comes from the {@link ParseAndCollapseOperator}: a row may stand for older events
 * of its key that were folded into it before the shuffle. They count with it: as applied if it is
 * applied, as stale if it is stale (the events it superseded are older than it), and the stale ones
 * the pre-shuffle collapse already dropped count as stale. An event that was newer than the state
 * but superseded in the same checkpoint is counted as applied; one older than the state but
 * superseded by an applied one is counted as applied too, the only case the counts differ from
 * deciding every event here.
 *
 * <p>The buffer is bounded: past {@code maxBufferedRows} it is emitted early. A key emitted twice
 * in one checkpoint is still exact, because Iceberg's upsert writer turns the repeat into a
 * position delete. Nothing buffered is checkpointed: the buffer is empty at every barrier.
 *
 * <p>The state is a cache of the table, not the truth: a bucket without state (a start without a
 * savepoint or checkpoint, a bucket a restored run never touched) is first <em>seeded</em> with the
 * versions the table holds for its keys ({@link BucketVersions}), so a late event never overwrites
 * a row a previous run wrote. Every emitted delete is also sent to the view's {@link DeleteLog}, so
 * that a delete, which leaves no row, is remembered the same way (within its retention). A keyed
 * flag marks a bucket seeded; it travels with the bucket's key group through savepoints and
 * rescaling, so a restored bucket reads nothing from the table.
 *
 * <p>With a view {@code ttl}, a key's version leaves the state once it has not been written for
 * the ttl (Flink's state TTL, processing time), and seeding leaves out versions already older than
 * the ttl. Readers treat a row older than the ttl as missing, so the answer stays the same: a late
 * event arriving after its key's version left can only be older than the ttl itself (its event
 * time is before that version's, which is before the time it was written), so it replaces an
 * expired row with an expired row. The exception is an event time ahead of the job's clock: its
 * version leaves the state while still within the ttl (README "State size and state backend").
 */
final class NewestWinsCollapseOperator extends AbstractStreamOperator<RowData>
    implements OneInputStreamOperator<RowData, RowData>, BoundedOneInput {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(NewestWinsCollapseOperator.class);
  /** Threads for Iceberg's planning and delete loading while seeding, owned by this operator. */
  private static final int SEEDING_THREADS = 2;

  /**
   * The keyed state of applied versions, named for its unit: the state "applied-versions" of
   * earlier releases held milliseconds and is not read, so that no millisecond version is ever
   * compared with a microsecond one.
   */
  private static final String APPLIED_VERSIONS = "applied-versions-micros";
  /**
   * The same with state expiry (views with a ttl), and its seeded flag: a separate state because
   * Flink's heap backend cannot restore a state written without expiry into one with it. Adding or
   * removing a view's ttl moves each bucket's versions from one to the other when it is first touched.
   */
  private static final String EXPIRING_APPLIED_VERSIONS = "applied-versions-micros-expiring";
  private static final String SEEDED = "seeded";
  private static final String EXPIRING_SEEDED = "seeded-expiring";
  /**
   * Per bucket, the ttl in milliseconds under which its versions were kept ({@link #NO_TTL} without
   * one): a bucket first touched under a longer ttl reads back from the table what expired.
   */
  private static final String SEEDED_TTL_MILLIS = "seeded-ttl-millis";
  private static final long NO_TTL = Long.MAX_VALUE;
  /** How long the expiring state keeps versions when it is only read to move them (the view has no ttl now). */
  private static final Duration READ_ONLY_TTL = Duration.ofDays(365L * 100);

  /** Side output of what each subtask did between barriers. */
  static final OutputTag<CheckpointStats> STATS = new OutputTag<>("checkpoint-stats") {};
  /** Side output of the deletes emitted, as rows of the view's {@link DeleteLog}: written in the same checkpoint. */
  static final OutputTag<RowData> DELETE_VERSIONS =
      new OutputTag<>("delete-versions", InternalTypeInfo.of(FlinkSchemaUtil.convert(DeleteLog.SCHEMA)));

  private final String featureView;
  private final FeatureViewSpec view;
  private final TableLoader tableLoader;
  private final TableLoader deleteLogLoader;
  /** The row type of the view's table. */
  private final RowType tableRow;
  private final int maxBufferedRows;
  private final boolean numericKey;

  private transient MapState<String, long[]> appliedVersions;
  private transient ValueState<Boolean> seeded;
  /** The versions state of the other kind (expiring if this view has no ttl, else not) and its flag: moved from, then cleared. */
  private transient MapState<String, long[]> otherVersions;
  private transient ValueState<Boolean> otherSeeded;
  private transient ValueState<Long> seededTtlMillis;
  private transient boolean expires;
  private transient long ttlMillis;
  private transient SeedingStats seedingSinceBarrier;
  /** Buckets this subtask knows are seeded, so that the flag in state is read once per bucket, not per event. */
  private transient Set<Integer> knownSeeded;
  private transient ExecutorService seedingWorkers;
  private transient BucketVersions tableVersions;
  private transient Counter bucketsSeeded;
  private transient Counter keysSeeded;
  /** The newest applied row per key since the last barrier. */
  private transient NewestRowBuffer buffer;
  private transient Counter eventsIn;
  private transient Counter applied;
  private transient Counter staleDropped;
  private transient Counter rowsEmitted;
  private transient Counter deletesEmitted;
  private transient CheckpointStats sinceBarrier;

  /**
   * @param tableLoader the view's online table, read to seed buckets without state
   * @param deleteLogLoader the view's delete log, read to seed buckets without state
   * @param numericKey the key is a single integer column: rows are then emitted in numeric key
   *     order, as the table's sort order has them (other keys sort by their canonical string)
   */
  NewestWinsCollapseOperator(FeatureViewSpec view, TableLoader tableLoader, TableLoader deleteLogLoader,
      RowType tableRow, int maxBufferedRows, boolean numericKey) {
    this.featureView = view.name();
    this.view = view;
    this.tableLoader = tableLoader;
    this.deleteLogLoader = deleteLogLoader;
    this.tableRow = tableRow;
    this.maxBufferedRows = maxBufferedRows;
    this.numericKey = numericKey;
  }

  @Override
  public void open() throws Exception {
    super.open();
    ClassLoaderReleaseHook.register(getRuntimeContext());
    MapStateDescriptor<String, long[]> lasting = versionsDescriptor(APPLIED_VERSIONS);
    MapStateDescriptor<String, long[]> expiring = versionsDescriptor(EXPIRING_APPLIED_VERSIONS);
    expiring.enableTimeToLive(expireAfter(view.timeToLive().orElse(READ_ONLY_TTL)));
    ValueState<Boolean> lastingSeeded = getRuntimeContext().getState(new ValueStateDescriptor<>(SEEDED, Types.BOOLEAN));
    ValueState<Boolean> expiringSeeded =
        getRuntimeContext().getState(new ValueStateDescriptor<>(EXPIRING_SEEDED, Types.BOOLEAN));
    expires = view.timeToLive().isPresent();
    ttlMillis = view.timeToLive().map(Duration::toMillis).orElse(NO_TTL);
    seededTtlMillis = getRuntimeContext().getState(new ValueStateDescriptor<>(SEEDED_TTL_MILLIS, Types.LONG));
    seedingSinceBarrier = new SeedingStats();
    appliedVersions = getRuntimeContext().getMapState(expires ? expiring : lasting);
    seeded = expires ? expiringSeeded : lastingSeeded;
    otherVersions = getRuntimeContext().getMapState(expires ? lasting : expiring);
    otherSeeded = expires ? lastingSeeded : expiringSeeded;
    knownSeeded = new HashSet<>();
    buffer = new NewestRowBuffer(VersionedRow.type(tableRow));
    bucketsSeeded = getMetricGroup().counter("bucketsSeeded");
    keysSeeded = getMetricGroup().counter("keysSeeded");
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
    // a row the pre-shuffle collapse sent stands for the events it superseded and the stale ones behind it
    int superseded = VersionedRow.superseded(versioned);
    int staleBehind = VersionedRow.stale(versioned);
    int events = 1 + superseded + staleBehind;
    eventsIn.inc(events);
    sinceBarrier.eventsIn += events;
    staleDropped.inc(staleBehind);
    sinceBarrier.staleDropped += staleBehind;
    int bucket = VersionedRow.bucket(versioned);
    if (!knownSeeded.contains(bucket)) {
      if (seeded.value() == null) {
        seed(bucket);
      } else if (keptForMillis(expires) < ttlMillis) {
        // the ttl was raised: versions that expired under the old one are read back from the table
        seedFromTable(bucket);
      }
      seededTtlMillis.update(ttlMillis);
      knownSeeded.add(bucket);
    }
    String key = VersionedRow.key(versioned);
    long eventTime = VersionedRow.eventTime(versioned);
    long createdTime = VersionedRow.createdTime(versioned);
    long[] current = appliedVersions.get(key);
    if (current != null && BucketVersions.isOlder(eventTime, createdTime, current[0], current[1])) {
      staleDropped.inc(1 + superseded);
      sinceBarrier.staleDropped += 1 + superseded;
      return;
    }
    applied.inc(1 + superseded);
    sinceBarrier.applied += 1 + superseded;
    sinceBarrier.maxEventTime = Math.max(sinceBarrier.maxEventTime, eventTime);
    if (current == null) {
      appliedVersions.put(key, new long[] {eventTime, createdTime});
    } else {
      // in place: no new object per applied event for the collector to copy. Safe on the heap backend,
      // which hands out a copy of the key's versions while a snapshot may still read the old ones
      current[0] = eventTime;
      current[1] = createdTime;
      appliedVersions.put(key, current);
    }
    buffer.add(versioned);
    if (buffer.isFull(maxBufferedRows)) {
      flush();
    }
  }

  private static MapStateDescriptor<String, long[]> versionsDescriptor(String name) {
    return new MapStateDescriptor<>(name, Types.STRING, PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO);
  }

  /**
   * A version leaves the state {@code ttl} after it was last written; an expired one is never read
   * back. Flink removes it in the background: on RocksDB compaction, or a few entries per access on
   * the heap backend; and leaves it out of full snapshots (savepoints, heap checkpoints).
   */
  private static StateTtlConfig expireAfter(Duration ttl) {
    return StateTtlConfig.newBuilder(ttl)
        .updateTtlOnCreateAndWrite()
        .neverReturnExpired()
        .cleanupFullSnapshot()
        .build();
  }

  /**
   * Fills the current bucket's state once: from the state of the other kind when a savepoint of the
   * view with(out) a ttl holds the bucket, else with the table's versions of its keys (keeping the
   * newer of two). When the other kind kept versions for a shorter time than the view's ttl now
   * asks (a ttl removed), the ones it let expire are read back from the table as well. The flag is
   * set in the same keyed state, so it is checkpointed with it.
   */
  private void seed(int bucket) throws Exception {
    if (Boolean.TRUE.equals(otherSeeded.value())) {
      long keptBefore = keptForMillis(!expires);
      long started = System.nanoTime();
      long expiredBefore = expiredBefore();
      int moved = 0;
      for (Map.Entry<String, long[]> entry : otherVersions.entries()) {
        if (entry.getValue()[0] >= expiredBefore) {
          appliedVersions.put(entry.getKey(), entry.getValue());
          moved++;
        }
      }
      otherVersions.clear();
      otherSeeded.clear();
      seeded.update(true);
      seedingSinceBarrier.bucketsMoved++;
      seedingSinceBarrier.keysMoved += moved;
      LOG.debug("Feature view '{}' bucket {}: moved {} key versions to the state {} expiry (the view's ttl changed) in {} ms",
          featureView, bucket, moved, expires ? "with" : "without", (System.nanoTime() - started) / 1_000_000);
      if (keptBefore >= ttlMillis) {
        return;
      }
    }
    seedFromTable(bucket);
  }

  /** Merges the table's versions of the bucket's keys into its state, leaving out those older than the ttl. */
  private void seedFromTable(int bucket) throws Exception {
    long started = System.nanoTime();
    long expiredBefore = expiredBefore();
    BucketVersions.Read read = tableVersions().read(bucket);
    int keys = 0;
    for (Map.Entry<String, long[]> entry : read.versions().entrySet()) {
      if (entry.getValue()[0] < expiredBefore) {
        continue; // older than the ttl: read as missing whatever later replaces it
      }
      long[] current = appliedVersions.get(entry.getKey());
      appliedVersions.put(entry.getKey(), current == null ? entry.getValue() : BucketVersions.newer(current, entry.getValue()));
      keys++;
    }
    seeded.update(true);
    long millis = (System.nanoTime() - started) / 1_000_000;
    bucketsSeeded.inc();
    keysSeeded.inc(keys);
    seedingSinceBarrier.add(keys, read.liveRows(), read.retainedDeletes(), read.versions().size() - keys, millis);
    LOG.debug("Feature view '{}' bucket {} had no newest-wins state: seeded {} key versions from snapshot {} "
            + "({} live rows) and the delete log ({} retained deletes), {} older than the ttl left out, in {} ms",
        featureView, bucket, keys, read.snapshotId(), read.liveRows(), read.retainedDeletes(),
        read.versions().size() - keys, millis);
  }

  /** Versions with an event time before this (epoch microseconds) are older than the ttl. */
  private long expiredBefore() {
    return view.timeToLive().map(ttl -> JsonValues.epochMicros(Instant.now().minus(ttl))).orElse(Long.MIN_VALUE);
  }

  /**
   * How long the current bucket's versions were kept, in milliseconds ({@link #NO_TTL}: for ever),
   * by the state of the kind that {@code expiring} says. A bucket seeded before this was recorded
   * kept them for ever without expiry, and for an unknown time with it.
   */
  private long keptForMillis(boolean expiring) throws Exception {
    Long keptFor = seededTtlMillis.value();
    if (keptFor != null) {
      return keptFor;
    }
    return expiring ? 0 : NO_TTL;
  }

  private BucketVersions tableVersions() {
    if (tableVersions == null) {
      seedingWorkers = Executors.newFixedThreadPool(SEEDING_THREADS, runnable -> {
        Thread thread = new Thread(runnable, "iceberg-online-seeding-" + featureView);
        thread.setDaemon(true);
        return thread;
      });
      tableLoader.open();
      deleteLogLoader.open();
      tableVersions = new BucketVersions(view, new LiveTable(tableLoader::loadTable),
          new LiveTable(deleteLogLoader::loadTable), seedingWorkers);
    }
    return tableVersions;
  }

  @Override
  public void close() throws Exception {
    try {
      if (tableVersions != null) {
        tableLoader.close();
        deleteLogLoader.close();
        seedingWorkers.shutdownNow();
      }
    } finally {
      super.close();
    }
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    logSeeding();
    sinceBarrier.checkpointId = checkpointId;
    output.collect(STATS, new StreamRecord<>(sinceBarrier));
    sinceBarrier = newStats();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  /** Flushes and reports: no barrier follows the end of input on this operator, so its stats go now. */
  @Override
  public void endInput() {
    flush();
    logSeeding();
    output.collect(STATS, new StreamRecord<>(sinceBarrier));
    sinceBarrier = newStats();
  }

  private void flush() {
    if (buffer.size() == 0) {
      return;
    }
    StreamRecord<RowData> reuse = new StreamRecord<>(null);
    TimestampData now = TimestampData.fromEpochMillis(System.currentTimeMillis());
    // the rows point into the buffer: the writers' shuffle serializes each one in collect
    buffer.drainSortedByKey(numericKey, versioned -> {
      RowData row = VersionedRow.row(versioned, tableRow.getFieldCount());
      if (VersionedRow.isDelete(versioned)) {
        row.setRowKind(RowKind.DELETE);
        deletesEmitted.inc();
        sinceBarrier.deletesWritten++;
        output.collect(DELETE_VERSIONS, new StreamRecord<>(GenericRowData.of(VersionedRow.bucket(versioned),
            StringData.fromString(VersionedRow.key(versioned)),
            BucketVersions.timestamp(VersionedRow.eventTime(versioned)), now)));
      } else {
        row.setRowKind(RowKind.INSERT);
        rowsEmitted.inc();
        sinceBarrier.rowsWritten++;
      }
      output.collect(reuse.replace(row));
    });
  }

  /** One INFO line per subtask for the buckets it seeded since the last barrier (each is logged at DEBUG). */
  private void logSeeding() {
    SeedingStats seeding = seedingSinceBarrier;
    if (seeding.buckets > 0) {
      LOG.info("Feature view '{}' subtask {}: seeded {} buckets without newest-wins state from the table: {} key "
              + "versions ({} live rows, {} retained deletes, {} older than the ttl left out) in {} ms",
          featureView, getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), seeding.buckets, seeding.keys,
          seeding.liveRows, seeding.retainedDeletes, seeding.expired, seeding.millis);
    }
    if (seeding.bucketsMoved > 0) {
      LOG.info("Feature view '{}' subtask {}: moved {} key versions of {} buckets to the state {} expiry (the view's "
              + "ttl changed)", featureView, getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
          seeding.keysMoved, seeding.bucketsMoved, expires ? "with" : "without");
    }
    seedingSinceBarrier = new SeedingStats();
  }

  /** What one subtask seeded between two barriers, for its summary line. */
  private static final class SeedingStats {
    int buckets;
    long keys;
    long liveRows;
    long retainedDeletes;
    long expired;
    long millis;
    int bucketsMoved;
    long keysMoved;

    void add(long keys, long liveRows, long retainedDeletes, long expired, long millis) {
      buckets++;
      this.keys += keys;
      this.liveRows += liveRows;
      this.retainedDeletes += retainedDeletes;
      this.expired += expired;
      this.millis += millis;
    }
  }

  private CheckpointStats newStats() {
    return CheckpointStats.empty(featureView);
  }
}
