package io.icebergonline.lookup;

import static io.icebergonline.lookup.IcebergOnlineOptions.CATALOG_NAME;
import static io.icebergonline.lookup.IcebergOnlineOptions.CATALOG_PROPERTIES_PREFIX;
import static io.icebergonline.lookup.IcebergOnlineOptions.CATALOG_TYPE;
import static io.icebergonline.lookup.IcebergOnlineOptions.LOOKUP_ASYNC;
import static io.icebergonline.lookup.IcebergOnlineOptions.LOOKUP_ASYNC_THREADS;
import static io.icebergonline.lookup.IcebergOnlineOptions.LOOKUP_INDEX;
import static io.icebergonline.lookup.IcebergOnlineOptions.LOOKUP_INDEX_MAX_MEMORY;
import static io.icebergonline.lookup.IcebergOnlineOptions.LOOKUP_MAX_AGE;
import static io.icebergonline.lookup.IcebergOnlineOptions.LOOKUP_REFRESH_INTERVAL;
import static io.icebergonline.lookup.IcebergOnlineOptions.NAMESPACE;
import static io.icebergonline.lookup.IcebergOnlineOptions.TABLE;
import static io.icebergonline.lookup.IcebergOnlineOptions.URI;
import static io.icebergonline.lookup.IcebergOnlineOptions.WAREHOUSE;

import io.icebergonline.core.CatalogType;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.reader.TableBinding;
import io.icebergonline.reader.UnreadableTableException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.lookup.LookupOptions;
import org.apache.flink.table.factories.DynamicTableSourceFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.iceberg.flink.source.IcebergTableSource;

/**
 * The {@code 'connector' = 'iceberg-online'} factory. Options are validated at planning: unknown
 * options, a missing catalog address, and a declared schema that does not match the Iceberg table
 * fail with a message naming the option or column.
 */
public class IcebergOnlineTableFactory implements DynamicTableSourceFactory {
  public static final String IDENTIFIER = "iceberg-online";

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of(CATALOG_TYPE, TABLE);
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of(CATALOG_NAME, URI, WAREHOUSE, NAMESPACE, LOOKUP_ASYNC, LOOKUP_ASYNC_THREADS, LOOKUP_REFRESH_INTERVAL,
        LOOKUP_MAX_AGE, LOOKUP_INDEX, LOOKUP_INDEX_MAX_MEMORY, LookupOptions.CACHE_TYPE, LookupOptions.MAX_RETRIES,
        LookupOptions.PARTIAL_CACHE_EXPIRE_AFTER_ACCESS, LookupOptions.PARTIAL_CACHE_EXPIRE_AFTER_WRITE,
        LookupOptions.PARTIAL_CACHE_CACHE_MISSING_KEY, LookupOptions.PARTIAL_CACHE_MAX_ROWS,
        LookupOptions.FULL_CACHE_RELOAD_STRATEGY, LookupOptions.FULL_CACHE_PERIODIC_RELOAD_INTERVAL,
        LookupOptions.FULL_CACHE_PERIODIC_RELOAD_SCHEDULE_MODE, LookupOptions.FULL_CACHE_TIMED_RELOAD_ISO_TIME,
        LookupOptions.FULL_CACHE_TIMED_RELOAD_INTERVAL_IN_DAYS);
  }

  @Override
  public DynamicTableSource createDynamicTableSource(Context context) {
    FactoryUtil.TableFactoryHelper helper = FactoryUtil.createTableFactoryHelper(this, context);
    helper.validateExcept(CATALOG_PROPERTIES_PREFIX);
    ReadableConfig options = helper.getOptions();
    OnlineStoreConfig store = onlineStore(options, context.getCatalogTable().getOptions());
    if (options.get(LOOKUP_ASYNC_THREADS) < 1) {
      throw new ValidationException("Option '" + LOOKUP_ASYNC_THREADS.key() + "' must be at least 1, got "
          + options.get(LOOKUP_ASYNC_THREADS));
    }
    if (options.get(LOOKUP_REFRESH_INTERVAL).isNegative() || options.get(LOOKUP_REFRESH_INTERVAL).isZero()) {
      throw new ValidationException("Option '" + LOOKUP_REFRESH_INTERVAL.key() + "' must be positive, got "
          + options.get(LOOKUP_REFRESH_INTERVAL));
    }
    if (options.get(LOOKUP_INDEX_MAX_MEMORY).getBytes() < 1) {
      throw new ValidationException("Option '" + LOOKUP_INDEX_MAX_MEMORY.key() + "' must be positive, got "
          + options.get(LOOKUP_INDEX_MAX_MEMORY));
    }
    TableBinding binding;
    try {
      binding = TableBinding.resolve(store, options.get(TABLE), context.getCatalogTable().getResolvedSchema(),
          options.getOptional(LOOKUP_MAX_AGE).orElse(null));
    } catch (UnreadableTableException e) {
      throw new ValidationException(e.getMessage(), e.getCause());
    }
    if (binding.maxAge() != null && binding.eventTimeColumn() == null) {
      throw new ValidationException("Option '" + LOOKUP_MAX_AGE.key() + "' needs the table's event-time column, but "
          + "Iceberg table " + binding.identifier() + " does not record a feature view (property "
          + OnlineTableLayout.PROPERTY_FEATURE_VIEW + ")");
    }
    // the scan reads the declared physical columns, by name, as the lookups do
    ResolvedSchema scanSchema = ResolvedSchema.of(context.getCatalogTable().getResolvedSchema().getColumns().stream()
        .filter(Column::isPhysical).toList());
    return new OnlineTableSource(new IcebergOnlineTableSource(binding, options),
        new IcebergTableSource(binding.tableLoader(), scanSchema, Map.of(), context.getConfiguration()));
  }

  /** The online store the options name; fails naming the option when one is missing or wrong. */
  public static OnlineStoreConfig onlineStore(ReadableConfig options, Map<String, String> rawOptions) {
    String typeName = options.get(CATALOG_TYPE);
    CatalogType type = Arrays.stream(CatalogType.values())
        .filter(candidate -> candidate.configName().equals(typeName.trim().toLowerCase(Locale.ROOT)))
        .findFirst()
        .orElseThrow(() -> new ValidationException("Option '" + CATALOG_TYPE.key() + "' must be one of "
            + Arrays.stream(CatalogType.values()).map(CatalogType::configName).collect(Collectors.toList())
            + ", got '" + typeName + "'"));
    // an empty value counts as unset, so that one templated script (${WAREHOUSE:-}) serves every catalog type
    String uri = options.getOptional(URI).filter(value -> !value.isBlank()).orElse(null);
    String warehouse = options.getOptional(WAREHOUSE).filter(value -> !value.isBlank()).orElse(null);
    if (type.requiresUri() && uri == null) {
      throw new ValidationException("Option '" + URI.key() + "' is required for catalog-type " + type.configName());
    }
    if (type.requiresWarehouse() && warehouse == null) {
      throw new ValidationException(
          "Option '" + WAREHOUSE.key() + "' is required for catalog-type " + type.configName());
    }
    Map<String, String> catalogProperties = new HashMap<>();
    rawOptions.forEach((key, value) -> {
      if (key.startsWith(CATALOG_PROPERTIES_PREFIX) && !value.isBlank()) {
        catalogProperties.put(key.substring(CATALOG_PROPERTIES_PREFIX.length()), value);
      }
    });
    return new OnlineStoreConfig(type, options.get(CATALOG_NAME), uri, warehouse, options.get(NAMESPACE),
        catalogProperties);
  }
}
