package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.core.DeleteLog;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.MaintenanceConfig;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.job.StartupException;
import io.icebergonline.job.maintenance.OnlineTableMaintenance;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.TableRows;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.CommonTestUtils;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Newest wins survives restarts without state: the table, not the job's memory, holds the
 * versions. Runs without a savepoint seed each bucket from the table; runs restored from a
 * savepoint read nothing from it.
 */
class MaterializationRestartTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir static Path warehouse;
  @TempDir static Path savepoints;
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.start();
  }

  /**
   * A test that failed before it stopped its job would leave the job holding slots the next tests
   * need (they then wait for slots until they time out, failing for a reason not theirs).
   */
  @AfterEach
  void cancelJobsStillRunning(@InjectClusterClient ClusterClient<?> client) throws Exception {
    for (JobStatusMessage job : client.listJobs().get()) {
      if (!job.getJobState().isGloballyTerminalState()) {
        client.cancel(job.getJobId()).get();
      }
    }
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  /** Many late events (up to a minute late, i.e. across runs) and duplicates, deletes. */
  private static FeatureEventGenerator adversarial(long seed) {
    return new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(seed, 200).withRates(0.25, 0.1, 0.01, 0.05));
  }

  @Test
  void tenRunsUntilTheEndOverSlicesOfAnAdversarialStreamEachLeaveTheTableExact() throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "restart-slices");
    JobConfig config = harness.config(4);
    FeatureEventGenerator generator = new FeatureEventGenerator(
        FeatureEventGenerator.Settings.defaults(31, 150).withRates(0.25, 0.05, 0.01, 0.05));
    NewestRowOracle oracle = new NewestRowOracle();
    List<GeneratedEvent> olderThanDeletes = List.of();
    for (int run = 0; run < 10; run++) {
      List<GeneratedEvent> slice = new ArrayList<>(olderThanDeletes);
      slice.addAll(generator.next(400));
      olderThanDeletes = lateUpsertsOlderThanTheDeletesIn(slice);
      kafka.produce(harness.topic, slice);
      oracle.acceptAll(slice);

      harness.runUntilEnd(config, 2, Duration.ofSeconds(1), 100_000);

      assertThat(harness.rows(config)).as("after run %d", run).isEqualTo(oracle.liveRows());
    }
    assertThat(oracle.staleCount()).as("late events the runs had to drop").isGreaterThan(100);
  }

  /** For each tombstone of {@code events}, an upsert of its key half a second older than it. */
  private static List<GeneratedEvent> lateUpsertsOlderThanTheDeletesIn(List<GeneratedEvent> events) {
    List<GeneratedEvent> late = new ArrayList<>();
    for (GeneratedEvent event : events) {
      if (event.kind() == GeneratedEvent.Kind.TOMBSTONE) {
        late.add(upsert(event.driverId(), event.recordTimestamp() - 500, "resurrected"));
      }
    }
    return late;
  }

  private static GeneratedEvent upsert(long driverId, long eventTime, String city) {
    String json = "{\"driver_id\":" + driverId + ",\"conv_rate\":0.5,\"trips\":1,\"city\":\"" + city
        + "\",\"event_timestamp\":" + eventTime + ",\"created\":" + eventTime + "}";
    return new GeneratedEvent(GeneratedEvent.Kind.UPSERT, driverId,
        ("{\"driver_id\":" + driverId + "}").getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8),
        eventTime, null);
  }

  private static GeneratedEvent tombstone(long driverId, long recordTimestamp) {
    return new GeneratedEvent(GeneratedEvent.Kind.TOMBSTONE, driverId,
        ("{\"driver_id\":" + driverId + "}").getBytes(StandardCharsets.UTF_8), null, recordTimestamp, null);
  }

  @Test
  void withinTheRetentionALateEventOlderThanADeleteNeverBringsTheKeyBackAfterItTheKeyMayComeBack()
      throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "restart-retention");
    Duration retention = Duration.ofSeconds(20);
    JobConfig config = JobConfigParser.parse(harness.configYaml(4, "")
        .replace("    buckets: 4\n", "    buckets: 4\n    delete_retention: " + retention.toSeconds() + "s\n"), name -> null);
    long t = 1_767_225_600_000L;

    kafka.produce(harness.topic, List.of(upsert(1, t, "first"), upsert(2, t, "first"), tombstone(1, t + 1_000)));
    harness.runUntilEnd(config, 1, Duration.ofSeconds(1), 1_000);
    Table deleteLog = IcebergCatalogs.load(config.onlineStore())
        .loadTable(DeleteLog.identifier(harness.namespace, config.featureViews().get(0)));
    List<Map<String, Object>> logged = TableRows.read(deleteLog);
    assertThat(logged).singleElement().satisfies(row -> assertThat(row).containsEntry(DeleteLog.ENTITY_KEY, "1")
        .containsEntry(DeleteLog.EVENT_TIME, (t + 1_000) * 1_000)); // TableRows gives epoch microseconds
    long firstDeleteApplied = (Long) logged.get(0).get(DeleteLog.DELETED_AT) / 1_000;
    while (System.currentTimeMillis() <= firstDeleteApplied + retention.toMillis()) {
      Thread.sleep(200); // until the first delete is older than the retention
    }

    kafka.produce(harness.topic, List.of(tombstone(2, t + 1_000)));
    harness.runUntilEnd(config, 1, Duration.ofSeconds(1), 1_000);
    kafka.produce(harness.topic, List.of(upsert(1, t + 500, "late"), upsert(2, t + 500, "late")));
    harness.runUntilEnd(config, 1, Duration.ofSeconds(1), 1_000);

    Map<Object, Map<String, Object>> rows = harness.rows(config);
    assertThat(rows).as("the delete within the retention holds").doesNotContainKey(2L);
    assertThat(rows.get(1L)).as("the delete older than the retention was forgotten by a start without state")
        .containsEntry("city", "late");
  }

  /** Which of a checkpoint's two table commits fails, as a crash just before it would. */
  enum FailingCommit { ONLINE_TABLE, DELETE_LOG }

  /**
   * A checkpoint commits the online table, the delete log and the consumer group's offsets. When
   * one table's commit fails (the job dies there), the group must not have moved past what that
   * table holds: a start without state re-reads the delete and the table ends exact. (With the
   * Kafka source's own commit, the group moved on: the online table kept the deleted row, or the
   * delete log lost the delete and a late older event brought the key back.)
   */
  @ParameterizedTest
  @EnumSource(FailingCommit.class)
  void aCommitThatFailsBetweenTheOthersLeavesTheGroupBehindAndAStartWithoutStateEndsExact(FailingCommit failing)
      throws Exception {
    JobHarness harness = new JobHarness(kafka, String.join("\n",
        "online_store:",
        "  type: iceberg",
        "  catalog_type: hadoop",
        "  warehouse: " + warehouse.toUri(),
        "  properties: { io-impl: " + FailingCommitsFileIO.class.getName() + " }",
        ""), "restart-failing-" + failing.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    JobConfig config = harness.config(4);
    long t = 1_767_225_600_000L;
    kafka.produce(harness.topic, List.of(upsert(1, t, "first"), upsert(2, t, "first")));
    harness.runUntilEnd(config, 1, Duration.ofSeconds(1), 1_000);
    Map<TopicPartition, Long> committedBefore = groupOffsets(harness);
    assertThat(committedBefore).as("a run until the end has committed the group's offsets when it returns")
        .isEqualTo(endOffsets(harness));

    Catalog catalog = IcebergCatalogs.load(config.onlineStore());
    TableIdentifier crashing = failing == FailingCommit.ONLINE_TABLE
        ? OnlineTables.identifier(harness.namespace, config.featureViews().get(0))
        : DeleteLog.identifier(harness.namespace, config.featureViews().get(0));
    FailingCommitsFileIO.failCommitsTo(catalog.loadTable(crashing).location());
    try {
      kafka.produce(harness.topic, List.of(tombstone(1, t + 1_000)));
      Configuration noRestarts = new Configuration();
      noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
      JobClient job = harness.start(config, 1, noRestarts);
      assertThatThrownBy(() -> job.getJobExecutionResult().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
          .as("the job dies on the failed commit").hasStackTraceContaining("injected: commits to this table fail");
    } finally {
      FailingCommitsFileIO.commitNormally();
    }
    assertThat(groupOffsets(harness)).as("the group stays before the delete %s did not commit", crashing)
        .isEqualTo(committedBefore);

    kafka.produce(harness.topic, List.of(upsert(1, t + 500, "late, older than the delete")));
    harness.runUntilEnd(config, 1, Duration.ofSeconds(1), 1_000);
    Map<Object, Map<String, Object>> rows = harness.rows(config);
    assertThat(rows).as("the delete holds, in the table and against the late event").doesNotContainKey(1L);
    assertThat(rows.get(2L)).containsEntry("city", "first");
  }

  /** The end offset of every partition of the topic that holds records. */
  private static Map<TopicPartition, Long> endOffsets(JobHarness harness) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
      for (int partition = 0; partition < 4; partition++) {
        partitions.put(new TopicPartition(harness.topic, partition), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(partitions).all().get().forEach((partition, info) -> {
        if (info.offset() > 0) {
          ends.put(partition, info.offset());
        }
      });
      return ends;
    }
  }

  private static Map<TopicPartition, Long> groupOffsets(JobHarness harness) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Map<TopicPartition, Long> offsets = new HashMap<>();
      admin.listConsumerGroupOffsets(harness.topic + "-group").partitionsToOffsetAndMetadata().get()
          .forEach((partition, offset) -> offsets.put(partition, offset.offset()));
      return offsets;
    }
  }

  @Test
  void aStreamingJobCancelledWithoutASavepointAndStartedAgainEndsExact() throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "restart-cancelled");
    JobConfig config = harness.config(4);
    FeatureEventGenerator generator = adversarial(21);
    NewestRowOracle oracle = new NewestRowOracle();

    for (int run = 0; run < 2; run++) {
      produce(harness, generator, oracle, 1_500);
      JobClient job = harness.start(config, 2, new Configuration());
      try {
        assertThat(harness.awaitOracle(job, config, oracle, TIMEOUT)).as("run %d", run).isEqualTo(oracle.liveRows());
        awaitOffsetsCommitted(harness, TIMEOUT); // so the next run starts after what this one read
      } finally {
        job.cancel().get();
      }
    }
  }

  @Test
  void aJobRestoredFromASavepointAtAnotherParallelismReadsNothingFromTheTableAndEndsExact() throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "restart-savepoint");
    JobConfig config = harness.config(4);
    FeatureEventGenerator generator = adversarial(22);
    NewestRowOracle oracle = new NewestRowOracle();

    produce(harness, generator, oracle, 1_500);
    String savepoint;
    try (LogCapture log = new LogCapture(NewestWinsCollapseOperator.class)) {
      JobClient job = harness.start(config, 2, new Configuration());
      assertThat(harness.awaitOracle(job, config, oracle, TIMEOUT)).isEqualTo(oracle.liveRows());
      savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
          .get(60, TimeUnit.SECONDS);
      assertThat(seedings(log)).as("a start without state seeds every bucket once").hasSize(4);
    }

    produce(harness, generator, oracle, 1_500);
    Configuration restore = new Configuration();
    restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    try (LogCapture log = new LogCapture(NewestWinsCollapseOperator.class)) {
      JobClient job = harness.start(config, 3, restore);
      try {
        assertThat(harness.awaitOracle(job, config, oracle, TIMEOUT)).isEqualTo(oracle.liveRows());
      } finally {
        job.cancel().get();
      }
      assertThat(seedings(log)).as("restored buckets read nothing from the table").isEmpty();
    }
  }

  @Test
  void aJobRestoredFromASavepointAfterMaintenanceExpiredItsLastCommitEndsExact(@InjectMiniCluster MiniCluster cluster)
      throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "restart-after-maintenance");
    JobConfig config = harness.config(4);
    FeatureEventGenerator generator = adversarial(23);
    NewestRowOracle oracle = new NewestRowOracle();

    // no periodic checkpoint: what the job reads is committed by the savepoint's own checkpoint
    produce(harness, generator, oracle, 1_500);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    MaterializationJob.build(env, config, JobHarness.options(false, 2, Duration.ofHours(1), 100_000));
    String savepoint;
    try (LogCapture parsing = new LogCapture(ParseAndCollapseOperator.class)) {
      JobClient job = env.executeAsync(harness.topic);
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (parsing.messages().isEmpty()) { // the first malformed record: the job is reading
        assertThat(System.nanoTime()).as("the job reads").isLessThan(deadline);
        Thread.sleep(100);
      }
      // one subtask reading says nothing of the other: a savepoint needs every task running
      CommonTestUtils.waitForAllTaskRunning(cluster, job.getJobID(), false);
      savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
          .get(60, TimeUnit.SECONDS);
    }
    Table table = harness.table(config);
    assertThat(table.currentSnapshot().summary()).as("the savepoint's checkpoint committed rows")
        .containsKey(OnlineTableMaintenance.COMMITTED_CHECKPOINT);

    // maintenance while the job is stopped: a compaction commit on top, then expiry keeping one snapshot
    OnlineTableMaintenance.run(() -> harness.table(config),
        new MaintenanceConfig(true, Duration.ofHours(1), Duration.ZERO, 1, Duration.ofDays(3), 128L << 20), "maintain");

    produce(harness, generator, oracle, 1_500);
    Configuration restore = new Configuration();
    restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    restore.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    restore.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
    restore.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
    JobClient job = harness.start(config, 2, restore);
    try {
      assertThat(harness.awaitOracle(job, config, oracle, TIMEOUT)).isEqualTo(oracle.liveRows());
    } finally {
      if (!job.getJobStatus().get().isTerminalState()) {
        job.cancel().get();
      }
    }
  }

  /**
   * With a view ttl, a key's version leaves the newest-wins state once it has not been written for
   * the ttl, in a running job and when a start without state seeds the bucket. A late event older
   * than that version is then applied: it replaces an expired row with an older expired row, which
   * readers (they apply the view's ttl) answer as missing, as they answered the newest row. Without
   * state expiry both late events would be dropped and the row would stay "newest".
   */
  @Test
  void versionsOlderThanTheTtlLeaveTheStateAndTheKeyReadsTheSame() throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "restart-ttl");
    Duration ttl = Duration.ofSeconds(3);
    JobConfig config = JobConfigParser.parse(harness.configYaml(4, "")
        .replace("    buckets: 4\n", "    buckets: 4\n    ttl: " + ttl.toSeconds() + "s\n"), name -> null);
    long t = System.currentTimeMillis();

    kafka.produce(harness.topic, List.of(upsert(1, t, "newest")));
    JobClient job = harness.start(config, 1, new Configuration());
    try {
      awaitCity(harness, config, "newest");
      long visible = System.currentTimeMillis(); // the version was written to state before its commit was visible
      while (System.currentTimeMillis() <= visible + ttl.toMillis()) {
        Thread.sleep(100); // until the version has been in state longer than the ttl
      }
      kafka.produce(harness.topic, List.of(upsert(1, t - 1_000, "late, after its key left the state")));
      awaitCity(harness, config, "late, after its key left the state");
      awaitOffsetsCommitted(harness, TIMEOUT);
    } finally {
      job.cancel().get();
    }

    kafka.produce(harness.topic, List.of(upsert(1, t - 2_000, "late, after a start without state")));
    try (LogCapture log = new LogCapture(NewestWinsCollapseOperator.class)) {
      harness.runUntilEnd(config, 1, Duration.ofSeconds(1), 1_000);
      assertThat(seedings(log)).singleElement().asString().contains("1 older than the ttl left out");
    }
    assertThat(harness.rows(config).get(1L)).containsEntry("city", "late, after a start without state");
    assertThat(t).as("every version of the key is older than the ttl: all read as missing")
        .isLessThan(System.currentTimeMillis() - ttl.toMillis());
  }

  /**
   * Adding a ttl to a view turns on state expiry for its versions: the savepoint of the run before
   * (state without expiry, which Flink's heap backend cannot restore into a state with expiry) must
   * still restore, its versions moved to the expiring state rather than read from the table, so
   * late events stay dropped.
   */
  @Test
  void aSavepointTakenWithoutATtlRestoresIntoAJobWithOne() throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "restart-add-ttl");
    JobConfig withoutTtl = harness.config(4);
    JobConfig withTtl = JobConfigParser.parse(harness.configYaml(4, "")
        .replace("    buckets: 4\n", "    buckets: 4\n    ttl: 3650d\n"), name -> null); // the events are from 2026-01-01: within it
    FeatureEventGenerator generator = adversarial(23);
    NewestRowOracle oracle = new NewestRowOracle();

    produce(harness, generator, oracle, 1_500);
    JobClient first = harness.start(withoutTtl, 2, new Configuration());
    assertThat(harness.awaitOracle(first, withoutTtl, oracle, TIMEOUT)).isEqualTo(oracle.liveRows());
    String savepoint = first.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
        .get(60, TimeUnit.SECONDS);

    produce(harness, generator, oracle, 1_500);
    Configuration restore = new Configuration();
    restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    restore.set(RestartStrategyOptions.RESTART_STRATEGY, "none"); // a restore that fails fails the test with its cause
    try (LogCapture log = new LogCapture(NewestWinsCollapseOperator.class)) {
      JobClient second = harness.start(withTtl, 2, restore);
      try {
        assertThat(harness.awaitOracle(second, withTtl, oracle, TIMEOUT)).isEqualTo(oracle.liveRows());
      } finally {
        if (!second.getJobStatus().get().isTerminalState()) {
          second.cancel().get();
        }
      }
      assertThat(seedings(log)).as("the versions came from the savepoint, not from the table").isEmpty();
      assertThat(log.messages()).filteredOn(message -> message.matches(".*bucket \\d+: moved .*")).hasSize(4);
    }
  }

  /**
   * Iceberg's committer, restored, walks the table's history back to the last commit of the job
   * that took the savepoint. When another job committed since and maintenance expired the
   * snapshots in between, that walk cannot succeed (the restore failed in the committer on the
   * manifests it had deleted, after every restart): the start is refused, saying why and what to do.
   */
  @Test
  void aSavepointWhoseLastCommitMaintenanceExpiredAfterAnotherJobCommittedIsRefusedAtStart() throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "restart-savepoint-expired");
    JobConfig config = harness.config(4);
    long t = 1_767_225_600_000L;
    kafka.produce(harness.topic, List.of(upsert(1, t, "first"), tombstone(2, t)));
    JobClient first = harness.start(config, 1, new Configuration());
    awaitCity(harness, config, "first");
    String savepoint = first.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
        .get(60, TimeUnit.SECONDS);

    kafka.produce(harness.topic, List.of(upsert(1, t + 1_000, "second")));
    harness.runUntilEnd(config, 1, Duration.ofSeconds(1), 1_000); // another job, started without state, commits
    Catalog catalog = IcebergCatalogs.load(config.onlineStore());
    OnlineTableMaintenance.maintainView(catalog, harness.namespace, config.featureViews().get(0),
        new MaintenanceConfig(true, Duration.ofHours(1), Duration.ZERO, 1, Duration.ofDays(3), 128L << 20), "maintain");

    Configuration restore = new Configuration();
    restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    assertThatThrownBy(() -> harness.start(config, 1, restore))
        .isInstanceOf(StartupException.class)
        .hasMessageStartingWith("Cannot restore savepoint " + savepoint + ": it was taken by job ")
        .hasMessageContaining("Start the job without the savepoint");
    assertThat(harness.rows(config).get(1L)).containsEntry("city", "second");
  }

  /** How a view's ttl changes between a savepoint and its restore. */
  enum TtlChange {
    RAISED("    ttl: 3600s\n"), REMOVED("");

    final String ttlLine;

    TtlChange(String ttlLine) {
      this.ttlLine = ttlLine;
    }
  }

  /**
   * Versions that left the state under a short ttl are live again under a longer one (or without
   * one): a bucket first touched after such a change reads them back from the table, so a late
   * event still cannot overwrite the newer row. (Before, the bucket counted as seeded and only
   * what was left in the state moved: the late event was applied.)
   */
  @ParameterizedTest
  @EnumSource(TtlChange.class)
  void aTtlRaisedOrRemovedAtARestoreBringsBackTheVersionsThatExpiredUnderTheOldOne(TtlChange change)
      throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse,
        "restart-ttl-" + change.name().toLowerCase(Locale.ROOT));
    Duration shortTtl = Duration.ofSeconds(3);
    JobConfig before = JobConfigParser.parse(harness.configYaml(4, "")
        .replace("    buckets: 4\n", "    buckets: 4\n    ttl: " + shortTtl.toSeconds() + "s\n"), name -> null);
    JobConfig after = JobConfigParser.parse(harness.configYaml(4, "")
        .replace("    buckets: 4\n", "    buckets: 4\n" + change.ttlLine), name -> null);
    long t = System.currentTimeMillis();

    kafka.produce(harness.topic, List.of(upsert(1, t, "newest")));
    JobClient first = harness.start(before, 1, new Configuration());
    awaitCity(harness, before, "newest");
    long visible = System.currentTimeMillis(); // the version was written to state before its commit was visible
    while (System.currentTimeMillis() <= visible + shortTtl.toMillis()) {
      Thread.sleep(100); // until the version has been in state longer than the short ttl
    }
    String savepoint = first.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
        .get(60, TimeUnit.SECONDS);

    kafka.produce(harness.topic, List.of(upsert(1, t - 1_000, "late, older than the row")));
    Configuration restore = new Configuration();
    restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
    restore.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    List<String> seedings;
    try (LogCapture log = new LogCapture(NewestWinsCollapseOperator.class)) {
      JobClient second = harness.start(after, 1, restore);
      try {
        awaitOffsetsCommitted(harness, TIMEOUT); // the late event was read and what it did is committed
      } finally {
        second.cancel().get();
      }
      seedings = seedings(log);
    }
    assertThat(harness.rows(after).get(1L)).containsEntry("city", "newest");
    assertThat(seedings).as("the bucket read its versions back from the table").hasSize(1);
  }

  private static void awaitCity(JobHarness harness, JobConfig config, String city) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      Map<String, Object> row = harness.rows(config).get(1L);
      if (row != null && city.equals(row.get("city"))) {
        return;
      }
      assertThat(System.nanoTime()).as("key 1 never became %s; last row %s", city, row).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** Waits until the job's consumer group has committed offsets at the end of every partition of the topic. */
  private static void awaitOffsetsCommitted(JobHarness harness, Duration timeout) throws Exception {
    Map<TopicPartition, Long> ends = endOffsets(harness);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Map<TopicPartition, Long> committed = groupOffsets(harness);
      if (ends.entrySet().stream().allMatch(end -> committed.getOrDefault(end.getKey(), 0L) >= end.getValue())) {
        return;
      }
      assertThat(System.nanoTime()).as("offsets committed %s, ends %s", committed, ends).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  private static List<String> seedings(LogCapture log) {
    return log.messages().stream().filter(message -> message.contains("had no newest-wins state")).toList();
  }

  private static void produce(JobHarness harness, FeatureEventGenerator generator, NewestRowOracle oracle, int count) {
    List<GeneratedEvent> events = generator.next(count);
    kafka.produce(harness.topic, events);
    oracle.acceptAll(events);
  }
}
