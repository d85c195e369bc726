package io.icebergonline.bench;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.MaintenanceConfig;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.job.maintenance.MaintenanceReport;
import io.icebergonline.job.maintenance.OnlineTableMaintenance;
import io.icebergonline.job.pipeline.KafkaRecord;
import io.icebergonline.job.pipeline.MaterializationJob;
import io.icebergonline.job.pipeline.MaterializeOptions;
import io.icebergonline.testing.EmbeddedKafka;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.RowType;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.sink.FlinkSink;

/**
 * Materialization, same input, same run: the source+parse ceiling (our parse into a discarding
 * sink), our pipeline, Iceberg's stock Flink upsert sink (keyed by the table's hash distribution, no
 * newest-wins, no collapse) and the append-only Iceberg sink, each fed by the same in-process replay
 * of one generated input; then ours end to end from Kafka JSON. Every variant first runs unmeasured
 * on the first events, so that no measured run pays for compiling its code; then every variant runs
 * once per round, back to back, for {@link Sizes#repeats()} rounds, so that a change of machine load
 * lands on every variant alike, and the report gives each variant's median run with the spread.
 * Every figure is also reported as a fraction of the ceiling. Every variant is timed both to its last
 * commit and to the end of its job (which waits for Flink's final checkpoint, up to one interval).
 * Every table of ours is compared with the oracle, the stock upsert table in the first round; storage
 * is measured before and after our maintenance.
 */
final class MaterializeBench {
  /** A pipeline under test. */
  enum Variant {
    OURS("ours: newest wins + collapse + upsert sink", "materialize_ours"),
    STOCK_UPSERT("Iceberg stock upsert FlinkSink", "materialize_stock_upsert"),
    APPEND_ONLY("Iceberg append-only FlinkSink", "materialize_append"),
    CEILING("ceiling: same source + our parse, discarding sink", "materialize_ceiling"),
    OURS_FROM_KAFKA("ours, end to end from Kafka JSON", "materialize_kafka");

    final String label;
    final String namespace;

    Variant(String label, String namespace) {
      this.label = label;
      this.namespace = namespace;
    }
  }

  /**
   * One variant's run: how long it took and what it wrote.
   *
   * @param processedMillis from the job's start to its last commit: Iceberg's committer commits when
   *     its input ends, right after the writers have flushed the last rows, so this is when all input
   *     was processed, written and committed; for the ceiling, which commits nothing, the job's net
   *     runtime
   * @param netRuntimeMillis the job's net runtime: for a sink, also the wait after the last commit
   *     for Flink's final checkpoint (up to one interval)
   * @param round the round it ran in (1, 2, ...)
   * @param namespace where its table is (null for the ceiling)
   * @param cpuMillis CPU time of the JVM while the job ran (all of its threads, the embedded Kafka
   *     broker's too): what the pipeline cost, less dependent than the times on what else the
   *     machine runs
   */
  record Run(Variant variant, int round, String namespace, long events, long processedMillis,
      long netRuntimeMillis, long cpuMillis, WriteStats stats, OracleComparison comparison) {
    static Run discarded(Variant variant, int round, long events, long netRuntimeMillis, long cpuMillis) {
      return new Run(variant, round, null, events, netRuntimeMillis, netRuntimeMillis, cpuMillis, null, null);
    }

    double cpuMicrosPerEvent() {
      return cpuMillis * 1000.0 / events;
    }

    /** Events per second until all input was processed and committed: what the comparisons use. */
    double eventsPerSecond() {
      return events * 1000.0 / processedMillis;
    }

    double eventsPerSecondOfJob() {
      return events * 1000.0 / netRuntimeMillis;
    }

    double rowsWrittenPerEvent() {
      return stats.rowsWritten() / (double) events;
    }
  }

  /** The maintenance settings of the storage measurement: compact, keep only the current snapshot. */
  static final MaintenanceConfig COMPACT_ALL =
      new MaintenanceConfig(false, Duration.ofHours(1), Duration.ZERO, 1, Duration.ZERO, 128L * 1024 * 1024);

