package io.icebergonline.demo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * The demo's view of the lookup join's metrics: a Flink metric reporter (configured on the demo's
 * mini-cluster) that keeps the lookup connector's counters and histograms of every subtask, so the
 * summary can add them up after the job ends.
 */
public final class LookupStatistics implements MetricReporter {
  private static final List<Counter> LOOKUPS = new CopyOnWriteArrayList<>();
  private static final List<Counter> FROM_INDEX = new CopyOnWriteArrayList<>();
  private static final List<Histogram> LATENCY_MICROS = new CopyOnWriteArrayList<>();
  private static final List<Histogram> FILES_OPENED = new CopyOnWriteArrayList<>();

  /** Registered as {@code metrics.reporter.<name>.factory.class}. */
  public static final class Factory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
      return new LookupStatistics();
    }
  }

  /**
   * The lookups that reached the connector (the cache could not answer them): count, how many the
   * live index answered (the rest are point reads on Iceberg), latency, files opened per lookup.
   */
  record Summary(long lookups, long fromIndex, double p50Millis, double p99Millis, double filesPerLookup) {}

  @Override
  public void open(MetricConfig config) {}

  @Override
  public void close() {}

  @Override
  public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
    // the connector's metrics (LookupMetrics); they count the lookups that reached Iceberg, i.e. cache misses
    switch (name) {
      case "lookups" -> LOOKUPS.add((Counter) metric);
      case "lookupsFromIndex" -> FROM_INDEX.add((Counter) metric);
      case "lookupLatencyMicros" -> LATENCY_MICROS.add((Histogram) metric);
      case "filesOpenedPerLookup" -> FILES_OPENED.add((Histogram) metric);
      default -> { }
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
    // kept: the summary reads them after the job has ended
  }

  static Summary summary() {
    long lookups = LOOKUPS.stream().mapToLong(Counter::getCount).sum();
    long fromIndex = FROM_INDEX.stream().mapToLong(Counter::getCount).sum();
    long[] latencies = values(LATENCY_MICROS);
    long[] files = values(FILES_OPENED);
    return new Summary(lookups, fromIndex, quantile(latencies, 0.50) / 1000.0, quantile(latencies, 0.99) / 1000.0,
        files.length == 0 ? 0 : Arrays.stream(files).average().orElse(0));
  }

  /** The values in the windows of every subtask's histogram, merged. */
  private static long[] values(List<Histogram> histograms) {
    List<long[]> all = new ArrayList<>();
    histograms.forEach(histogram -> all.add(histogram.getStatistics().getValues()));
    return all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
  }

  private static double quantile(long[] sorted, double quantile) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)];
  }
}
