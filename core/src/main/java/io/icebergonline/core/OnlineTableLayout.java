package io.icebergonline.core;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SortOrder;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.types.Types;

/**
 * The Iceberg layout of a feature view's online table (DESIGN "Table format"): schema with the
 * entity columns as identifier fields, {@code bucket[N]} partitioning on the key column, sort by
 * key then event time, a Parquet bloom filter and full metrics on the key column, format v2, and
 * the feature-view spec recorded in table properties so readers need no second configuration.
 */
public final class OnlineTableLayout implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The derived key column of composite-key views; see {@link EntityKeys} for its encoding. */
  public static final String DERIVED_KEY_COLUMN = "_entity_key";

  public static final String PROPERTY_FEATURE_VIEW = "iceberg-online.feature-view";
  public static final String PROPERTY_KEY_COLUMN = "iceberg-online.key-column";
  public static final String PROPERTY_KEY_ENCODING_VERSION = "iceberg-online.key-encoding-version";

  /**
   * Expected distinct keys per row group, which sizes the key's bloom filter (8 KiB at 1% false
   * positives). Without it Parquet sizes every filter at its 1 MiB maximum, which dwarfs the
   * small per-checkpoint files of an online table.
   */
  static final int BLOOM_FILTER_KEYS_PER_ROW_GROUP = 5_000;

  /**
   * Small row groups (a few thousand rows): files are sorted by key, so row-group statistics
   * leave one row group per lookup, and a point read decodes only that one. Measured on 100k
   * keys, 5 commits, 2 busy cores: uncached lookup p50/p99 4.9/14.9 ms with 8 MiB row groups,
   * 2.5/8.5 ms with 256 KiB.
   */
  static final long ROW_GROUP_BYTES = 256L * 1024;
  static final long PAGE_BYTES = 64L * 1024;
  /**
   * Pages of at most 1,000 rows (Parquet's default is 20,000): a point read finds the key's page
   * through the page index and then decodes every column from the start of its page to the row
   * (parquet-mr skips values one by one), so the rows per page bound its work. A row group of a
   * few thousand rows was one page per column before. Measured on 1M keys after 20 commits, idle:
   * uncached point read p50 1.41–1.55 → 1.03–1.16 ms, p99 2.64–2.81 → 1.99–2.49 ms.
   */
  static final int PAGE_ROWS = 1_000;

  /** Commit retries (Iceberg's default is 4), with Iceberg's exponential backoff from 100 ms. */
  static final int COMMIT_RETRIES = 10;

  private final FeatureViewSpec view;
  private final Schema schema;

  private OnlineTableLayout(FeatureViewSpec view) {
    this.view = view;
    this.schema = buildSchema(view);
  }

  public static OnlineTableLayout of(FeatureViewSpec view) {
    return new OnlineTableLayout(view);
  }

  public FeatureViewSpec view() {
    return view;
  }

  public Schema schema() {
    return schema;
  }

  /** The column that is bucketed: the single entity column, or the derived key column. */
  public String keyColumn() {
    return view.hasCompositeKey() ? DERIVED_KEY_COLUMN : view.entities().get(0).name();
  }

  /**
   * The columns upserts delete by: the entity columns, plus the derived key column for composite
   * keys (Iceberg's upsert writers require the partition source column among the equality fields;
   * it is a function of the entity columns, so equality on both is equality on the entity key).
   */
  public List<String> equalityColumns() {
    List<String> columns = new ArrayList<>();
    view.entities().forEach(entity -> columns.add(entity.name()));
    if (view.hasCompositeKey()) {
      columns.add(DERIVED_KEY_COLUMN);
    }
    return columns;
  }

  public PartitionSpec partitionSpec() {
    return PartitionSpec.builderFor(schema).bucket(keyColumn(), view.buckets()).build();
  }

  public SortOrder sortOrder() {
    return SortOrder.builderFor(schema).asc(keyColumn()).asc(view.timestampField()).build();
  }

  public Map<String, String> tableProperties() {
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put(TableProperties.FORMAT_VERSION, "2");
    properties.put(TableProperties.PARQUET_BLOOM_FILTER_COLUMN_ENABLED_PREFIX + keyColumn(), "true");
    properties.put(TableProperties.PARQUET_BLOOM_FILTER_COLUMN_NDV_PREFIX + keyColumn(),
        Integer.toString(BLOOM_FILTER_KEYS_PER_ROW_GROUP));
    properties.put(TableProperties.METRICS_MODE_COLUMN_CONF_PREFIX + keyColumn(), "full");
    properties.put(TableProperties.PARQUET_ROW_GROUP_SIZE_BYTES, Long.toString(ROW_GROUP_BYTES));
    properties.put(TableProperties.PARQUET_PAGE_SIZE_BYTES, Long.toString(PAGE_BYTES));
    properties.put(TableProperties.PARQUET_PAGE_ROW_LIMIT, Integer.toString(PAGE_ROWS));
    properties.put(TableProperties.UPSERT_ENABLED, "true");
    properties.put(TableProperties.WRITE_DISTRIBUTION_MODE, TableProperties.WRITE_DISTRIBUTION_MODE_HASH);
    properties.put(TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true");
    // one commit per checkpoint: keep 10 old metadata files, not Iceberg's default 100
    properties.put(TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "10");
    // maintenance commits concurrently with the job by design (per bucket, in the job and one-shot):
    // Iceberg's default of 4 commit retries can run out under that contention and fail the job over
    properties.put(TableProperties.COMMIT_NUM_RETRIES, Integer.toString(COMMIT_RETRIES));
    properties.putAll(specProperties());
    return properties;
  }

  /** The properties that record the feature view; updated when the view's config changes. */
  Map<String, String> specProperties() {
    return Map.of(
        PROPERTY_FEATURE_VIEW, JobConfigParser.featureViewToJson(view),
        PROPERTY_KEY_COLUMN, keyColumn(),
        PROPERTY_KEY_ENCODING_VERSION, Integer.toString(EntityKeys.ENCODING_VERSION));
  }

  /**
   * The entity columns of an online table in key order: its identifier fields by field id, which
   * is the order the view declared them in when the table was created.
   */
  public static List<String> entityColumns(Schema tableSchema) {
    List<String> columns = new ArrayList<>(tableSchema.identifierFieldNames());
    columns.sort(Comparator.comparingInt(column -> tableSchema.findField(column).fieldId()));
    return columns;
  }

  /** The key column value of a row, given its entity values in declared order. */
  public Object keyValue(List<?> entityValues) {
    return view.hasCompositeKey() ? EntityKeys.compositeKey(entityValues) : entityValues.get(0);
  }

  private static Schema buildSchema(FeatureViewSpec view) {
    int topLevelColumns = view.entities().size() + (view.hasCompositeKey() ? 1 : 0) + 1
        + (view.createdTimestamp().isPresent() ? 1 : 0) + view.features().size();
    AtomicInteger nestedIds = new AtomicInteger(topLevelColumns);
    int id = 0;
    List<Types.NestedField> columns = new ArrayList<>();
    Set<Integer> identifierIds = new HashSet<>();
    for (FieldSpec entity : view.entities()) {
      columns.add(Types.NestedField.required(++id, entity.name(), entity.type().icebergType(nestedIds::incrementAndGet)));
      identifierIds.add(id);
    }
    if (view.hasCompositeKey()) {
      columns.add(Types.NestedField.required(++id, DERIVED_KEY_COLUMN, Types.StringType.get(),
          "canonical encoding of the entity columns (iceberg-online key encoding v" + EntityKeys.ENCODING_VERSION + ")"));
    }
    columns.add(Types.NestedField.required(++id, view.timestampField(), Types.TimestampType.withZone(), "event time"));
    if (view.createdTimestamp().isPresent()) {
      columns.add(Types.NestedField.optional(++id, view.createdTimestampColumn(), Types.TimestampType.withZone(),
          "created time, tie-breaker for equal event times"));
    }
    for (FieldSpec feature : view.features()) {
      columns.add(Types.NestedField.optional(++id, feature.name(), feature.type().icebergType(nestedIds::incrementAndGet)));
    }
    return new Schema(columns, identifierIds);
  }
}