  /** Events of each variant's unmeasured warm-up run at most, and its checkpoint interval. */
  private static final int WARM_UP_EVENTS = 400_000;
  private static final Duration WARM_UP_CHECKPOINT = Duration.ofSeconds(1);
  /**
   * Warm-up passes (each variant once) go on until the JIT compiled for less than this share of a
   * pass's time, or {@link #WARM_UP_PASSES_AT_MOST} passes ran: one pass left the compiler busy
   * into the first measured round, which came out the slowest round for every variant.
   */
  private static final double WARM_UP_JIT_SHARE = 0.05;
  private static final int WARM_UP_PASSES_AT_MOST = 6;
  /**
   * Warm-up runs have round numbers up to this one (pass 1 is round 0, pass 2 round -1, ...; their
   * tables are namespaced with it, their figures dropped).
   */
  private static final int WARM_UP_ROUND = 0;
  private static final String TOPIC = "driver-stats";
  /** The variants fed by the in-process replay, in the order each pass and round runs them. */
  private static final List<Variant> REPLAYED =
      List.of(Variant.CEILING, Variant.OURS, Variant.STOCK_UPSERT, Variant.APPEND_ONLY);

  private final Sizes sizes;
  private final BenchCatalog catalog;
  private final Report report;
  private long liveKeys;
  private int warmUpPasses;
  private double lastWarmUpJitShare;

  MaterializeBench(Sizes sizes, BenchCatalog catalog, Report report) {
    this.sizes = sizes;
    this.catalog = catalog;
    this.report = report;
  }

  void run() throws Exception {
    Progress.log("materialize: generating %,d events over %,d keys (seed %d), %d round(s)", sizes.events(),
        sizes.keys(), Sizes.SEED, sizes.repeats());
    Map<Variant, List<Run>> runs = new LinkedHashMap<>();
    MaintenanceReport maintenance;
    try (GeneratedInput input = GeneratedInput.generate(Sizes.SEED, sizes.keys(), sizes.events())) {
      Progress.log("materialize: oracle has %,d live keys, %,d stale events, %,d malformed",
          input.oracle().liveRows().size(), input.oracle().staleCount(), input.oracle().malformedCount());
      Map<Long, Map<String, Object>> truth = input.oracle().liveRows();
      liveKeys = truth.size();
      int warmUpEvents = Math.min(WARM_UP_EVENTS, input.events().size());
      CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
      while (sizes.warmsUp()
          && (warmUpPasses == 0 || lastWarmUpJitShare >= WARM_UP_JIT_SHARE && warmUpPasses < WARM_UP_PASSES_AT_MOST)) {
        warmUpPasses++;
        long started = System.nanoTime();
        long compiledMillis = jit.getTotalCompilationTime();
        for (Variant variant : REPLAYED) {
          runReplayed(variant, WARM_UP_ROUND + 1 - warmUpPasses, input, warmUpEvents, WARM_UP_CHECKPOINT, truth);
        }
        lastWarmUpJitShare = (jit.getTotalCompilationTime() - compiledMillis) / ((System.nanoTime() - started) / 1e6);
        Progress.log("materialize: warm-up pass %d (not measured, every replayed variant on the first %,d events): "
            + "the JIT compiled for %.0f%% of it", warmUpPasses, warmUpEvents, lastWarmUpJitShare * 100);
      }
      for (int round = 1; round <= sizes.repeats(); round++) {
        for (Variant variant : REPLAYED) {
          runs.computeIfAbsent(variant, v -> new ArrayList<>()).add(
              runReplayed(variant, round, input, input.events().size(), sizes.materializeCheckpoint(), truth));
        }
      }
      runs.put(Variant.OURS_FROM_KAFKA, runFromKafka(input, truth));
      Run compacted = median(runs.get(Variant.OURS));
      Progress.log("materialize: maintenance of our table of round %d (compaction applying deletes, expiry, orphans)",
          compacted.round());
      maintenance = OnlineTableMaintenance.run(() -> catalog.load(compacted.namespace(), view(compacted.namespace())),
          COMPACT_ALL, "bench");
      Progress.log("materialize: %s", maintenance.describe());
    }
    writeResults(runs, maintenance);
  }

