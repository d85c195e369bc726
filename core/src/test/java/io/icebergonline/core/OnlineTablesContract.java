package io.icebergonline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.testing.PlaceholderConfig;
import io.icebergonline.testing.TableRows;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.types.Types;
import org.apache.parquet.column.values.bloomfilter.BloomFilter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.io.LocalInputFile;
import org.junit.jupiter.api.Test;

/** Create, verify and evolve online tables; run against each catalog by a subclass. */
abstract class OnlineTablesContract {
  private static final String VIEW_YAML = PlaceholderConfig.withFeatureViews(
      "  - name: %s",
      "    topic: t",
      "    entities: [ %s ]",
      "    features: [ %s ]",
      "    created_timestamp_column: created",
      "    ttl: 2h",
      "    buckets: %d");

  /** The catalog under test, shared by the test class. */
  abstract Catalog catalog();

  /** A namespace no other test uses. */
  abstract String namespace();

  static FeatureViewSpec view(String name, String entities, String features, int buckets) {
    String yaml = String.format(VIEW_YAML, name, entities, features, buckets);
    return JobConfigParser.parse(yaml, key -> null).featureViews().get(0);
  }

  static FeatureViewSpec driverStats(String name, int buckets, String extraFeatures) {
    return view(name, "{ name: driver_id, type: INT64 }",
        "{ name: conv_rate, type: DOUBLE }, { name: trips, type: INT32 }, { name: embedding, type: FLOAT_LIST }"
            + extraFeatures, buckets);
  }

  @Test
  void createsTheDesignedLayout() {
    FeatureViewSpec spec = driverStats("created_layout", 16, "");
    Table table = OnlineTables.createOrVerify(catalog(), namespace(), spec);

    assertThat(table.schema().columns()).extracting(Types.NestedField::name)
        .containsExactly("driver_id", "event_timestamp", "created", "conv_rate", "trips", "embedding");
    assertThat(table.schema().findField("driver_id").isRequired()).isTrue();
    assertThat(table.schema().findField("event_timestamp").type()).isEqualTo(Types.TimestampType.withZone());
    assertThat(table.schema().findField("conv_rate").isOptional()).isTrue();
    assertThat(table.schema().findField("embedding").type().asListType().elementType()).isEqualTo(Types.FloatType.get());
    assertThat(table.schema().identifierFieldNames()).containsExactly("driver_id");
    assertThat(table.spec().fields()).hasSize(1);
    assertThat(table.spec().fields().get(0).transform().toString()).isEqualTo("bucket[16]");
    assertThat(table.schema().findColumnName(table.spec().fields().get(0).sourceId())).isEqualTo("driver_id");
    assertThat(table.sortOrder().fields()).extracting(field -> table.schema().findColumnName(field.sourceId()))
        .containsExactly("driver_id", "event_timestamp");
    assertThat(table.properties())
        .containsEntry("write.parquet.bloom-filter-enabled.column.driver_id", "true")
        .containsEntry(OnlineTableLayout.PROPERTY_KEY_COLUMN, "driver_id")
        .containsEntry(OnlineTableLayout.PROPERTY_KEY_ENCODING_VERSION, "1")
        .containsEntry("commit.retry.num-retries", "10");
    assertThat(((HasTableOperations) table).operations().current().formatVersion()).isEqualTo(2);
    assertThat(JobConfigParser.featureViewFromJson(table.properties().get(OnlineTableLayout.PROPERTY_FEATURE_VIEW)))
        .isEqualTo(spec);
  }

