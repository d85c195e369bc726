package io.icebergonline.lookup;

import io.icebergonline.reader.OnlineTableReader;
import io.icebergonline.reader.ReaderSpec;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncLookupFunction;
import org.apache.flink.table.functions.FunctionContext;

/** Asynchronous lookups: point reads run on a bounded pool, so one subtask keeps many reads in flight. */
public final class IcebergOnlineAsyncLookupFunction extends AsyncLookupFunction {
  private static final long serialVersionUID = 1L;

  private final ReaderSpec spec;
  private final int threads;
  private transient OnlineTableReader reader;
  private transient LookupMetrics metrics;
  private transient ExecutorService pool;

  IcebergOnlineAsyncLookupFunction(ReaderSpec spec, int threads) {
    this.spec = spec;
    this.threads = threads;
  }

  @Override
  public void open(FunctionContext context) {
    reader = spec.open();
    metrics = new LookupMetrics(context.getMetricGroup(), reader::indexedFiles, reader::indexStats);
    AtomicInteger counter = new AtomicInteger();
    pool = Executors.newFixedThreadPool(threads, runnable -> {
      Thread thread = new Thread(runnable, "iceberg-online-lookup-" + counter.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  @Override
  public CompletableFuture<Collection<RowData>> asyncLookup(RowData keyRow) {
    return CompletableFuture.supplyAsync(() -> {
      long started = System.nanoTime();
      OnlineTableReader.Result result = reader.lookup(keyRow);
      metrics.record(result, started);
      return result.row() == null ? List.of() : List.of(result.row());
    }, pool);
  }

  @Override
  public void close() throws Exception {
    if (pool != null) {
      pool.shutdownNow();
    }
    if (reader != null) {
      reader.close();
    }
  }
}
