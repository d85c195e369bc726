package io.icebergonline.core;

import java.util.function.Supplier;
import org.apache.iceberg.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-lived handle on an Iceberg table that keeps up with it however far it falls behind.
 *
 * <p>A {@link Table} object refreshes from the metadata version it last saw. On a Hadoop table
 * that version's file is deleted once the table has moved on by more than
 * {@code write.metadata.previous-versions-max} commits (online tables keep 10), and from then on
 * every {@code refresh()} fails with "Metadata file for version N is missing": a reader that fell
 * behind (a GC pause, a burst of commits, maintenance) would serve an old snapshot forever. This
 * handle loads the table anew from its catalog when a refresh fails. Thread-safe.
 */
public final class LiveTable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveTable.class);

  private final Supplier<Table> loader;
  private volatile Table table;

  /** @param loader loads the table from its catalog, at start and whenever a refresh fails */
  public LiveTable(Supplier<Table> loader) {
    this.loader = loader;
    this.table = loader.get();
  }

  /** The table as last refreshed or loaded. */
  public Table table() {
    return table;
  }

  /**
   * Brings the table to its newest metadata and returns it: a refresh, or a new load from the
   * catalog when the refresh fails. Throws only when the load fails too (the refresh's failure
   * then travels as a suppressed exception).
   */
  public synchronized Table refresh() {
    Table current = table;
    try {
      current.refresh();
      return current;
    } catch (RuntimeException refreshFailure) {
      Table reloaded;
      try {
        reloaded = loader.get();
      } catch (RuntimeException loadFailure) {
        loadFailure.addSuppressed(refreshFailure);
        throw loadFailure;
      }
      LOG.info("Table {} could not refresh ({}); loaded it again from the catalog", current.name(),
          refreshFailure.getMessage());
      table = reloaded;
      return reloaded;
    }
  }
}
