package io.icebergonline.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.JobConfig;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

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

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  /** Many late events (up to a minute late, i.e. across slices) and duplicates, no deletes. */
  private static FeatureEventGenerator lateAndDuplicateUpserts(long seed) {
    return new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(seed, 200).withRates(0.25, 0.1, 0.01, 0));
  }

  @Test
  void aStreamingJobCancelledWithoutASavepointAndStartedAgainEndsExact() throws Exception {
    JobHarness harness = JobHarness.onHadoopCatalog(kafka, warehouse, "restart-cancelled");
    JobConfig config = harness.config(4);
    FeatureEventGenerator generator = lateAndDuplicateUpserts(21);
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
    FeatureEventGenerator generator = lateAndDuplicateUpserts(22);
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

  /** Waits until the job's consumer group has committed offsets at the end of every partition of the topic. */
  private static void awaitOffsetsCommitted(JobHarness harness, Duration timeout) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
      for (int partition = 0; partition < 4; partition++) {
        partitions.put(new TopicPartition(harness.topic, partition), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(partitions).all().get().forEach((partition, info) -> ends.put(partition, info.offset()));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(harness.topic + "-group").partitionsToOffsetAndMetadata().get();
        if (ends.entrySet().stream().allMatch(end -> end.getValue() == 0
            || (committed.get(end.getKey()) != null && committed.get(end.getKey()).offset() >= end.getValue()))) {
          return;
        }
        assertThat(System.nanoTime()).as("offsets committed %s, ends %s", committed, ends).isLessThan(deadline);
        Thread.sleep(100);
      }
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
