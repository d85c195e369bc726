package io.icebergonline.bench;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * How far a join run of the lookup bench is, seen through Flink's own metrics while it runs: the
 * records the {@code enriched} sink has taken in (its {@code numRecordsIn}, every subtask) and the
 * buckets the lookup connector's live index answers ({@code indexedBuckets}, every subtask) and
 * the bytes each subtask's index holds ({@code indexBytes}). A
 * metric reporter configured on the bench's local cluster; it keeps the metrics of the newest run
 * only ({@link #reset} before each).
 */
public final class JoinProgress implements MetricReporter {
  static final String SINK = "enriched";
  private static final List<Counter> SINK_RECORDS = new CopyOnWriteArrayList<>();
  private static final List<Gauge<?>> INDEXED_BUCKETS = new CopyOnWriteArrayList<>();
  private static final Map<Integer, Gauge<?>> INDEX_BYTES = new ConcurrentHashMap<>();

  /** Registered as {@code metrics.reporter.<name>.factory.class}. */
  public static final class Factory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
      return new JoinProgress();
    }
  }

  @Override
  public void open(MetricConfig config) {}

  @Override
  public void close() {}

  @Override
  public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
    String operator = group.getAllVariables().getOrDefault("<operator_name>", "");
    if (name.equals("numRecordsIn") && operator.startsWith(SINK)) {
      SINK_RECORDS.add((Counter) metric);
    } else if (name.equals("indexedBuckets")) {
      INDEXED_BUCKETS.add((Gauge<?>) metric);
    } else if (name.equals("indexBytes")) {
      INDEX_BYTES.put(Integer.parseInt(group.getAllVariables().get("<subtask_index>")), (Gauge<?>) metric);
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
    // kept until the next reset: the bench reads the last values after the job ended
  }

  /** Forgets the metrics of the previous run. */
  static void reset() {
    SINK_RECORDS.clear();
    INDEXED_BUCKETS.clear();
    INDEX_BYTES.clear();
  }

  /** Records the sink took in so far, over every subtask. */
  static long sinkRecords() {
    return SINK_RECORDS.stream().mapToLong(Counter::getCount).sum();
  }

  /** The bytes each subtask's live index holds now, by subtask index ({@code subtasks} of them). */
  static long[] indexBytes(int subtasks) {
    long[] bytes = new long[subtasks];
    INDEX_BYTES.forEach((subtask, gauge) -> bytes[subtask] = ((Number) gauge.getValue()).longValue());
    return bytes;
  }

  /** Buckets the live index answers, over every subtask. */
  static long indexedBuckets() {
    return INDEXED_BUCKETS.stream().mapToLong(gauge -> ((Number) gauge.getValue()).longValue()).sum();
  }
}
