package io.icebergonline.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.RestCatalogOnS3;
import io.icebergonline.testing.TableRows;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.exceptions.NotFoundException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The job jar on a real Flink standalone session cluster (one JobManager and two TaskManagers, each
 * its own JVM, class path as flink-dist's lib/), with the entry class, arguments, parallelism,
 * Flink configuration and job.yaml the Helm chart renders; Kafka and the REST catalog on the S3
 * mock run in this JVM. Each test ends with the table, read by Iceberg's generic reader, equal to
 * the newest event per key computed independently from the generated events.
 */
class MaterializationOnClusterIT {
  private static final Path WORK = Path.of(System.getProperty("cluster.work", "target/cluster"));
  private static final Duration TABLE_TIMEOUT = Duration.ofMinutes(4);
  private static final Map<String, String> CREDENTIALS =
      Map.of("AWS_ACCESS_KEY_ID", "test-access-key", "AWS_SECRET_ACCESS_KEY", "test-secret-key");

  private static EmbeddedKafka kafka;
  private static RestCatalogOnS3 catalogServer;
  private static Catalog catalog;
  private static FlinkCluster cluster;
  private static String jobJarId;

  private final List<String> jobsToCancel = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    kafka = EmbeddedKafka.start();
    catalogServer = RestCatalogOnS3.start();
    catalog = catalogServer.newClient("cluster-test-reader");
    RenderedChart chart = render("startup", Map.of());
    Map<String, String> flinkConfiguration = new LinkedHashMap<>(chart.flinkConfiguration());
    cluster = FlinkCluster.start(WORK.resolve("session"), Path.of(System.getProperty("flink.lib")),
        flinkConfiguration, CREDENTIALS, 2);
    jobJarId = cluster.uploadJar(Path.of(System.getProperty("job.jar")));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (catalogServer != null) {
      catalogServer.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @AfterEach
  void cancelJobs(TestInfo test) throws Exception {
    for (String job : jobsToCancel) {
      cluster.cancel(job);
    }
  }

  /**
   * The chart rendered with the test values and the per-test names: checkpoints and savepoints on
   * local disk under the work directory (the cluster's processes share this machine's disk; Flink's
   * S3 file system is a plugin outside lib/ that would test Flink's code, not ours).
   */
  static RenderedChart render(String name, Map<String, String> extraSets) throws Exception {
    Map<String, String> sets = new LinkedHashMap<>();
    sets.put("onlineStore.uri", catalogServer.uri());
    sets.put("onlineStore.properties.s3\\.endpoint", catalogServer.s3Endpoint());
    sets.put("onlineStore.namespace", name.replace('-', '_'));
    sets.put("kafka.bootstrapServers", kafka.bootstrapServers());
    sets.put("kafka.groupId", name + "-group");
    sets.put("deadLetterTopic", name + "-dlq");
    sets.put("featureViews[0].topic", name);
    sets.put("checkpoints.directory", WORK.resolve("checkpoints").toAbsolutePath().toUri().toString());
    sets.put("checkpoints.savepointDirectory", WORK.resolve("savepoints").toAbsolutePath().toUri().toString());
    sets.putAll(extraSets);
    return RenderedChart.render(Path.of(System.getProperty("helm.chart")),
        Path.of("src", "test", "resources", "values-cluster.yaml"), sets);
  }

  /** Topic, dead-letter topic and events of one test; the oracle holds what the table must become. */
  static final class Stream {
    final String name;
    final String namespace;
    final FeatureEventGenerator generator;
    final NewestRowOracle oracle = new NewestRowOracle();
    final List<String> malformed = new ArrayList<>();

    Stream(String name, long seed) throws Exception {
      this.name = name;
      this.namespace = name.replace('-', '_');
      this.generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(seed, 500)
          .withRates(0.08, 0.03, 0.02, 0.02));
      kafka.createTopic(name, 4);
      kafka.createTopic(name + "-dlq", 1);
    }

    void produce(int count) {
      List<GeneratedEvent> events = generator.next(count);
      oracle.acceptAll(events);
      events.stream().filter(event -> event.kind() == GeneratedEvent.Kind.MALFORMED)
          .forEach(event -> malformed.add(event.valueText()));
      kafka.produce(name, events);
    }

    Map<Object, Map<String, Object>> rows() {
      return TableRows.readByKey(catalog.loadTable(TableIdentifier.of(namespace, "driver_stats")), "driver_id");
    }

    /** Waits until the table equals the oracle; fails with the job's exception if the job ends first. */
    void awaitTableExact(String jobId) throws Exception {
      long deadline = System.nanoTime() + TABLE_TIMEOUT.toNanos();
      Map<Object, Map<String, Object>> rows = Map.of();
      while (System.nanoTime() < deadline) {
        cluster.failIfEnded(jobId, cluster.get("/jobs/" + jobId));
        try {
          rows = rows();
        } catch (NoSuchTableException | NotFoundException e) {
          rows = Map.of();
        }
        if (rows.equals(oracle.liveRows())) {
          return;
        }
        Thread.sleep(500);
      }
      assertThat(rows).as("the table after %s; logs:%n%s", TABLE_TIMEOUT, cluster.logTails(40))
          .isEqualTo(oracle.liveRows());
    }

    /** Waits until the dead-letter topic holds as many records as were malformed; they must be exactly those. */
    void assertDeadLettersExactlyTheMalformed() throws Exception {
      long deadline = System.nanoTime() + TABLE_TIMEOUT.toNanos();
      List<ConsumerRecord<byte[], byte[]>> dead = List.of();
      while (System.nanoTime() < deadline) {
        dead = kafka.readCommitted(name + "-dlq", Duration.ofSeconds(30));
        if (dead.size() >= malformed.size()) {
          break;
        }
        Thread.sleep(500);
      }
      assertThat(dead.stream().map(record -> new String(record.value(), StandardCharsets.UTF_8)).sorted().toList())
          .as("dead letters: every malformed event once").isEqualTo(malformed.stream().sorted().toList());
    }
  }

  @Test
  void theChartsJobSubmittedOverRestKeepsTheNewestRowPerKeyAndDeadLettersEveryMalformedEvent() throws Exception {
    Stream stream = new Stream("rest-steady", 11);
    RenderedChart chart = render(stream.name, Map.of());
    stream.produce(6_000);

    String job = cluster.runJar(jobJarId, chart.entryClass(),
        chart.argsWithConfigIn(WORK.resolve("config").resolve(stream.name)), chart.parallelism(), null);
    jobsToCancel.add(job);
    cluster.awaitRunning(job);
    stream.awaitTableExact(job);
    stream.produce(6_000);
    stream.awaitTableExact(job);

    assertThat(stream.oracle.staleCount()).as("late and duplicate events were sent").isPositive();
    stream.assertDeadLettersExactlyTheMalformed();
    assertThat(cluster.exceptions(job)).as("a steady stream never fails the job").isEmpty();
    assertThat(cluster.get("/jobs/" + job).path("vertices")).allSatisfy(
        vertex -> assertThat(vertex.path("parallelism").asInt()).isLessThanOrEqualTo(chart.parallelism()));
  }

  @Test
  void aBadConfigFailsTheRestSubmissionWithItsMessageAndTheJobManagerKeepsRunning() throws Exception {
    RenderedChart chart = render("rest-bad-config", Map.of());
    List<String> args = new ArrayList<>(chart.argsWithConfigIn(WORK.resolve("config").resolve("rest-bad-config")));
    Path config = Path.of(args.get(args.indexOf("--config") + 1));
    Files.writeString(config, chart.jobYaml().replace("buckets: 8", "buckets: -3"));

    HttpResponse<String> response = cluster.postRaw("/jars/" + jobJarId + "/run", FlinkCluster.JSON.valueToTree(
        Map.of("entryClass", chart.entryClass(), "programArgsList", args, "parallelism", chart.parallelism())));

    assertThat(response.statusCode()).isGreaterThanOrEqualTo(400);
    assertThat(response.body()).contains("buckets");
    assertThat(cluster.jobManagerAlive()).as("the JobManager survives a failed start-up").isTrue();
    assertThat(cluster.get("/overview").path("taskmanagers").asInt()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void submittedWithFlinkRunTheJobSurvivesAKilledTaskManagerExactly() throws Exception {
    Stream stream = new Stream("killed-taskmanager", 13);
    RenderedChart chart = render(stream.name, Map.of());
    stream.produce(6_000);

    String job = flinkRun(chart, WORK.resolve("config").resolve(stream.name));
    jobsToCancel.add(job);
    cluster.awaitRunning(job);
    stream.awaitTableExact(job);
    int checkpoints = cluster.get("/jobs/" + job + "/checkpoints").path("counts").path("completed").asInt();

    stream.produce(3_000);
    List<String> running = cluster.taskManagersOf(job);
    assertThat(running).as("TaskManagers running the job").isNotEmpty();
    String victim = running.get(0);
    cluster.killTaskManager(victim);
    cluster.startTaskManager();
    stream.produce(3_000);

    cluster.awaitCheckpoints(job, checkpoints + 2);
    stream.awaitTableExact(job);
    List<String> failures = cluster.exceptions(job);
    assertThat(failures).as("the job restarted because its TaskManager was lost").isNotEmpty();
    assertThat(failures).as("and for nothing else").allSatisfy(failure -> assertThat(failure).contains(victim));
    stream.assertDeadLettersExactlyTheMalformed();
  }

  /**
   * {@code flink run -d} as a user's shell runs it: Flink's CliFrontend in its own JVM on the
   * cluster's class path and config, main() in that client. Returns the job id it printed.
   */
  private String flinkRun(RenderedChart chart, Path configDirectory) throws Exception {
    List<String> command = new ArrayList<>(cluster.javaCommand("flink-run"));
    command.add("org.apache.flink.client.cli.CliFrontend");
    command.addAll(List.of("run", "-d", "-p", Integer.toString(chart.parallelism()), "-c", chart.entryClass(),
        System.getProperty("job.jar")));
    command.addAll(chart.argsWithConfigIn(configDirectory));
    Process client = cluster.start("flink-run", command);
    if (!client.waitFor(3, java.util.concurrent.TimeUnit.MINUTES)) {
      client.destroyForcibly();
      throw new AssertionError("flink run did not return; logs:\n" + cluster.logTails(60));
    }
    String output = Files.readString(cluster.work().resolve("log").resolve("flink-run.out"));
    assertThat(client.exitValue()).as("flink run's exit code; its output:%n%s", output).isZero();
    Matcher submitted = Pattern.compile("JobID ([0-9a-f]{32})").matcher(output);
    String jobId = null;
    while (submitted.find()) {
      jobId = submitted.group(1);
    }
    assertThat(jobId).as("flink run's output names the job; it was:%n%s", output).isNotNull();
    return jobId;
  }

}
