package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.JobConfig;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across failures: after an injected operator failure, a TaskManager loss, and
 * restores from savepoints at other parallelisms, the table equals the oracle with one live row
 * per key.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MaterializationRecoveryTest {
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

  private static JobHarness harness(String name) throws Exception {
    return JobHarness.onHadoopCatalog(kafka, warehouse, name);
  }

  private static Configuration restartQuickly() {
    Configuration config = new Configuration();
    config.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 5);
    config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
    return config;
  }

  /** Throws once, on the first element after it was armed and a checkpoint then completed. */
  static final class FailAfterCheckpoint implements MapFunction<Long, Long>, CheckpointListener {
    static final AtomicBoolean ARMED = new AtomicBoolean();
    static final AtomicBoolean CHECKPOINTED = new AtomicBoolean();
    static final AtomicInteger FAILURES = new AtomicInteger();

    @Override
    public Long map(Long value) {
      if (ARMED.get() && CHECKPOINTED.get() && ARMED.compareAndSet(true, false)) {
        FAILURES.incrementAndGet();
        throw new IllegalStateException("injected failure after a completed checkpoint");
      }
      return value;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      if (ARMED.get()) {
        CHECKPOINTED.set(true);
      }
    }
  }

  @Test
  @Order(1)
  void anOperatorFailureAfterACompletedCheckpointLeavesTheTableExact() throws Exception {
    JobHarness harness = harness("recovery-throw");
    JobConfig config = harness.config(8);
    FeatureEventGenerator generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(11, 500));
    NewestRowOracle oracle = new NewestRowOracle();
    produce(harness, generator, oracle, 10_000);

    // full failover: a failure anywhere restarts the whole job from the last checkpoint
    Configuration flinkConfig = restartQuickly();
    flinkConfig.set(JobManagerOptions.EXECUTION_FAILOVER_STRATEGY, "full");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfig);
    MaterializationJob.build(env, config, JobHarness.options(false, 2, Duration.ofMillis(500), 100_000));
    env.fromSource(new DataGeneratorSource<>(index -> index, Long.MAX_VALUE, RateLimiterStrategy.perSecond(20), Types.LONG),
            WatermarkStrategy.noWatermarks(), "chaos ticks")
        .setParallelism(1)
        .map(new FailAfterCheckpoint()).setParallelism(1)
        .sinkTo(new DiscardingSink<>()).setParallelism(1);
    JobClient job = env.executeAsync("recovery-throw");
    try {
      harness.awaitCommits(config, 1, TIMEOUT);
      FailAfterCheckpoint.ARMED.set(true);
      produce(harness, generator, oracle, 10_000);
      assertThat(harness.awaitOracle(job, config, oracle, TIMEOUT)).isEqualTo(oracle.liveRows());
      assertThat(FailAfterCheckpoint.FAILURES.get()).isEqualTo(1);
    } finally {
      job.cancel().get();
    }
  }

  @Test
  @Order(2)
  void rescalingThroughSavepointsFromTwoToOneToThreeLeavesTheTableExact() throws Exception {
    JobHarness harness = harness("recovery-rescale");
    JobConfig config = harness.config(8);
    FeatureEventGenerator generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(12, 500));
    NewestRowOracle oracle = new NewestRowOracle();

    String savepoint = null;
    for (int parallelism : new int[] {2, 1, 3}) {
      produce(harness, generator, oracle, 6_000);
      Configuration flinkConfig = restartQuickly();
      if (savepoint != null) {
        flinkConfig.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
      }
      JobClient job = harness.start(config, parallelism, flinkConfig);
      assertThat(harness.awaitOracle(job, config, oracle, TIMEOUT)).as("at parallelism %d", parallelism)
          .isEqualTo(oracle.liveRows());
      savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
          .get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(3)
  void aLostTaskManagerIsReplacedAndTheTableStaysExact(@InjectMiniCluster MiniCluster cluster) throws Exception {
    JobHarness harness = harness("recovery-tm");
    JobConfig config = harness.config(8);
    FeatureEventGenerator generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(13, 500));
    NewestRowOracle oracle = new NewestRowOracle();
    produce(harness, generator, oracle, 10_000);

    JobClient job = harness.start(config, 2, restartQuickly());
    try {
      harness.awaitCommits(config, 1, TIMEOUT);
      cluster.terminateTaskManager(0).get(30, TimeUnit.SECONDS);
      produce(harness, generator, oracle, 10_000);
      cluster.startTaskManager();
      assertThat(harness.awaitOracle(job, config, oracle, TIMEOUT)).isEqualTo(oracle.liveRows());
      assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
    } finally {
      job.cancel().get();
    }
  }

  private static void produce(JobHarness harness, FeatureEventGenerator generator, NewestRowOracle oracle, int count) {
    List<GeneratedEvent> events = generator.next(count);
    kafka.produce(harness.topic, events);
    oracle.acceptAll(events);
  }
}
