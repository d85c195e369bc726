package io.icebergonline.core;

import java.util.List;
import java.util.Map;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.UpdatePartitionSpec;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.types.Types;

/**
 * The delete log of a feature view: an append-only Iceberg table {@code <view>__deletes} next to
 * the online table, one row per delete the job applied (bucket, canonical entity key, the delete's
 * version, when it was applied). A delete leaves no row in the online table, so without the log
 * its version would live only in the job's state; the job writes the log in the same checkpoint
 * as the delete and reads it back when it starts without state (README "Deletes and late
 * events"). Rows older than the view's {@link FeatureViewSpec#deleteVersionRetention()} are
 * ignored, and maintenance drops them. The table is partitioned by bucket, so seeding one bucket
 * reads only that bucket's files (and maintenance compacts each bucket into one file). Lookups and
 * other engines read only the online table, which never holds deleted keys.
 */
public final class DeleteLog {
  public static final String TABLE_SUFFIX = "__deletes";
  public static final String BUCKET = "bucket";
  public static final String ENTITY_KEY = "entity_key";
  public static final String EVENT_TIME = "event_time";
  public static final String DELETED_AT = "deleted_at";
  /** Iceberg's {@code FlinkSink} committer setting (IcebergFilesCommitter), read from table properties. */
  static final String MAX_CONTINUOUS_EMPTY_COMMITS = "flink.max-continuous-empty-commits";

  public static final Schema SCHEMA = new Schema(
      Types.NestedField.required(1, BUCKET, Types.IntegerType.get(), "entity-hash bucket of the key"),
      Types.NestedField.required(2, ENTITY_KEY, Types.StringType.get(),
          "canonical entity key (iceberg-online key encoding v" + EntityKeys.ENCODING_VERSION + ")"),
      Types.NestedField.required(3, EVENT_TIME, Types.TimestampType.withZone(), "version of the delete"),
      Types.NestedField.required(4, DELETED_AT, Types.TimestampType.withZone(), "when the job applied the delete"));

  private DeleteLog() {}

  public static TableIdentifier identifier(String namespace, FeatureViewSpec view) {
    return OnlineTables.identifier(namespace, view.name() + TABLE_SUFFIX);
  }

  /** Creates the view's delete log if it does not exist; the online table's namespace must exist. */
  public static Table createOrLoad(Catalog catalog, String namespace, FeatureViewSpec view) {
    TableIdentifier id = identifier(namespace, view);
    if (!catalog.tableExists(id)) {
      try {
        return catalog.buildTable(id, SCHEMA)
            .withPartitionSpec(PartitionSpec.builderFor(SCHEMA).identity(BUCKET).build())
            .withProperties(Map.of(
                TableProperties.FORMAT_VERSION, "2",
                TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true",
                TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "10",
                TableProperties.COMMIT_NUM_RETRIES, Integer.toString(OnlineTableLayout.COMMIT_RETRIES),
                // Iceberg's Flink committer commits an empty snapshot every 10 checkpoints without
                // data; most checkpoints have no delete, and the log needs no such snapshots
                MAX_CONTINUOUS_EMPTY_COMMITS, Integer.toString(Integer.MAX_VALUE)))
            .create();
      } catch (AlreadyExistsException e) {
        // created concurrently by another job: load it
      }
    }
    Table table = catalog.loadTable(id);
    partitionByBucket(table);
    return table;
  }

  /**
   * Moves a delete log of the former layout (partitioned by day of {@code deleted_at}) to the
   * partitioning by bucket. Files already written keep their layout until maintenance rewrites
   * them; new files are written by bucket. Does nothing on a log partitioned by bucket.
   */
  public static void partitionByBucket(Table table) {
    List<PartitionField> fields = table.spec().fields();
    boolean byBucket = fields.size() == 1 && fields.get(0).transform().isIdentity()
        && fields.get(0).sourceId() == table.schema().findField(BUCKET).fieldId();
    if (byBucket) {
      return;
    }
    UpdatePartitionSpec update = table.updateSpec();
    fields.forEach(field -> update.removeField(field.name()));
    update.addField(BUCKET).commit();
  }
}
