package io.icebergonline.server;

import io.icebergonline.reader.OnlineTableReader;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The server's Prometheus metrics, served at {@code GET /metrics}: requests by endpoint and
 * status, request latency, entity rows answered, feature statuses, lookups by whether the live
 * index or a point read answered them, and the data files point reads opened.
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

  void request(String endpoint, int status, long nanos) {
    requests.labelValues(endpoint, Integer.toString(status)).inc();
    latency.labelValues(endpoint).observe(nanos / 1e9);
  }

  void entityRows(int rows) {
    entityRows.inc(rows);
  }

  void status(String status) {
    statuses.labelValues(status).inc();
  }

  void lookup(OnlineTableReader.Result result) {
    lookups.labelValues(result.fromIndex() ? "index" : "point_read").inc();
    filesOpened.inc(result.filesOpened());
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
