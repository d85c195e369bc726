package io.icebergonline.lookup;

import java.io.Serializable;
import java.util.List;

/** Everything a lookup function needs to open its {@link OnlineTableReader} on a task manager. */
record ReaderSpec(TableBinding binding, List<String> outputColumns, List<String> keyColumns, long refreshMillis,
    int maxRetries) implements Serializable {

  OnlineTableReader open() {
    OnlineTableReader reader = new OnlineTableReader(binding, outputColumns, keyColumns, refreshMillis, maxRetries);
    reader.open();
    return reader;
  }
}
