package io.icebergonline.job.pipeline;

import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.TableRows;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;

/** Runs the materialization job of one test against embedded Kafka and a catalog, and checks its table. */
public final class JobHarness {
  public final EmbeddedKafka kafka;
  public final String onlineStoreYaml;
  public final String topic;
  public final String deadLetterTopic;
  public final String namespace;

  /**
   * @param onlineStoreYaml the {@code online_store:} block; its namespace is replaced per harness
   * @param name unique per test: topic, dead-letter topic and namespace derive from it
   */
  public JobHarness(EmbeddedKafka kafka, String onlineStoreYaml, String name) throws Exception {
    this.kafka = kafka;
    this.onlineStoreYaml = onlineStoreYaml;
    this.topic = name;
    this.deadLetterTopic = name + "-dlq";
    this.namespace = name.replace('-', '_');
    kafka.createTopic(topic, 4);
    kafka.createTopic(deadLetterTopic, 1);
  }

  /** A harness whose tables live in a Hadoop catalog under {@code warehouse} on the local file system. */
  public static JobHarness onHadoopCatalog(EmbeddedKafka kafka, Path warehouse, String name) throws Exception {
    return new JobHarness(kafka, String.join("\n",
        "online_store:",
        "  type: iceberg",
        "  catalog_type: hadoop",
        "  warehouse: " + warehouse.toUri(),
        ""), name);
  }

  /** The generator's driver_stats view; {@code extraFeatures} are appended YAML feature items. */
  public String configYaml(int buckets, String extraFeatures) {
    String view = FeatureEventGenerator.featureViewYaml(topic, buckets);
    if (!extraFeatures.isEmpty()) {
      view = view.replace("      - { name: city, type: STRING }\n", "      - { name: city, type: STRING }\n" + extraFeatures);
    }
    return String.join("\n",
        onlineStoreYaml + "  namespace: " + namespace,
        "kafka: { bootstrap_servers: \"" + kafka.bootstrapServers() + "\", group_id: " + topic + "-group }",
        "dead_letter_topic: " + deadLetterTopic,
        "feature_views:",
        view);
  }

  public JobConfig config(int buckets) {
    return JobConfigParser.parse(configYaml(buckets, ""), name -> null);
  }

  public static MaterializeOptions options(boolean untilEnd, int parallelism, Duration checkpointInterval, int maxBufferedRows) {
    return new MaterializeOptions(Path.of("unused"), untilEnd, parallelism, checkpointInterval, maxBufferedRows);
  }

  /** Runs to the end of the topic (blocking). */
  public void runUntilEnd(JobConfig config, int parallelism, Duration checkpointInterval, int maxBufferedRows) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    MaterializationJob.build(env, config, options(true, parallelism, checkpointInterval, maxBufferedRows));
    env.execute(topic);
  }

  /** Starts an unbounded run with the given Flink configuration (restart strategy, savepoint to restore). */
  public JobClient start(JobConfig config, int parallelism, Configuration flinkConfig) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfig);
    MaterializationJob.build(env, config, options(false, parallelism, Duration.ofMillis(500), 100_000));
    return env.executeAsync(topic);
  }

  public Table table(JobConfig config) {
    Catalog catalog = IcebergCatalogs.load(config.onlineStore());
    return catalog.loadTable(OnlineTables.identifier(namespace, config.featureViews().get(0)));
  }

  /** Live rows by driver id; fails if a key has two live rows. */
  public Map<Object, Map<String, Object>> rows(JobConfig config) {
    return TableRows.readByKey(table(config), "driver_id");
  }

  /**
   * Waits until the table equals the oracle; returns the rows last read. Fails at once, with the
   * job's failure, if the job stops running.
   */
  public Map<Object, Map<String, Object>> awaitOracle(JobClient job, JobConfig config, NewestRowOracle oracle,
      Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<Object, Map<String, Object>> rows = Map.of();
    while (System.nanoTime() < deadline) {
      if (job.getJobStatus().get().isTerminalState()) {
        job.getJobExecutionResult().get(); // throws the job's failure
        throw new AssertionError("job ended with status " + job.getJobStatus().get() + " before the table was complete");
      }
      try {
        rows = rows(config);
      } catch (org.apache.iceberg.exceptions.NoSuchTableException e) {
        rows = Map.of();
      }
      if (rows.equals(oracle.liveRows())) {
        return rows;
      }
      Thread.sleep(250);
    }
    return rows;
  }

  /** Waits until the table has at least {@code commits} snapshots. */
  public void awaitCommits(JobConfig config, int commits, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Table table = table(config);
      int count = 0;
      for (var ignored : table.snapshots()) {
        count++;
      }
      if (count >= commits) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("fewer than " + commits + " commits after " + timeout);
  }
}
