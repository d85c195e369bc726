package io.icebergonline.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.job.CommandLine;
import io.icebergonline.job.pipeline.MaterializationJob;
import io.icebergonline.job.pipeline.MaterializeOptions;
import io.icebergonline.job.sql.SqlRunner;
import io.icebergonline.server.FeatureServer;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedAvro;
import io.icebergonline.testing.GeneratedProtobuf;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.PlainJson;
import io.icebergonline.testing.SchemaRegistryStandIn;
import io.icebergonline.testing.TableRows;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one-command local demo: embedded Kafka, a local Iceberg warehouse, generated driver events
 * (some late, duplicate, malformed or deletes), the materialization job and a Flink SQL lookup join
 * through the iceberg-online catalog (the scripts of {@code sql/}) that enriches an order stream, all on one Flink mini-cluster. It
 * checks what it shows: the table against the newest event per driver, every enriched order
 * against the table, and the dead letters against the malformed events it sent.
 */
public final class Demo {
  static {
    // the Flink test jars the demo uses carry log4j2-test.properties, which would win over ours
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "iceberg-online-demo-log4j2.properties");
    }
  }

  /**
   * Created first, so that logging is set up (its console appender bound to the real standard
   * output) before {@link #quietly} silences Kafka's start-up prints.
   */
  private static final Logger LOG = LoggerFactory.getLogger(Demo.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NAMESPACE = "feast_online";
  private static final String EVENTS_TOPIC = "driver_stats";
  private static final String DEAD_LETTER_TOPIC = "driver_stats_dlq";
  private static final String ORDERS_TOPIC = "orders";
  private static final String ENRICHED_TOPIC = "orders_enriched";
  private static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(2);
  private static final int WAVES = 5;
  private static final int ROWS_SHOWN = 12;

  static final String USAGE = String.join("\n",
      "Usage: java -jar demo/target/iceberg-online-demo.jar [--drivers 2000] [--events 200000] [--orders 2000]",
      "                                                    [--seed 7] [--format json|avro|protobuf] [--work-dir DIR]",
      "  --format avro|protobuf: the driver events as Avro or Protobuf framed by a schema registry",
      "                          (a stand-in of its REST API)",
      "");

  private final PrintStream out;
  private final int drivers;
  private final int events;
  private final int orders;
  private final long seed;
  /** json, avro or protobuf: how the driver events are encoded. */
  private final String format;
  private final Path workDir;
  private final long started = System.nanoTime();
  /** With {@code --format avro} or {@code protobuf}: where the events' schema is registered. */
  private SchemaRegistryStandIn registry;
  private int schemaId;

  private Demo(PrintStream out, int drivers, int events, int orders, long seed, String format, Path workDir) {
    this.out = out;
    this.drivers = drivers;
    this.events = events;
    this.orders = orders;
    this.seed = seed;
    this.format = format;
    this.workDir = workDir;
  }

  public static void main(String[] args) throws Exception {
    System.exit(run(args, System.out));
  }

  /** Runs the demo; 0 when everything it checked holds, 1 when something did not, 2 for bad arguments. */
  static int run(String[] args, PrintStream out) throws Exception {
    Demo demo;
    try {
      CommandLine line = new CommandLine(args,
          Set.of("--drivers", "--events", "--orders", "--seed", "--format", "--work-dir"), Set.of());
      String format = line.option("--format") == null ? "json" : line.option("--format");
      if (!format.equals("json") && !format.equals("avro") && !format.equals("protobuf")) {
        throw new CommandLine.UsageException("--format expects json, avro or protobuf, got '" + format + "'");
      }
      demo = new Demo(out,
          line.option("--drivers") == null ? 2_000 : line.positiveInt("--drivers"),
          line.option("--events") == null ? 200_000 : line.positiveInt("--events"),
          line.option("--orders") == null ? 2_000 : line.positiveInt("--orders"),
          line.option("--seed") == null ? 7 : line.positiveInt("--seed"),
          format,
          line.option("--work-dir") == null ? Files.createTempDirectory("iceberg-online-demo")
              : Files.createDirectories(Path.of(line.option("--work-dir"))));
    } catch (CommandLine.UsageException e) {
      System.err.println("error: " + e.getMessage());
      System.err.print(USAGE);
      return 2;
    }
    return demo.run() ? 0 : 1;
  }

  private boolean run() throws Exception {
    out.printf("iceberg-online demo: %,d driver events over %,d drivers, then %,d orders enriched by a lookup join"
        + " through the iceberg-online catalog%n",
        events, drivers, orders);
    LOG.debug("Demo work directory {}", workDir);
    progress("starting embedded Kafka (KRaft)");
    try (EmbeddedKafka kafka = quietly(EmbeddedKafka::start);
        SchemaRegistryStandIn registry = framed() ? new SchemaRegistryStandIn() : null) {
      if (registry != null) {
        this.registry = registry;
        this.schemaId = format.equals("avro") ? registry.register(EVENTS_TOPIC + "-value", GeneratedAvro.SCHEMA)
            : registry.registerProtobuf(EVENTS_TOPIC + "-value", GeneratedProtobuf.TYPE.getFile());
        progress("started a schema registry stand-in at " + registry.url() + " (driver events as " + formatName()
            + ", schema id " + schemaId + ")");
      }
      kafka.createTopic(EVENTS_TOPIC, 4);
      kafka.createTopic(DEAD_LETTER_TOPIC, 1);
      kafka.createTopic(ORDERS_TOPIC, 2);
      kafka.createTopic(ENRICHED_TOPIC, 1);
      progress("starting a Flink mini-cluster (1 task manager, 4 slots)");
      MiniCluster cluster = startCluster();
      try {
        return run(kafka);
      } finally {
        TestStreamEnvironment.unsetAsContext();
        cluster.close();
      }
    }
  }

  private boolean run(EmbeddedKafka kafka) throws Exception {
    Path warehouse = workDir.resolve("warehouse");
    Path configFile = workDir.resolve("job.yaml");
    Files.writeString(configFile, String.join("\n",
        "online_store:",
        "  type: iceberg",
        "  catalog_type: hadoop",
        "  warehouse: " + warehouse.toUri(),
        "  namespace: " + NAMESPACE,
        "kafka: { bootstrap_servers: \"" + kafka.bootstrapServers() + "\", group_id: iceberg-online-demo }",
        "dead_letter_topic: " + DEAD_LETTER_TOPIC,
        framed() ? "schema_registry: { url: \"" + registry.url() + "\" }" : "",
        "feature_views:",
        FeatureEventGenerator.featureViewYaml(EVENTS_TOPIC, 4)
            .replace("    buckets: 4\n", "    buckets: 4\n    format: " + format + "\n")));
    JobConfig config = JobConfigParser.load(configFile);
    progress("starting the materialization job (config " + configFile + ", checkpoint every "
        + CHECKPOINT_INTERVAL.toSeconds() + " s)");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    MaterializationJob.build(env, config, new MaterializeOptions(configFile, false, 2, CHECKPOINT_INTERVAL,
        MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS));
    JobClient materializer = env.executeAsync("iceberg-online materialize [driver_stats]");
    try {
      Catalog catalog = IcebergCatalogs.load(config.onlineStore());
      Table table = catalog.loadTable(OnlineTables.identifier(NAMESPACE, config.featureViews().get(0)));

      NewestRowOracle oracle = produceEvents(kafka);
      long lastProduced = System.nanoTime();
      Map<Object, Map<String, Object>> rows = awaitTable(table, oracle, materializer);
      double freshnessSeconds = (System.nanoTime() - lastProduced) / 1e9;
      boolean tableMatches = rows.equals(oracle.liveRows());
      progress(String.format(Locale.ROOT, "table complete %.1f s after the last event: %,d live rows (%s)",
          freshnessSeconds, rows.size(), tableMatches ? "equal to the newest event per driver" : "DIFFERENT from the newest event per driver"));

      Map<String, Long> driverOfOrder = produceOrders(kafka);
      progress(String.format(Locale.ROOT, "running sql/online_catalog.sql and sql/enrich_orders.sql on %,d orders",
          driverOfOrder.size()));
      runLookupJoin(kafka, warehouse);
      List<JsonNode> enriched = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> record : kafka.readCommitted(ENRICHED_TOPIC, Duration.ofSeconds(30))) {
        enriched.add(JSON.readTree(record.value()));
      }
      enriched.sort(Comparator.comparingInt(row -> Integer.parseInt(row.get("order_id").asText().substring(2))));
      printOrders(enriched);
      boolean servedMatches = printFeatureServerAnswer(config, rows);
      int wrong = wrongEnrichments(enriched, driverOfOrder, rows);
      long deadLetters = awaitDeadLetters(kafka, oracle.malformedCount());

      List<Snapshot> snapshots = new ArrayList<>();
      table.refresh();
      table.snapshots().forEach(snapshots::add);
      LookupStatistics.Summary lookups = LookupStatistics.summary();
      boolean deadLettersMatch = deadLetters == oracle.malformedCount();
      boolean ordersMatch = wrong == 0 && enriched.size() == driverOfOrder.size();

      out.println();
      out.println("Summary");
      line("events produced", String.format(Locale.ROOT, "%,d %s(%,d applied, %,d late or duplicate dropped)", events,
          framed() ? "as " + formatName() + " framed by a schema registry, schema id " + schemaId + " " : "",
          oracle.appliedCount(),
          oracle.staleCount()));
      line("dead-lettered", String.format(Locale.ROOT, "%,d in %s (%s)", deadLetters, DEAD_LETTER_TOPIC,
          deadLettersMatch ? "every malformed event" : "expected " + oracle.malformedCount()));
      line("Iceberg commits", String.format(Locale.ROOT, "%,d (one per checkpoint with changes)", snapshots.size()));
      line("live rows", String.format(Locale.ROOT, "%,d (%s)", rows.size(),
          tableMatches ? "equal to the newest event per driver" : "NOT equal to the newest event per driver"));
      line("feature server", servedMatches ? "get-online-features answers equal to the table"
          : "get-online-features answers NOT equal to the table");
      line("orders enriched", String.format(Locale.ROOT, "%,d of %,d (%,d without features; %s)", enriched.size(),
          driverOfOrder.size(), enriched.stream().filter(row -> row.get("conv_rate").isNull()).count(),
          ordersMatch ? "all equal to the table" : wrong + " wrong"));
      line("lookups", String.format(Locale.ROOT, "%,d (one per order: %,d answered by the cache, %,d by the live index, "
          + "%,d point reads on Iceberg)", enriched.size(), enriched.size() - lookups.lookups(), lookups.fromIndex(),
          lookups.lookups() - lookups.fromIndex()));
      line("lookup p50 / p99", String.format(Locale.ROOT, "%.3f ms / %.3f ms per lookup, %.2f files opened per lookup",
          lookups.p50Millis(), lookups.p99Millis(), lookups.filesPerLookup()));
      line("freshness", String.format(Locale.ROOT, "%.1f s from the last event to the complete table (checkpoint %d s)",
          freshnessSeconds, CHECKPOINT_INTERVAL.toSeconds()));
      line("warehouse", warehouse.toString());
      line("took", String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - started) / 1e9));
      return tableMatches && deadLettersMatch && ordersMatch && servedMatches;
    } finally {
      materializer.cancel().get();
    }
  }

  private interface Start<T> {
    T start() throws Exception;
  }

  /** Starts something whose start-up prints to standard output (Kafka's storage formatter does). */
  private static <T> T quietly(Start<T> start) throws Exception {
    PrintStream original = System.out;
    System.setOut(new PrintStream(java.io.OutputStream.nullOutputStream()));
    try {
      return start.start();
    } finally {
      System.setOut(original);
    }
  }

  private MiniCluster startCluster() throws Exception {
    Configuration flink = new Configuration();
    flink.set(ConfigOptions.key("metrics.reporter.demo.factory.class").stringType().noDefaultValue(),
        LookupStatistics.Factory.class.getName());
    MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
        .setConfiguration(flink).setNumTaskManagers(1).setNumSlotsPerTaskManager(4).build());
    cluster.start();
    TestStreamEnvironment.setAsContext(cluster, 2);
    return cluster;
  }

  /** Produces the driver events in waves, so that the job commits several times while they arrive. */
  private NewestRowOracle produceEvents(EmbeddedKafka kafka) throws InterruptedException {
    // event times run up to about now (the generator advances them by (1 + stepMillis) / 2 per event on
    // average), so the job's freshness lag is close to the real one
    FeatureEventGenerator.Settings settings = FeatureEventGenerator.Settings.defaults(seed, drivers);
    settings = settings.withStartMillis(System.currentTimeMillis() - events * (1 + settings.stepMillis()) / 2);
    FeatureEventGenerator generator = new FeatureEventGenerator(settings);
    NewestRowOracle oracle = new NewestRowOracle();
    int produced = 0;
    for (int wave = 1; wave <= WAVES; wave++) {
      int count = wave == WAVES ? events - produced : events / WAVES;
      List<GeneratedEvent> batch = generator.next(count);
      oracle.acceptAll(batch);
      if (framed()) {
        produceFramed(kafka, batch);
      } else {
        kafka.produce(EVENTS_TOPIC, batch);
      }
      produced += count;
      progress(String.format(Locale.ROOT, "produced %,d of %,d driver events (%,d malformed so far)", produced, events,
          oracle.malformedCount()));
      if (wave < WAVES) {
        Thread.sleep(CHECKPOINT_INTERVAL.toMillis() / 2);
      }
    }
    return oracle;
  }

  private boolean framed() {
    return !format.equals("json");
  }

  private String formatName() {
    return format.equals("avro") ? "Avro" : "Protobuf";
  }

  /**
   * The upserts as Avro records or Protobuf messages framed with the registry's schema id; deletes
   * and malformed events as they are.
   */
  private void produceFramed(EmbeddedKafka kafka, List<GeneratedEvent> batch) {
    try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      for (GeneratedEvent event : batch) {
        byte[] value = event.kind() != GeneratedEvent.Kind.UPSERT ? event.value()
            : format.equals("avro") ? registry.framed(schemaId, GeneratedAvro.record(GeneratedAvro.SCHEMA, event))
            : registry.framed(schemaId, GeneratedProtobuf.message(GeneratedProtobuf.TYPE, event));
        producer.send(new ProducerRecord<>(EVENTS_TOPIC, null, event.recordTimestamp(), event.key(), value));
      }
    }
  }

  /** Waits until the table holds the newest row of every driver (or the job fails, or a minute passes). */
  private Map<Object, Map<String, Object>> awaitTable(Table table, NewestRowOracle oracle, JobClient job)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Long seen = null;
    Map<Object, Map<String, Object>> rows = Map.of();
    while (System.nanoTime() < deadline) {
      if (job.getJobStatus().get().isTerminalState()) {
        job.getJobExecutionResult().get(); // throws the job's failure
      }
      table.refresh();
      Snapshot current = table.currentSnapshot();
      if (current != null && !Objects.equals(seen, current.snapshotId())) {
        seen = current.snapshotId();
        rows = TableRows.readByKey(table, "driver_id");
        if (rows.equals(oracle.liveRows())) {
          return rows;
        }
      }
      Thread.sleep(200);
    }
    return rows;
  }

  /**
   * The number of dead letters once all malformed events are there, or after 120 s: the job commits
   * its dead-letter transactions when a checkpoint completes, a little after the table's commit.
   */
  private static long awaitDeadLetters(EmbeddedKafka kafka, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    long count = kafka.readCommitted(DEAD_LETTER_TOPIC, Duration.ofSeconds(30)).size();
    while (count < expected && System.nanoTime() < deadline) {
      Thread.sleep(500);
      count = kafka.readCommitted(DEAD_LETTER_TOPIC, Duration.ofSeconds(30)).size();
    }
    return count;
  }

  /** Orders of random drivers, a tenth of them drivers the table does not know. */
  private Map<String, Long> produceOrders(EmbeddedKafka kafka) {
    Random random = new Random(seed);
    Map<String, Long> driverOfOrder = new HashMap<>();
    Instant now = Instant.now();
    try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      for (int i = 1; i <= orders; i++) {
        String order = "o-" + i;
        long driver = 1 + random.nextInt(drivers + drivers / 10);
        driverOfOrder.put(order, driver);
        String json = String.format(Locale.ROOT, "{\"order_id\":\"%s\",\"driver_id\":%d,\"amount\":%.2f,\"order_time\":\"%s\"}",
            order, driver, 5 + random.nextDouble() * 60, now.plusMillis(i));
        producer.send(new ProducerRecord<>(ORDERS_TOPIC, json.getBytes(StandardCharsets.UTF_8)));
      }
    }
    return driverOfOrder;
  }

  /**
   * Runs the catalog form of the lookup join from {@code sql/} (the catalog, then the enrichment that
   * joins the table it finds by name) with the SQL runner of the job jar, on the bounded order stream.
   */
  private void runLookupJoin(EmbeddedKafka kafka, Path warehouse) throws InterruptedException {
    Map<String, String> variables = Map.of(
        "CATALOG_TYPE", "hadoop",
        "WAREHOUSE", warehouse.toUri().toString(),
        "NAMESPACE", NAMESPACE,
        "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
        "ORDERS_STARTUP_MODE", "earliest-offset",
        "ORDERS_BOUNDED_MODE", "latest-offset",
        "CHECKPOINT_INTERVAL", CHECKPOINT_INTERVAL.toSeconds() + "s");
    SqlRunner runner = new SqlRunner(TableEnvironment.create(EnvironmentSettings.inStreamingMode()), variables::get);
    runner.run("sql/online_catalog.sql", resource("sql/online_catalog.sql"));
    runner.run("sql/enrich_orders.sql", resource("sql/enrich_orders.sql"));
    runner.awaitJobs();
  }

  private void printOrders(List<JsonNode> enriched) {
    out.println();
    out.printf("Enriched orders (first %d of %,d)%n", Math.min(ROWS_SHOWN, enriched.size()), enriched.size());
    String format = "  %-8s %9s %8s %10s %6s %-10s %-24s%n";
    out.printf(format, "order", "driver", "amount", "conv_rate", "trips", "city", "features as of");
    for (JsonNode row : enriched.subList(0, Math.min(ROWS_SHOWN, enriched.size()))) {
      out.printf(format, row.get("order_id").asText(), row.get("driver_id").asText(),
          String.format(Locale.ROOT, "%.2f", row.get("amount").asDouble()), text(row, "conv_rate", "%.4f"),
          text(row, "trips", "%d"), text(row, "city", "%s"), text(row, "features_as_of", "%s"));
    }
  }

  /**
   * Starts the Feast feature server on the job's config, asks it for two drivers and one never
   * written, prints its answer and tells whether the values equal the table's rows.
   */
  private boolean printFeatureServerAnswer(JobConfig config, Map<Object, Map<String, Object>> rows) throws Exception {
    long absent = drivers + 1L;
    String request = "{\"features\": [\"driver_stats:conv_rate\", \"driver_stats:city\"], "
        + "\"entities\": {\"driver_id\": [1, 2, " + absent + "]}}";
    try (FeatureServer server = FeatureServer.start(config, FeatureServerConfig.DEFAULTS.withPort(0))) {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/get-online-features"))
              .POST(HttpRequest.BodyPublishers.ofString(request)).build(),
          HttpResponse.BodyHandlers.ofString());
      out.println();
      out.println("Feast feature server: POST /get-online-features " + request);
      out.println("  " + response.body());
      JsonNode answer = JSON.readTree(response.body());
      boolean matches = response.statusCode() == 200;
      long[] ids = {1, 2, absent};
      for (int i = 0; i < ids.length; i++) {
        Map<String, Object> row = rows.get(ids[i]);
        matches &= Objects.equals(PlainJson.value(answer.at("/results/1/values/" + i)), row == null ? null : row.get("conv_rate"))
            && Objects.equals(PlainJson.value(answer.at("/results/2/values/" + i)), row == null ? null : row.get("city"));
      }
      return matches;
    }
  }

  private static String text(JsonNode row, String field, String format) {
    Object value = PlainJson.value(row.get(field));
    return value == null ? "-" : String.format(Locale.ROOT, format, value);
  }

  /** Enriched orders whose features differ from the driver's row in the table (or that are missing). */
  private int wrongEnrichments(List<JsonNode> enriched, Map<String, Long> driverOfOrder,
      Map<Object, Map<String, Object>> rows) {
    int wrong = 0;
    for (JsonNode row : enriched) {
      Map<String, Object> expected = rows.get(driverOfOrder.get(row.get("order_id").asText()));
      boolean matches = expected == null
          ? row.get("conv_rate").isNull() && row.get("city").isNull()
          : Objects.equals(PlainJson.value(row.get("conv_rate")), expected.get("conv_rate"))
              && Objects.equals(PlainJson.value(row.get("trips")), expected.get("trips"))
              && Objects.equals(PlainJson.value(row.get("city")), expected.get("city"))
              && TableRows.epochMicros(Instant.parse(row.get("features_as_of").asText()))
                  == (Long) expected.get("event_timestamp");
      if (!matches) {
        wrong++;
      }
    }
    return wrong;
  }

  private static String resource(String name) {
    try (InputStream in = Demo.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the demo jar has no " + name + "; rebuild it with mvn package");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void progress(String message) {
    out.printf(Locale.ROOT, "[%5.1f s] %s%n", (System.nanoTime() - started) / 1e9, message);
  }

  private void line(String name, String value) {
    out.printf("  %-18s %s%n", name, value);
  }
}
