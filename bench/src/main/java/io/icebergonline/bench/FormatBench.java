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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.Table;

/**
 * The same generated events as JSON, as Avro and Protobuf framed by a schema registry (a stand-in
 * of its REST API in this JVM, each schema id fetched once) and as Protobuf messages of a
 * descriptor set, each replayed in process through our parse into a discarding sink (the format's
 * source+decode ceiling) and through the whole pipeline to its last commit, back to back, each table
 * compared with the oracle. Every format runs once per round, in turn, for {@link Sizes#repeats()}
 * rounds, so a change of machine load lands on every format alike; the report gives each series'
 * median and spread.
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

  /** One run of one format: its ceiling and its pipeline, back to back. */
  record Result(String format, long events, double ceilingEventsPerSecond, double eventsPerSecond, long wrongKeys) {}

  /** A format under test: its name, view and encoded events. */
  private record Format(String name, FeatureViewSpec view, GeneratedInput input) {}

  void run() throws Exception {
    Progress.log("formats: generating %,d events over %,d keys (seed %d), %d round(s)", sizes.events(), sizes.keys(),
        Sizes.SEED, sizes.repeats());
    Map<String, List<Result>> results = new LinkedHashMap<>();
    try (GeneratedInput json = GeneratedInput.generate(Sizes.SEED, sizes.keys(), sizes.events());
        SchemaRegistryStandIn registry = new SchemaRegistryStandIn()) {
      Map<Long, Map<String, Object>> truth = json.oracle().liveRows();
      int avroId = registry.register(TOPIC + "-value", GeneratedAvro.SCHEMA);
      int protobufId = registry.registerProtobuf(TOPIC + "-value", GeneratedProtobuf.TYPE.getFile());
      Path descriptors = Files.createTempFile("driver", ".desc");
      Files.write(descriptors, GeneratedProtobuf.DESCRIPTOR_SET);
      try (GeneratedInput avro = json.encoded(event -> registry.framed(avroId,
              GeneratedAvro.record(GeneratedAvro.SCHEMA, event)));
          GeneratedInput protobuf = json.encoded(GeneratedProtobuf::message);
          GeneratedInput protobufFramed = json.encoded(event -> registry.framed(protobufId,
              GeneratedProtobuf.message(GeneratedProtobuf.TYPE, event)))) {
        List<Format> formats = List.of(
            new Format("JSON", view("json", "", registry), json),
            new Format("Avro (schema registry framing)", view("avro", "    format: avro\n", registry), avro),
            new Format("Protobuf (descriptor set)", view("protobuf", "    format: protobuf\n"
                + "    protobuf_descriptor_file: " + descriptors + "\n    protobuf_message: "
                + GeneratedProtobuf.MESSAGE + "\n", registry), protobuf),
            new Format("Protobuf (schema registry framing)", view("protobufframed", "    format: protobuf\n",
                registry), protobufFramed));
        // one unmeasured pass of each format first, so that no measured run pays for compiling its code
        if (sizes.warmsUp()) {
          for (Format format : formats) {
            run(format, "warmup", Math.min(400_000, sizes.events()), truth, false);
          }
        }
        for (int round = 1; round <= sizes.repeats(); round++) {
          for (Format format : formats) {
            results.computeIfAbsent(format.name(), name -> new ArrayList<>())
                .add(run(format, "r" + round, sizes.events(), truth, true));
          }
        }
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

  private Result run(Format format, String pass, int events, Map<Long, Map<String, Object>> truth,
      boolean measured) throws Exception {
    String namespace = "formats_" + format.name().replaceAll("[^A-Za-z]", "").toLowerCase(Locale.ROOT) + "_" + pass;
    MaterializeOptions options = new MaterializeOptions(Path.of("unused"), false, Sizes.PARALLELISM,
        sizes.materializeCheckpoint(), MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS);

    StreamExecutionEnvironment ceilingEnv = MaterializeBench.localEnvironment(catalog);
    MaterializationJob.buildParseOnly(ceilingEnv, catalog.store(namespace + "_ceiling"), format.view(),
        format.input().replay(ceilingEnv, Sizes.PARALLELISM, events), options);
    long ceilingMillis = ceilingEnv.execute("bench formats ceiling " + format.name())
        .getNetRuntime(TimeUnit.MILLISECONDS);

    StreamExecutionEnvironment env = MaterializeBench.localEnvironment(catalog);
    MaterializationJob.buildView(env, catalog.store(namespace), format.view(),
        format.input().replay(env, Sizes.PARALLELISM, events), options);
    JobExecutionResult result = env.execute("bench formats " + format.name());
    long finished = System.currentTimeMillis();
    Table table = catalog.load(namespace, format.view());
    long processed = table.currentSnapshot().timestampMillis() - (finished - result.getNetRuntime(TimeUnit.MILLISECONDS));
    long wrong = measured ? OracleComparison.of(table, truth).wrongKeys() : 0;
    Result outcome = new Result(format.name(), events, events * 1000.0 / ceilingMillis, events * 1000.0 / processed,
        wrong);
    Progress.log("formats: %s, %s: ceiling %,.0f events/s, ours %,.0f events/s (%.0f%% of its ceiling), %d keys wrong",
        format.name(), pass, outcome.ceilingEventsPerSecond(), outcome.eventsPerSecond(),
        100 * outcome.eventsPerSecond() / outcome.ceilingEventsPerSecond(), wrong);
    return outcome;
  }

  private void write(Map<String, List<Result>> results) {
    Report.Section section = report.section("Event formats");
    section.note("The same %,d generated events (%,d keys; late, duplicate, malformed, deletes) in each format, "
        + "replayed in process (no broker): the ceiling is our source + decode into a discarding sink, \"ours\" the "
        + "whole pipeline to its last commit (checkpoint %s), back to back per format. After one unmeasured warm-up "
        + "pass of each format, %d round(s) run every format in turn; figures are each series' median, with the "
        + "lowest and highest run beside it. Framed records are read with their writer schema, fetched once from a "
        + "stand-in of the registry's REST API in this JVM. Each table is compared with the oracle of the JSON events.",
        sizes.events(), sizes.keys(), sizes.materializeCheckpoint(), sizes.repeats());
    Report.ResultTable table = new Report.ResultTable("formats.csv", "Materialization by event format",
        "format", "events", "runs", "ceiling events/s (median)", "ceiling min-max", "ours events/s (median)",
        "ours min-max", "of its ceiling", "vs JSON", "keys differing from oracle");
    double jsonOurs = median(results.get("JSON"), Result::eventsPerSecond);
    double jsonCeiling = median(results.get("JSON"), Result::ceilingEventsPerSecond);
    results.forEach((format, runs) -> {
      double ceiling = median(runs, Result::ceilingEventsPerSecond);
      double ours = median(runs, Result::eventsPerSecond);
      table.add(format, runs.get(0).events(), runs.size(), Math.round(ceiling), spread(runs, Result::ceilingEventsPerSecond),
          Math.round(ours), spread(runs, Result::eventsPerSecond), ours / ceiling, ours / jsonOurs,
          runs.stream().mapToLong(Result::wrongKeys).sum());
      if (!format.equals("JSON")) {
        report.target("Formats", format + " materialization events/s ≥ the JSON path's",
            String.format(Locale.ROOT, "median %,.0f vs %,.0f events/s (%.2fx); ceilings %,.0f vs %,.0f", ours,
                jsonOurs, ours / jsonOurs, ceiling, jsonCeiling),
            ours >= jsonOurs && runs.stream().allMatch(run -> run.wrongKeys() == 0));
      }
    });
    section.tables().add(table);
  }

  private static double median(List<Result> runs, ToDoubleFunction<Result> figure) {
    double[] values = runs.stream().mapToDouble(figure).sorted().toArray();
    return values.length % 2 == 1 ? values[values.length / 2]
        : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
  }

  private static String spread(List<Result> runs, ToDoubleFunction<Result> figure) {
    return String.format(Locale.ROOT, "%,.0f-%,.0f", runs.stream().mapToDouble(figure).min().orElse(0),
        runs.stream().mapToDouble(figure).max().orElse(0));
  }
}
