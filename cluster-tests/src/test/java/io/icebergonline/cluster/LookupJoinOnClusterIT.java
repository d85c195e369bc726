package io.icebergonline.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.RestCatalogOnS3;
import io.icebergonline.testing.TableRows;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Lookup joins through Flink's SQL Gateway on a standalone session cluster, as a SQL user runs
 * them: the connector jar in the cluster's lib/ (the shaded jar alone, or the thin jar beside
 * Iceberg's runtime, AWS bundle and Hadoop client jars), the Kafka connector beside it,
 * {@code sql/online_catalog.sql} and {@code sql/enrich_orders.sql} sent statement by statement as
 * Flink's SQL client sends them. The table is written by the materialization job on the first
 * variant's cluster (once: its writing does not depend on the connector's layout); every enriched
 * order must carry exactly the table's row of its driver.
 */
class LookupJoinOnClusterIT {
  private static final Path WORK = Path.of(System.getProperty("cluster.work", "target/cluster")).resolve("lookup");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ORDERS = 300;

  private static EmbeddedKafka kafka;
  private static RestCatalogOnS3 catalogServer;
  private static Catalog catalog;
  /** The drivers' table, materialized by the first variant that runs, and its rows. */
  private static FeatureStream drivers;
  private static Map<Object, Map<String, Object>> table;

  @BeforeAll
  static void startServices() throws Exception {
    kafka = EmbeddedKafka.start();
    catalogServer = RestCatalogOnS3.start();
    catalog = catalogServer.newClient("cluster-test-reader");
  }

  @AfterAll
  static void stopServices() throws Exception {
    if (catalogServer != null) {
      catalogServer.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  /**
   * Both jar layouts, each with the runs of the enrichment it gets: the shaded one twice, the
   * second a new job of the same connector classes after the first was cancelled (what static
   * state the connector keeps is the same code in both layouts, so once is enough).
   */
  static Stream<Arguments> connectorInLib() {
    return Stream.of(
        Arguments.of("shaded", List.of(Path.of(System.getProperty("connector.jar"))), 2),
        Arguments.of("thin", List.of(Path.of(System.getProperty("connector.thin.jar")),
            Path.of(System.getProperty("flink.iceberg"))), 1));
  }

  @ParameterizedTest(name = "{0} connector jar in lib/")
  @MethodSource("connectorInLib")
  void enrichOrdersThroughTheSqlGatewayEqualsTheTable(String variant, List<Path> connector, int runs) throws Exception {
    String name = "sql-" + variant;
    RenderedChart chart = RenderedChart.forTest(name, kafka, catalogServer, WORK, Map.of());
    List<Path> classPath = new ArrayList<>(List.of(Path.of(System.getProperty("flink.lib")),
        Path.of(System.getProperty("flink.connectors"))));
    classPath.addAll(connector);
    try (FlinkCluster cluster = FlinkCluster.start(WORK.resolve(variant), classPath, chart.flinkConfiguration(),
        MaterializationOnClusterIT.CREDENTIALS, 1)) {
      if (drivers == null) {
        FeatureStream stream = FeatureStream.single(kafka, catalog, name, 23);
        stream.produce(5_000);
        String materialize = cluster.runJar(cluster.uploadJar(Path.of(System.getProperty("job.jar"))),
            chart.entryClass(), chart.argsWithConfigIn(WORK.resolve("config").resolve(name)), 1, null);
        cluster.awaitRunning(materialize);
        stream.awaitTableExact(cluster, materialize);
        cluster.cancel(materialize);
        table = stream.rows();
        drivers = stream;
      }

      kafka.createTopic(name + "-orders", 2);
      produceOrders(name + "-orders");
      URI gateway = cluster.startSqlGateway(Path.of(System.getProperty("flink.opt")).resolve("flink-sql-gateway-"
          + System.getProperty("flink.version") + ".jar"));
      for (int run = 1; run <= runs; run++) {
        String output = name + "-enriched-" + run;
        String job = enrichOrders(gateway, drivers.namespace, name + "-orders", output, name + "-group-" + run);
        List<JsonNode> enriched = awaitEnriched(output, cluster, job);
        cluster.cancel(job);

        assertThat(enriched).hasSize(ORDERS);
        int withFeatures = 0;
        for (JsonNode order : enriched) {
          Map<String, Object> row = table.get(order.path("driver_id").asLong());
          String what = "run " + run + ", order " + order;
          if (row == null) {
            assertThat(order.path("conv_rate").isNull() && order.path("city").isNull()
                && order.path("features_as_of").isNull()).as(what).isTrue();
          } else {
            withFeatures++;
            assertThat(order.path("conv_rate").asDouble()).as(what).isEqualTo(row.get("conv_rate"));
            assertThat(order.path("trips").isNull() ? null : order.path("trips").asLong()).as(what).isEqualTo(row.get("trips"));
            assertThat(order.path("city").asText()).as(what).isEqualTo(row.get("city"));
            assertThat(TableRows.epochMicros(Instant.parse(order.path("features_as_of").asText()))).as(what)
                .isEqualTo(row.get("event_timestamp"));
          }
        }
        assertThat(withFeatures).as("orders of drivers the table has").isBetween(1, ORDERS - 1);
      }
      cluster.awaitNoUserCodeClassLoaders();
    }
  }

  /** Orders of drivers 1..600 (the table has some of 1..500), in order_id order. */
  private static void produceOrders(String topic) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      for (int i = 0; i < ORDERS; i++) {
        long driver = 1 + (i * 7L) % 600;
        String order = "{\"order_id\": \"o-" + i + "\", \"driver_id\": " + driver + ", \"amount\": " + (i % 50 + 0.5)
            + ", \"order_time\": \"2026-01-01T00:00:00Z\"}";
        producer.send(new ProducerRecord<>(topic, order.getBytes(StandardCharsets.UTF_8))).get();
      }
    }
  }

