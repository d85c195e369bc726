package io.icebergonline.job.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.core.DeleteLog;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.LiveTable;
import io.icebergonline.core.MaintenanceConfig;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.job.Main;
import io.icebergonline.job.pipeline.JobHarness;
import io.icebergonline.job.pipeline.MaterializationJob;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.RestCatalogOnS3;
import io.icebergonline.testing.TableRows;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.stream.StreamSupport;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataOperations;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotSummary;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.SupportsPrefixOperations;
import org.apache.iceberg.util.ThreadPools;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Maintenance on real parts (embedded Kafka, Flink mini-cluster): after 30 upsert commits one
 * {@code maintain} leaves one compact file per bucket, no delete files, and only the files of the
 * snapshots back to the job's last commit (Hadoop catalog); maintenance in the job and one-shot, concurrent with the job's writes, loses no update
 * (Iceberg's REST catalog on an S3 mock through S3FileIO).
 */
class TableMaintenanceTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

  private static final int BUCKETS = 4;
  private static final int KEYS = 200;
  /** A small collapse buffer, so keys repeat within a checkpoint and the job writes position deletes too. */
  private static final int MAX_BUFFERED_ROWS = 50;
  /** Many commits in little time for the 30-commit test. */
  private static final Duration CHECKPOINT_INTERVAL = Duration.ofMillis(200);
  /**
   * The concurrent test's: a maintenance commit must win the race against the job's next commit,
   * and on a busy machine one attempt (rebase, validation, manifest list, catalog commit on the S3
   * mock) can take longer than 200 ms, so with 200 ms checkpoints it could lose nearly every time.
   * One second still puts several job commits into every maintenance run (30 s in production).
   */
  private static final Duration CONCURRENT_CHECKPOINT_INTERVAL = Duration.ofSeconds(1);
  /**
   * Batches of events the concurrent test produces at most (one per loop, ~200 ms apart): on an
   * idle machine every maintenance run is done before the last; on a busy one, a stream that never
   * ended grew the table faster than the in-job runs could compact it (2 runs in 240 s).
   */
  private static final int CONCURRENT_BATCHES = 150;

  @TempDir static Path files;
  @TempDir static Path warehouse;
  private static EmbeddedKafka kafka;
  private static RestCatalogOnS3 catalogServer;

  @BeforeAll
  static void startServers() throws Exception {
    resetContextClassLoader(ThreadPools.getWorkerPool(), ThreadPools.WORKER_THREAD_POOL_SIZE);
    resetContextClassLoader(ThreadPools.getDeleteWorkerPool(), ThreadPools.DELETE_WORKER_THREAD_POOL_SIZE);
    kafka = EmbeddedKafka.start();
    catalogServer = RestCatalogOnS3.start();
  }

  @AfterAll
  static void stopServers() throws Exception {
    kafka.close();
    catalogServer.close();
  }

  @Test
  void oneMaintainAfterThirtyUpsertCommitsLeavesOneCompactFilePerBucketNoDeletesAndOnlyRetainedSnapshotsFiles() throws Exception {
    // a Hadoop catalog on local files: reading 30 uncompacted commits from the S3 mock is slow
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "maintain-once");
    JobConfig config = harness.config(BUCKETS);
    FeatureEventGenerator generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(3, KEYS));
    NewestRowOracle oracle = new NewestRowOracle();

    JobClient job = start(config, CHECKPOINT_INTERVAL);
    // the job can commit more often between two looks than the table keeps metadata versions
    LiveTable liveTable = new LiveTable(() -> harness.table(config));
    try {
      for (int commit = 1; commit <= 30; commit++) {
        List<GeneratedEvent> events = generator.next(2 * KEYS);
        oracle.acceptAll(events);
        kafka.produce(harness.topic, events);
        awaitUpsertCommits(job, liveTable, commit);
      }
      // not harness.awaitOracle: reading the uncompacted table is what takes long; instead wait
      // until the job has read everything, then stop it with a savepoint, which commits the rest
      awaitConsumed(harness);
      job.stopWithSavepoint(false, files.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
          .get();
      job.getJobExecutionResult().get();
    } finally {
      if (!job.getJobStatus().get().isGloballyTerminalState()) {
        job.cancel().get();
      }
    }

    Table table = liveTable.refresh();
    Map<String, String> summary = table.currentSnapshot().summary();
    assertThat(upsertCommits(table)).isGreaterThanOrEqualTo(30);
    assertThat(total(summary, SnapshotSummary.TOTAL_EQ_DELETES_PROP)).isPositive();
    assertThat(total(summary, SnapshotSummary.TOTAL_POS_DELETES_PROP)).isPositive();
    List<FileInfo> storeBefore = store(table);
    String planted = table.location() + "/data/planted-orphan.parquet";
    try (PositionOutputStream out = table.io().newOutputFile(planted).create()) {
      out.write(new byte[] {1, 2, 3});
    }
    // past the orphan window below (a window shorter than the rewrite would split its commit)
    Files.setLastModifiedTime(Path.of(java.net.URI.create(planted)),
        FileTime.fromMillis(System.currentTimeMillis() - Duration.ofHours(2).toMillis()));

    Path configFile = files.resolve("maintain-once.yaml");
    Files.writeString(configFile, harness.configYaml(BUCKETS, ""));
    int exit = Main.run(new String[] {
        "maintain", "--config", configFile.toString(), "--view", "driver_stats", "--expire-older-than", "1ms",
        "--retain-last", "1", "--orphan-older-than", "1h", "--target-file-size", "128MB"});
    assertThat(exit).isZero();

    table = liveTable.refresh();
    Map<String, String> after = table.currentSnapshot().summary();
    assertThat(total(after, SnapshotSummary.TOTAL_DELETE_FILES_PROP)).as("live delete files").isZero();
    assertThat(harness.rows(config)).as("one row per live key, equal to the oracle").isEqualTo(oracle.liveRows());

    Map<Object, Integer> smallFilesPerBucket = new HashMap<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        assertThat(task.deletes()).isEmpty();
        if (task.file().fileSizeInBytes() < 128L * 1024 * 1024) {
          smallFilesPerBucket.merge(task.file().partition().get(0, Integer.class), 1, Integer::sum);
        }
      }
    }
    assertThat(smallFilesPerBucket).hasSize(BUCKETS).allSatisfy((bucket, count) -> assertThat(count).isEqualTo(1));

    // expiry keeps the snapshots back to the job's last commit, so that a savepoint of the job restores
    List<Snapshot> retained = new ArrayList<>();
    table.snapshots().forEach(retained::add);
    assertThat(retained).as("snapshots after expiry with --retain-last 1: the job's last commit and the compaction")
        .hasSize(2);
    assertThat(retained.get(0).summary()).containsKey(OnlineTableMaintenance.COMMITTED_CHECKPOINT);
    assertThat(retained.get(1).operation()).isEqualTo(DataOperations.REPLACE);
    Set<String> referenced = new HashSet<>();
    for (Snapshot snapshot : retained) {
      referenced.addAll(contentFiles(table, snapshot));
    }
    List<FileInfo> storeAfter = store(table);
    Set<String> stored = locations(storeAfter);
    assertThat(stored).as("orphans").doesNotContain(planted);
    assertThat(stored.stream().filter(location -> location.contains("/data/")).toList())
        .as("the data directory holds exactly the files of the retained snapshots")
        .containsExactlyInAnyOrderElementsOf(referenced);
    assertThat(stored.stream().filter(location -> location.contains("/metadata/snap-")).toList())
        .as("manifest lists").containsExactlyInAnyOrderElementsOf(
            retained.stream().map(Snapshot::manifestListLocation).toList());

    for (long key = 1; key <= KEYS + 1; key += 10) {
      try (CloseableIterable<FileScanTask> tasks = table.newScan().filter(Expressions.equal("driver_id", key)).planFiles()) {
        List<FileScanTask> planned = new ArrayList<>();
        tasks.forEach(planned::add);
        assertThat(planned).as("files a lookup of key %d opens", key).hasSizeLessThanOrEqualTo(1)
            .allSatisfy(task -> assertThat(task.deletes()).isEmpty());
        if (oracle.liveRows().containsKey(key)) {
          assertThat(planned).hasSize(1);
        }
      }
    }

    System.out.printf("maintain after %d upsert commits: data files %d -> %d, delete files %d -> %d, "
            + "live bytes %d -> %d; store files %d -> %d, store bytes %d -> %d%n",
        30, total(summary, SnapshotSummary.TOTAL_DATA_FILES_PROP), total(after, SnapshotSummary.TOTAL_DATA_FILES_PROP),
        total(summary, SnapshotSummary.TOTAL_DELETE_FILES_PROP), total(after, SnapshotSummary.TOTAL_DELETE_FILES_PROP),
        total(summary, SnapshotSummary.TOTAL_FILE_SIZE_PROP), total(after, SnapshotSummary.TOTAL_FILE_SIZE_PROP),
        storeBefore.size(), storeAfter.size(), bytes(storeBefore), bytes(storeAfter));
  }

  /**
   * On an object store a table's location is a key prefix, and the delete log of view {@code v}
   * lives at {@code v__deletes}, a longer key with the same prefix: orphan cleanup of {@code v}
   * must not take the delete log's files for its own orphans.
   */
  /**
   * The delete log gains a file per writer and checkpoint with deletes, and seeding a bucket opened
   * every one of them. Maintenance compacts it to one file per bucket, leaves out rows past the
   * view's delete retention, and moves files of the former by-day layout into the bucket layout;
   * the deletes within the retention still hold for a start without state.
   */
  @Test
  void theDeleteLogIsCompactedToOneFilePerBucketWithoutTheRowsPastItsRetention() throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "maintain-delete-log");
    Duration retention = Duration.ofSeconds(15);
    JobConfig config = JobConfigParser.parse(harness.configYaml(BUCKETS, "").replace("    buckets: " + BUCKETS + "\n",
        "    buckets: " + BUCKETS + "\n    delete_retention: " + retention.toSeconds() + "s\n"), name -> null);
    FeatureViewSpec view = config.featureViews().get(0);
    Catalog catalog = IcebergCatalogs.load(config.onlineStore());
    ((SupportsNamespaces) catalog).createNamespace(Namespace.of(harness.namespace));
    // a delete log of the former layout (by day of deleted_at) holding one delete
    Table log = catalog.buildTable(DeleteLog.identifier(harness.namespace, view), DeleteLog.SCHEMA)
        .withPartitionSpec(PartitionSpec.builderFor(DeleteLog.SCHEMA).day(DeleteLog.DELETED_AT).build())
        .withProperty(TableProperties.FORMAT_VERSION, "2")
        .create();
    appendDelete(log, 0, "1000", OffsetDateTime.now(ZoneOffset.UTC));
    long t = 1_767_225_600_000L;

    List<GeneratedEvent> first = new ArrayList<>();
    for (long key = 1; key <= 16; key++) {
      first.add(event(key, t, "first"));
    }
    for (long key = 1; key <= 4; key++) {
      first.add(event(key, t + 1_000, null));
    }
    kafka.produce(harness.topic, first);
    harness.runUntilEnd(config, 2, Duration.ofSeconds(1), MAX_BUFFERED_ROWS);
    log = catalog.loadTable(DeleteLog.identifier(harness.namespace, view));
    long firstApplied = TableRows.read(log).stream().mapToLong(row -> (Long) row.get(DeleteLog.DELETED_AT)).max()
        .orElseThrow() / 1_000;
    while (System.currentTimeMillis() <= firstApplied + retention.toMillis()) {
      Thread.sleep(200); // until the deletes so far are past the retention
    }
    for (long from = 5; from <= 9; from += 4) {
      List<GeneratedEvent> deletes = new ArrayList<>();
      for (long key = from; key < from + 4; key++) {
        deletes.add(event(key, t + 1_000, null));
      }
      kafka.produce(harness.topic, deletes);
      harness.runUntilEnd(config, 2, Duration.ofSeconds(1), MAX_BUFFERED_ROWS);
    }
    log = catalog.loadTable(DeleteLog.identifier(harness.namespace, view));
    List<Map<String, Object>> before = TableRows.read(log);
    assertThat(dataFiles(log)).as("files of the log before maintenance").hasSizeGreaterThan(BUCKETS);

    long started = System.currentTimeMillis();
    MaintenanceReport report = OnlineTableMaintenance.runDeleteLog(
        () -> catalog.loadTable(DeleteLog.identifier(harness.namespace, view)), retention, config.maintenance(), "maintain");
    long ended = System.currentTimeMillis();

    log = catalog.loadTable(DeleteLog.identifier(harness.namespace, view));
    List<Map<String, Object>> after = TableRows.read(log);
    assertThat(after).as("rows applied within the retention when the run ended stay")
        .containsAll(before.stream().filter(row -> (Long) row.get(DeleteLog.DELETED_AT) / 1_000 >= ended - retention.toMillis())
            .toList())
        .as("rows past the retention when the run started are dropped")
        .allSatisfy(row -> assertThat((Long) row.get(DeleteLog.DELETED_AT) / 1_000)
            .isGreaterThanOrEqualTo(started - retention.toMillis()));
    assertThat(before).containsAll(after);
    assertThat(report.rowsDropped()).isEqualTo(before.size() - after.size()).isGreaterThanOrEqualTo(5);
    Map<Integer, Long> filesPerBucket = new HashMap<>();
    for (DataFile file : dataFiles(log)) {
      assertThat(file.specId()).as("every file in the bucket layout").isEqualTo(log.spec().specId());
      filesPerBucket.merge(file.partition().get(0, Integer.class), 1L, Long::sum);
    }
    assertThat(filesPerBucket.values()).as("one file per bucket").allMatch(files -> files == 1);
    assertThat(log.spec().fields()).singleElement()
        .satisfies(field -> assertThat(field.transform().isIdentity()).isTrue());

    // a start without state: late upserts older than the retained deletes stay deleted
    List<GeneratedEvent> late = new ArrayList<>();
    for (long key = 5; key <= 12; key++) {
      late.add(event(key, t + 500, "late"));
    }
    kafka.produce(harness.topic, late);
    harness.runUntilEnd(config, 2, Duration.ofSeconds(1), MAX_BUFFERED_ROWS);
    Set<Object> live = harness.rows(config).keySet();
    assertThat(live).as("retained deletes hold").doesNotContain(5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L).contains(13L, 16L);
  }

  private static GeneratedEvent event(long driverId, long eventTime, String city) {
    byte[] key = ("{\"driver_id\":" + driverId + "}").getBytes(StandardCharsets.UTF_8);
    if (city == null) {
      return new GeneratedEvent(GeneratedEvent.Kind.TOMBSTONE, driverId, key, null, eventTime, null);
    }
    String json = "{\"driver_id\":" + driverId + ",\"conv_rate\":0.5,\"trips\":1,\"city\":\"" + city
        + "\",\"event_timestamp\":" + eventTime + "}";
    return new GeneratedEvent(GeneratedEvent.Kind.UPSERT, driverId, key, json.getBytes(StandardCharsets.UTF_8), eventTime,
        null);
  }

  /** Appends one delete-log row in a file of the table's own layout, as an earlier release wrote it. */
  private static void appendDelete(Table log, int bucket, String key, OffsetDateTime deletedAt) throws IOException {
    Record row = GenericRecord.create(log.schema());
    row.setField(DeleteLog.BUCKET, bucket);
    row.setField(DeleteLog.ENTITY_KEY, key);
    row.setField(DeleteLog.EVENT_TIME, deletedAt);
    row.setField(DeleteLog.DELETED_AT, deletedAt);
    PartitionKey partition = new PartitionKey(log.spec(), log.schema());
    partition.partition(new InternalRecordWrapper(log.schema().asStruct()).wrap(row));
    DataWriter<Record> writer = new GenericFileWriterFactory.Builder(log).build().newDataWriter(
        OutputFileFactory.builderFor(log, 1, 1).build().newOutputFile(log.spec(), partition), log.spec(), partition);
    try (writer) {
      writer.write(row);
    }
    log.newAppend().appendFile(writer.toDataFile()).commit();
  }

  private static List<DataFile> dataFiles(Table table) throws IOException {
    List<DataFile> files = new ArrayList<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      tasks.forEach(task -> files.add(task.file()));
    }
    return files;
  }

  @Test
  void orphanCleanupLeavesTheFilesOfATableWhoseLocationExtendsItsOwn() throws Exception {
    JobConfig config = new JobHarness(kafka, catalogServer.onlineStoreYaml(), "orphan-prefix").config(BUCKETS);
    FeatureViewSpec view = config.featureViews().get(0);
    String namespace = config.onlineStore().namespace();
    Catalog catalog = IcebergCatalogs.load(config.onlineStore());
    Table table = OnlineTables.createOrVerify(catalog, namespace, view);
    Table deleteLog = DeleteLog.createOrLoad(catalog, namespace, view);
    assertThat(deleteLog.location()).startsWith(table.location());
    GenericUpserts writer = new GenericUpserts(deleteLog, List.of(DeleteLog.ENTITY_KEY));
    Record deletion = writer.newRow();
    deletion.setField(DeleteLog.BUCKET, 0);
    deletion.setField(DeleteLog.ENTITY_KEY, "1");
    deletion.setField(DeleteLog.EVENT_TIME, OffsetDateTime.now(ZoneOffset.UTC));
    deletion.setField(DeleteLog.DELETED_AT, OffsetDateTime.now(ZoneOffset.UTC));
    AppendFiles append = deleteLog.newAppend();
    writer.writeDataFiles(List.of(deletion)).forEach(append::appendFile);
    append.commit();

    OrphanFiles.Result result = OrphanFiles.deleteOrphans(
        new LiveTable(() -> catalog.loadTable(OnlineTables.identifier(namespace, view.name()))), Long.MAX_VALUE);

    assertThat(result.deleted()).isEmpty();
    try (CloseableIterable<Record> rows = IcebergGenerics.read(catalog.loadTable(DeleteLog.identifier(namespace, view)))
        .build()) {
      assertThat(rows).hasSize(1);
    }
  }

  /**
   * A concurrent orphan cleanup deletes unreferenced files older than its window, including a
   * rewrite's files not committed yet; committing them after that would break every read of their
   * buckets. With a window no commit can meet, the rewrite gives up naming the setting, commits
   * nothing, and leaves none of its files behind.
   */
  @Test
  void aRewriteWhoseFilesWaitedPastHalfTheOrphanWindowIsNotCommitted() throws Exception {
    JobConfig config = new JobHarness(kafka, catalogServer.onlineStoreYaml(), "orphan-deadline").config(BUCKETS);
    FeatureViewSpec view = config.featureViews().get(0);
    Catalog catalog = IcebergCatalogs.load(config.onlineStore());
    Table table = OnlineTables.createOrVerify(catalog, config.onlineStore().namespace(), view);
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    for (int commit = 0; commit < 2; commit++) {
      List<Record> rows = new ArrayList<>();
      for (long key = 1; key <= 20; key++) {
        Record row = writer.newRow();
        row.setField("driver_id", key);
        row.setField("event_timestamp", OffsetDateTime.now(ZoneOffset.UTC));
        rows.add(row);
      }
      writer.upsert(rows);
    }
    table.refresh();
    long snapshotBefore = table.currentSnapshot().snapshotId();
    Set<String> storeBefore = locations(store(table));
    MaintenanceConfig settings = new MaintenanceConfig(
        true, Duration.ofHours(1), Duration.ofDays(1), 5, Duration.ofNanos(1), 128L * 1024 * 1024);

    assertThatThrownBy(() -> OnlineTableMaintenance.run(() -> table, settings, "maintain"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("maintenance.orphan_older_than");

    table.refresh();
    assertThat(table.currentSnapshot().snapshotId()).as("nothing committed").isEqualTo(snapshotBefore);
    assertThat(locations(store(table))).as("the rewrite's files are deleted").isEqualTo(storeBefore);
  }

  @Test
  void maintenanceInTheJobAndOneShotConcurrentWithWritesLosesNoUpdate() throws Exception {
    JobHarness harness = new JobHarness(kafka, catalogServer.onlineStoreYaml(), "maintain-concurrent");
    // orphan window 30 s: above the job's write-to-commit time (a 1 s checkpoint, several seconds on
    // an overloaded machine), and the rewrites commit within half of it (CommitDeadline; a rewrite
    // took 19 s on a busy machine), so orphan cleanup runs concurrently too without touching files
    // about to be committed
    String yaml = harness.configYaml(BUCKETS, "") + String.join("\n",
        "maintenance:",
        "  interval: 1s",
        "  expire_older_than: 5s",
        "  retain_last: 5",
        "  orphan_older_than: 30s",
        "");
    JobConfig config = JobConfigParser.parse(yaml, name -> null);
    MaintenanceConfig settings = config.maintenance();
    FeatureEventGenerator generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(5, KEYS));
    NewestRowOracle oracle = new NewestRowOracle();

    JobClient job = start(config, CONCURRENT_CHECKPOINT_INTERVAL);
    Table table = harness.table(config);
    List<MaintenanceReport> oneShot = new ArrayList<>();
    long inJobConflicts;
    long inJobRetries;
    long inJobRuns;
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos(); // a liveness bound: the S3 mock is slow on a busy machine
      int batches = 0;
      while (oneShot.size() < 3 || inJob(job, MaintenanceScheduler.RUNS) < 3) {
        if (job.getJobStatus().get().isTerminalState()) {
          job.getJobExecutionResult().get(); // throws the job's failure
        }
        assertThat(System.nanoTime())
            .as("3 in-job and 3 one-shot runs within 240 s; got %d in-job (%d failed), %d one-shot, %d upsert commits",
                inJob(job, MaintenanceScheduler.RUNS), inJob(job, MaintenanceScheduler.FAILED_RUNS), oneShot.size(),
                upsertCommits(table))
            .isLessThan(deadline);
        if (batches++ < CONCURRENT_BATCHES) {
          List<GeneratedEvent> events = generator.next(KEYS);
          oracle.acceptAll(events);
          kafka.produce(harness.topic, events);
        }
        if (oneShot.size() < 3 && upsertCommits(table) > 0) {
          oneShot.add(OnlineTableMaintenance.run(() -> harness.table(config), settings, "maintain"));
        } else {
          Thread.sleep(200);
          table.refresh();
        }
      }
      assertThat(harness.awaitOracle(job, config, oracle, Duration.ofSeconds(60)))
          .as("table after concurrent maintenance").isEqualTo(oracle.liveRows());
      assertThat(inJob(job, MaintenanceScheduler.FAILED_RUNS)).isZero();
      inJobConflicts = inJob(job, MaintenanceScheduler.CONFLICTS_VALIDATED);
      inJobRetries = inJob(job, MaintenanceScheduler.RETRIES);
      inJobRuns = inJob(job, MaintenanceScheduler.RUNS);
    } finally {
      job.cancel().get();
    }

    MaintenanceReport last = OnlineTableMaintenance.run(() -> harness.table(config), settings, "maintain");
    assertThat(last.after().deleteFiles()).isZero();
    assertThat(harness.rows(config)).as("table after the final maintenance").isEqualTo(oracle.liveRows());

    int oneShotConflicts = oneShot.stream().mapToInt(MaintenanceReport::conflictsValidated).sum();
    int oneShotRetries = oneShot.stream().mapToInt(MaintenanceReport::retries).sum();
    System.out.printf("concurrent maintenance: in-job %d runs (%d conflicts validated, %d retries), one-shot %d runs "
            + "(%d conflicts validated, %d retries); final: %s%n",
        inJobRuns, inJobConflicts, inJobRetries, oneShot.size(), oneShotConflicts,
        oneShotRetries, last.describe());
    assertThat(inJobConflicts + inJobRetries + oneShotConflicts + oneShotRetries)
        .as("maintenance commits raced the job's commits").isPositive();
  }

  /**
   * Iceberg's JVM-wide worker pools outlive the mini-clusters of earlier test classes, and a pool
   * thread started by a Flink task keeps that job's user-code class loader as its context class
   * loader after the job's end; the AWS SDK's HTTP client then fails to load classes through it
   * ("Trying to access closed classloader") when this class reads a table on S3 (e.g. through
   * {@code TableRows}). Gives every pool thread this class's loader. (A deployed job loads Iceberg
   * in its own class loader, so its pools die with it.)
   */
  private static void resetContextClassLoader(ExecutorService pool, int threads) throws Exception {
    CountDownLatch allThreads = new CountDownLatch(threads);
    List<Future<?>> tasks = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      tasks.add(pool.submit(() -> {
        Thread.currentThread().setContextClassLoader(TableMaintenanceTest.class.getClassLoader());
        allThreads.countDown();
        allThreads.await(); // hold this thread so that every task runs on a different one
        return null;
      }));
    }
    for (Future<?> task : tasks) {
      task.get();
    }
  }

  /** Starts the job without restarts: a failure (e.g. a commit lost to maintenance) fails the test with its cause. */
  private static JobClient start(JobConfig config, Duration checkpointInterval) throws Exception {
    Configuration flinkConfig = new Configuration();
    flinkConfig.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfig);
    MaterializationJob.build(env, config, JobHarness.options(false, 2, checkpointInterval, MAX_BUFFERED_ROWS));
    return env.executeAsync("maintenance test");
  }

  private static long inJob(JobClient job, String accumulator) throws Exception {
    Object value = job.getAccumulators().get().get(accumulator);
    return value == null ? 0 : (Long) value;
  }

  private static void awaitUpsertCommits(JobClient job, LiveTable table, int commits) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (upsertCommits(table.refresh()) < commits) {
      assertThat(System.nanoTime()).as("%d upsert commits within 30 s", commits).isLessThan(deadline);
      assertThat(job.getJobStatus().get().isTerminalState()).as("job ended").isFalse();
      Thread.sleep(50);
    }
  }

  /** Waits until the job's Kafka consumer group has committed the end offset of every partition of the topic. */
  private static void awaitConsumed(JobHarness harness) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      admin.describeTopics(List.of(harness.topic)).allTopicNames().get().get(harness.topic).partitions()
          .forEach(partition -> latest.put(new TopicPartition(harness.topic, partition.partition()), OffsetSpec.latest()));
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(latest).all().get().forEach((partition, offset) -> ends.put(partition, offset.offset()));
      long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos(); // a liveness bound: the S3 mock is slow on a busy machine
      while (true) {
        Map<TopicPartition, Long> committed = new HashMap<>();
        admin.listConsumerGroupOffsets(harness.topic + "-group").partitionsToOffsetAndMetadata().get()
            .forEach((partition, offset) -> committed.put(partition, offset == null ? 0 : offset.offset()));
        if (committed.equals(ends)) {
          return;
        }
        assertThat(System.nanoTime()).as("job consumed the topic within 240 s").isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }

  /** Commits of the job that wrote rows (the committer also commits empty checkpoints now and then). */
  private static long upsertCommits(Table table) {
    return StreamSupport.stream(table.snapshots().spliterator(), false)
        .filter(snapshot -> total(snapshot.summary(), SnapshotSummary.ADDED_RECORDS_PROP) > 0)
        .filter(snapshot -> !snapshot.summary().containsKey(BucketRewriter.SUMMARY_RUN))
        .count();
  }

  private static long total(Map<String, String> summary, String property) {
    return Long.parseLong(summary.getOrDefault(property, "0"));
  }

  /** Locations of the current snapshot's data and delete files. */
  /** The data and delete files {@code snapshot}'s manifests list as live (also deletes that apply to no file). */
  private static Set<String> contentFiles(Table table, Snapshot snapshot) throws IOException {
    Set<String> locations = new HashSet<>();
    for (ManifestFile manifest : snapshot.dataManifests(table.io())) {
      try (ManifestReader<DataFile> reader = ManifestFiles.read(manifest, table.io(), table.specs())) {
        reader.forEach(file -> locations.add(file.location()));
      }
    }
    for (ManifestFile manifest : snapshot.deleteManifests(table.io())) {
      try (ManifestReader<DeleteFile> reader = ManifestFiles.readDeleteManifest(manifest, table.io(), table.specs())) {
        reader.forEach(file -> locations.add(file.location()));
      }
    }
    return locations;
  }

  private static List<FileInfo> store(Table table) {
    List<FileInfo> listed = new ArrayList<>();
    ((SupportsPrefixOperations) table.io()).listPrefix(table.location()).forEach(listed::add);
    return listed;
  }

  private static Set<String> locations(List<FileInfo> listed) {
    Set<String> locations = new HashSet<>();
    listed.forEach(file -> locations.add(file.location()));
    return locations;
  }

  private static long bytes(List<FileInfo> listed) {
    return listed.stream().mapToLong(FileInfo::size).sum();
  }
}
