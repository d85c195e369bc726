package io.icebergonline.reader;

import java.io.Serializable;
import java.util.List;

/**
 * Everything a reader needs to open its {@link OnlineTableReader} on a task manager.
 *
 * @param indexMode whether lookups are answered from a live in-memory index of the buckets they hit
 * @param indexMaxBytes the live index's memory budget per reader
 */
public record ReaderSpec(TableBinding binding, List<String> outputColumns, List<String> keyColumns, long refreshMillis,
    int maxRetries, IndexMode indexMode, long indexMaxBytes) implements Serializable {

  /** Point reads only. */
  public ReaderSpec(TableBinding binding, List<String> outputColumns, List<String> keyColumns, long refreshMillis,
      int maxRetries) {
    this(binding, outputColumns, keyColumns, refreshMillis, maxRetries, IndexMode.NONE, 0);
  }

  public OnlineTableReader open() {
    OnlineTableReader reader = new OnlineTableReader(binding, outputColumns, keyColumns, refreshMillis, maxRetries,
        indexMode, indexMaxBytes);
    try {
      reader.open();
    } catch (RuntimeException e) {
      // what open() had opened (the catalog, the refresher) is released, not left behind per attempt
      try {
        reader.close();
      } catch (Exception closeFailure) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
    return reader;
  }
}
