package io.icebergonline.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.server.FeatureServer;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.RestCatalogOnS3;
import io.icebergonline.testing.TableRows;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.apache.iceberg.catalog.Catalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job jar on a real Flink standalone session cluster (one JobManager and two TaskManagers, each
 * its own JVM, class path as flink-dist's lib/), with the entry class, arguments, parallelism,
 * Flink configuration and job.yaml the Helm chart renders; Kafka and the REST catalog on the S3
 * mock run in this JVM. Each scenario ends with the table, read by Iceberg's generic reader, equal
 * to the newest event per key computed independently from the generated events.
 */
class MaterializationOnClusterIT {
  static final Path WORK = Path.of(System.getProperty("cluster.work", "target/cluster")).resolve("materialization");
  static final Map<String, String> CREDENTIALS =
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
    RenderedChart chart = RenderedChart.forTest("startup", kafka, catalogServer, WORK, Map.of());
    cluster = FlinkCluster.start(WORK.resolve("session"), List.of(Path.of(System.getProperty("flink.lib"))),
        chart.flinkConfiguration(), CREDENTIALS, 2);
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
  void cancelJobs() throws Exception {
    for (String job : jobsToCancel) {
      cluster.cancel(job);
    }
  }

  private String runOverRest(String jarId, RenderedChart chart, String configName, String savepoint) throws Exception {
    String job = cluster.runJar(jarId, chart.entryClass(), chart.argsWithConfigIn(WORK.resolve("config").resolve(configName)),
        chart.parallelism(), savepoint);
    jobsToCancel.add(job);
    cluster.awaitRunning(job);
    return job;
  }

  @Test
  void theChartsJobSubmittedOverRestKeepsTheNewestRowPerKeyAndDeadLettersEveryMalformedEvent() throws Exception {
    FeatureStream stream = FeatureStream.single(kafka, catalog, "rest-steady", 11);
    RenderedChart chart = RenderedChart.forTest(stream.topic, kafka, catalogServer, WORK, Map.of());
    stream.produce(6_000);

    String job = runOverRest(jobJarId, chart, stream.topic, null);
    stream.awaitTableExact(cluster, job);
    stream.produce(6_000);
    stream.awaitTableExact(cluster, job);

    assertThat(stream.oracle.staleCount()).as("late and duplicate events were sent").isPositive();
    FeatureStream.assertDeadLetters(kafka, stream.topic + "-dlq", false, stream);
    assertThat(cluster.exceptions(job)).as("a steady stream never fails the job").isEmpty();
    assertTheFeatureServerAnswersTheOracle(chart, stream);
  }

  /**
   * The Feast feature server started on the chart's job.yaml, over the table the cluster wrote:
   * every key the events named, in one request as Feast's remote online store sends it, answers
   * the oracle's row (PRESENT, NULL_VALUE for a null feature) or NOT_FOUND.
   */
  private static void assertTheFeatureServerAnswersTheOracle(RenderedChart chart, FeatureStream stream) throws Exception {
    JobConfig job = JobConfigParser.parse(chart.jobYaml(), CREDENTIALS::get);
    // a request timeout for a loaded test machine: the first request waits for the index of every bucket
    FeatureServerConfig patient = new FeatureServerConfig(0, null, null, FeatureServerConfig.DEFAULT_MAX_BODY_BYTES,
        FeatureServerConfig.DEFAULT_MAX_ENTITIES, Duration.ofMinutes(2), null, FeatureServerConfig.DEFAULT_INDEX_MAX_BYTES,
        FeatureServerConfig.Writes.DEFAULTS);
    try (FeatureServer server = FeatureServer.start(job, patient)) {
      List<Long> keys = LongStream.rangeClosed(1, 500).boxed().toList();
      String request = "{\"features\": [\"driver_stats:conv_rate\", \"driver_stats:trips\", \"driver_stats:city\"], "
          + "\"entities\": {\"driver_id\": " + keys + "}}";
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/get-online-features"))
              .POST(HttpRequest.BodyPublishers.ofString(request)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      JsonNode results = FlinkCluster.JSON.readTree(response.body()).path("results");
      int present = 0;
      for (int i = 0; i < keys.size(); i++) {
        Map<String, Object> row = stream.oracle.liveRows().get(keys.get(i));
        String what = "driver " + keys.get(i);
        if (row == null) {
          for (int feature = 1; feature <= 3; feature++) {
            assertThat(results.path(feature).path("statuses").path(i).asText()).as(what).isEqualTo("NOT_FOUND");
          }
          continue;
        }
        present++;
        assertThat(results.path(1).path("values").path(i).asDouble()).as(what).isEqualTo(row.get("conv_rate"));
        JsonNode trips = results.path(2).path("values").path(i);
        assertThat(trips.isNull() ? null : trips.asLong()).as(what).isEqualTo(row.get("trips"));
        assertThat(results.path(2).path("statuses").path(i).asText()).as(what)
            .isEqualTo(row.get("trips") == null ? "NULL_VALUE" : "PRESENT");
        assertThat(results.path(3).path("values").path(i).asText()).as(what).isEqualTo(row.get("city"));
        assertThat(TableRows.epochMicros(Instant.parse(
            results.path(1).path("event_timestamps").path(i).asText()))).as(what).isEqualTo(row.get("event_timestamp"));
      }
      assertThat(present).as("keys with a live row").isEqualTo(stream.oracle.liveRows().size());
    }
  }

  @Test
  void aBadConfigFailsTheRestSubmissionWithItsMessageAndTheJobManagerKeepsRunning() throws Exception {
    RenderedChart chart = RenderedChart.forTest("rest-bad-config", kafka, catalogServer, WORK, Map.of());
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
    FeatureStream stream = FeatureStream.single(kafka, catalog, "killed-taskmanager", 13);
    RenderedChart chart = RenderedChart.forTest(stream.topic, kafka, catalogServer, WORK, Map.of());
    stream.produce(6_000);

    String job = flinkRun(chart, WORK.resolve("config").resolve(stream.topic));
    jobsToCancel.add(job);
    cluster.awaitRunning(job);
    stream.awaitTableExact(cluster, job);
    int checkpoints = cluster.get("/jobs/" + job + "/checkpoints").path("counts").path("completed").asInt();

    stream.produce(3_000);
    List<String> running = cluster.taskManagersOf(job);
    assertThat(running).as("TaskManagers running the job").isNotEmpty();
    String victim = running.get(0);
    cluster.killTaskManager(victim);
    cluster.startTaskManager();
    stream.produce(3_000);

    cluster.awaitCheckpoints(job, checkpoints + 2);
    stream.awaitTableExact(cluster, job);
    List<String> failures = cluster.exceptions(job);
    assertThat(failures).as("the job restarted because its TaskManager was lost").isNotEmpty();
    assertThat(failures).as("and for nothing else").allSatisfy(failure -> assertThat(failure).contains(victim));
    FeatureStream.assertDeadLetters(kafka, stream.topic + "-dlq", false, stream);
  }

  @Test
  void maintenanceRunWithFlinkRunWhileTheJobCommitsLosesNoUpdate() throws Exception {
    FeatureStream stream = FeatureStream.single(kafka, catalog, "maintained", 29);
    RenderedChart chart = RenderedChart.forTest(stream.topic, kafka, catalogServer, WORK, Map.of());
    stream.produce(6_000);
    String job = runOverRest(jobJarId, chart, stream.topic, null);
    stream.awaitTableExact(cluster, job);

    // the one-shot maintain command from a client while the job keeps committing what arrives meanwhile
    // (an orphan window far above the job's write-to-commit time and the rewrite's, as in production)
    Thread producer = new Thread(() -> stream.produce(6_000));
    producer.start();
    List<String> args = new ArrayList<>(chart.argsWithConfigIn(WORK.resolve("config").resolve(stream.topic)));
    String config = args.get(args.indexOf("--config") + 1);
    String output = flinkRunCommand(chart, List.of("run"), List.of("maintain", "--config", config,
        "--expire-older-than", "1ms", "--retain-last", "1", "--orphan-older-than", "1m"));
    producer.join();

    assertThat(output).doesNotContain("error:");
    assertThat(Files.readString(cluster.work().resolve("log").resolve("flink-run.log")))
        .contains("Maintained feature view 'driver_stats'");
    stream.awaitTableExact(cluster, job);
    assertThat(cluster.exceptions(job)).as("maintenance never fails the job").isEmpty();
  }

  @Test
  void anUpgradeFromASavepointAddsAViewAndARedeployWithoutStateStaysExact() throws Exception {
    String name = "upgrade";
    FeatureStream drivers = FeatureStream.single(kafka, catalog, name, 17);
    FeatureStream driversEu = new FeatureStream(kafka, catalog, drivers.namespace, name + "-eu", "driver_stats_eu", 19);
    RenderedChart oneView = RenderedChart.forTest(name, kafka, catalogServer, WORK, Map.of());
    drivers.produce(6_000);
    String first = runOverRest(jobJarId, oneView, name + "-v1", null);
    drivers.awaitTableExact(cluster, first);
    drivers.produce(3_000);

    // the release upgraded: stop with a savepoint, a new jar upload, the chart with one more view
    String savepoint = cluster.stopWithSavepoint(first, WORK.resolve("savepoints"));
    jobsToCancel.remove(first);
    RenderedChart twoViews = RenderedChart.forTest(name, kafka, catalogServer, WORK,
        Map.of("featureViews[0].topic", name, "featureViews[1].topic", driversEu.topic), "values-cluster-two-views.yaml");
    String upgraded = runOverRest(cluster.uploadJar(Path.of(System.getProperty("job.jar"))), twoViews, name + "-v2",
        savepoint);
    driversEu.produce(5_000);
    drivers.produce(3_000);
    drivers.awaitTableExact(cluster, upgraded);
    driversEu.awaitTableExact(cluster, upgraded);
    assertThat(cluster.exceptions(upgraded)).as("the upgraded job restored and ran without failure").isEmpty();
    FeatureStream.assertDeadLetters(kafka, name + "-dlq", false, drivers, driversEu);

    // a redeploy without the savepoint: the newest-wins state comes from the tables
    cluster.cancel(upgraded);
    jobsToCancel.remove(upgraded);
    String redeployed = runOverRest(jobJarId, twoViews, name + "-v2", null);
    drivers.produce(4_000);
    driversEu.produce(4_000);
    drivers.awaitTableExact(cluster, redeployed);
    driversEu.awaitTableExact(cluster, redeployed);
    // a start without state reads from the offsets the consumer group committed, which may lag the
    // dead letters' transactions: events read again can be dead-lettered again, none is lost
    FeatureStream.assertDeadLetters(kafka, name + "-dlq", true, drivers, driversEu);

    // three runs of the job jar on these TaskManagers: once they ended, nothing of theirs stays loaded
    cluster.cancel(redeployed);
    jobsToCancel.remove(redeployed);
    cluster.awaitNoUserCodeClassLoaders();
  }

  /**
   * {@code flink run -d} as a user's shell runs it: Flink's CliFrontend in its own JVM on the
   * cluster's class path and config, main() in that client. Returns the job id it printed.
   */
  private String flinkRun(RenderedChart chart, Path configDirectory) throws Exception {
    String output = flinkRunCommand(chart, List.of("run", "-d", "-p", Integer.toString(chart.parallelism())),
        chart.argsWithConfigIn(configDirectory));
    Matcher submitted = Pattern.compile("JobID ([0-9a-f]{32})").matcher(output);
    String jobId = null;
    while (submitted.find()) {
      jobId = submitted.group(1);
    }
    assertThat(jobId).as("flink run's output names the job; it was:%n%s", output).isNotNull();
    return jobId;
  }

  /** Runs {@code flink <flinkArgs> -c <entry class> <job jar> <programArgs>} to its end; returns its output. */
  private String flinkRunCommand(RenderedChart chart, List<String> flinkArgs, List<String> programArgs) throws Exception {
    List<String> command = new ArrayList<>(cluster.javaCommand("flink-run"));
    command.add("org.apache.flink.client.cli.CliFrontend");
    command.addAll(flinkArgs);
    command.addAll(List.of("-c", chart.entryClass(), System.getProperty("job.jar")));
    command.addAll(programArgs);
    Path outputFile = cluster.work().resolve("log").resolve("flink-run.out");
    long before = Files.exists(outputFile) ? Files.size(outputFile) : 0;
    Process client = cluster.start("flink-run", command);
    if (!client.waitFor(3, TimeUnit.MINUTES)) {
      client.destroyForcibly();
      throw new AssertionError("flink run did not return; logs:\n" + cluster.logTails(60));
    }
    byte[] all = Files.readAllBytes(outputFile);
    String output = new String(all, (int) before, all.length - (int) before, StandardCharsets.UTF_8);
    assertThat(client.exitValue()).as("flink run's exit code; its output:%n%s", output).isZero();
    return output;
  }
}
