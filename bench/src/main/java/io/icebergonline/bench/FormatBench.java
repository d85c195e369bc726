package io.icebergonline.bench;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.job.pipeline.MaterializationJob;
import io.icebergonline.job.pipeline.MaterializeOptions;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedAvro;
import io.icebergonline.testing.GeneratedProtobuf;
import io.icebergonline.testing.SchemaRegistryStandIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.Table;

/**
 * The same generated events as JSON, as Avro framed by a schema registry (a stand-in of its REST
 * API in this JVM, each schema id fetched once) and as Protobuf messages, each replayed in process
 * through our parse into a discarding sink (the format's source+decode ceiling) and through the
 * whole pipeline to its last commit, back to back, each table compared with the oracle.
 */
final class FormatBench {
  private static final String TOPIC = "driver_stats";

  private final Sizes sizes;
  private final BenchCatalog catalog;
  private final Report report;

  FormatBench(Sizes sizes, BenchCatalog catalog, Report report) {
    this.sizes = sizes;
    this.catalog = catalog;
    this.report = report;
  }

  /** One format's two runs. */
  record Result(String format, long events, double ceilingEventsPerSecond, double eventsPerSecond, long wrongKeys) {}

  void run() throws Exception {
    Progress.log("formats: generating %,d events over %,d keys (seed %d)", sizes.events(), sizes.keys(), Sizes.SEED);
    List<Result> results = new ArrayList<>();
    try (GeneratedInput json = GeneratedInput.generate(Sizes.SEED, sizes.keys(), sizes.events());
        SchemaRegistryStandIn registry = new SchemaRegistryStandIn()) {
      Map<Long, Map<String, Object>> truth = json.oracle().liveRows();
      int schemaId = registry.register(TOPIC + "-value", GeneratedAvro.SCHEMA);
      Path descriptors = Files.createTempFile("driver", ".desc");
      Files.write(descriptors, GeneratedProtobuf.DESCRIPTOR_SET);
      try (GeneratedInput avro = json.encoded(event -> registry.framed(schemaId,
              GeneratedAvro.record(GeneratedAvro.SCHEMA, event)));
          GeneratedInput protobuf = json.encoded(GeneratedProtobuf::message)) {
        // one unmeasured pass first, so that no measured run pays for compiling the shared code
        run("warm-up", view("json", "", registry), json, Math.min(400_000, sizes.events()), truth, false);
        results.add(run("JSON", view("json", "", registry), json, sizes.events(), truth, true));
        results.add(run("Avro (schema registry framing)", view("avro", "    format: avro\n", registry), avro,
            sizes.events(), truth, true));
        results.add(run("Protobuf (descriptor set)", view("protobuf", "    format: protobuf\n"
                + "    protobuf_descriptor_file: " + descriptors + "\n    protobuf_message: " + GeneratedProtobuf.MESSAGE
                + "\n", registry), protobuf, sizes.events(), truth, true));
      } finally {
        Files.deleteIfExists(descriptors);
      }
    }
    write(results);
  }

  private FeatureViewSpec view(String namespace, String formatLines, SchemaRegistryStandIn registry) {
    String yaml = String.join("\n",
        "online_store: { type: iceberg, catalog_type: hadoop, catalog_name: " + BenchCatalog.CATALOG_NAME
            + ", warehouse: \"" + catalog.warehouse().toUri() + "\", namespace: formats_" + namespace + " }",
        "kafka: { bootstrap_servers: \"unused:9092\" }",
        "dead_letter_topic: unused",
        "schema_registry: { url: \"" + registry.url() + "\" }",
        "feature_views:",
        FeatureEventGenerator.featureViewYaml(TOPIC, Sizes.BUCKETS)
            .replace("    buckets: " + Sizes.BUCKETS + "\n", "    buckets: " + Sizes.BUCKETS + "\n" + formatLines));
    return JobConfigParser.parse(yaml, name -> null).featureViews().get(0);
  }

