package io.icebergonline.lookup.catalog;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.lookup.IcebergOnlineOptions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.catalog.AbstractCatalog;
import org.apache.flink.table.catalog.CatalogBaseTable;
import org.apache.flink.table.catalog.CatalogDatabase;
import org.apache.flink.table.catalog.CatalogDatabaseImpl;
import org.apache.flink.table.catalog.CatalogFunction;
import org.apache.flink.table.catalog.CatalogPartition;
import org.apache.flink.table.catalog.CatalogPartitionSpec;
import org.apache.flink.table.catalog.CatalogTable;
import org.apache.flink.table.catalog.ObjectPath;
import org.apache.flink.table.catalog.exceptions.CatalogException;
import org.apache.flink.table.catalog.exceptions.DatabaseNotExistException;
import org.apache.flink.table.catalog.exceptions.FunctionNotExistException;
import org.apache.flink.table.catalog.exceptions.PartitionNotExistException;
import org.apache.flink.table.catalog.exceptions.TableNotExistException;
import org.apache.flink.table.catalog.stats.CatalogColumnStatistics;
import org.apache.flink.table.catalog.stats.CatalogTableStatistics;
import org.apache.flink.table.expressions.Expression;
import org.apache.flink.table.factories.Factory;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.NoSuchNamespaceException;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.flink.FlinkSchemaUtil;

/**
 * A read-only Flink catalog over the online store: databases are Iceberg namespaces, tables are
 * Iceberg tables, each with the Flink schema of its Iceberg schema and {@code PRIMARY KEY} = its
 * identifier fields, so lookup joins and ad-hoc queries need no hand-written DDL. A table's options
 * are only its namespace and name; {@link #getFactory()} adds the catalog's options beneath them.
 * Creating, altering and dropping anything, and writing, fail: the materialization job owns the
 * tables.
 */
public final class IcebergOnlineCatalog extends AbstractCatalog {
  static final String READ_ONLY = " is read-only: the iceberg-online materialization job owns the online tables";

  private final OnlineStoreConfig store;
  private final Map<String, String> tableDefaults;
  private Catalog iceberg;

  /** @param tableDefaults the connector options every table of the catalog starts from */
  IcebergOnlineCatalog(String name, String defaultDatabase, OnlineStoreConfig store, Map<String, String> tableDefaults) {
    super(name, defaultDatabase);
    this.store = store;
    this.tableDefaults = Map.copyOf(tableDefaults);
  }

