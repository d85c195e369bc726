package io.icebergonline.job.pipeline;

import io.icebergonline.core.ClassLoaderReleaseHook;
import io.icebergonline.core.KafkaConfig;
import io.icebergonline.core.LiveTable;
import io.icebergonline.job.maintenance.OnlineTableMaintenance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.util.SnapshotUtil;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits the sources' Kafka offsets to the consumer group only after the online tables and the
 * delete logs have committed everything read before them, so a start without state (which begins
 * at the group's offsets) never skips an event that did not reach both tables. Re-reading is
 * always safe (newest wins against the seeded versions; an exact tie goes to the later event, so a
 * re-read delete applies again); skipping never is.
 *
 * <p>Why not the Kafka source's own commit: it commits when the checkpoint completes, as Iceberg's
 * committers commit the tables, in unordered notifications of separate tasks; a crash between them
 * could leave the group ahead of the table. (It could also be lost at the end of a bounded run.)
 *
 * <p>Input 1 is every view's {@link ReadPosition}s, input 2 their per-checkpoint {@link
 * CheckpointStats}: a checkpoint whose stats wrote rows or deletes needs the view's online table
 * (and, for deletes, its delete log) to show a commit of that checkpoint by this job ({@code
 * flink.job-id} and {@code flink.max-committed-checkpoint-id} in the snapshot summary, as Iceberg's
 * committer writes them). When checkpoint N completes, it waits (at most {@code commitWait}) until
 * the tables show it, then commits the positions as of N. If they do not, nothing is committed and
 * the next checkpoint commits both. The positions are checkpointed; runs with parallelism 1.
 */
