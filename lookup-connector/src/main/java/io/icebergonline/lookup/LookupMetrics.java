package io.icebergonline.lookup;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The connector's metrics: lookups that reached the table (cache misses; Flink's lookup cache
 * reports hits and misses itself), rows found, data files opened per lookup, lookup latency.
 */
final class LookupMetrics {
  private static final int HISTOGRAM_WINDOW = 10_000;

  private final Counter lookups;
  private final Counter found;
  private final Histogram filesOpened;
  private final Histogram latencyMicros;

  LookupMetrics(MetricGroup group, OnlineTableReader reader) {
    MetricGroup metrics = group.addGroup("icebergOnline");
    lookups = metrics.counter("lookups");
    found = metrics.counter("rowsFound");
    filesOpened = metrics.histogram("filesOpenedPerLookup", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    latencyMicros = metrics.histogram("lookupLatencyMicros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    metrics.gauge("indexedFiles", reader::indexedFiles);
  }

  void record(OnlineTableReader.Result result, long startedNanos) {
    lookups.inc();
    if (result.row() != null) {
      found.inc();
    }
    filesOpened.update(result.filesOpened());
    latencyMicros.update((System.nanoTime() - startedNanos) / 1_000);
  }
}
