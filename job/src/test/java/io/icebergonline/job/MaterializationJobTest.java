package io.icebergonline.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.TableRows;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class MaterializationJobTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

  @TempDir static Path warehouse;
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  private static JobConfig config(String topic, String deadLetterTopic, int buckets) {
    String yaml = String.join("\n",
        "online_store:",
        "  type: iceberg",
        "  catalog_type: hadoop",
        "  warehouse: " + warehouse.toUri(),
        "  namespace: online",
        "kafka: { bootstrap_servers: \"" + kafka.bootstrapServers() + "\", group_id: " + topic + "-group }",
        "dead_letter_topic: " + deadLetterTopic,
        "feature_views:",
        FeatureEventGenerator.featureViewYaml(topic, buckets));
    return JobConfigParser.parse(yaml, name -> null);
  }

  @Test
  void endToEndTheTableEqualsTheOracleAndTheDeadLetterTopicHoldsExactlyTheMalformedRecords() throws Exception {
    String topic = "driver-stats-e2e";
    String deadLetters = "driver-stats-e2e-dlq";
    kafka.createTopic(topic, 4);
    kafka.createTopic(deadLetters, 1);
    FeatureEventGenerator generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(7, 2_000));
    List<GeneratedEvent> events = generator.next(50_000);
    kafka.produce(topic, events);
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.acceptAll(events);

    JobConfig config = config(topic, deadLetters, 8);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    MaterializationJob.build(env, config,
        new MaterializeOptions(Path.of("unused"), true, 2, Duration.ofSeconds(1), 100_000));
    long started = System.nanoTime();
    env.execute("e2e");
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.printf("e2e: %d events in %d ms (%.0f events/s)%n", events.size(), millis, events.size() * 1000.0 / millis);

    Catalog catalog = IcebergCatalogs.load(config.onlineStore());
    Table table = catalog.loadTable(OnlineTables.identifier("online", config.featureViews().get(0)));
    Map<Object, Map<String, Object>> actual = TableRows.readByKey(table, "driver_id");
    assertThat(oracle.staleCount()).isGreaterThan(0);
    assertThat(actual).hasSize(oracle.liveRows().size());
    assertThat(actual).isEqualTo(oracle.liveRows());

    List<ConsumerRecord<byte[], byte[]>> dead = kafka.readCommitted(deadLetters, Duration.ofSeconds(30));
    List<String> expectedDead = events.stream().filter(event -> event.kind() == GeneratedEvent.Kind.MALFORMED)
        .map(GeneratedEvent::valueText).sorted().toList();
    assertThat(dead.stream().map(record -> new String(record.value(), StandardCharsets.UTF_8)).sorted().toList())
        .isEqualTo(expectedDead);
    assertThat(dead).allSatisfy(record -> {
      assertThat(record.headers().lastHeader(DeadLetterSerializer.HEADER_SOURCE_TOPIC).value()).isEqualTo(topic.getBytes());
      assertThat(record.headers().lastHeader(DeadLetterSerializer.HEADER_REASON)).isNotNull();
    });
  }
}