  /**
   * One run of a replayed variant on the first {@code events} events. Its table (if any) lives in a
   * namespace of its own for the round; rounds up to {@link #WARM_UP_ROUND} are not measured.
   */
  private Run runReplayed(Variant variant, int round, GeneratedInput input, int events, Duration checkpoint,
      Map<Long, Map<String, Object>> truth) throws Exception {
    String namespace = variant.namespace + (round <= WARM_UP_ROUND ? "_w" + (WARM_UP_ROUND + 1 - round) : "_r" + round);
    Progress.log("materialize: %s, %s, %,d events, parallelism %d, checkpoint %s", variant.label,
        round <= WARM_UP_ROUND ? "warm-up" : "round " + round, events, Sizes.PARALLELISM, checkpoint);
    StreamExecutionEnvironment env = localEnvironment(catalog);
    FeatureViewSpec view = view(namespace);
    OnlineStoreConfig store = catalog.store(namespace);
    DataStream<KafkaRecord> records = input.replay(env, Sizes.PARALLELISM, events);
    MaterializeOptions options = new MaterializeOptions(Path.of("unused"), false, Sizes.PARALLELISM, checkpoint,
        MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS);
    if (variant == Variant.CEILING) {
      MaterializationJob.buildParseOnly(env, store, view, records, options);
      long cpu = Machine.processCpuNanos();
      long millis = env.execute("bench " + variant.name()).getNetRuntime(TimeUnit.MILLISECONDS);
      Run run = Run.discarded(variant, round, events, millis, (Machine.processCpuNanos() - cpu) / 1_000_000);
      Progress.log("materialize: %s: %,d events in %.1f s = %,.0f events/s; CPU %.1f s = %.2f µs per event",
          variant.label, run.events(), millis / 1000.0, run.eventsPerSecond(), run.cpuMillis() / 1000.0,
          run.cpuMicrosPerEvent());
      return run;
    }
    if (variant == Variant.OURS) {
      MaterializationJob.buildView(env, store, view, records, options);
    } else {
      env.setParallelism(Sizes.PARALLELISM);
      env.enableCheckpointing(checkpoint.toMillis(), CheckpointingMode.EXACTLY_ONCE);
      Table table = catalog.create(namespace, view);
      boolean upsert = variant == Variant.STOCK_UPSERT;
      if (!upsert) {
        // a plain append table: same schema, partitioning and sort, but no key and no upsert default
        table.updateSchema().setIdentifierFields(List.of()).commit();
        table.updateProperties().set(TableProperties.UPSERT_ENABLED, "false").commit();
      }
      RowType tableRow = FlinkSchemaUtil.convert(table.schema());
      DataStream<RowData> rows = records
          .flatMap(new BaselineRowParser(tableRow, BenchCatalog.KEY_COLUMN, upsert))
          .returns(InternalTypeInfo.of(tableRow))
          .name("parse JSON (baseline)");
      FlinkSink.Builder sink = FlinkSink.forRowData(rows)
          .tableLoader(tableLoader(store, view))
          .writeParallelism(Sizes.PARALLELISM);
      if (upsert) {
        sink.upsert(true).equalityFieldColumns(List.of(BenchCatalog.KEY_COLUMN));
      } else {
        sink.upsert(false);
      }
      sink.append();
    }
    long cpu = Machine.processCpuNanos();
    JobExecutionResult result = env.execute("bench " + variant.name());
    // every table of ours is compared; the stock upsert table in the first round only (its read applies
    // millions of position deletes and takes longer than its run)
    boolean compare = round > WARM_UP_ROUND
        && (variant == Variant.OURS || (variant == Variant.STOCK_UPSERT && round == 1));
    return measure(variant, round, namespace, events, result, System.currentTimeMillis(),
        Machine.processCpuNanos() - cpu, compare ? truth : null);
  }