  /** online_catalog.sql then enrich_orders.sql, filled as a user fills them, through a new gateway session. */
  private static String enrichOrders(URI gateway, String namespace, String orders, String output, String group)
      throws Exception {
    Map<String, String> values = new HashMap<>();
    values.put("CATALOG_URI", catalogServer.uri());
    values.put("NAMESPACE", namespace);
    values.put("S3_ENDPOINT", catalogServer.s3Endpoint());
    values.put("S3_PATH_STYLE_ACCESS", "true");
    values.put("AWS_REGION", "us-east-1");
    values.putAll(MaterializationOnClusterIT.CREDENTIALS);
    values.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
    values.put("ORDERS_TOPIC", orders);
    values.put("ENRICHED_ORDERS_TOPIC", output);
    values.put("ORDERS_GROUP_ID", group);
    values.put("CHECKPOINT_INTERVAL", "1s");
    values.put("LOOKUP_TABLE", "online." + namespace + ".driver_stats");
    Path sql = Path.of(System.getProperty("sql.dir"));
    SqlGatewayClient session = SqlGatewayClient.openSession(gateway);
    String job = null;
    for (String script : List.of("online_catalog.sql", "enrich_orders.sql")) {
      for (String statement : SqlGatewayClient.statements(SqlGatewayClient.fill(Files.readString(sql.resolve(script)), values))) {
        String submitted = session.execute(statement);
        job = submitted != null ? submitted : job;
      }
    }
    session.close();
    assertThat(job).as("the INSERT's job id").isNotNull();
    return job;
  }

  private static List<JsonNode> awaitEnriched(String topic, FlinkCluster cluster, String job) throws Exception {
    long deadline = System.nanoTime() + FeatureStream.TABLE_TIMEOUT.toNanos();
    List<JsonNode> enriched = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      cluster.failIfEnded(job, cluster.get("/jobs/" + job));
      enriched.clear();
      try {
        for (ConsumerRecord<byte[], byte[]> record : kafka.readCommitted(topic, Duration.ofSeconds(10))) {
          enriched.add(JSON.readTree(record.value()));
        }
      } catch (IllegalStateException | org.apache.kafka.common.errors.TimeoutException notYet) {
        // the sink has not created the topic yet
      }
      if (enriched.size() >= ORDERS) {
        return enriched;
      }
      Thread.sleep(500);
    }
    throw new AssertionError(enriched.size() + " of " + ORDERS + " orders enriched; logs:\n" + cluster.logTails(40));
  }

}
