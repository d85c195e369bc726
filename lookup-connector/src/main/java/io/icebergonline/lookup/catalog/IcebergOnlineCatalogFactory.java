package io.icebergonline.lookup.catalog;

import static io.icebergonline.lookup.IcebergOnlineOptions.CATALOG_PROPERTIES_PREFIX;
import static io.icebergonline.lookup.IcebergOnlineOptions.CATALOG_TYPE;
import static io.icebergonline.lookup.IcebergOnlineOptions.NAMESPACE;
import static io.icebergonline.lookup.IcebergOnlineOptions.TABLE;

import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.lookup.IcebergOnlineTableFactory;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.table.catalog.Catalog;
import org.apache.flink.table.factories.CatalogFactory;
import org.apache.flink.table.factories.FactoryUtil;

/**
 * {@code CREATE CATALOG ... WITH ('type' = 'iceberg-online', ...)}: the connector's catalog options
 * ({@code catalog-type}, {@code uri}, {@code warehouse}, {@code catalog-name}, {@code catalog.*}),
 * {@code namespace} as the default database, and any of the connector's lookup options as the
 * defaults of every table. Validated at {@code CREATE CATALOG}: a wrong option fails naming it.
 */
public class IcebergOnlineCatalogFactory implements CatalogFactory {
  public static final String IDENTIFIER = IcebergOnlineTableFactory.IDENTIFIER;

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of(CATALOG_TYPE);
  }

  /** Every option of the connector except {@code table}, which each catalog table sets. */
  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    Set<ConfigOption<?>> options = new HashSet<>(new IcebergOnlineTableFactory().optionalOptions());
    options.remove(TABLE);
    return options;
  }

  @Override
  public Catalog createCatalog(Context context) {
    FactoryUtil.CatalogFactoryHelper helper = FactoryUtil.createCatalogFactoryHelper(this, context);
    helper.validateExcept(CATALOG_PROPERTIES_PREFIX);
    OnlineStoreConfig store = IcebergOnlineTableFactory.onlineStore(helper.getOptions(), context.getOptions());
    Set<String> connectorKeys = optionalOptions().stream().map(ConfigOption::key).collect(Collectors.toSet());
    connectorKeys.add(CATALOG_TYPE.key());
    Map<String, String> tableDefaults = new HashMap<>();
    context.getOptions().forEach((key, value) -> {
      if (connectorKeys.contains(key) || key.startsWith(CATALOG_PROPERTIES_PREFIX)) {
        tableDefaults.put(key, value);
      }
    });
    return new IcebergOnlineCatalog(context.getName(), helper.getOptions().get(NAMESPACE), store, tableDefaults);
  }
}
