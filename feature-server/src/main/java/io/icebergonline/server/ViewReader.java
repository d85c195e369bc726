package io.icebergonline.server;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.FieldSpec;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.reader.IndexMode;
import io.icebergonline.reader.OnlineTableReader;
import io.icebergonline.reader.ReaderSpec;
import io.icebergonline.reader.TableBinding;
import io.icebergonline.reader.UnreadableTableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader of one feature view's online table, served from its live index (point reads while a
 * bucket is built or past the budget), opened on first use and again after a failure
 * (the job may create the table after the server started). Reads every feature and the event
 * time of any age: the server itself tells rows past the view's ttl ({@code OUTSIDE_MAX_AGE})
 * from missing ones ({@code NOT_FOUND}).
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

  /** The open reader, opening it if needed. */
  OnlineTableReader reader() {
    OnlineTableReader current = reader;
    if (current != null) {
      return current;
    }
    synchronized (this) {
      if (reader == null) {
        reader = open();
      }
      return reader;
    }
  }

  /** True when the table can be read now (for health checks); logs why not. */
  boolean readable() {
    try {
      reader();
      return true;
    } catch (UnreadableTableException e) {
      LOG.warn("Feature view {} is not readable yet: {}", view.name(), e.getMessage());
      return false;
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