final class SourceOffsetCommitter extends AbstractStreamOperator<Void>
    implements TwoInputStreamOperator<ReadPosition, CheckpointStats, Void> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(SourceOffsetCommitter.class);
  /** Written by Iceberg's Flink committer on every snapshot it commits, with {@link OnlineTableMaintenance#COMMITTED_CHECKPOINT}. */
  static final String FLINK_JOB_ID = "flink.job-id";
  private static final Duration KAFKA_COMMIT_TIMEOUT = Duration.ofSeconds(30);

  private final KafkaConfig kafka;
  /** The online table and delete log of every view, by {@link #onlineTable} and {@link #deleteLog} name. */
  private final Map<String, TableLoader> tableLoaders;
  private final Duration commitWait;

  private transient String jobId;
  private transient Map<String, LiveTable> tables;
  /**
   * Per view, the next offset of each partition it read. Not keyed by a record: a record's
   * equals/hashCode (bootstrapped by {@code java.lang.runtime.ObjectMethods}) kept the job's class
   * loader reachable from a JDK class after the job ended, which a TaskManager test caught.
   */
  private transient Map<String, Map<TopicPartition, Long>> positions;
  private transient Set<String> writtenSinceBarrier;
  /** Per table, the newest checkpoint of this run that wrote to it, until a completed checkpoint finds it committed. */
  private transient Map<String, Long> lastWritten;
  private transient NavigableMap<Long, Pending> pending;
  private transient Map<TopicPartition, Long> committed;
  private transient ListState<ReadPosition> positionsState;
  private transient KafkaConsumer<byte[], byte[]> consumer;

  /**
   * What checkpoint N may commit to the group, and which table commits it waits for. (A record,
   * but never compared or printed: see {@link #positions}.)
   */
  private record Pending(Map<TopicPartition, Long> offsets, Map<String, Long> requiredCommits) {}

  SourceOffsetCommitter(KafkaConfig kafka, Map<String, TableLoader> tableLoaders, Duration commitWait) {
    this.kafka = kafka;
    this.tableLoaders = Map.copyOf(tableLoaders);
    this.commitWait = commitWait;
  }

  static String onlineTable(String featureView) {
    return featureView;
  }

  static String deleteLog(String featureView) {
    return featureView + " delete log";
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    positions = new HashMap<>();
    writtenSinceBarrier = new HashSet<>();
    lastWritten = new HashMap<>();
    pending = new TreeMap<>();
    committed = new HashMap<>();
    positionsState = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("read-positions", TypeInformation.of(ReadPosition.class)));
    // Restored positions were committed to the tables by Iceberg's committers as they restored,
    // before any checkpoint of this run can complete: they wait for no table commit of this run.
    for (ReadPosition position : positionsState.get()) {
      advance(position);
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    ClassLoaderReleaseHook.register(getRuntimeContext());
    jobId = getRuntimeContext().getJobInfo().getJobId().toString();
    tables = new HashMap<>();
  }

  @Override
  public void processElement1(StreamRecord<ReadPosition> element) {
    advance(element.getValue());
  }

  @Override
  public void processElement2(StreamRecord<CheckpointStats> element) {
    CheckpointStats stats = element.getValue();
    if (stats.rowsWritten + stats.deletesWritten > 0) {
      writtenSinceBarrier.add(onlineTable(stats.featureView));
    }
    if (stats.deletesWritten > 0) {
      writtenSinceBarrier.add(deleteLog(stats.featureView));
    }
  }

  private void advance(ReadPosition position) {
    positions.computeIfAbsent(position.featureView, view -> new HashMap<>())
        .merge(new TopicPartition(position.topic, position.partition), position.nextOffset, Math::max);
  }

  /** Everything this operator received before the barrier was read (and written) before it. */
  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    long checkpointId = context.getCheckpointId();
    writtenSinceBarrier.forEach(table -> lastWritten.put(table, checkpointId));
    writtenSinceBarrier.clear();
    // two views reading one topic share the group's offsets: the group gets the lesser
    Map<TopicPartition, Long> offsets = new HashMap<>();
    List<ReadPosition> state = new ArrayList<>();
    positions.forEach((view, read) -> read.forEach((partition, offset) -> {
      offsets.merge(partition, offset, Math::min);
      state.add(new ReadPosition(view, partition.topic(), partition.partition(), offset));
    }));
    pending.put(checkpointId, new Pending(offsets, Map.copyOf(lastWritten)));
    positionsState.update(state);
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) throws Exception {
    super.notifyCheckpointComplete(checkpointId);
    Map.Entry<Long, Pending> newest = pending.floorEntry(checkpointId);
    if (newest == null) {
      return;
    }
    // positions and table requirements only grow: the newest pending checkpoint covers the older ones
    pending.headMap(checkpointId, true).clear();
    for (Map.Entry<String, Long> required : newest.getValue().requiredCommits().entrySet()) {
      boolean committed;
      try {
        committed = awaitCommitted(required.getKey(), required.getValue());
      } catch (RuntimeException e) {
        // e.g. the catalog is unreachable: this checkpoint's offsets wait, the job goes on
        LOG.warn("Checkpoint {}: cannot read the {} table ({}); the Kafka offsets read before it are not committed to "
            + "group '{}' now (a later checkpoint commits them)", checkpointId, required.getKey(), e.toString(),
            kafka.groupId());
        return;
      }
      if (!committed) {
        LOG.warn("Checkpoint {}: the {} table has not committed checkpoint {} within {}; the Kafka offsets read "
            + "before it are not committed to group '{}' now (a later checkpoint commits them)",
            checkpointId, required.getKey(), required.getValue(), commitWait, kafka.groupId());
        return;
      }
    }
    // satisfied requirements need no look at the table again
    lastWritten.values().removeIf(written -> written <= checkpointId);
    commitOffsets(checkpointId, newest.getValue().offsets());
  }

  /** Whether {@code table} shows a commit by this job of {@code checkpointId} or later, waiting for it at most commitWait. */
  private boolean awaitCommitted(String tableName, long checkpointId) throws InterruptedException {
    long deadline = System.nanoTime() + commitWait.toNanos();
    long pauseMillis = 20;
    while (true) {
      if (committedCheckpoint(table(tableName)) >= checkpointId) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(pauseMillis);
      pauseMillis = Math.min(500, pauseMillis * 2);
    }
  }

  /** The table, refreshed; loaded anew when a refresh fails ({@link LiveTable}: a Hadoop table deletes old metadata). */
  private Table table(String name) {
    LiveTable table = tables.get(name);
    if (table == null) {
      TableLoader loader = tableLoaders.get(name);
      loader.open();
      table = new LiveTable(loader::loadTable);
      tables.put(name, table);
      return table.table();
    }
    return table.refresh();
  }

  /** The newest checkpoint this job committed to {@code table}; -1 if none. */
  private long committedCheckpoint(Table table) {
    for (Snapshot snapshot : SnapshotUtil.currentAncestors(table)) {
      Map<String, String> summary = snapshot.summary();
      if (jobId.equals(summary.get(FLINK_JOB_ID)) && summary.containsKey(OnlineTableMaintenance.COMMITTED_CHECKPOINT)) {
        return Long.parseLong(summary.get(OnlineTableMaintenance.COMMITTED_CHECKPOINT));
      }
    }
    return -1;
  }

  private void commitOffsets(long checkpointId, Map<TopicPartition, Long> offsets) {
    Map<TopicPartition, OffsetAndMetadata> changed = new HashMap<>();
    String metadata = "iceberg-online job " + jobId + " checkpoint " + checkpointId;
    offsets.forEach((partition, offset) -> {
      if (!offset.equals(committed.get(partition))) {
        changed.put(partition, new OffsetAndMetadata(offset, metadata));
      }
    });
    if (changed.isEmpty()) {
      return;
    }
    try {
      consumer().commitSync(changed, KAFKA_COMMIT_TIMEOUT);
      changed.forEach((partition, offset) -> committed.put(partition, offset.offset()));
      LOG.debug("Checkpoint {}: committed offsets {} to group '{}'", checkpointId, changed, kafka.groupId());
    } catch (KafkaException e) {
      LOG.warn("Checkpoint {}: committing the offsets of {} partition(s) to group '{}' failed ({}); a later checkpoint "
          + "commits them", checkpointId, changed.size(), kafka.groupId(), e.getMessage());
    }
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    if (consumer == null) {
      Properties properties = new Properties();
      properties.putAll(kafka.properties());
      properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      properties.put(ConsumerConfig.GROUP_ID_CONFIG, kafka.groupId());
      properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      properties.put(ConsumerConfig.CLIENT_ID_CONFIG, kafka.groupId() + "-offset-committer");
      consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
    return consumer;
  }

  @Override
  public void close() throws Exception {
    try {
      if (consumer != null) {
        consumer.close(Duration.ofSeconds(5));
      }
      if (tables != null) {
        for (String name : tables.keySet()) {
          tableLoaders.get(name).close();
        }
      }
    } finally {
      super.close();
    }
  }
}
