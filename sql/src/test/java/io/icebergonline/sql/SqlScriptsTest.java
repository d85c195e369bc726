package io.icebergonline.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.job.sql.SqlRunner;
import io.icebergonline.job.sql.SqlScriptException;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.PlaceholderConfig;
import io.icebergonline.testing.PlainJson;
import io.icebergonline.testing.RestCatalogOnS3;
import io.icebergonline.testing.TableRows;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs every script in {@code sql/} with the job's SQL runner against embedded Kafka and an online
 * table in the REST catalog on S3, and checks what the scripts produce against the rows written.
 */
class SqlScriptsTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static final Path SCRIPTS = Path.of("").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NAMESPACE = "feast_online";
  private static final int DRIVERS = 300;

  private static EmbeddedKafka kafka;
  private static RestCatalogOnS3 server;
  private static NewestRowOracle oracle;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
    server = RestCatalogOnS3.start();
    FeatureViewSpec view = JobConfigParser.parse(
        PlaceholderConfig.withFeatureViews(FeatureEventGenerator.featureViewYaml("driver_stats", 4)), name -> null)
        .featureViews().get(0);

    oracle = new NewestRowOracle();
    oracle.acceptAll(new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(11, DRIVERS)).next(3_000));
    Catalog catalog = server.newClient("online_catalog");
    Table table = OnlineTables.createOrVerify(catalog, NAMESPACE, view);
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    List<Record> rows = new ArrayList<>();
    oracle.liveRows().forEach((id, live) -> {
      Record row = writer.newRow();
      row.setField("driver_id", id);
      row.setField("conv_rate", live.get("conv_rate"));
      row.setField("trips", live.get("trips"));
      row.setField("city", live.get("city"));
      row.setField("event_timestamp", eventTime(live));
      rows.add(row);
    });
    writer.upsert(rows);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    kafka.close();
  }

  @Test
  void everyScriptInTheDirectoryIsRunByThisTest() throws Exception {
    try (Stream<Path> files = Files.list(SCRIPTS)) {
      assertThat(files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".sql")))
          .as("scripts in sql/; each needs a test here")
          .containsExactlyInAnyOrder("online_catalog.sql", "driver_stats.sql", "enrich_orders.sql");
    }
  }

  @Test
  void enrichOrdersJoinsEveryOrderWithTheDriversOnlineFeaturesFoundByNameInTheCatalog() throws Exception {
    assertEveryOrderIsEnriched("catalog", Map.of(), "online_catalog.sql", "enrich_orders.sql");
  }

  @Test
  void enrichOrdersJoinsEveryOrderWithTheDriversOnlineFeaturesOfTheDeclaredTable() throws Exception {
    assertEveryOrderIsEnriched("ddl", Map.of("LOOKUP_TABLE", "driver_stats"), "driver_stats.sql", "enrich_orders.sql");
  }

  /**
   * Runs the scripts, with {@code settings} added to the variables, on 500 orders in topics of their
   * own and checks each enriched order against the oracle.
   */
  private static void assertEveryOrderIsEnriched(String run, Map<String, String> settings, String... scripts)
      throws Exception {
    String ordersTopic = "orders_" + run;
    String enrichedTopic = "orders_enriched_" + run;
    kafka.createTopic(ordersTopic, 2);
    kafka.createTopic(enrichedTopic, 1);
    Map<String, Long> driverOfOrder = new HashMap<>();
    try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      for (int i = 0; i < 500; i++) {
        long driver = 1 + (i * 7L) % (DRIVERS + 50); // some drivers have no features
        String order = "o-" + i;
        driverOfOrder.put(order, driver);
        String json = String.format(java.util.Locale.ROOT,
            "{\"order_id\":\"%s\",\"driver_id\":%d,\"amount\":%d.5,\"order_time\":\"%s\"}",
            order, driver, i, Instant.ofEpochSecond(1_767_225_600L + i));
        producer.send(new ProducerRecord<>(ordersTopic, json.getBytes(StandardCharsets.UTF_8)));
      }
    }

    Map<String, String> variables = new HashMap<>(catalogVariables());
    variables.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
    variables.put("ORDERS_STARTUP_MODE", "earliest-offset");
    variables.put("ORDERS_BOUNDED_MODE", "latest-offset");
    variables.put("CHECKPOINT_INTERVAL", "1s");
    variables.put("ORDERS_TOPIC", ordersTopic);
    variables.put("ENRICHED_ORDERS_TOPIC", enrichedTopic);
    variables.putAll(settings);
    SqlRunner runner = new SqlRunner(TableEnvironment.create(EnvironmentSettings.inStreamingMode()), variables::get);
    for (String script : scripts) {
      runner.run(SCRIPTS.resolve(script));
    }
    runner.awaitJobs();

    List<ConsumerRecord<byte[], byte[]>> enriched = kafka.readCommitted(enrichedTopic, Duration.ofSeconds(30));
    Map<String, JsonNode> byOrder = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : enriched) {
      JsonNode row = JSON.readTree(record.value());
      assertThat(byOrder.put(row.get("order_id").asText(), row)).as("one enriched row per order").isNull();
    }
    assertThat(byOrder).hasSize(driverOfOrder.size());
    int withFeatures = 0;
    for (Map.Entry<String, JsonNode> entry : byOrder.entrySet()) {
      JsonNode row = entry.getValue();
      long driver = driverOfOrder.get(entry.getKey());
      assertThat(row.get("driver_id").asLong()).isEqualTo(driver);
      Map<String, Object> live = oracle.liveRows().get(driver);
      if (live == null) {
        assertThat(row.get("conv_rate").isNull()).as("order %s of driver %d without features", entry.getKey(), driver)
            .isTrue();
        assertThat(row.get("city").isNull()).isTrue();
      } else {
        withFeatures++;
        for (String feature : List.of("conv_rate", "trips", "city")) {
          assertThat(PlainJson.value(row.get(feature))).as("%s of driver %d", feature, driver).isEqualTo(live.get(feature));
        }
        assertThat(Instant.parse(row.get("features_as_of").asText()))
            .isEqualTo(eventTime(live).toInstant());
      }
    }
    assertThat(withFeatures).as("orders that found features").isBetween(100, byOrder.size() - 1);
  }

  @Test
  void aFailingStatementIsNamedWithItsScriptAndLine() throws Exception {
    Path script = Files.createTempFile("bad", ".sql");
    Files.writeString(script, String.join("\n",
        "-- a comment",
        "SET 'parallelism.default' = '1';",
        "",
        "CREATE TABLE lookups (driver_id BIGINT) WITH (",
        "  'connector' = 'iceberg-online', 'catalog-type' = 'rest', 'uri' = '${CATALOG_URI}', 'table' = 'driver_stats',",
        "  'lookup.cache' = 'SOMETIMES');",
        "CREATE TEMPORARY VIEW probes AS SELECT CAST(1 AS BIGINT) AS id, PROCTIME() AS pt;",
        "SELECT * FROM probes AS p JOIN lookups FOR SYSTEM_TIME AS OF p.pt AS l ON p.id = l.driver_id;"));
    SqlRunner runner = new SqlRunner(TableEnvironment.create(EnvironmentSettings.inStreamingMode()),
        catalogVariables()::get);
    assertThatThrownBy(() -> runner.run(script))
        .isInstanceOf(SqlScriptException.class)
        .hasMessageContaining(script + ", statement 4 (line 8: SELECT * FROM probes")
        .hasMessageContaining("lookup.cache")
        .hasMessageContaining("SOMETIMES");

    Files.writeString(script, "SET 'parallelism.default' = '1';\n\nSELECT '${NOT_SET}';\n");
    assertThatThrownBy(() -> new SqlRunner(TableEnvironment.create(EnvironmentSettings.inStreamingMode()), name -> null)
        .run(script))
        .isInstanceOf(SqlScriptException.class)
        .hasMessage(script + ", statement 2 (line 3: SELECT '${NOT_SET}'): variable NOT_SET is not set; "
            + "set it in the environment or with --set NOT_SET=VALUE");
  }

  /** The catalog placeholders of driver_stats.sql and online_catalog.sql for the REST catalog on the S3 mock. */
  private static Map<String, String> catalogVariables() {
    Map<String, String> fileIo = RestCatalogOnS3.fileIoProperties(server.s3Endpoint());
    return Map.of(
        "CATALOG_URI", server.uri(),
        "S3_ENDPOINT", fileIo.get("s3.endpoint"),
        "S3_PATH_STYLE_ACCESS", fileIo.get("s3.path-style-access"),
        "AWS_REGION", fileIo.get("client.region"),
        "AWS_ACCESS_KEY_ID", fileIo.get("s3.access-key-id"),
        "AWS_SECRET_ACCESS_KEY", fileIo.get("s3.secret-access-key"));
  }

  private static OffsetDateTime eventTime(Map<String, Object> live) {
    return TableRows.instant((Long) live.get("event_timestamp")).atOffset(ZoneOffset.UTC);
  }
}
