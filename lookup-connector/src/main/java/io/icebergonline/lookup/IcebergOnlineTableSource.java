package io.icebergonline.lookup;

import io.icebergonline.reader.ReaderSpec;
import io.icebergonline.reader.TableBinding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.InputFormatProvider;
import org.apache.flink.table.connector.source.LookupTableSource;
import org.apache.flink.table.connector.source.abilities.SupportsLookupCustomShuffle;
import org.apache.flink.table.connector.source.abilities.SupportsProjectionPushDown;
import org.apache.flink.table.connector.source.lookup.AsyncLookupFunctionProvider;
import org.apache.flink.table.connector.source.lookup.FullCachingLookupProvider;
import org.apache.flink.table.connector.source.lookup.LookupFunctionProvider;
import org.apache.flink.table.connector.source.lookup.LookupOptions;
import org.apache.flink.table.connector.source.lookup.PartialCachingAsyncLookupProvider;
import org.apache.flink.table.connector.source.lookup.PartialCachingLookupProvider;
import org.apache.flink.table.connector.source.lookup.cache.DefaultLookupCache;
import org.apache.flink.table.connector.source.lookup.cache.trigger.CacheReloadTrigger;
import org.apache.flink.table.connector.source.lookup.cache.trigger.PeriodicCacheReloadTrigger;
import org.apache.flink.table.connector.source.lookup.cache.trigger.TimedCacheReloadTrigger;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.iceberg.flink.source.FlinkSource;

/**
 * The lookup source: sync or async lookups (from the reader's live index, or point reads) with Flink's partial cache, or Flink's full cache
 * loaded by Iceberg's own batch reader; projection push-down; a custom shuffle that routes each
 * key to the subtask owning its bucket.
 */