  /**
   * Ours end to end from an embedded Kafka broker: the events produced once, then read by one run per
   * round, each under a consumer group and into a table of its own.
   */
  private List<Run> runFromKafka(GeneratedInput input, Map<Long, Map<String, Object>> truth) throws Exception {
    Variant variant = Variant.OURS_FROM_KAFKA;
    List<Run> runs = new ArrayList<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic(TOPIC, Sizes.PARALLELISM);
      kafka.createTopic(TOPIC + "-dlq", 1);
      Progress.log("materialize: producing %,d events to embedded Kafka (not timed)", input.events().size());
      long produceStarted = System.nanoTime();
      kafka.produce(TOPIC, input.events());
      Progress.log("materialize: produced in %d s", (System.nanoTime() - produceStarted) / 1_000_000_000);
      for (int round = 1; round <= sizes.repeats(); round++) {
        String namespace = variant.namespace + "_r" + round;
        Progress.log("materialize: %s, round %d", variant.label, round);
        JobConfig config = catalog.driverStatsConfig(namespace, kafka.bootstrapServers(), TOPIC, namespace);
        StreamExecutionEnvironment env = localEnvironment(catalog);
        MaterializationJob.build(env, config, new MaterializeOptions(Path.of("unused"), true, Sizes.PARALLELISM,
            sizes.materializeCheckpoint(), MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS));
        long cpu = Machine.processCpuNanos();
        JobExecutionResult result = env.execute("bench " + variant.name());
        runs.add(measure(variant, round, namespace, input.events().size(), result, System.currentTimeMillis(),
            Machine.processCpuNanos() - cpu, truth));
      }
    }
    return runs;
  }

  /**
   * {@code finished}: System.currentTimeMillis() when the job returned; {@code cpuNanos}: CPU time
   * while it ran; {@code truth}: the oracle to compare the table with, or null not to compare.
   */
  private Run measure(Variant variant, int round, String namespace, long events, JobExecutionResult result,
      long finished, long cpuNanos, Map<Long, Map<String, Object>> truth) {
    long millis = result.getNetRuntime(TimeUnit.MILLISECONDS);
    Table table = catalog.load(namespace, view(namespace));
    WriteStats stats = WriteStats.of(table);
    long processed = table.currentSnapshot().timestampMillis() - (finished - millis);
    Progress.log("materialize: %s: %,d events in %.1f s to the last commit = %,.0f events/s (job %.1f s); "
            + "CPU %.1f s = %.2f µs per event; %d commits, %.2f rows written per event", variant.label, events,
        processed / 1000.0, events * 1000.0 / processed, millis / 1000.0, cpuNanos / 1e9, cpuNanos / 1e3 / events,
        stats.commits(), stats.rowsWritten() / (double) events);
    OracleComparison comparison = null;
    if (truth != null) {
      Progress.log("materialize: comparing %s with the oracle (Iceberg generic reader)", variant.label);
      comparison = OracleComparison.of(table, truth);
      Progress.log("materialize: %s: %,d live rows, %,d keys differ from the oracle", variant.label,
          comparison.tableRows(), comparison.wrongKeys());
    }
    return new Run(variant, round, namespace, events, processed, millis, cpuNanos / 1_000_000, stats, comparison);
  }

  /** The run with the median events/s (of an even number, the lower of the middle two). */
  static Run median(List<Run> runs) {
    List<Run> sorted = new ArrayList<>(runs);
    sorted.sort(Comparator.comparingDouble(Run::eventsPerSecond));
    return sorted.get((sorted.size() - 1) / 2);
  }

  private static String spread(List<Run> runs) {
    return String.format(Locale.ROOT, "%,.0f–%,.0f", runs.stream().mapToDouble(Run::eventsPerSecond).min().orElse(0),
        runs.stream().mapToDouble(Run::eventsPerSecond).max().orElse(0));
  }

  private void writeResults(Map<Variant, List<Run>> allRuns, MaintenanceReport maintenance) {
    Map<Variant, Run> runs = new LinkedHashMap<>();
    allRuns.forEach((variant, list) -> runs.put(variant, median(list)));
    Report.Section section = report.section("Materialization");
    section.note("Input: %,d events over %,d keys, Zipf-skewed keys (s = %.1f), 5%% late (up to 60 s), 2%% exact "
            + "duplicates, 1%% malformed, 1%% tombstones; generated in-process with seed %d. Truth: `NewestRowOracle`.",
        sizes.events(), sizes.keys(), Sizes.ZIPF_EXPONENT, Sizes.SEED);
    section.note("Parallelism %d, checkpoint every %s, %d buckets, tables in a local Hadoop-catalog warehouse "
        + "(local disk, no object-store mock).", Sizes.PARALLELISM, sizes.materializeCheckpoint(), Sizes.BUCKETS);
    section.note("The first four share one in-process source: the generated records replayed by one reader in "
        + "order, each routed to the partition Kafka's default partitioner gives its key (per-key order kept, as "
        + "from Kafka). The baselines parse the same JSON with Jackson before Iceberg's `FlinkSink` (upsert with "
        + "equality field `driver_id`, the table's hash distribution; append-only: the same table without identifier "
        + "fields and upsert default, tombstones dropped). Ours from Kafka reads the same events, produced once to an "
        + "embedded broker, under a new consumer group each round.");
    section.note("Runs: every replayed variant first ran unmeasured on the first %,d events (1 s checkpoints), so "
        + "that no measured run pays for compiling its code, in passes until the JIT compiled for less than %.0f%% "
        + "of a pass (%d pass(es), at most %d; in the last, the JIT's threads compiled for %.0f%% of its time); "
        + "then %d round(s) ran the ceiling, ours, the stock upsert and the append-only sink back to back, each run "
        + "on a fresh table; the Kafka runs followed. Each row below is the variant's median run (by events/s), "
        + "with the lowest and highest beside it; every run is in [materialize-runs.csv](materialize-runs.csv). "
        + "Keys differing: every table of ours is compared with the "
        + "oracle (the worst run is shown), the stock upsert table of the first round only (reading it applies "
        + "millions of position deletes).", Math.min(WARM_UP_EVENTS, sizes.events()), WARM_UP_JIT_SHARE * 100,
        warmUpPasses, WARM_UP_PASSES_AT_MOST, lastWarmUpJitShare * 100, sizes.repeats());
    section.note("Events/s = events / the time from the job's start (its net runtime counted back from its end, so "
        + "task deployment is in) to its last commit: Iceberg's committer commits when its input ends, right after "
        + "the writers flush the last rows, so that is when all input was processed, written and committed. Job "
        + "events/s = events / the job's net runtime, which adds the wait after that commit for Flink's final "
        + "checkpoint (up to one interval; it distorts short runs). CPU = CPU time of the bench's JVM while the job "
        + "ran (every pipeline thread, the mini-cluster, GC, JIT; for the Kafka runs the embedded broker too): on a "
        + "machine shared with other work it varies less than the times do.");
    section.note("Ceiling: the same replayed source and our parse (JSON to versioned row, dead letters to a side "
        + "output) into a discarding sink, no state, no write; \"of ceiling\" = median events/s / the ceiling's "
        + "median events/s; its time is its net runtime (nothing to commit).");
    double ceiling = runs.get(Variant.CEILING).eventsPerSecond();
    Report.ResultTable table = new Report.ResultTable("materialize.csv", "Materialization runs (median of each variant)",
        "pipeline", "events", "runs", "to last commit s", "events/s", "events/s lowest–highest", "of ceiling",
        "job runtime s", "job events/s", "CPU s", "CPU µs per event",
        "commits", "data rows", "equality-delete rows", "position-delete rows",
        "rows written per event", "data files", "delete files", "files per commit", "live table bytes",
        "store bytes", "rows in live files", "keys differing from oracle", "stale", "missing", "resurrected", "duplicated");
    for (Run run : runs.values()) {
      List<Run> variantRuns = allRuns.get(run.variant());
      WriteStats s = run.stats();
      if (s == null) {
        table.add(run.variant().label, run.events(), variantRuns.size(), run.processedMillis() / 1000.0,
            Math.round(run.eventsPerSecond()), spread(variantRuns), 1.0, run.netRuntimeMillis() / 1000.0,
            Math.round(run.eventsPerSecondOfJob()), run.cpuMillis() / 1000.0, run.cpuMicrosPerEvent(), "", "", "", "",
            "", "", "", "", "", "", "", "n/a (discarded)", "", "", "", "");
        continue;
      }
      OracleComparison c = worstComparison(variantRuns);
      table.add(run.variant().label, run.events(), variantRuns.size(), run.processedMillis() / 1000.0,
          Math.round(run.eventsPerSecond()), spread(variantRuns), run.eventsPerSecond() / ceiling,
          run.netRuntimeMillis() / 1000.0, Math.round(run.eventsPerSecondOfJob()),
          run.cpuMillis() / 1000.0, run.cpuMicrosPerEvent(), s.commits(), s.dataRows(), s.equalityDeleteRows(),
          s.positionDeleteRows(), run.rowsWrittenPerEvent(),
          s.dataFiles(), s.deleteFiles(), s.filesPerCommit(), s.liveBytes(), s.storeBytes(), s.liveRows(),
          c == null ? "n/a (append-only)" : c.wrongKeys(), c == null ? "" : c.staleKeys(),
          c == null ? "" : c.missingKeys(), c == null ? "" : c.extraKeys(), c == null ? "" : c.duplicateKeys());
    }
    section.tables().add(table);
    Report.ResultTable each = new Report.ResultTable("materialize-runs.csv", "Every measured run", "pipeline",
        "round", "events/s", "of the round's ceiling", "CPU µs per event", "rows written per event",
        "keys differing from oracle");
    for (List<Run> variantRuns : allRuns.values()) {
      for (Run run : variantRuns) {
        Run roundCeiling = allRuns.get(Variant.CEILING).get(Math.min(run.round(), sizes.repeats()) - 1);
        each.add(run.variant().label, run.round(), Math.round(run.eventsPerSecond()),
            run.eventsPerSecond() / roundCeiling.eventsPerSecond(), run.cpuMicrosPerEvent(),
            run.stats() == null ? "" : run.rowsWrittenPerEvent(),
            run.comparison() == null ? "" : run.comparison().wrongKeys());
      }
    }
    section.tables().add(each);

    Map<String, Double> eventsPerSecond = new LinkedHashMap<>();
    Map<String, Double> rowsPerEvent = new LinkedHashMap<>();
    runs.values().forEach(run -> {
      eventsPerSecond.put(run.variant().label, (double) Math.round(run.eventsPerSecond()));
      if (run.stats() != null) {
        rowsPerEvent.put(run.variant().label, run.rowsWrittenPerEvent());
      }
    });
    section.charts().add(new Report.BarChart("materialize-throughput.svg", "Materialization throughput", "events/s",
        eventsPerSecond));
    section.charts().add(new Report.BarChart("materialize-rows-per-event.svg", "Rows written per event",
        "data + delete rows / event", rowsPerEvent));

    Run ours = runs.get(Variant.OURS);
    Run stock = runs.get(Variant.STOCK_UPSERT);
    Run kafka = runs.get(Variant.OURS_FROM_KAFKA);
    long kafkaWorst = worstComparison(allRuns.get(Variant.OURS_FROM_KAFKA)).wrongKeys();
    double speedup = ours.eventsPerSecond() / stock.eventsPerSecond();
    double ofCeiling = ours.eventsPerSecond() / ceiling;
    report.target("Materialization", "≥ 75% of the source+parse ceiling",
        String.format("%.0f%% (medians of %d runs: %,.0f vs %,.0f events/s; stock upsert %.0f%%)", 100 * ofCeiling,
            allRuns.get(Variant.OURS).size(), ours.eventsPerSecond(), ceiling, 100 * stock.eventsPerSecond() / ceiling),
        ofCeiling >= 0.75);
    report.target("Materialization", "≥ 2.5x the stock upsert sink's events/s",
        String.format("%.2fx (medians: %,.0f vs %,.0f events/s)", speedup, ours.eventsPerSecond(),
            stock.eventsPerSecond()),
        speedup >= 2.5);
    report.target("Materialization", "≤ 0.25 rows written per event",
        String.format("%.3f (stock upsert: %.3f)", ours.rowsWrittenPerEvent(), stock.rowsWrittenPerEvent()),
        ours.rowsWrittenPerEvent() <= 0.25);
    OracleComparison oursWorst = worstComparison(allRuns.get(Variant.OURS));
    report.target("Materialization", "zero stale keys (table = oracle)",
        String.format("%d keys differ in the worst of %d runs (stock upsert: %d)", oursWorst.wrongKeys(),
            allRuns.get(Variant.OURS).size(), worstComparison(allRuns.get(Variant.STOCK_UPSERT)).wrongKeys()),
        oursWorst.wrongKeys() == 0);
    report.target("Materialization", "end to end from Kafka JSON ≥ 300k events/s",
        String.format("median %,.0f events/s of %d runs (%s; %.0f%% of the replayed ceiling), %d keys differ from "
                + "the oracle in the worst", kafka.eventsPerSecond(), allRuns.get(Variant.OURS_FROM_KAFKA).size(),
            spread(allRuns.get(Variant.OURS_FROM_KAFKA)), 100 * kafka.eventsPerSecond() / ceiling, kafkaWorst),
        kafka.eventsPerSecond() >= 300_000 && kafkaWorst == 0);

    writeStorage(runs, maintenance);
  }

  /** Of the runs whose table was compared with the oracle, the comparison with the most differing keys. */
  private static OracleComparison worstComparison(List<Run> runs) {
    return runs.stream().map(Run::comparison).filter(Objects::nonNull)
        .max(Comparator.comparingLong(OracleComparison::wrongKeys)).orElse(null);
  }

  private void writeStorage(Map<Variant, Run> runs, MaintenanceReport maintenance) {
    Report.Section section = report.section("Storage");
    long compacted = maintenance.after().liveBytes();
    section.note("Denominator (\"one live row per key\"): our table after maintenance, i.e. the %,d live rows "
            + "compacted into %d data files without deletes = %,d bytes (%.1f bytes per row).", liveKeys,
        maintenance.after().dataFiles(), compacted, compacted / (double) Math.max(1, liveKeys));
    section.note("Live = files of the current snapshot; store = every file under the table location (all "
        + "snapshots' data, deletes, manifests, metadata). Maintenance: compaction applying deletes, expiry keeping "
        + "the last snapshot, orphan removal; it took %d ms rewriting, %d ms expiring, %d ms removing orphans.",
        maintenance.durations().rewriteMillis(), maintenance.durations().expireMillis(),
        maintenance.durations().orphanMillis());
    Report.ResultTable table = new Report.ResultTable("storage.csv", "Table size relative to one live row per key",
        "table", "when", "data files", "delete files", "live bytes", "store bytes", "live / one row per key",
        "store / one row per key");
    for (Run run : runs.values()) {
      WriteStats s = run.stats();
      if (s == null) {
        continue;
      }
      table.add(run.variant().label, "after the run", s.dataFiles(), s.deleteFiles(), s.liveBytes(), s.storeBytes(),
          s.liveBytes() / (double) compacted, s.storeBytes() / (double) compacted);
    }
    MaintenanceReport.TableState after = maintenance.after();
    table.add(Variant.OURS.label, "after maintenance", after.dataFiles(), after.deleteFiles(), after.liveBytes(),
        after.storeBytes(), after.liveBytes() / (double) compacted, after.storeBytes() / (double) compacted);
    section.tables().add(table);
    Map<String, Double> ratios = new LinkedHashMap<>();
    for (Run run : runs.values()) {
      if (run.stats() != null) {
        ratios.put(run.variant().label, run.stats().storeBytes() / (double) compacted);
      }
    }
    ratios.put(Variant.OURS.label + ", after maintenance", after.storeBytes() / (double) compacted);
    section.charts().add(new Report.BarChart("storage.svg", "Store bytes relative to one live row per key", "ratio",
        ratios));
  }

  private FeatureViewSpec view(String namespace) {
    return catalog.driverStatsConfig(namespace, "unused:9092", TOPIC).featureViews().get(0);
  }

  private static TableLoader tableLoader(OnlineStoreConfig store, FeatureViewSpec view) {
    return TableLoader.fromCatalog(
        CatalogLoader.custom(store.catalogName(), IcebergCatalogs.catalogProperties(store),
            new org.apache.hadoop.conf.Configuration(), store.catalogType().catalogImpl()),
        OnlineTables.identifier(store.namespace(), view));
  }

  /** A local mini-cluster environment with a slot per subtask and no restarts (a failure fails the run). */
  static StreamExecutionEnvironment localEnvironment(BenchCatalog catalog) {
    return localEnvironment(catalog, new Configuration());
  }

  /** A local environment with the benchmarks' settings over {@code configuration}'s. */
  static StreamExecutionEnvironment localEnvironment(BenchCatalog catalog, Configuration configuration) {
    return localEnvironment(catalog, configuration, Sizes.PARALLELISM);
  }

  /** The same with {@code parallelism} slots and default parallelism. */
  static StreamExecutionEnvironment localEnvironment(BenchCatalog catalog, Configuration configuration,
      int parallelism) {
    configuration.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    configuration.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    if (!configuration.contains(CheckpointingOptions.CHECKPOINTS_DIRECTORY)) {
      configuration.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, catalog.checkpoints().toUri().toString());
    }
    return StreamExecutionEnvironment.createLocalEnvironment(parallelism, configuration);
  }
}