  private Result run(String format, FeatureViewSpec view, GeneratedInput input, int events,
      Map<Long, Map<String, Object>> truth, boolean measured) throws Exception {
    String namespace = "formats_" + format.replaceAll("[^A-Za-z]", "").toLowerCase(Locale.ROOT)
        + (measured ? "" : "_warm_up");
    MaterializeOptions options = new MaterializeOptions(Path.of("unused"), false, Sizes.PARALLELISM,
        sizes.materializeCheckpoint(), MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS);

    StreamExecutionEnvironment ceilingEnv = MaterializeBench.localEnvironment(catalog);
    MaterializationJob.buildParseOnly(ceilingEnv, catalog.store(namespace + "_ceiling"), view,
        input.replay(ceilingEnv, Sizes.PARALLELISM, events), options);
    long ceilingMillis = ceilingEnv.execute("bench formats ceiling " + format).getNetRuntime(TimeUnit.MILLISECONDS);

    StreamExecutionEnvironment env = MaterializeBench.localEnvironment(catalog);
    MaterializationJob.buildView(env, catalog.store(namespace), view, input.replay(env, Sizes.PARALLELISM, events),
        options);
    JobExecutionResult result = env.execute("bench formats " + format);
    long finished = System.currentTimeMillis();
    Table table = catalog.load(namespace, view);
    long processed = table.currentSnapshot().timestampMillis() - (finished - result.getNetRuntime(TimeUnit.MILLISECONDS));
    long wrong = measured ? OracleComparison.of(table, truth).wrongKeys() : 0;
    Result outcome = new Result(format, events, events * 1000.0 / ceilingMillis, events * 1000.0 / processed, wrong);
    Progress.log("formats: %s: ceiling %,.0f events/s, ours %,.0f events/s (%.0f%% of its ceiling), %d keys wrong",
        format, outcome.ceilingEventsPerSecond(), outcome.eventsPerSecond(),
        100 * outcome.eventsPerSecond() / outcome.ceilingEventsPerSecond(), wrong);
    return outcome;
  }

  private void write(List<Result> results) {
    Report.Section section = report.section("Event formats");
    section.note("The same %,d generated events (%,d keys; late, duplicate, malformed, deletes) in each format, "
        + "replayed in process (no broker): the ceiling is our source + decode into a discarding sink, \"ours\" the "
        + "whole pipeline to its last commit (checkpoint %s), back to back per format, after one unmeasured warm-up "
        + "pass. Avro records carry the registry's framing and are read with their writer schema, fetched once from a "
        + "stand-in of the registry's REST API in this JVM. Each table is compared with the oracle of the JSON events.",
        sizes.events(), sizes.keys(), sizes.materializeCheckpoint());
    Report.ResultTable table = new Report.ResultTable("formats.csv", "Materialization by event format",
        "format", "events", "ceiling events/s", "ours events/s", "of its ceiling", "vs JSON", "keys differing from oracle");
    Result json = results.get(0);
    for (Result result : results) {
      table.add(result.format(), result.events(), Math.round(result.ceilingEventsPerSecond()),
          Math.round(result.eventsPerSecond()), result.eventsPerSecond() / result.ceilingEventsPerSecond(),
          result.eventsPerSecond() / json.eventsPerSecond(), result.wrongKeys());
    }
    section.tables().add(table);
    for (Result result : results.subList(1, results.size())) {
      report.target("Formats", result.format() + " materialization events/s ≥ the JSON path's",
          String.format(Locale.ROOT, "%,.0f vs %,.0f events/s (%.2fx); ceilings %,.0f vs %,.0f",
              result.eventsPerSecond(), json.eventsPerSecond(), result.eventsPerSecond() / json.eventsPerSecond(),
              result.ceilingEventsPerSecond(), json.ceilingEventsPerSecond()),
          result.eventsPerSecond() >= json.eventsPerSecond() && result.wrongKeys() == 0);
    }
  }
}
