package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.JobConfig;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dead letters of a backfill survive the dead-letter topic's retention, on a machine starved of CPU:
 * a broker with Kafka's default time-based retention (7 days) that checks it twice a second, a month
 * of old events with malformed ones among them, and busy threads on every core while the job runs.
 * A dead letter written with its original (month-old) timestamp would go at the next check.
 */
class DeadLetterRetentionTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

  private static final long MONTH_MILLIS = Duration.ofDays(30).toMillis();

  @TempDir static Path warehouse;
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.start(Map.of(
        "log.retention.ms", Long.toString(Duration.ofDays(7).toMillis()), // Kafka's default
        "log.retention.check.interval.ms", "500",
        "log.initial.task.delay.ms", "0"));
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  @Test
  void everyMalformedEventOfAMonthOldBackfillStaysInTheDeadLetterTopicUnderCpuLoad() throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "backfill");
    keepForever(harness.topic); // the input itself must outlive the retention checks until the job has read it
    JobConfig config = harness.config(4);
    long writtenAfter = System.currentTimeMillis();
    FeatureEventGenerator generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(11, 300)
        .withRates(0.1, 0.05, 0.1, 0.05).withStartMillis(writtenAfter - MONTH_MILLIS));
    List<GeneratedEvent> events = generator.next(3_000);
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.acceptAll(events);
    kafka.produce(harness.topic, events);
    assertThat(oracle.malformedCount()).isPositive();

    try (CpuHog hog = new CpuHog(2 * Runtime.getRuntime().availableProcessors())) {
      harness.runUntilEnd(config, 2, Duration.ofMillis(300), 1_000);
    }
    awaitRetentionCheckAfterwards();

    List<ConsumerRecord<byte[], byte[]>> deadLetters = kafka.readCommitted(harness.deadLetterTopic, Duration.ofSeconds(60));
    assertThat(deadLetters).hasSize((int) oracle.malformedCount());
    List<Long> originalTimestamps = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> letter : deadLetters) {
      assertThat(letter.timestamp()).as("written at rejection time").isGreaterThanOrEqualTo(writtenAfter);
      Header original = letter.headers().lastHeader(DeadLetterSerializer.HEADER_SOURCE_TIMESTAMP);
      originalTimestamps.add(Long.parseLong(new String(original.value(), StandardCharsets.UTF_8)));
    }
    assertThat(originalTimestamps).as("original timestamps in the header")
        .containsExactlyInAnyOrderElementsOf(events.stream()
            .filter(event -> event.kind() == GeneratedEvent.Kind.MALFORMED).map(GeneratedEvent::recordTimestamp).toList());
    assertThat(harness.rows(config)).isEqualTo(oracle.liveRows());
  }

  private static void keepForever(String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic),
          List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "-1"), AlterConfigOp.OpType.SET)))).all().get();
    }
  }

  /**
   * Produces a month-old record to a topic with the default retention and waits until the broker
   * deleted it: a retention check then ran after every dead letter was written.
   */
  private static void awaitRetentionCheckAfterwards() throws Exception {
    String probe = "retention-probe";
    kafka.createTopic(probe, 1);
    try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      producer.send(new ProducerRecord<>(probe, null, System.currentTimeMillis() - MONTH_MILLIS, null, new byte[1])).get();
    }
    TopicPartition partition = new TopicPartition(probe, 0);
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      while (admin.listOffsets(Map.of(partition, OffsetSpec.earliest())).partitionResult(partition).get().offset() == 0) {
        assertThat(System.nanoTime()).as("the broker deletes a month-old record within 120 s").isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }

  /** Busy threads, one per core and more, for as long as it is open. */
  private static final class CpuHog implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private volatile long spun;

    CpuHog(int threadCount) {
      for (int i = 0; i < threadCount; i++) {
        Thread thread = new Thread(() -> {
          long spin = 0;
          while (running.get()) {
            spin += System.nanoTime() % 7;
          }
          spun += spin;
        }, "cpu-hog-" + i);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      for (Thread thread : threads) {
        thread.join();
      }
    }
  }
}
