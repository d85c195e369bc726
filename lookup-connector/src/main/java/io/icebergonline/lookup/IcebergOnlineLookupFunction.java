package io.icebergonline.lookup;

import io.icebergonline.reader.OnlineTableReader;
import io.icebergonline.reader.ReaderSpec;
import java.util.Collection;
import java.util.List;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.LookupFunction;

/** Synchronous lookups on the task thread: from the reader's live index, or one point read per key. */
public final class IcebergOnlineLookupFunction extends LookupFunction {
  private static final long serialVersionUID = 1L;

  private final ReaderSpec spec;
  private transient OnlineTableReader reader;
  private transient LookupMetrics metrics;

  IcebergOnlineLookupFunction(ReaderSpec spec) {
    this.spec = spec;
  }

  @Override
  public void open(FunctionContext context) {
    reader = spec.open();
    metrics = new LookupMetrics(context.getMetricGroup(), reader::indexedFiles, reader::indexStats);
  }

  @Override
  public Collection<RowData> lookup(RowData keyRow) {
    long started = System.nanoTime();
    OnlineTableReader.Result result = reader.lookup(keyRow);
    metrics.record(result, started);
    return result.row() == null ? List.of() : List.of(result.row());
  }

  @Override
  public void close() throws Exception {
    if (reader != null) {
      reader.close();
    }
  }
}