  @Test
  void compositeKeysBucketOnTheDerivedKeyColumn() {
    FeatureViewSpec spec = view("composite_layout",
        "{ name: customer_id, type: STRING }, { name: region, type: INT32 }", "{ name: spend, type: FLOAT }", 8);
    Table table = OnlineTables.createOrVerify(catalog(), namespace(), spec);

    assertThat(table.schema().identifierFieldNames()).containsExactlyInAnyOrder("customer_id", "region");
    assertThat(table.schema().findField(OnlineTableLayout.DERIVED_KEY_COLUMN).isRequired()).isTrue();
    assertThat(table.schema().findColumnName(table.spec().fields().get(0).sourceId()))
        .isEqualTo(OnlineTableLayout.DERIVED_KEY_COLUMN);
    assertThat(table.properties())
        .containsEntry("write.parquet.bloom-filter-enabled.column." + OnlineTableLayout.DERIVED_KEY_COLUMN, "true");
  }

  @Test
  void anExistingCompatibleTableIsAcceptedUnchanged() {
    FeatureViewSpec spec = driverStats("verified_unchanged", 16, "");
    Table created = OnlineTables.createOrVerify(catalog(), namespace(), spec);
    long snapshotlessMetadata = ((HasTableOperations) created).operations().current().lastUpdatedMillis();

    Table verified = OnlineTables.createOrVerify(catalog(), namespace(), spec);

    assertThat(verified.schema().schemaId()).isEqualTo(created.schema().schemaId());
    assertThat(((HasTableOperations) verified).operations().current().lastUpdatedMillis())
        .isEqualTo(snapshotlessMetadata);
  }

  @Test
  void newFeaturesAreAddedAndIntegerFeaturesWidened() {
    OnlineTables.createOrVerify(catalog(), namespace(), driverStats("evolved", 16, ""));
    FeatureViewSpec evolved = view("evolved", "{ name: driver_id, type: INT64 }",
        "{ name: conv_rate, type: DOUBLE }, { name: trips, type: INT64 }, { name: embedding, type: FLOAT_LIST },"
            + " { name: rating, type: FLOAT }", 16);

    Table table = OnlineTables.createOrVerify(catalog(), namespace(), evolved);

    assertThat(table.schema().findField("rating").type()).isEqualTo(Types.FloatType.get());
    assertThat(table.schema().findField("rating").isOptional()).isTrue();
    assertThat(table.schema().findField("trips").type()).isEqualTo(Types.LongType.get());
    assertThat(JobConfigParser.featureViewFromJson(table.properties().get(OnlineTableLayout.PROPERTY_FEATURE_VIEW)))
        .isEqualTo(evolved);
  }

  @Test
  void aChangedKeyTypeIsRefusedSayingWhatDiffers() {
    OnlineTables.createOrVerify(catalog(), namespace(), driverStats("key_changed", 16, ""));
    FeatureViewSpec changed = view("key_changed", "{ name: driver_id, type: STRING }", "{ name: conv_rate, type: DOUBLE }", 16);

    assertThatThrownBy(() -> OnlineTables.createOrVerify(catalog(), namespace(), changed))
        .isInstanceOf(IncompatibleTableException.class)
        .hasMessageContaining("is incompatible with feature view 'key_changed'")
        .hasMessageContaining("column driver_id is long in the table, feature view needs string");
  }

  @Test
  void differentPartitioningOrFeatureTypeIsRefused() {
    OnlineTables.createOrVerify(catalog(), namespace(), driverStats("repartitioned", 16, ""));
    FeatureViewSpec changed = view("repartitioned", "{ name: driver_id, type: INT64 }",
        "{ name: conv_rate, type: STRING }", 8);

    assertThatThrownBy(() -> OnlineTables.createOrVerify(catalog(), namespace(), changed))
        .isInstanceOf(IncompatibleTableException.class)
        .hasMessageContaining("partitioning is [bucket[16](driver_id)] in the table, feature view needs [bucket[8](driver_id)]")
        .hasMessageContaining("column conv_rate is double in the table, feature view needs string")
        .satisfies(error -> assertThat(((IncompatibleTableException) error).differences()).hasSize(2));
  }

