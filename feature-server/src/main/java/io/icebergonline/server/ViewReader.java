package io.icebergonline.server;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.FieldSpec;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.reader.IndexMode;
import io.icebergonline.reader.OnlineTableReader;
import io.icebergonline.reader.ReaderSpec;
import io.icebergonline.reader.TableBinding;
import io.icebergonline.reader.UnreadableTableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader of one feature view's online table, served from its live index (point reads while a
 * bucket is built or past the budget), opened on first use and again after a failure
 * (the job may create the table after the server started). Reads every feature and the event
 * time of any age: the server itself tells rows past the view's ttl ({@code OUTSIDE_MAX_AGE})
 * from missing ones ({@code NOT_FOUND}). {@link #verify} notices a table dropped (the view then
 * answers 503 naming it until it exists again) or replaced (the reader opens the new one).
 */
final class ViewReader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ViewReader.class);
  /** How often the reader picks up new snapshots, the lookup connector's default. */
  static final long REFRESH_MILLIS = 1_000;
  /** Retries of a lookup whose file went away (compaction, expiry), the lookup connector's default. */
  static final int MAX_RETRIES = 3;

  private final OnlineStoreConfig store;
  private final FeatureViewSpec view;
  private final long indexMaxBytes;
  private volatile OnlineTableReader reader;
  /** The table the open reader reads; another table under the name means it was replaced. */
  private volatile UUID tableUuid;
  /** Why the view cannot be served now, null while it can. */
  private volatile String problem;

  /** @param indexMaxBytes the memory budget of the view's live index */
  ViewReader(OnlineStoreConfig store, FeatureViewSpec view, long indexMaxBytes) {
    this.store = store;
    this.view = view;
    this.indexMaxBytes = indexMaxBytes;
  }

  FeatureViewSpec view() {
    return view;
  }

  /** The output columns of a lookup: the features in declared order, then the event time. */
  List<String> outputColumns() {
    List<String> columns = new ArrayList<>();
    view.features().forEach(feature -> columns.add(feature.name()));
    columns.add(view.timestampField());
    return columns;
  }

  /** The open reader, opening it if needed; an {@link UnreadableTableException} naming the table when it cannot. */
  OnlineTableReader reader() {
    OnlineTableReader current = reader;
    if (current != null) {
      return current;
    }
    synchronized (this) {
      if (reader == null) {
        try {
          OnlineTableReader opened = open();
          tableUuid = opened.tableUuid();
          reader = opened;
          problem = null;
        } catch (UnreadableTableException e) {
          problem = e.getMessage();
          throw e;
        }
      }
      return reader;
    }
  }

  /** Why the view cannot be served now (as last seen by a read or {@link #verify}), empty while it can. */
  Optional<String> problem() {
    return Optional.ofNullable(problem);
  }

  /**
   * Checks the view against the catalog: an open reader whose table was dropped is closed (the
   * view answers 503 naming it), one whose table was replaced is opened again on the new table; a
   * view not open is opened when its table exists now. A catalog that cannot answer changes
   * nothing: the open reader keeps serving what it has.
   */
  void verify(Catalog catalog) {
    OnlineTableReader current = reader;
    if (current == null) {
      try {
        reader();
        LOG.info("Feature view {} is readable now", view.name());
      } catch (UnreadableTableException e) {
        LOG.debug("Feature view {} is still not readable: {}", view.name(), e.getMessage());
      }
      return;
    }
    TableIdentifier identifier = OnlineTables.identifier(store.namespace(), view.name());
    String change;
    boolean replaced;
    try {
      UUID now = catalog.loadTable(identifier).uuid();
      if (now.equals(tableUuid)) {
        return;
      }
      replaced = true;
      change = "Table " + identifier + " of feature view " + view.name() + " was replaced; reading the new table";
    } catch (NoSuchTableException e) {
      replaced = false;
      change = "Table " + identifier + " of feature view " + view.name() + " was dropped";
    } catch (RuntimeException e) {
      LOG.warn("Cannot check table {} of feature view {} (serving what is open): {}", identifier, view.name(),
          e.toString());
      return;
    }
    LOG.warn(change);
    synchronized (this) {
      if (reader == current) {
        reader = null;
        problem = change;
        closeQuietly(current);
      }
    }
    if (replaced) {
      verify(catalog);
    }
  }

  /** True while the view's table is open and served. */
  boolean serving() {
    return reader != null;
  }

  private void closeQuietly(OnlineTableReader closing) {
    try {
      closing.close();
    } catch (Exception e) {
      LOG.warn("Closing the reader of feature view {} failed: {}", view.name(), e.toString());
    }
  }

  private OnlineTableReader open() {
    TableBinding binding;
    try {
      binding = TableBinding.forTable(store, view.name(), Duration.ZERO);
    } catch (RuntimeException e) {
      throw e instanceof UnreadableTableException unreadable ? unreadable
          : new UnreadableTableException("Cannot read the table of feature view " + view.name() + ": " + e.getMessage(), e);
    }
    List<String> missing = new ArrayList<>();
    for (String column : outputColumns()) {
      if (!binding.declaredColumns().contains(column)) {
        missing.add(column);
      }
    }
    List<String> keys = view.entities().stream().map(FieldSpec::name).toList();
    if (!missing.isEmpty() || !binding.identifierColumns().equals(keys)) {
      throw new UnreadableTableException("Table " + binding.identifier() + " does not hold feature view " + view.name()
          + " as configured: " + (missing.isEmpty() ? "" : "missing columns " + missing + "; ")
          + "key columns " + binding.identifierColumns() + ", configured " + keys);
    }
    OnlineTableReader opened;
    try {
      opened = new ReaderSpec(binding, outputColumns(), keys, REFRESH_MILLIS, MAX_RETRIES, IndexMode.MEMORY,
          indexMaxBytes).open();
    } catch (RuntimeException e) {
      throw new UnreadableTableException("Cannot open the reader of " + binding.identifier() + ": " + e.getMessage(), e);
    }
    // a server answers any key: index every bucket now rather than on each bucket's first request
    opened.indexAllBuckets();
    LOG.info("Serving feature view {} from {} (live index up to {} bytes)", view.name(), binding.identifier(),
        indexMaxBytes);
    return opened;
  }

  @Override
  public synchronized void close() throws Exception {
    if (reader != null) {
      reader.close();
      reader = null;
    }
  }
}
