package io.icebergonline.lookup;

import io.icebergonline.reader.LiveIndexStats;
import io.icebergonline.reader.OnlineTableReader;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The connector's metrics: lookups that reached the table (cache misses; Flink's lookup cache
 * reports hits and misses itself), how many the live index answered and how many point reads,
 * rows found, data files opened per lookup, lookup latency, and what the live index holds.
 * Thread-safe: async lookups record from the threads of their pool.
 */
final class LookupMetrics {
  private static final int HISTOGRAM_WINDOW = 10_000;
  private static final LiveIndexStats NO_INDEX = new LiveIndexStats(0, 0, 0, 0, 0, 0, 0, -1, 0);

  private final Counter lookups;
  private final Counter fromIndex;
  private final Counter pointReads;
  private final Counter found;
  private final Histogram filesOpened;
  private final Histogram latencyMicros;

  /**
   * @param indexedFiles the number of data and delete files the reader knows
   * @param indexStats what the reader's live index holds (null without one)
   */
  LookupMetrics(MetricGroup group, Gauge<Integer> indexedFiles, Supplier<LiveIndexStats> indexStats) {
    MetricGroup metrics = group.addGroup("icebergOnline");
    // Flink's default SimpleCounter would lose counts incremented from several threads
    lookups = metrics.counter("lookups", new ThreadSafeSimpleCounter());
    fromIndex = metrics.counter("lookupsFromIndex", new ThreadSafeSimpleCounter());
    pointReads = metrics.counter("lookupsByPointRead", new ThreadSafeSimpleCounter());
    found = metrics.counter("rowsFound", new ThreadSafeSimpleCounter());
    filesOpened = metrics.histogram("filesOpenedPerLookup", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    latencyMicros = metrics.histogram("lookupLatencyMicros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    metrics.gauge("indexedFiles", indexedFiles);
    indexGauge(metrics, "indexedBuckets", indexStats, LiveIndexStats::indexedBuckets);
    indexGauge(metrics, "indexBucketsOverBudget", indexStats, LiveIndexStats::bucketsOverBudget);
    indexGauge(metrics, "indexRows", indexStats, LiveIndexStats::rows);
    indexGauge(metrics, "indexBytes", indexStats, LiveIndexStats::bytes);
    indexGauge(metrics, "indexBytesPerRow", indexStats, LiveIndexStats::bytesPerRow);
    indexGauge(metrics, "indexBucketBuilds", indexStats, LiveIndexStats::bucketBuilds);
    indexGauge(metrics, "indexBucketBuildMillis", indexStats, LiveIndexStats::lastBuildMillis);
    indexGauge(metrics, "indexRefreshApplyMillis", indexStats, LiveIndexStats::lastApplyMillis);
    indexGauge(metrics, "indexSnapshotId", indexStats, LiveIndexStats::snapshotId);
    indexGauge(metrics, "indexLagMillis", indexStats, LiveIndexStats::lagMillis);
  }

  private static void indexGauge(MetricGroup metrics, String name, Supplier<LiveIndexStats> stats,
      ToLongFunction<LiveIndexStats> value) {
    metrics.gauge(name, (Gauge<Long>) () -> {
      LiveIndexStats current = stats.get();
      return value.applyAsLong(current == null ? NO_INDEX : current);
    });
  }

  void record(OnlineTableReader.Result result, long startedNanos) {
    lookups.inc();
    (result.fromIndex() ? fromIndex : pointReads).inc();
    if (result.row() != null) {
      found.inc();
    }
    filesOpened.update(result.filesOpened());
    latencyMicros.update((System.nanoTime() - startedNanos) / 1_000);
  }
}
