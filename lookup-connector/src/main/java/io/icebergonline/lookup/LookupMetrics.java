package io.icebergonline.lookup;

import io.icebergonline.reader.OnlineTableReader;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The connector's metrics: lookups that reached the table (cache misses; Flink's lookup cache
 * reports hits and misses itself), rows found, data files opened per lookup, lookup latency.
 * Thread-safe: async lookups record from the threads of their pool.
 */
final class LookupMetrics {
  private static final int HISTOGRAM_WINDOW = 10_000;

  private final Counter lookups;
  private final Counter found;
  private final Histogram filesOpened;
  private final Histogram latencyMicros;

  /** @param indexedFiles the number of data and delete files the reader knows */
  LookupMetrics(MetricGroup group, Gauge<Integer> indexedFiles) {
    MetricGroup metrics = group.addGroup("icebergOnline");
    // Flink's default SimpleCounter would lose counts incremented from several threads
    lookups = metrics.counter("lookups", new ThreadSafeSimpleCounter());
    found = metrics.counter("rowsFound", new ThreadSafeSimpleCounter());
    filesOpened = metrics.histogram("filesOpenedPerLookup", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    latencyMicros = metrics.histogram("lookupLatencyMicros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    metrics.gauge("indexedFiles", indexedFiles);
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
