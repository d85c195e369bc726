package io.icebergonline.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotSummary;
import org.apache.iceberg.Table;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Collapse, the buffer cap, schema evolution on restart, the command line and start-up errors. */
class MaterializationBehaviourTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

  private static final long START = 1_767_225_600_000L;

  @TempDir static Path warehouse;
  @TempDir static Path files;
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  private static JobHarness harness(String name) throws Exception {
    return JobHarness.onHadoopCatalog(kafka, warehouse, name);
  }

  /** {@code versions} successive updates of each key 1..keys, newest last, all in event-time order. */
  private static List<GeneratedEvent> updates(int keys, int versions, String extraJson) {
    List<GeneratedEvent> events = new ArrayList<>();
    for (int version = 0; version < versions; version++) {
      for (long key = 1; key <= keys; key++) {
        long time = START + version * 1000L + key;
        String json = "{\"driver_id\":" + key + ",\"conv_rate\":" + version + ".5,\"trips\":" + version
            + ",\"city\":\"v" + version + "\",\"event_timestamp\":" + time + ",\"created\":" + time + extraJson + "}";
        events.add(new GeneratedEvent(GeneratedEvent.Kind.UPSERT, key,
            ("{\"driver_id\":" + key + "}").getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8), time,
            null));
      }
    }
    return events;
  }

  @Test
  void tenUpdatesPerKeyInOneCheckpointWriteOneRowAndOneDeletePerKey() throws Exception {
    JobHarness harness = harness("collapse");
    JobConfig config = harness.config(4);
    List<GeneratedEvent> events = updates(300, 10, "");
    kafka.produce(harness.topic, events);
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.acceptAll(events);

    harness.runUntilEnd(config, 2, Duration.ofHours(1), 1_000_000);

    Table table = harness.table(config);
    assertThat(table.snapshots()).hasSize(1);
    Map<String, String> summary = table.currentSnapshot().summary();
    assertThat(summary.get(SnapshotSummary.ADDED_RECORDS_PROP)).isEqualTo("300");
    assertThat(Long.parseLong(summary.get(SnapshotSummary.ADDED_EQ_DELETES_PROP))).isLessThanOrEqualTo(300);
    assertThat(summary.get(SnapshotSummary.ADDED_POS_DELETES_PROP)).isNull();
    assertThat(summary.get(SnapshotSummary.ADDED_FILES_PROP)).isEqualTo("4");
    assertThat(harness.rows(config)).isEqualTo(oracle.liveRows());
  }

  @Test
  void pastTheBufferCapTheTableIsStillExact() throws Exception {
    JobHarness harness = harness("collapse-capped");
    JobConfig config = harness.config(4);
    List<GeneratedEvent> events = updates(300, 10, "");
    kafka.produce(harness.topic, events);
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.acceptAll(events);

    harness.runUntilEnd(config, 2, Duration.ofHours(1), 50);

    Table table = harness.table(config);
    assertThat(table.snapshots()).hasSize(1);
    assertThat(Long.parseLong(table.currentSnapshot().summary().get(SnapshotSummary.ADDED_RECORDS_PROP)))
        .as("early flushes write repeats").isGreaterThan(300);
    assertThat(harness.rows(config)).isEqualTo(oracle.liveRows());
  }

  @Test
  void aFeatureAddedToTheConfigIsAddedToTheTableOnRestart() throws Exception {
    JobHarness harness = harness("evolve");
    JobConfig before = harness.config(4);
    kafka.produce(harness.topic, updates(50, 1, ""));
    harness.runUntilEnd(before, 2, Duration.ofSeconds(1), 1_000);

    JobConfig after = JobConfigParser.parse(harness.configYaml(4, "      - { name: rating, type: FLOAT }\n"), name -> null);
    List<GeneratedEvent> newer = updates(50, 2, ",\"rating\":4.5").subList(50, 100);
    kafka.produce(harness.topic, newer);
    harness.runUntilEnd(after, 2, Duration.ofSeconds(1), 1_000);

    Table table = harness.table(after);
    assertThat(table.schema().findField("rating")).isNotNull();
    Map<Object, Map<String, Object>> rows = harness.rows(after);
    assertThat(rows).hasSize(50);
    assertThat(rows.values()).allSatisfy(row -> assertThat(row).containsEntry("rating", 4.5f).containsEntry("trips", 1L));
  }

  @Test
  void theCommandLineRunsUntilTheEndExitsZeroAndLogsTheRunsTotals() throws Exception {
    JobHarness harness = harness("cli");
    Path configFile = files.resolve("cli.yaml");
    Files.writeString(configFile, harness.configYaml(4, ""));
    List<GeneratedEvent> events = new ArrayList<>(updates(20, 3, ""));
    List<GeneratedEvent> stale = events.subList(0, 10); // version 0 of keys 1..10, after their version 2
    events.addAll(List.copyOf(stale));
    for (int i = 0; i < 5; i++) {
      events.add(new GeneratedEvent(GeneratedEvent.Kind.MALFORMED, 1, "{\"driver_id\":1}".getBytes(StandardCharsets.UTF_8),
          "{not json".getBytes(StandardCharsets.UTF_8), START, "not JSON"));
    }
    kafka.produce(harness.topic, events);
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.acceptAll(events);

    int exit;
    List<String> logged;
    try (LogCapture log = new LogCapture(CommitReporter.class)) {
      exit = Main.run(new String[] {
          "materialize", "--config", configFile.toString(), "--until-end", "--parallelism", "2",
          "--checkpoint-interval", "1s"});
      logged = log.messages();
    }

    assertThat(exit).isZero();
    assertThat(harness.rows(harness.config(4))).isEqualTo(oracle.liveRows());
    Table table = harness.table(harness.config(4));
    long snapshotsWithRows = 0;
    long addedRecords = 0;
    for (Snapshot snapshot : table.snapshots()) {
      long added = Long.parseLong(snapshot.summary().getOrDefault(SnapshotSummary.ADDED_RECORDS_PROP, "0"));
      snapshotsWithRows += added > 0 ? 1 : 0;
      addedRecords += added;
    }
    List<String> totals = logged.stream().filter(line -> line.contains(" done: ")).toList();
    assertThat(totals).as("one line of totals after the final commit, in %s", logged).hasSize(1);
    Matcher line = Pattern.compile("Feature view 'driver_stats' done: 70 events in, 60 applied, 10 stale dropped, "
        + "5 dead-lettered; (\\d+) rows and 0 deletes written, committed by (\\d+) checkpoints; [0-9.]+ s")
        .matcher(totals.get(0));
    assertThat(line.matches()).as(totals.get(0)).isTrue();
    assertThat(Long.parseLong(line.group(1))).as("rows written").isEqualTo(addedRecords);
    // the committer also commits at the end of input, before the final checkpoint
    assertThat(Long.parseLong(line.group(2))).as("checkpoints that committed rows").isBetween(1L, snapshotsWithRows);
  }

  @Test
  void startUpErrorsSayWhatToFixWithoutSecrets() throws Exception {
    JobHarness harness = harness("startup");
    String missingTopic = harness.configYaml(4, "").replace("topic: startup\n", "topic: no-such-topic\n");
    assertThatThrownBy(() -> MaterializationJob.build(
            org.apache.flink.streaming.api.environment.StreamExecutionEnvironment.getExecutionEnvironment(),
            JobConfigParser.parse(missingTopic, name -> null), JobHarness.options(true, 1, Duration.ofSeconds(1), 10)))
        .isInstanceOf(StartupException.class)
        .hasMessage("Kafka topic(s) [no-such-topic] do not exist on " + kafka.bootstrapServers()
            + "; create them (the dead-letter topic too) before starting the job");

    String unreachableCatalog = String.join("\n",
        "online_store:",
        "  type: iceberg",
        "  catalog_type: rest",
        "  uri: http://127.0.0.1:1",
        "  properties: { credential: \"${CLIENT_SECRET}\" }",
        "  namespace: startup",
        "kafka: { bootstrap_servers: \"" + kafka.bootstrapServers() + "\" }",
        "dead_letter_topic: " + harness.deadLetterTopic,
        "feature_views:",
        io.icebergonline.testing.FeatureEventGenerator.featureViewYaml(harness.topic, 4));
    Path configFile = files.resolve("unreachable.yaml");
    Files.writeString(configFile, unreachableCatalog.replace("${CLIENT_SECRET}", "client:s3cr3t-value"));
    String stderr = StandardError.capture(() -> assertThat(Main.run(new String[] {
        "materialize", "--config", configFile.toString(), "--until-end"})).isEqualTo(1));
    assertThat(stderr).startsWith("error: Cannot load the rest catalog 'online_catalog' at http://127.0.0.1:1")
        .doesNotContain("s3cr3t");

    String badConfig = StandardError.capture(() -> assertThat(Main.run(new String[] {
        "materialize", "--config", configFile.toString(), "--parallelism", "two"})).isEqualTo(2));
    assertThat(badConfig).startsWith("error: --parallelism expects a positive integer, got 'two'");

    String stray = StandardError.capture(() -> assertThat(Main.run(new String[] {
        "materialize", "--config", configFile.toString(), "job.yaml"})).isEqualTo(2));
    assertThat(stray).startsWith("error: unexpected argument 'job.yaml'");
  }
}