  @Override
  public void open() throws CatalogException {
    try {
      iceberg = IcebergCatalogs.load(store);
    } catch (RuntimeException e) {
      throw new CatalogException("Catalog '" + getName() + "': " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws CatalogException {
    if (iceberg instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        throw new CatalogException("Cannot close the Iceberg catalog of '" + getName() + "'", e);
      }
    }
  }

  @Override
  public Optional<Factory> getFactory() {
    return Optional.of(new CatalogTableFactory(getName(), tableDefaults));
  }

  private CatalogException readOnly(String operation) {
    return new CatalogException("Cannot " + operation + ": catalog '" + getName() + "'" + READ_ONLY);
  }

  // ---- databases = namespaces

  @Override
  public List<String> listDatabases() throws CatalogException {
    if (!(iceberg instanceof SupportsNamespaces namespaces)) {
      return List.of(getDefaultDatabase());
    }
    return namespaces.listNamespaces().stream().map(Namespace::toString).sorted().toList();
  }

  @Override
  public CatalogDatabase getDatabase(String databaseName) throws DatabaseNotExistException, CatalogException {
    if (!(iceberg instanceof SupportsNamespaces namespaces)) {
      if (!getDefaultDatabase().equals(databaseName)) {
        throw new DatabaseNotExistException(getName(), databaseName);
      }
      return new CatalogDatabaseImpl(Map.of(), null);
    }
    try {
      return new CatalogDatabaseImpl(namespaces.loadNamespaceMetadata(namespace(databaseName)), null);
    } catch (NoSuchNamespaceException e) {
      throw new DatabaseNotExistException(getName(), databaseName, e);
    }
  }

  @Override
  public boolean databaseExists(String databaseName) throws CatalogException {
    if (!(iceberg instanceof SupportsNamespaces namespaces)) {
      return getDefaultDatabase().equals(databaseName);
    }
    return namespaces.namespaceExists(namespace(databaseName));
  }

  @Override
  public void createDatabase(String name, CatalogDatabase database, boolean ignoreIfExists) throws CatalogException {
    throw readOnly("create database " + name);
  }

  @Override
  public void dropDatabase(String name, boolean ignoreIfNotExists, boolean cascade) throws CatalogException {
    throw readOnly("drop database " + name);
  }

  @Override
  public void alterDatabase(String name, CatalogDatabase newDatabase, boolean ignoreIfNotExists)
      throws CatalogException {
    throw readOnly("alter database " + name);
  }

  /** {@code a.b} is the nested namespace {@code [a, b]}, as in the connector's {@code namespace} option. */
  private static Namespace namespace(String databaseName) {
    return OnlineTables.identifier(databaseName, "any").namespace();
  }

  // ---- tables

  @Override
  public List<String> listTables(String databaseName) throws DatabaseNotExistException, CatalogException {
    try {
      return iceberg.listTables(namespace(databaseName)).stream().map(TableIdentifier::name).sorted().toList();
    } catch (NoSuchNamespaceException e) {
      throw new DatabaseNotExistException(getName(), databaseName, e);
    }
  }

  @Override
  public List<String> listViews(String databaseName) throws CatalogException {
    return List.of();
  }

  @Override
  public CatalogBaseTable getTable(ObjectPath tablePath) throws TableNotExistException, CatalogException {
    Table table;
    try {
      table = iceberg.loadTable(identifier(tablePath));
    } catch (NoSuchTableException | NoSuchNamespaceException e) {
      throw new TableNotExistException(getName(), tablePath, e);
    }
    return CatalogTable.newBuilder()
        .schema(Schema.newBuilder().fromResolvedSchema(FlinkSchemaUtil.toResolvedSchema(table.schema())).build())
        .comment(comment(table))
        .options(Map.of(
            IcebergOnlineOptions.NAMESPACE.key(), tablePath.getDatabaseName(),
            IcebergOnlineOptions.TABLE.key(), tablePath.getObjectName()))
        .build();
  }

  /** Names the feature view the table records, if any, and its ttl (rows older count as missing in lookups). */
  private static String comment(Table table) {
    String viewJson = table.properties().get(OnlineTableLayout.PROPERTY_FEATURE_VIEW);
    if (viewJson == null) {
      return "Iceberg table " + table.name();
    }
    FeatureViewSpec view = JobConfigParser.featureViewFromJson(viewJson);
    return "online table of feature view '" + view.name() + "'"
        + view.timeToLive().map(ttl -> ", ttl " + ttl).orElse("");
  }

  @Override
  public boolean tableExists(ObjectPath tablePath) throws CatalogException {
    return iceberg.tableExists(identifier(tablePath));
  }

  private static TableIdentifier identifier(ObjectPath tablePath) {
    return OnlineTables.identifier(tablePath.getDatabaseName(), tablePath.getObjectName());
  }

  @Override
  public void dropTable(ObjectPath tablePath, boolean ignoreIfNotExists) throws CatalogException {
    throw readOnly("drop table " + tablePath);
  }

  @Override
  public void renameTable(ObjectPath tablePath, String newTableName, boolean ignoreIfNotExists)
      throws CatalogException {
    throw readOnly("rename table " + tablePath);
  }

  @Override
  public void createTable(ObjectPath tablePath, CatalogBaseTable table, boolean ignoreIfExists)
      throws CatalogException {
    throw readOnly("create table " + tablePath);
  }

  @Override
  public void alterTable(ObjectPath tablePath, CatalogBaseTable newTable, boolean ignoreIfNotExists)
      throws CatalogException {
    throw readOnly("alter table " + tablePath);
  }

  // ---- no partitions (Iceberg's bucketing is hidden), functions or statistics

  @Override
  public List<CatalogPartitionSpec> listPartitions(ObjectPath tablePath) throws CatalogException {
    return List.of();
  }

  @Override
  public List<CatalogPartitionSpec> listPartitions(ObjectPath tablePath, CatalogPartitionSpec partitionSpec)
      throws CatalogException {
    return List.of();
  }

  @Override
  public List<CatalogPartitionSpec> listPartitionsByFilter(ObjectPath tablePath, List<Expression> filters)
      throws CatalogException {
    return List.of();
  }

  @Override
  public CatalogPartition getPartition(ObjectPath tablePath, CatalogPartitionSpec partitionSpec)
      throws PartitionNotExistException, CatalogException {
    throw new PartitionNotExistException(getName(), tablePath, partitionSpec);
  }

  @Override
  public boolean partitionExists(ObjectPath tablePath, CatalogPartitionSpec partitionSpec) throws CatalogException {
    return false;
  }

  @Override
  public void createPartition(ObjectPath tablePath, CatalogPartitionSpec partitionSpec, CatalogPartition partition,
      boolean ignoreIfExists) throws CatalogException {
    throw readOnly("create a partition of " + tablePath);
  }

  @Override
  public void dropPartition(ObjectPath tablePath, CatalogPartitionSpec partitionSpec, boolean ignoreIfNotExists)
      throws CatalogException {
    throw readOnly("drop a partition of " + tablePath);
  }

  @Override
  public void alterPartition(ObjectPath tablePath, CatalogPartitionSpec partitionSpec, CatalogPartition newPartition,
      boolean ignoreIfNotExists) throws CatalogException {
    throw readOnly("alter a partition of " + tablePath);
  }

  @Override
  public List<String> listFunctions(String dbName) throws CatalogException {
    return List.of();
  }

  @Override
  public CatalogFunction getFunction(ObjectPath functionPath) throws FunctionNotExistException, CatalogException {
    throw new FunctionNotExistException(getName(), functionPath);
  }

  @Override
  public boolean functionExists(ObjectPath functionPath) throws CatalogException {
    return false;
  }

  @Override
  public void createFunction(ObjectPath functionPath, CatalogFunction function, boolean ignoreIfExists)
      throws CatalogException {
    throw readOnly("create function " + functionPath);
  }

  @Override
  public void alterFunction(ObjectPath functionPath, CatalogFunction newFunction, boolean ignoreIfNotExists)
      throws CatalogException {
    throw readOnly("alter function " + functionPath);
  }

  @Override
  public void dropFunction(ObjectPath functionPath, boolean ignoreIfNotExists) throws CatalogException {
    throw readOnly("drop function " + functionPath);
  }

  @Override
  public CatalogTableStatistics getTableStatistics(ObjectPath tablePath) throws CatalogException {
    return CatalogTableStatistics.UNKNOWN;
  }

  @Override
  public CatalogColumnStatistics getTableColumnStatistics(ObjectPath tablePath) throws CatalogException {
    return CatalogColumnStatistics.UNKNOWN;
  }

  @Override
  public CatalogTableStatistics getPartitionStatistics(ObjectPath tablePath, CatalogPartitionSpec partitionSpec)
      throws CatalogException {
    return CatalogTableStatistics.UNKNOWN;
  }

  @Override
  public CatalogColumnStatistics getPartitionColumnStatistics(ObjectPath tablePath,
      CatalogPartitionSpec partitionSpec) throws CatalogException {
    return CatalogColumnStatistics.UNKNOWN;
  }

  @Override
  public void alterTableStatistics(ObjectPath tablePath, CatalogTableStatistics tableStatistics,
      boolean ignoreIfNotExists) throws CatalogException {
    throw readOnly("alter the statistics of " + tablePath);
  }

  @Override
  public void alterTableColumnStatistics(ObjectPath tablePath, CatalogColumnStatistics columnStatistics,
      boolean ignoreIfNotExists) throws CatalogException {
    throw readOnly("alter the statistics of " + tablePath);
  }

  @Override
  public void alterPartitionStatistics(ObjectPath tablePath, CatalogPartitionSpec partitionSpec,
      CatalogTableStatistics partitionStatistics, boolean ignoreIfNotExists) throws CatalogException {
    throw readOnly("alter the statistics of " + tablePath);
  }

  @Override
  public void alterPartitionColumnStatistics(ObjectPath tablePath, CatalogPartitionSpec partitionSpec,
      CatalogColumnStatistics columnStatistics, boolean ignoreIfNotExists) throws CatalogException {
    throw readOnly("alter the statistics of " + tablePath);
  }
}
