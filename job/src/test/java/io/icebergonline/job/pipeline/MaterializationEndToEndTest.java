package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.RestCatalogOnS3;
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

/**
 * End to end on real parts: embedded KRaft Kafka, Iceberg's REST catalog server with data on an S3
 * mock through S3FileIO, a Flink mini-cluster with checkpoints; the table read with Iceberg's
 * generic reader must equal the independently computed newest row per key.
 */
class MaterializationEndToEndTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

  private static EmbeddedKafka kafka;
  private static RestCatalogOnS3 catalogServer;

  @BeforeAll
  static void startServers() throws Exception {
    kafka = EmbeddedKafka.start();
    catalogServer = RestCatalogOnS3.start();
    System.out.printf("start-up: Kafka %d ms, S3 mock %d ms, REST catalog %d ms%n",
        kafka.startupMillis(), catalogServer.s3StartupMillis(), catalogServer.restStartupMillis());
  }

  @AfterAll
  static void stopServers() throws Exception {
    kafka.close();
    catalogServer.close();
  }

  @Test
  void endToEndTheTableEqualsTheOracleAndTheDeadLetterTopicHoldsExactlyTheMalformedRecords() throws Exception {
    JobHarness harness = new JobHarness(kafka, catalogServer.onlineStoreYaml(), "driver-stats-e2e");
    FeatureEventGenerator generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(7, 2_000));
    List<GeneratedEvent> events = generator.next(50_000);
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.acceptAll(events);

    kafka.produce(harness.topic, events);
    JobConfig config = harness.config(8);
    long started = System.nanoTime();
    harness.runUntilEnd(config, 2, Duration.ofSeconds(1), 100_000);
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.printf("e2e: %d events in %d ms (%.0f events/s)%n", events.size(), millis, events.size() * 1000.0 / millis);

    assertThat(harness.table(config).location()).startsWith("s3://" + RestCatalogOnS3.BUCKET + "/");
    Map<Object, Map<String, Object>> actual = harness.rows(config);
    assertThat(oracle.staleCount()).isGreaterThan(0);
    assertThat(actual).hasSize(oracle.liveRows().size());
    assertThat(actual).isEqualTo(oracle.liveRows());

    List<ConsumerRecord<byte[], byte[]>> dead = kafka.readCommitted(harness.deadLetterTopic, Duration.ofSeconds(30));
    List<String> expectedDead = events.stream().filter(event -> event.kind() == GeneratedEvent.Kind.MALFORMED)
        .map(GeneratedEvent::valueText).sorted().toList();
    assertThat(dead.stream().map(record -> new String(record.value(), StandardCharsets.UTF_8)).sorted().toList())
        .isEqualTo(expectedDead);
    assertThat(dead).allSatisfy(record -> {
      assertThat(record.headers().lastHeader(DeadLetterSerializer.HEADER_SOURCE_TOPIC).value()).isEqualTo(harness.topic.getBytes(StandardCharsets.UTF_8));
      assertThat(record.headers().lastHeader(DeadLetterSerializer.HEADER_REASON)).isNotNull();
    });
  }
}
