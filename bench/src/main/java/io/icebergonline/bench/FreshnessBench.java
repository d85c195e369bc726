package io.icebergonline.bench;

import io.icebergonline.core.JobConfig;
import io.icebergonline.job.pipeline.MaterializationJob;
import io.icebergonline.job.pipeline.MaterializeOptions;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.iceberg.Table;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Freshness: a marker event produced to Kafka → its value returned by a lookup through the
 * connector. Our job runs unbounded from embedded Kafka (checkpoint {@value #CHECKPOINT_SECONDS} s)
 * under a steady background load of generated events; the connector (uncached, refresh 1 s) polls
 * each marker's key until the marker's value shows.
 */
final class FreshnessBench {
  private static final int CHECKPOINT_SECONDS = 5;
  private static final String NAMESPACE = "freshness";
  private static final String TOPIC = "freshness";
  private static final int BACKGROUND_EVENTS_PER_SECOND = 5_000;
  private static final long MARKER_INTERVAL_MILLIS = 1_000;
  private static final long POLL_MILLIS = 20;
  /** Marker keys lie above the generated keys, so only markers write them. */
  private static final long FIRST_MARKER_KEY = 10_000_000L;

  private final Sizes sizes;
  private final BenchCatalog catalog;
  private final Report report;

  FreshnessBench(Sizes sizes, BenchCatalog catalog, Report report) {
    this.sizes = sizes;
    this.catalog = catalog;
    this.report = report;
  }

  void run() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic(TOPIC, Sizes.PARALLELISM);
      kafka.createTopic(TOPIC + "-dlq", 1);
      JobConfig config = catalog.driverStatsConfig(NAMESPACE, kafka.bootstrapServers(), TOPIC);
      Table table = catalog.create(NAMESPACE, config.featureViews().get(0));
      StreamExecutionEnvironment env = MaterializeBench.localEnvironment(catalog);
      MaterializationJob.build(env, config, new MaterializeOptions(Path.of("unused"), false, Sizes.PARALLELISM,
          Sizes.FRESHNESS_CHECKPOINT, MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS));
      JobClient job = env.executeAsync("bench freshness");
      AtomicBoolean producing = new AtomicBoolean(true);
      Thread background = new Thread(() -> produceBackground(kafka, producing), "background-load");
      background.start();
      try {
        awaitFirstCommit(table, job);
        Histogram millis = measure(kafka, table);
        writeResults(millis);
      } finally {
        producing.set(false);
        background.join();
        job.cancel().get();
      }
    }
  }

  private Histogram measure(EmbeddedKafka kafka, Table table) throws Exception {
    Progress.log("freshness: %d markers, one per %d ms, background load %,d events/s, checkpoint %s, refresh %s",
        sizes.freshnessSamples(), MARKER_INTERVAL_MILLIS, BACKGROUND_EVENTS_PER_SECOND, Sizes.FRESHNESS_CHECKPOINT,
        Sizes.LOOKUP_REFRESH);
    Map<String, String> options = new HashMap<>(catalog.connectorOptions(NAMESPACE, table.name().substring(
        table.name().lastIndexOf('.') + 1)));
    options.put("lookup.cache", "NONE");
    options.put("lookup.refresh-interval", Sizes.LOOKUP_REFRESH.toMillis() + "ms");
    Histogram millis = new Histogram(3);
    Map<Long, Long> producedAt = new HashMap<>();
    int trips = table.schema().columns().indexOf(table.schema().findField("trips"));
    try (ConnectorLookup lookup = ConnectorLookup.open(options, table, BenchCatalog.KEY_COLUMN);
        KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      long nextMarker = System.currentTimeMillis();
      int sent = 0;
      long deadline = Long.MAX_VALUE;
      while (sent < sizes.freshnessSamples() || !producedAt.isEmpty()) {
        long now = System.currentTimeMillis();
        if (sent < sizes.freshnessSamples() && now >= nextMarker) {
          long key = FIRST_MARKER_KEY + sent;
          producedAt.put(key, now);
          producer.send(marker(key, sent, now));
          producer.flush();
          sent++;
          nextMarker += MARKER_INTERVAL_MILLIS;
          deadline = now + 60_000;
        }
        for (var pending = producedAt.entrySet().iterator(); pending.hasNext(); ) {
          var marker = pending.next();
          RowData row = lookup.lookup(marker.getKey());
          if (row != null && !row.isNullAt(trips) && row.getLong(trips) == marker.getKey() - FIRST_MARKER_KEY) {
            millis.recordValue(System.currentTimeMillis() - marker.getValue());
            pending.remove();
          }
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException(producedAt.size() + " markers not visible 60 s after the last was produced");
        }
        Thread.sleep(POLL_MILLIS);
      }
    }
    Progress.log("freshness: produced → visible p50 %d ms, p99 %d ms, max %d ms", millis.getValueAtPercentile(50),
        millis.getValueAtPercentile(99), millis.getMaxValue());
    return millis;
  }

  private static ProducerRecord<byte[], byte[]> marker(long key, int sequence, long now) {
    String json = String.format(Locale.ROOT, "{\"driver_id\":%d,\"conv_rate\":0.5,\"trips\":%d,\"city\":\"marker\","
        + "\"event_timestamp\":%d,\"created\":%d}", key, sequence, now, now);
    return new ProducerRecord<>(TOPIC, null, now, ("{\"driver_id\":" + key + "}").getBytes(StandardCharsets.UTF_8),
        json.getBytes(StandardCharsets.UTF_8));
  }

  /** Generated events at a steady rate until told to stop. */
  private void produceBackground(EmbeddedKafka kafka, AtomicBoolean producing) {
    FeatureEventGenerator generator = new FeatureEventGenerator(
        FeatureEventGenerator.Settings.defaults(Sizes.SEED, sizes.keys()));
    int perTick = BACKGROUND_EVENTS_PER_SECOND / 10;
    try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      while (producing.get()) {
        long tick = System.nanoTime();
        for (GeneratedEvent event : generator.next(perTick)) {
          producer.send(new ProducerRecord<>(TOPIC, null, event.recordTimestamp(), event.key(), event.value()));
        }
        long sleep = 100 - (System.nanoTime() - tick) / 1_000_000;
        if (sleep > 0) {
          Thread.sleep(sleep);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitFirstCommit(Table table, JobClient job) throws Exception {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (true) {
      table.refresh();
      if (table.currentSnapshot() != null) {
        return;
      }
      if (job.getJobStatus().get().isTerminalState() || System.nanoTime() > deadline) {
        throw new IllegalStateException("the freshness job made no commit; status " + job.getJobStatus().get());
      }
      Thread.sleep(200);
    }
  }

  private void writeResults(Histogram millis) {
    Report.Section section = report.section("Freshness");
    section.note("Our job runs unbounded from embedded Kafka (%d partitions, parallelism %d, checkpoint %d s) under "
            + "%,d generated events/s of background load; a marker event (a key only markers write) is produced every "
            + "%d ms; the connector (uncached, `lookup.refresh-interval` = %s) looks each pending marker's key up every "
            + "%d ms until the marker's value shows. Latency = visible − produced (wall clock, same JVM).",
        Sizes.PARALLELISM, Sizes.PARALLELISM, CHECKPOINT_SECONDS, BACKGROUND_EVENTS_PER_SECOND, MARKER_INTERVAL_MILLIS,
        Sizes.LOOKUP_REFRESH, POLL_MILLIS);
    Report.ResultTable table = new Report.ResultTable("freshness.csv", "Produced → visible to a lookup", "markers",
        "p50 ms", "p99 ms", "max ms", "bound ms (checkpoint + refresh + 1 s)");
    long bound = Sizes.FRESHNESS_CHECKPOINT.toMillis() + Sizes.LOOKUP_REFRESH.toMillis() + 1_000;
    table.add(millis.getTotalCount(), millis.getValueAtPercentile(50), millis.getValueAtPercentile(99),
        millis.getMaxValue(), bound);
    section.tables().add(table);
    Map<String, Double> chart = new LinkedHashMap<>();
    chart.put("p50", (double) millis.getValueAtPercentile(50));
    chart.put("p99", (double) millis.getValueAtPercentile(99));
    chart.put("bound: checkpoint + refresh + 1 s", (double) bound);
    section.charts().add(new Report.BarChart("freshness.svg", "Produced → visible to a lookup", "ms", chart));
    report.target("Freshness", "p99 produced → visible ≤ checkpoint + refresh + 1 s = " + bound + " ms",
        String.format(Locale.ROOT, "p50 %d ms, p99 %d ms (%d markers)", millis.getValueAtPercentile(50),
            millis.getValueAtPercentile(99), millis.getTotalCount()),
        millis.getValueAtPercentile(99) <= bound);
  }
}
