package io.icebergonline.reader;

import java.io.Serializable;
import java.util.List;

/** Everything a reader needs to open its {@link OnlineTableReader} on a task manager. */
public record ReaderSpec(TableBinding binding, List<String> outputColumns, List<String> keyColumns, long refreshMillis,
    int maxRetries) implements Serializable {

  public OnlineTableReader open() {
    OnlineTableReader reader = new OnlineTableReader(binding, outputColumns, keyColumns, refreshMillis, maxRetries);
    reader.open();
    return reader;
  }
}
