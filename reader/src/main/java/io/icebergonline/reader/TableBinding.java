package io.icebergonline.reader;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.OnlineTables;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * What the planner learned about the Iceberg table behind a Flink table declaration: its key
 * (identifier) columns, the column that carries its bloom filter and bucketing, its event-time
 * column and row age limit. Built once at planning, after checking the declared schema against
 * the table; serialized to the lookup functions, which load the table themselves.
 *
 * @param derivedKeyColumn the composite-key column of iceberg-online tables, else null
 * @param filterKeyColumn the single column point reads can test with bloom filters, else null
 * @param eventTimeColumn the event-time column when the table records its feature view, else null
 * @param maxAge rows older than this are missing; null = no limit (needs {@code eventTimeColumn} to apply)
 * @param buckets N when the table is partitioned by exactly {@code bucket[N]} of {@code filterKeyColumn}, else null
 */
public record TableBinding(
    OnlineStoreConfig store,
    String tableName,
    List<String> declaredColumns,
    List<LogicalType> declaredTypes,
    List<String> identifierColumns,
    String derivedKeyColumn,
    String filterKeyColumn,
    String eventTimeColumn,
    Duration maxAge,
    Integer buckets)
    implements Serializable {

  private static final Set<Type.TypeID> KEY_TYPES =
      Set.of(Type.TypeID.INTEGER, Type.TypeID.LONG, Type.TypeID.STRING, Type.TypeID.BINARY);

  public TableIdentifier identifier() {
    return OnlineTables.identifier(store.namespace(), tableName);
  }

  public Table loadTable(Catalog catalog) {
    return catalog.loadTable(identifier());
  }

  /** A loader of the table for Iceberg's own Flink readers, which open the catalog on each task. */
  public TableLoader tableLoader() {
    return TableLoader.fromCatalog(CatalogLoader.custom(store.catalogName(), IcebergCatalogs.catalogProperties(store),
        new org.apache.hadoop.conf.Configuration(), store.catalogType().catalogImpl()), identifier());
  }

  public static TableBinding resolve(OnlineStoreConfig store, String tableName, ResolvedSchema declared, Duration maxAgeOption) {
    return load(store, tableName, table -> resolve(store, tableName, declared, maxAgeOption, table));
  }

  /**
   * The binding of all columns of the table, for readers without a declared schema (the feature
   * server). {@code maxAgeOption} as in {@link #resolve(OnlineStoreConfig, String, ResolvedSchema,
   * Duration)}: null takes the view's ttl, zero means rows of any age.
   */
  public static TableBinding forTable(OnlineStoreConfig store, String tableName, Duration maxAgeOption) {
    return load(store, tableName,
        table -> resolve(store, tableName, FlinkSchemaUtil.toResolvedSchema(table.schema()), maxAgeOption, table));
  }

  private static TableBinding load(OnlineStoreConfig store, String tableName, Function<Table, TableBinding> resolver) {
    TableBinding unchecked = new TableBinding(store, tableName, List.of(), List.of(), List.of(), null, null, null, null, null);
    Catalog catalog = null;
    try {
      Table table;
      try {
        catalog = IcebergCatalogs.load(store);
        table = unchecked.loadTable(catalog);
      } catch (RuntimeException e) {
        throw new UnreadableTableException("Cannot load Iceberg table " + unchecked.identifier() + ": " + e.getMessage(),
            e);
      }
      return resolver.apply(table);
    } finally {
      // closed whether the table loaded or not: a caller that retries (a health probe) leaves no catalog behind
      if (catalog instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          // planning is done with the catalog; nothing to recover
        }
      }
    }
  }

  private static TableBinding resolve(OnlineStoreConfig store, String tableName, ResolvedSchema declared,
      Duration maxAgeOption, Table table) {
    org.apache.iceberg.Schema schema = table.schema();

    List<String> names = new ArrayList<>();
    List<LogicalType> types = new ArrayList<>();
    for (Column column : declared.getColumns()) {
      if (!column.isPhysical()) {
        continue;
      }
      Types.NestedField field = schema.findField(column.getName());
      if (field == null) {
        throw new UnreadableTableException("Column '" + column.getName() + "' is declared but Iceberg table "
            + table.name() + " has no such column; its columns are " + schema.columns().stream()
                .map(Types.NestedField::name).toList());
      }
      LogicalType tableType = FlinkSchemaUtil.convert(field.type());
      LogicalType declaredType = column.getDataType().getLogicalType();
      if (!sameIgnoringNullability(declaredType, tableType)) {
        throw new UnreadableTableException("Column '" + column.getName() + "' is declared " + declaredType.copy(true)
            + " but Iceberg table " + table.name() + " has it as " + tableType.copy(true));
      }
      names.add(column.getName());
      types.add(declaredType);
    }

    List<String> identifiers = OnlineTableLayout.entityColumns(schema);
    if (identifiers.isEmpty()) {
      throw new UnreadableTableException("Iceberg table " + table.name() + " has no identifier fields (primary key); "
          + "online reads look rows up by them");
    }
    for (String identifier : identifiers) {
      if (!KEY_TYPES.contains(schema.findType(identifier).typeId())) {
        throw new UnreadableTableException("Identifier field '" + identifier + "' of Iceberg table " + table.name()
            + " is " + schema.findType(identifier) + "; lookups support int, long, string and binary keys");
      }
    }

    String viewJson = table.properties().get(OnlineTableLayout.PROPERTY_FEATURE_VIEW);
    FeatureViewSpec view = viewJson == null ? null : JobConfigParser.featureViewFromJson(viewJson);
    String derivedKey = view != null && view.hasCompositeKey() ? OnlineTableLayout.DERIVED_KEY_COLUMN : null;
    String filterKey = derivedKey != null ? derivedKey : identifiers.size() == 1 ? identifiers.get(0) : null;
    String eventTime = view == null ? null : view.timestampField();
    Duration maxAge = maxAgeOption != null ? maxAgeOption : view == null ? null : view.ttl();
    if (maxAge != null && maxAge.isZero()) {
      maxAge = null; // 'lookup.max-age' = '0s': rows of any age
    }
    Integer buckets = null;
    if (filterKey != null && table.spec().fields().size() == 1) {
      PartitionField field = table.spec().fields().get(0);
      String transform = field.transform().toString();
      if (transform.startsWith("bucket[") && schema.findColumnName(field.sourceId()).equals(filterKey)) {
        buckets = Integer.parseInt(transform.substring("bucket[".length(), transform.length() - 1));
      }
    }
    return new TableBinding(store, tableName, List.copyOf(names), List.copyOf(types), List.copyOf(identifiers),
        derivedKey, filterKey, eventTime, maxAge, buckets);
  }

  /** Whether a column declared as {@code declared} reads the table's {@code table} type as it is. */
  static boolean sameIgnoringNullability(LogicalType declared, LogicalType table) {
    if (declared.getTypeRoot() != table.getTypeRoot()) {
      return false;
    }
    if (declared.getTypeRoot() == LogicalTypeRoot.DECIMAL) {
      DecimalType a = (DecimalType) declared;
      DecimalType b = (DecimalType) table;
      return a.getPrecision() == b.getPrecision() && a.getScale() == b.getScale();
    }
    List<LogicalType> declaredChildren = declared.getChildren();
    List<LogicalType> tableChildren = table.getChildren();
    if (declaredChildren.size() != tableChildren.size()) {
      return false;
    }
    for (int i = 0; i < declaredChildren.size(); i++) {
      if (!sameIgnoringNullability(declaredChildren.get(i), tableChildren.get(i))) {
        return false;
      }
    }
    return true;
  }
}
