package io.icebergonline.core;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.UpdateProperties;
import org.apache.iceberg.UpdateSchema;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.TypeUtil;
import org.apache.iceberg.types.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates a feature view's online table, or verifies that an existing one can hold the view:
 * same key columns and types, same identifier fields in the same order, same {@code bucket[N]} partitioning. New
 * feature columns are added (optional) and widening type promotions applied; anything else
 * incompatible fails with a message listing every difference.
 */
public final class OnlineTables {
  private static final Logger LOG = LoggerFactory.getLogger(OnlineTables.class);

  private OnlineTables() {}

  public static TableIdentifier identifier(String namespace, FeatureViewSpec view) {
    return identifier(namespace, view.name());
  }

  /** {@code namespace} may be dotted ({@code a.b}) for nested namespaces. */
  public static TableIdentifier identifier(String namespace, String table) {
    return TableIdentifier.of(Namespace.of(namespace.split("\\.")), table);
  }

  public static Table createOrVerify(Catalog catalog, String namespace, FeatureViewSpec view) {
    OnlineTableLayout layout = OnlineTableLayout.of(view);
    TableIdentifier id = identifier(namespace, view);
    if (catalog instanceof SupportsNamespaces namespaces && !namespaces.namespaceExists(id.namespace())) {
      try {
        namespaces.createNamespace(id.namespace());
      } catch (AlreadyExistsException e) {
        // created concurrently by another job: fine
      }
    }
    if (!catalog.tableExists(id)) {
      try {
        Table table = catalog.buildTable(id, layout.schema())
            .withPartitionSpec(layout.partitionSpec())
            .withSortOrder(layout.sortOrder())
            .withProperties(layout.tableProperties())
            .create();
        LOG.info("Created online table {} for feature view '{}' with {} buckets on {}",
            id, view.name(), view.buckets(), layout.keyColumn());
        return table;
      } catch (AlreadyExistsException e) {
        LOG.info("Online table {} was created concurrently; verifying it", id);
      }
    }
    Table table = catalog.loadTable(id);
    verifyAndEvolve(table, layout);
    return table;
  }

  static void verifyAndEvolve(Table table, OnlineTableLayout layout) {
    FeatureViewSpec view = layout.view();
    Schema expected = layout.schema();
    Schema actual = table.schema();
    List<String> differences = new ArrayList<>();

    List<String> keyColumns = new ArrayList<>();
    view.entities().forEach(entity -> keyColumns.add(entity.name()));
    if (view.hasCompositeKey()) {
      keyColumns.add(OnlineTableLayout.DERIVED_KEY_COLUMN);
    }
    keyColumns.add(view.timestampField());
    for (String column : keyColumns) {
      Types.NestedField want = expected.findField(column);
      Types.NestedField have = actual.findField(column);
      if (have == null) {
        differences.add("column " + column + " is missing from the table (feature view needs " + want.type() + ")");
      } else if (!sameType(have.type(), want.type())) {
        differences.add("column " + column + " is " + have.type() + " in the table, feature view needs " + want.type());
      } else if (have.isOptional()) {
        differences.add("column " + column + " is optional in the table, feature view needs it required");
      }
    }

    List<String> wantEntities = view.entities().stream().map(FieldSpec::name).toList();
    Set<String> wantIdentifiers = new HashSet<>(wantEntities);
    List<String> haveEntities = OnlineTableLayout.entityColumns(actual);
    if (!actual.identifierFieldNames().equals(wantIdentifiers)) {
      differences.add("identifier fields are " + actual.identifierFieldNames() + " in the table, feature view needs " + wantIdentifiers);
    } else if (!haveEntities.equals(wantEntities)) {
      differences.add("entity order is " + haveEntities + " in the table, feature view has " + wantEntities
          + " (composite keys are encoded in entity order; list the entities in the table's order)");
    }

    String havePartitioning = describe(table.spec());
    String wantPartitioning = describe(layout.partitionSpec());
    if (!havePartitioning.equals(wantPartitioning)) {
      differences.add("partitioning is " + havePartitioning + " in the table, feature view needs " + wantPartitioning);
    }

    UpdateSchema update = table.updateSchema();
    List<String> changes = new ArrayList<>();
    List<String> optionalColumns = new ArrayList<>();
    view.createdTimestamp().ifPresent(optionalColumns::add);
    view.features().forEach(feature -> optionalColumns.add(feature.name()));
    for (String column : optionalColumns) {
      Types.NestedField want = expected.findField(column);
      Types.NestedField have = actual.findField(column);
      if (have == null) {
        update.addColumn(column, want.type(), want.doc());
        changes.add("added column " + column + " " + want.type());
      } else if (!sameType(have.type(), want.type())) {
        if (isPromotion(have.type(), want.type())) {
          update.updateColumn(column, want.type().asPrimitiveType());
          changes.add("widened column " + column + " from " + have.type() + " to " + want.type());
        } else {
          differences.add("column " + column + " is " + have.type() + " in the table, feature view needs " + want.type());
        }
      }
    }

    if (!differences.isEmpty()) {
      throw new IncompatibleTableException(table.name(), view.name(), differences);
    }
    if (!changes.isEmpty()) {
      update.commit();
      LOG.info("Evolved online table {}: {}", table.name(), String.join(", ", changes));
    }
    Map<String, String> specProperties = layout.specProperties();
    Map<String, String> current = table.properties();
    if (specProperties.entrySet().stream().anyMatch(e -> !e.getValue().equals(current.get(e.getKey())))) {
      UpdateProperties properties = table.updateProperties();
      specProperties.forEach(properties::set);
      properties.commit();
    }
  }

  /** Type equality ignoring the field ids of nested (list element) fields. */
  private static boolean sameType(Type have, Type want) {
    if (have.isListType() && want.isListType()) {
      Types.ListType haveList = have.asListType();
      Types.ListType wantList = want.asListType();
      return haveList.isElementOptional() == wantList.isElementOptional()
          && sameType(haveList.elementType(), wantList.elementType());
    }
    return have.equals(want);
  }

  private static boolean isPromotion(Type from, Type to) {
    return from.isPrimitiveType() && to.isPrimitiveType() && TypeUtil.isPromotionAllowed(from, to.asPrimitiveType());
  }

  /** A spec as e.g. {@code [bucket[16](driver_id)]}, independent of field ids and names. */
  private static String describe(PartitionSpec spec) {
    List<String> fields = new ArrayList<>();
    for (PartitionField field : spec.fields()) {
      fields.add(field.transform() + "(" + spec.schema().findColumnName(field.sourceId()) + ")");
    }
    return fields.toString();
  }
}
