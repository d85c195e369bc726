package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.job.Main;
import io.icebergonline.job.StandardError;
import io.icebergonline.job.StartupException;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotSummary;
import org.apache.iceberg.Table;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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

  /**
   * Every key's versions spread over all partitions, so over both source subtasks, in shuffled
   * order (newest first as often as last), with tombstones: each source subtask's pre-shuffle
   * collapse keeps a different winner per key, and newest wins must still pick the newest. A
   * buffer cap of 50 and 1 s checkpoints make both kinds of flush happen mid-stream.
   */
  @Test
  void aKeySplitAcrossSourceSubtasksStillEndsNewestWins() throws Exception {
    JobHarness harness = harness("split-key");
    JobConfig config = harness.config(4);
    List<GeneratedEvent> events = new ArrayList<>(updates(200, 8, ""));
    for (long key = 1; key <= 40; key++) {
      long time = START + (key % 2 == 0 ? 8_000L : 3_500L) + key; // newest for even keys, superseded for odd ones
      events.add(new GeneratedEvent(GeneratedEvent.Kind.TOMBSTONE, key,
          ("{\"driver_id\":" + key + "}").getBytes(StandardCharsets.UTF_8), null, time, null));
    }
    Random random = new Random(14);
    Collections.shuffle(events, random);
    try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      for (GeneratedEvent event : events) {
        producer.send(new ProducerRecord<>(harness.topic, random.nextInt(4), event.recordTimestamp(), event.key(),
            event.value()));
      }
      producer.flush();
    }
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.acceptAll(events);

    harness.runUntilEnd(config, 2, Duration.ofSeconds(1), 50);

    assertThat(oracle.liveRows()).hasSize(180);
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

  /** A failing job fails the test instead of restarting on the same record forever. */
  private static Configuration withoutRestarts() {
    Configuration configuration = new Configuration();
    configuration.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    return configuration;
  }

  private static GeneratedEvent upsert(long key, String json) {
    return new GeneratedEvent(GeneratedEvent.Kind.UPSERT, key, ("{\"driver_id\":" + key + "}").getBytes(StandardCharsets.UTF_8),
        json.getBytes(StandardCharsets.UTF_8), START, null);
  }

  @Test
  void poisonTimestampsGoToTheDeadLetterTopicNamingTheFieldAndTheJobGoesOn() throws Exception {
    JobHarness harness = harness("poison");
    JobConfig config = harness.config(4);
    List<GeneratedEvent> valid = List.of(
        upsert(1, "{\"driver_id\":1,\"city\":\"ok\",\"event_timestamp\":" + START + "}"),
        upsert(2, "{\"driver_id\":2,\"city\":\"ok\",\"event_timestamp\":\"2026-01-01T00:00:00Z\"}"));
    Map<String, String> poison = Map.of(
        "{\"driver_id\":6,\"event_timestamp\":\"+1000000000-01-01T00:00:00Z\"}", "bad timestamp event_timestamp",
        "{\"driver_id\":7,\"event_timestamp\":1,\"created\":\"+1000000000-01-01T00:00:00Z\"}", "bad timestamp created",
        "{\"driver_id\":8,\"event_timestamp\":9300000000000000}", "bad timestamp event_timestamp",
        "{\"driver_id\":9,\"event_timestamp\":1,\"conv_rate\":1e400}", "conv_rate: expected a finite DOUBLE");
    List<GeneratedEvent> events = new ArrayList<>(valid);
    poison.keySet().forEach(json -> events.add(upsert(6, json)));
    kafka.produce(harness.topic, events);

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(withoutRestarts());
    MaterializationJob.build(env, config, JobHarness.options(true, 2, Duration.ofSeconds(1), 1_000));
    env.execute(harness.topic);

    assertThat(harness.rows(config).keySet()).containsExactlyInAnyOrder(1L, 2L);
    Map<String, String> reasons = new java.util.HashMap<>();
    for (var record : kafka.readCommitted(harness.deadLetterTopic, Duration.ofSeconds(30))) {
      reasons.put(new String(record.value(), StandardCharsets.UTF_8),
          new String(record.headers().lastHeader(DeadLetterSerializer.HEADER_REASON).value(), StandardCharsets.UTF_8));
    }
    assertThat(reasons).containsOnlyKeys(poison.keySet());
    poison.forEach((json, reason) -> assertThat(reasons.get(json)).startsWith(reason));
  }

  /**
   * A dead letter carries the record plus its dlq.* headers, so a malformed record that fit its
   * topic may not fit the dead-letter topic; the send failed, and the job failed on the same
   * record after every restart. Now its value is cut to fit, with the original size in a header.
   */
  @Test
  void aMalformedRecordTooLargeForTheDeadLetterTopicIsCutToFitAndTheJobGoesOn() throws Exception {
    JobHarness harness = harness("dead-letter-too-large");
    int threeMiB = 3 * 1024 * 1024;
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      // the feature topic takes records of up to 3 MiB; the dead-letter topic keeps Kafka's default of 1 MiB
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, harness.topic),
          List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(threeMiB)),
              AlterConfigOp.OpType.SET)))).all().get();
    }
    // fits a 1 MiB request as it is, but not with the dead letter's headers added
    byte[] justUnderOneMiB = unterminatedJson(2, 1024 * 1024 - 200);
    byte[] twoMiB = unterminatedJson(3, 2 * 1024 * 1024);
    Properties producerConfig = new Properties();
    producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    producerConfig.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(threeMiB));
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (GeneratedEvent event : List.of(
          upsert(1, "{\"driver_id\":1,\"city\":\"ok\",\"event_timestamp\":" + START + "}"),
          new GeneratedEvent(GeneratedEvent.Kind.UPSERT, 2, key(2), justUnderOneMiB, START, null),
          new GeneratedEvent(GeneratedEvent.Kind.UPSERT, 3, key(3), twoMiB, START, null),
          upsert(4, "{\"driver_id\":4,\"city\":\"ok\",\"event_timestamp\":" + START + "}"))) {
        producer.send(new ProducerRecord<>(harness.topic, null, START, event.key(), event.value())).get();
      }
    }
    JobConfig config = harness.config(4);

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(withoutRestarts());
    MaterializationJob.build(env, config, JobHarness.options(true, 2, Duration.ofSeconds(1), 1_000));
    env.execute(harness.topic);

    assertThat(harness.rows(config).keySet()).containsExactlyInAnyOrder(1L, 4L);
    Map<Integer, byte[]> originals = Map.of(justUnderOneMiB.length, justUnderOneMiB, twoMiB.length, twoMiB);
    List<ConsumerRecord<byte[], byte[]>> letters = kafka.readCommitted(harness.deadLetterTopic, Duration.ofSeconds(30));
    assertThat(letters).hasSize(2).allSatisfy(letter -> {
      int originalSize = Integer.parseInt(header(letter, DeadLetterSerializer.HEADER_VALUE_ORIGINAL_SIZE));
      assertThat(originals).containsKey(originalSize);
      assertThat(letter.value()).as("a prefix of the original value")
          .isEqualTo(Arrays.copyOf(originals.get(originalSize), letter.value().length));
      assertThat(letter.value().length).isGreaterThan(1024 * 1024 - 2_000).isLessThan(1024 * 1024);
      assertThat(letter.key()).isNotNull();
      assertThat(header(letter, DeadLetterSerializer.HEADER_REASON)).isNotBlank();
      assertThat(header(letter, DeadLetterSerializer.HEADER_SOURCE_OFFSET)).isNotBlank();
    });
  }

  private static byte[] unterminatedJson(long driverId, int size) {
    byte[] json = new byte[size];
    Arrays.fill(json, (byte) 'x');
    byte[] start = ("{\"driver_id\":" + driverId + ",\"city\":\"").getBytes(StandardCharsets.UTF_8);
    System.arraycopy(start, 0, json, 0, start.length);
    return json;
  }

  private static byte[] key(long driverId) {
    return ("{\"driver_id\":" + driverId + "}").getBytes(StandardCharsets.UTF_8);
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  @Test
  void aRecordThatBreaksTheParserBecomesADeadLetterInsteadOfFailingTheJob() throws Exception {
    FeatureViewSpec view = JobConfigParser.parse(harness("parser-bug").configYaml(4, ""), name -> null).featureViews().get(0);
    Schema complete = OnlineTableLayout.of(view).schema();
    // a table schema without the event-time column: parsing any upsert fails with an index error
    Schema broken = new Schema(complete.columns().stream().filter(column -> !column.name().equals("event_timestamp")).toList());
    KafkaRecord record = new KafkaRecord();
    record.topic = "parser-bug";
    record.value = "{\"driver_id\":1,\"event_timestamp\":1}".getBytes(StandardCharsets.UTF_8);
    record.headerKeys = new String[0];
    record.headerValues = new byte[0][];

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(withoutRestarts());
    SingleOutputStreamOperator<RowData> parsed = env.fromData(record)
        .transform("parse", InternalTypeInfo.of(VersionedRow.type(FlinkSchemaUtil.convert(broken))),
            ParseAndCollapseOperator.parsingOnly(view.name(), new FeatureEventParser(view, broken)));
    List<DeadLetter> letters = parsed.getSideOutput(ParseAndCollapseOperator.DEAD_LETTERS).executeAndCollect(10);

    assertThat(letters).singleElement().satisfies(letter -> {
      assertThat(letter.featureView).isEqualTo(view.name());
      assertThat(letter.reason).startsWith("unexpected error parsing the record: java.lang.ArrayIndexOutOfBoundsException");
    });
  }

  @Test
  void subMillisecondEventTimesDecideAndAreStoredToTheMicrosecond() throws Exception {
    JobHarness harness = harness("micros");
    JobConfig config = harness.config(4);
    List<GeneratedEvent> events = List.of(
        upsert(1, "{\"driver_id\":1,\"city\":\"newer\",\"event_timestamp\":\"2026-01-01T00:00:00.123999Z\",\"created\":1}"),
        upsert(1, "{\"driver_id\":1,\"city\":\"older\",\"event_timestamp\":\"2026-01-01T00:00:00.123001Z\",\"created\":2}"));
    kafka.produce(harness.topic, events);
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.acceptAll(events);

    harness.runUntilEnd(config, 2, Duration.ofSeconds(1), 1_000);

    Map<String, Object> row = harness.rows(config).get(1L);
    assertThat(row.get("city")).isEqualTo("newer");
    assertThat(row.get("event_timestamp")).as("epoch microseconds").isEqualTo(1_767_225_600_123_999L);
    assertThat(harness.rows(config)).isEqualTo(oracle.liveRows());
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
    Matcher line = Pattern.compile("Feature view 'driver_stats' done: 75 records read, 60 applied, 10 stale dropped, "
        + "5 dead-lettered; (\\d+) rows and 0 deletes written, committed by (\\d+) checkpoints; [0-9.]+ s")
        .matcher(totals.get(0));
    assertThat(line.matches()).as(totals.get(0)).isTrue();
    assertThat(Long.parseLong(line.group(1))).as("rows written").isEqualTo(addedRecords);
    // the committer also commits at the end of input, before the final checkpoint
    assertThat(Long.parseLong(line.group(2))).as("checkpoints that committed rows").isBetween(1L, snapshotsWithRows);
  }

  @Test
  void unalignedCheckpointsAreRefusedAtStartNamingTheKey() throws Exception {
    JobHarness harness = harness("unaligned");
    Configuration unaligned = new Configuration();
    unaligned.set(CheckpointingOptions.ENABLE_UNALIGNED, true);
    assertThatThrownBy(() -> MaterializationJob.build(StreamExecutionEnvironment.getExecutionEnvironment(unaligned),
            harness.config(4), JobHarness.options(true, 1, Duration.ofSeconds(1), 10)))
        .isInstanceOf(StartupException.class)
        .hasMessageStartingWith("execution.checkpointing.unaligned.enabled is true: this job needs aligned checkpoints");
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
