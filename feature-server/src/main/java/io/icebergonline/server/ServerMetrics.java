package io.icebergonline.server;

import io.icebergonline.reader.OnlineTableReader;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's Prometheus metrics, served at {@code GET /metrics}: requests by endpoint and
 * status, request latency, entity rows answered, feature statuses, lookups by whether the live
 * index or a point read answered them, and the data files point reads opened. The series a request
 * counts in are bound once, not looked up by label values per call: that lookup (a list of labels
 * hashed and compared) was a tenth of the server's allocation per request.
 */
final class ServerMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter requests = Counter.builder().name("feature_server_requests_total")
      .help("HTTP requests by endpoint and status code").labelNames("endpoint", "status").register(registry);
  private final Histogram latency = Histogram.builder().name("feature_server_request_duration_seconds")
      .help("HTTP request latency by endpoint").labelNames("endpoint").classicOnly()
      .classicUpperBounds(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
      .register(registry);
  private final Counter entityRows = Counter.builder().name("feature_server_entity_rows_total")
      .help("Entity rows answered by get-online-features").register(registry);
  private final Counter statuses = Counter.builder().name("feature_server_feature_statuses_total")
      .help("Feature values answered, by Feast field status").labelNames("status").register(registry);
  private final Counter lookups = Counter.builder().name("feature_server_lookups_total")
      .help("Key lookups, by what answered them: the live index (index) or a point read (point_read)")
      .labelNames("source").register(registry);
  private final Counter filesOpened = Counter.builder().name("feature_server_data_files_opened_total")
      .help("Data files opened by lookups").register(registry);
  private final Counter eventsProduced = Counter.builder().name("feature_server_events_produced_total")
      .help("Feature events produced to Kafka by push and write-to-online-store").labelNames("feature_view")
      .register(registry);

  /** Per endpoint, its latency series and its request counter by status code. */
  private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
  private final CounterDataPoint present = statuses.labelValues(OnlineFeatures.PRESENT);
  private final CounterDataPoint nullValue = statuses.labelValues(OnlineFeatures.NULL_VALUE);
  private final CounterDataPoint notFound = statuses.labelValues(OnlineFeatures.NOT_FOUND);
  private final CounterDataPoint outsideMaxAge = statuses.labelValues(OnlineFeatures.OUTSIDE_MAX_AGE);
  private final CounterDataPoint indexLookups = lookups.labelValues("index");
  private final CounterDataPoint pointReads = lookups.labelValues("point_read");

  private final class Endpoint {
    private final String name;
    private final DistributionDataPoint latency;
    private final Map<Integer, CounterDataPoint> byStatus = new ConcurrentHashMap<>();

    Endpoint(String name) {
      this.name = name;
      this.latency = ServerMetrics.this.latency.labelValues(name);
    }

    CounterDataPoint requests(int status) {
      return byStatus.computeIfAbsent(status, code -> ServerMetrics.this.requests.labelValues(name,
          Integer.toString(code)));
    }
  }

  void request(String endpoint, int status, long nanos) {
    Endpoint series = endpoints.computeIfAbsent(endpoint, Endpoint::new);
    series.requests(status).inc();
    series.latency.observe(nanos / 1e9);
  }

  void entityRows(int rows) {
    entityRows.inc(rows);
  }

  /** The feature statuses of one answer, counted by Feast status. */
  void statuses(long presentCount, long nullValueCount, long notFoundCount, long outsideMaxAgeCount) {
    add(present, presentCount);
    add(nullValue, nullValueCount);
    add(notFound, notFoundCount);
    add(outsideMaxAge, outsideMaxAgeCount);
  }

  private static void add(CounterDataPoint counter, long count) {
    if (count > 0) {
      counter.inc(count);
    }
  }

  void lookup(OnlineTableReader.Result result) {
    (result.fromIndex() ? indexLookups : pointReads).inc();
    if (result.filesOpened() > 0) {
      filesOpened.inc(result.filesOpened());
    }
  }

  void eventsProduced(String view, int events) {
    eventsProduced.labelValues(view).inc(events);
  }

  String contentType() {
    return writer.getContentType();
  }

  void write(OutputStream out) throws IOException {
    writer.write(out, registry.scrape(), EscapingScheme.ALLOW_UTF8);
  }
}