final class IcebergOnlineTableSource
    implements LookupTableSource, SupportsProjectionPushDown, SupportsLookupCustomShuffle {
  private final TableBinding binding;
  private final ReadableConfig options;
  private List<String> projectedColumns;
  private List<LogicalType> projectedTypes;
  /** The columns of the lookup keys, in the order of the join-key row; known once the planner asked for the runtime provider. */
  private List<String> lookupKeyColumns;

  IcebergOnlineTableSource(TableBinding binding, ReadableConfig options) {
    this.binding = binding;
    this.options = options;
    this.projectedColumns = binding.declaredColumns();
    this.projectedTypes = binding.declaredTypes();
  }

  @Override
  public LookupRuntimeProvider getLookupRuntimeProvider(LookupContext context) {
    List<String> keyColumns = new ArrayList<>();
    for (int[] path : context.getKeys()) {
      if (path.length != 1) {
        throw new ValidationException("Connector '" + IcebergOnlineTableFactory.IDENTIFIER
            + "' does not look up by nested fields");
      }
      keyColumns.add(projectedColumns.get(path[0]));
    }
    if (!keyColumns.containsAll(binding.identifierColumns())) {
      throw new ValidationException("A lookup join on '" + binding.tableName() + "' must cover the table's key "
          + binding.identifierColumns() + " with equality conditions; the join has " + keyColumns);
    }
    lookupKeyColumns = List.copyOf(keyColumns);
    LookupOptions.LookupCacheType cacheType = options.get(LookupOptions.CACHE_TYPE);
    if (cacheType == LookupOptions.LookupCacheType.FULL) {
      return fullCache();
    }
    ReaderSpec spec = new ReaderSpec(binding, projectedColumns, keyColumns,
        options.get(IcebergOnlineOptions.LOOKUP_REFRESH_INTERVAL).toMillis(), options.get(LookupOptions.MAX_RETRIES),
        options.get(IcebergOnlineOptions.LOOKUP_INDEX), options.get(IcebergOnlineOptions.LOOKUP_INDEX_MAX_MEMORY).getBytes());
    boolean async = options.get(IcebergOnlineOptions.LOOKUP_ASYNC);
    int threads = options.get(IcebergOnlineOptions.LOOKUP_ASYNC_THREADS);
    if (cacheType == LookupOptions.LookupCacheType.PARTIAL) {
      DefaultLookupCache cache = partialCache();
      return async
          ? PartialCachingAsyncLookupProvider.of(new IcebergOnlineAsyncLookupFunction(spec, threads), cache)
          : PartialCachingLookupProvider.of(new IcebergOnlineLookupFunction(spec), cache);
    }
    return async
        ? AsyncLookupFunctionProvider.of(new IcebergOnlineAsyncLookupFunction(spec, threads))
        : LookupFunctionProvider.of(new IcebergOnlineLookupFunction(spec));
  }

  /**
   * Flink's partial cache as configured, except that with a max age no entry outlives it:
   * 'expire-after-write' is capped at the max age (a row is checked against the max age when read
   * from the table, not when served from the cache).
   */
  private DefaultLookupCache partialCache() {
    Duration maxAge = binding.maxAge();
    if (maxAge == null) {
      return DefaultLookupCache.fromConfig(options);
    }
    Duration expireAfterWrite = options.getOptional(LookupOptions.PARTIAL_CACHE_EXPIRE_AFTER_WRITE)
        .filter(configured -> configured.compareTo(maxAge) < 0).orElse(maxAge);
    DefaultLookupCache.Builder cache = DefaultLookupCache.newBuilder().expireAfterWrite(expireAfterWrite)
        .cacheMissingKey(options.get(LookupOptions.PARTIAL_CACHE_CACHE_MISSING_KEY));
    options.getOptional(LookupOptions.PARTIAL_CACHE_EXPIRE_AFTER_ACCESS).ifPresent(cache::expireAfterAccess);
    options.getOptional(LookupOptions.PARTIAL_CACHE_MAX_ROWS).ifPresent(cache::maximumSize);
    return cache.build();
  }

  /** The full cache is loaded by Iceberg's batch reader (it applies all deletes) and reloaded by Flink's trigger. */
  private LookupRuntimeProvider fullCache() {
    Duration maxAge = binding.maxAge();
    if (maxAge != null) {
      throw new ValidationException("'lookup.cache' = 'FULL' cannot expire rows by age (max age " + maxAge
          + " from the feature view's ttl or 'lookup.max-age'); set 'lookup.max-age' = '0s' to serve rows of "
          + "any age from the full cache, or use 'lookup.cache' = 'PARTIAL'");
    }
    @SuppressWarnings("deprecation")
    org.apache.flink.table.legacy.api.TableSchema.Builder projection = org.apache.flink.table.legacy.api.TableSchema.builder();
    for (int i = 0; i < projectedColumns.size(); i++) {
      projection.field(projectedColumns.get(i), org.apache.flink.table.types.utils.TypeConversions
          .fromLogicalToDataType(projectedTypes.get(i)));
    }
    var format = FlinkSource.forRowData().tableLoader(binding.tableLoader()).project(projection.build()).buildFormat();
    CacheReloadTrigger trigger = options.get(LookupOptions.FULL_CACHE_RELOAD_STRATEGY) == LookupOptions.ReloadStrategy.TIMED
        ? TimedCacheReloadTrigger.fromConfig(options)
        : PeriodicCacheReloadTrigger.fromConfig(options);
    return FullCachingLookupProvider.of(InputFormatProvider.of(format), trigger);
  }

  @Override
  public Optional<InputDataPartitioner> getPartitioner() {
    // The join-key row holds every lookup key, identifier columns and extra join keys alike, in the
    // order of the table's (projected) columns: the order of the lookup context's keys. The planner
    // asks for the runtime provider, which learns them, before it asks for the partitioner; should
    // it not, probe rows keep their distribution, which is slower but as correct.
    if (binding.buckets() == null || lookupKeyColumns == null) {
      return Optional.empty();
    }
    List<LogicalType> types = new ArrayList<>();
    int[] positions = new int[binding.identifierColumns().size()];
    for (int i = 0; i < positions.length; i++) {
      String column = binding.identifierColumns().get(i);
      types.add(projectedTypes.get(projectedColumns.indexOf(column)));
      positions[i] = lookupKeyColumns.indexOf(column);
    }
    return Optional.of(new BucketShufflePartitioner(binding.buckets(), binding.derivedKeyColumn() != null, types, positions));
  }

  @Override
  public boolean supportsNestedProjection() {
    return false;
  }

  @Override
  public void applyProjection(int[][] projectedFields, DataType producedDataType) {
    List<String> columns = new ArrayList<>();
    List<LogicalType> types = new ArrayList<>();
    for (int[] path : projectedFields) {
      columns.add(projectedColumns.get(path[0]));
      types.add(projectedTypes.get(path[0]));
    }
    projectedColumns = List.copyOf(columns);
    projectedTypes = List.copyOf(types);
  }

  @Override
  public DynamicTableSource copy() {
    IcebergOnlineTableSource copy = new IcebergOnlineTableSource(binding, options);
    copy.projectedColumns = projectedColumns;
    copy.projectedTypes = projectedTypes;
    copy.lookupKeyColumns = lookupKeyColumns;
    return copy;
  }

  @Override
  public String asSummaryString() {
    return "IcebergOnline(" + binding.identifier() + ")";
  }
}
