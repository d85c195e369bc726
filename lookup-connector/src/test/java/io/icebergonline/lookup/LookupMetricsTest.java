package io.icebergonline.lookup;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.reader.OnlineTableReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.metrics.NoOpMetricRegistry;
import org.apache.flink.runtime.metrics.groups.AbstractMetricGroup;
import org.apache.flink.runtime.metrics.groups.GenericMetricGroup;
import org.apache.flink.table.data.GenericRowData;
import org.junit.jupiter.api.Test;

/** The connector's metrics under async lookups, which record from many pool threads at once. */
class LookupMetricsTest {
  private static final int THREADS = 4;
  private static final int LOOKUPS_PER_THREAD = 200_000;

  /** A registry that keeps what Flink's metric groups register, as a reporter would see it. */
  private static final class RecordingRegistry extends NoOpMetricRegistry {
    final Map<String, Metric> metrics = new ConcurrentHashMap<>();

    @Override
    public void register(Metric metric, String name, AbstractMetricGroup<?> group) {
      metrics.put(name, metric);
    }
  }

  @Test
  void lookupsRecordedFromManyThreadsAreAllCounted() throws Exception {
    RecordingRegistry registry = new RecordingRegistry();
    LookupMetrics metrics = new LookupMetrics(new GenericMetricGroup(registry, null, "lookup"), () -> 0, () -> null);
    OnlineTableReader.Result found = new OnlineTableReader.Result(GenericRowData.of(1L), 1);

    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int thread = 0; thread < THREADS; thread++) {
      done.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < LOOKUPS_PER_THREAD; i++) {
          metrics.record(found, System.nanoTime());
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> future : done) {
      future.get();
    }
    pool.shutdown();

    long expected = (long) THREADS * LOOKUPS_PER_THREAD;
    assertThat(((Counter) registry.metrics.get("lookups")).getCount()).isEqualTo(expected);
    assertThat(((Counter) registry.metrics.get("rowsFound")).getCount()).isEqualTo(expected);
  }
}