  @Test
  void reorderedEntitiesAreRefusedNamingBothOrders() {
    OnlineTables.createOrVerify(catalog(), namespace(), view("reordered",
        "{ name: customer_id, type: STRING }, { name: region, type: INT32 }", "{ name: spend, type: FLOAT }", 8));
    FeatureViewSpec reordered = view("reordered",
        "{ name: region, type: INT32 }, { name: customer_id, type: STRING }", "{ name: spend, type: FLOAT }", 8);
    Table before = catalog().loadTable(OnlineTables.identifier(namespace(), reordered));

    assertThatThrownBy(() -> OnlineTables.createOrVerify(catalog(), namespace(), reordered))
        .isInstanceOf(IncompatibleTableException.class)
        .hasMessageContaining("entity order is [customer_id, region] in the table, feature view has [region, customer_id]");
    assertThat(catalog().loadTable(OnlineTables.identifier(namespace(), reordered)).properties())
        .as("the recorded feature view is not rewritten").isEqualTo(before.properties());
  }

  @Test
  void aRowWrittenByIcebergsGenericWriterLandsInItsBucketWithABloomFilterOnTheKey() throws IOException {
    FeatureViewSpec spec = driverStats("generic_written", 16, "");
    Table table = OnlineTables.createOrVerify(catalog(), namespace(), spec);
    List<Long> keys = List.of(42L, 7L, 1_000_003L);

    Map<String, Long> keyOfFile = new HashMap<>();
    AppendFiles append = table.newAppend();
    GenericFileWriterFactory writers = new GenericFileWriterFactory.Builder(table).dataFileFormat(FileFormat.PARQUET).build();
    OutputFileFactory outputs = OutputFileFactory.builderFor(table, 1, 1).format(FileFormat.PARQUET).build();
    for (long key : keys) {
      Record row = GenericRecord.create(table.schema());
      row.setField("driver_id", key);
      row.setField("event_timestamp", OffsetDateTime.of(2026, 11, 23, 8, 0, 0, 0, ZoneOffset.UTC));
      row.setField("conv_rate", 0.5);
      PartitionKey partition = new PartitionKey(table.spec(), table.schema());
      partition.partition(row);
      DataWriter<Record> writer = writers.newDataWriter(outputs.newOutputFile(table.spec(), partition), table.spec(), partition);
      try (writer) {
        writer.write(row);
      }
      DataFile file = writer.toDataFile();
      keyOfFile.put(file.location(), key);
      append.appendFile(file);
    }
    append.commit();

    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      int checked = 0;
      for (FileScanTask task : tasks) {
        long key = keyOfFile.get(task.file().location());
        assertThat(task.file().partition().get(0, Integer.class)).as("bucket of %d", key)
            .isEqualTo(EntityKeys.bucket(key, 16));
        assertKeyInBloomFilter(table.io().newInputFile(task.file().location()), key);
        checked++;
      }
      assertThat(checked).isEqualTo(keys.size());
    }
    assertThat(TableRows.readByKey(table, "driver_id").keySet()).containsExactlyInAnyOrderElementsOf(keys);
  }

  private static void assertKeyInBloomFilter(InputFile file, long key) throws IOException {
    Path local = Files.createTempFile("data", ".parquet");
    try (InputStream in = file.newStream()) {
      Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
    }
    try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(local))) {
      for (BlockMetaData rowGroup : reader.getRowGroups()) {
        ColumnChunkMetaData keyChunk = rowGroup.getColumns().stream()
            .filter(column -> column.getPath().toDotString().equals("driver_id")).findFirst().orElseThrow();
        BloomFilter bloom = reader.getBloomFilterDataReader(rowGroup).readBloomFilter(keyChunk);
        assertThat(bloom).as("bloom filter on driver_id in %s", file.location()).isNotNull();
        assertThat(bloom.findHash(bloom.hash(key))).isTrue();
      }
    } finally {
      Files.delete(local);
    }
  }
}
