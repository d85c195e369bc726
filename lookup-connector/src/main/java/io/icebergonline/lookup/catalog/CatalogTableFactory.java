package io.icebergonline.lookup.catalog;

import io.icebergonline.lookup.IcebergOnlineTableFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.factories.DynamicTableSinkFactory;
import org.apache.flink.table.factories.DynamicTableSourceFactory;
import org.apache.flink.table.factories.FactoryUtil;

/**
 * The table factory of one {@link IcebergOnlineCatalog}: a table's options (its namespace and name,
 * plus any {@code OPTIONS} hint of the query) go over the catalog's options, and the
 * connector's factory builds the source from the result. Writes fail: the tables are read-only.
 */
final class CatalogTableFactory implements DynamicTableSourceFactory, DynamicTableSinkFactory {
  private final IcebergOnlineTableFactory connector = new IcebergOnlineTableFactory();
  private final String catalogName;
  private final Map<String, String> catalogOptions;

  CatalogTableFactory(String catalogName, Map<String, String> catalogOptions) {
    this.catalogName = catalogName;
    this.catalogOptions = catalogOptions;
  }

  @Override
  public DynamicTableSource createDynamicTableSource(Context context) {
    Map<String, String> options = new HashMap<>(catalogOptions);
    options.putAll(context.getCatalogTable().getOptions());
    return connector.createDynamicTableSource(new FactoryUtil.DefaultDynamicTableContext(
        context.getObjectIdentifier(), context.getCatalogTable().copy(options), context.getEnrichmentOptions(),
        context.getConfiguration(), context.getClassLoader(), context.isTemporary()));
  }

  @Override
  public DynamicTableSink createDynamicTableSink(Context context) {
    throw new ValidationException("Cannot write to " + context.getObjectIdentifier().asSummaryString()
        + ": catalog '" + catalogName + "'" + IcebergOnlineCatalog.READ_ONLY);
  }

  @Override
  public String factoryIdentifier() {
    return connector.factoryIdentifier();
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return connector.requiredOptions();
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return connector.optionalOptions();
  }
}
