package io.icebergonline.reader;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.CatalogType;
import io.icebergonline.core.FeastValueType;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.PlaceholderConfig;
import io.icebergonline.testing.RestCatalogOnS3;
import io.icebergonline.testing.TableRows;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.LongStream;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.utils.TypeConversions;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Point reads of single pages: object-store requests per lookup, and files written without a page index. */
class PagePointReadTest {
  private static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC);
  private static final ResolvedSchema DECLARED = ResolvedSchema.of(
      Column.physical("driver_id", DataTypes.BIGINT().notNull()), Column.physical("conv_rate", DataTypes.DOUBLE()),
      Column.physical("city", DataTypes.STRING()));

  @TempDir Path warehouse;

  @Test
  void anUncachedLookupOnS3CostsAtMostTwoGetsOnAverageOnceFileMetadataIsWarm() throws Exception {
    int keys = 2_000;
    try (RestCatalogOnS3 server = RestCatalogOnS3.start()) {
      Catalog catalog = server.newClient("pages");
      Table table = OnlineTables.createOrVerify(catalog, "online", driverStats("requests"));
      Map<Long, Double> expected = upserts(table, keys, 10);
      OnlineStoreConfig store = new OnlineStoreConfig(CatalogType.REST, "pages", server.uri(), null, "online",
          RestCatalogOnS3.fileIoProperties(server.s3Endpoint()));
      try (OnlineTableReader reader = reader(store, "requests")) {
        reader.open();
        // every fourth key: each bucket's files (all spanning the bucket's keys) are opened many times
        // over, so every file's metadata and the delete files are loaded
        for (long key = 1; key <= keys; key += 4) {
          assertThat(reader.lookup(GenericRowData.of(key)).row().getDouble(0)).isEqualTo(expected.get(key));
        }
        Random random = new Random(13);
        int lookups = 500;
        long before = CountingS3Requests.gets();
        for (int i = 0; i < lookups; i++) {
          long key = 1 + random.nextInt(keys + keys / 10); // a tenth of them absent
          RowData row = reader.lookup(GenericRowData.of(key)).row();
          assertThat(row == null ? null : row.getDouble(0)).as("key %d", key).isEqualTo(expected.get(key));
        }
        assertThat(reader.pageBytesFetched()).as("bytes read by pages: Iceberg's writer wrote a page index").isPositive();
        double getsPerLookup = (CountingS3Requests.gets() - before) / (double) lookups;
        assertThat(getsPerLookup).as("S3 GET requests per uncached lookup").isLessThanOrEqualTo(2.0);
      }
    }
  }

  @Test
  void filesWrittenWithoutAPageIndexAreStillReadExactly() throws Exception {
    int keys = 3_000;
    OnlineStoreConfig store = new OnlineStoreConfig(CatalogType.HADOOP, "no_page_index", null,
        warehouse.toUri().toString(), "online", Map.of());
    Catalog catalog = IcebergCatalogs.load(store);
    Table table = OnlineTables.createOrVerify(catalog, "online", driverStats("plain"));
    Map<Long, Double> expected = upserts(table, keys, 1);
    // another writer: the same row groups copied by parquet-mr's file appender, which writes no page index
    List<DataFile> written = new ArrayList<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      tasks.forEach(task -> written.add(task.file()));
    }
    for (DataFile file : written) {
      DataFile copy = withoutPageIndex(table, file);
      table.newRewrite().rewriteFiles(Set.of(file), Set.of(copy), file.dataSequenceNumber()).commit();
    }
    expected.putAll(upserts(table, keys / 2, keys, 100.0)); // newer files with a page index beside them

    try (OnlineTableReader reader = reader(store, "plain")) {
      reader.open();
      for (long key = 1; key <= keys + 10; key++) {
        RowData row = reader.lookup(GenericRowData.of(key)).row();
        assertThat(row == null ? null : row.getDouble(0)).as("key %d", key).isEqualTo(expected.get(key));
        assertThat(row == null ? null : row.getString(1).toString()).as("key %d", key)
            .isEqualTo(expected.containsKey(key) ? "c" + key : null);
      }
    }
  }

  @Test
  void stringKeysAreFoundByTheirBytesInThePagesThatCanHoldThem() throws Exception {
    OnlineStoreConfig store = new OnlineStoreConfig(CatalogType.HADOOP, "string_keys", null,
        warehouse.toUri().toString(), "online", Map.of());
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", JobConfigParser.parse(
        PlaceholderConfig.withFeatureViews(
            "  - name: users",
            "    topic: t",
            "    entities: [ { name: user_id, type: STRING } ]",
            "    features: [ { name: conv_rate, type: DOUBLE }, { name: city, type: STRING } ]",
            "    buckets: 2"), key -> null).featureViews().get(0));
    Map<String, Double> expected = new HashMap<>();
    GenericUpserts writer = new GenericUpserts(table, List.of("user_id"));
    for (int commit = 0; commit < 3; commit++) {
      List<Record> rows = new ArrayList<>();
      // keys of different lengths sharing prefixes, so pages' min/max bounds overlap and bytes must be compared
      for (int id = commit * 500; id < 3_000; id += commit + 1) {
        Record row = writer.newRow();
        String key = "u" + id;
        row.setField("user_id", key);
        row.setField("conv_rate", id + commit / 10.0);
        row.setField("city", "c" + id);
        row.setField("event_timestamp", NOW);
        rows.add(row);
        expected.put(key, id + commit / 10.0);
      }
      writer.upsert(rows);
      table.refresh();
    }
    ResolvedSchema declared = ResolvedSchema.of(Column.physical("user_id", DataTypes.STRING().notNull()),
        Column.physical("conv_rate", DataTypes.DOUBLE()), Column.physical("city", DataTypes.STRING()));
    try (OnlineTableReader reader = new OnlineTableReader(TableBinding.resolve(store, "users", declared, null),
        List.of("conv_rate", "city"), List.of("user_id"), Duration.ofHours(1).toMillis(), 0)) {
      reader.open();
      for (int id = 0; id < 3_100; id++) {
        String key = "u" + id;
        RowData row = reader.lookup(GenericRowData.of(StringData.fromString(key))).row();
        assertThat(row == null ? null : row.getDouble(0)).as("key %s", key).isEqualTo(expected.get(key));
      }
      assertThat(reader.lookup(GenericRowData.of(StringData.fromString("u1x"))).row()).isNull();
      assertThat(reader.pageBytesFetched()).as("bytes read by pages").isPositive();
    }
  }

  /** Every feature type, nulls, empty lists and null elements included, read by pages as the generic reader reads it. */
  @Test
  void everyFeatureTypeReadsAsTheGenericReaderReadsIt() throws Exception {
    OnlineStoreConfig store = new OnlineStoreConfig(CatalogType.HADOOP, "all_types", null,
        warehouse.toUri().toString(), "online", Map.of());
    List<String> featureLines = new ArrayList<>();
    for (FeastValueType type : FeastValueType.values()) {
      featureLines.add("{ name: f_" + type.name().toLowerCase(Locale.ROOT) + ", type: " + type + " }");
    }
    FeatureViewSpec view = JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: all_types",
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ " + String.join(", ", featureLines) + " ]",
        "    buckets: 2"), key -> null).featureViews().get(0);
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", view);
    int keys = 2_000;
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    Random random = new Random(29);
    for (int commit = 0; commit < 3; commit++) {
      List<Record> rows = new ArrayList<>();
      for (long id = 1 + commit; id <= keys; id += commit + 1) {
        Record row = writer.newRow();
        row.setField("driver_id", id);
        for (FeastValueType type : FeastValueType.values()) {
          row.setField("f_" + type.name().toLowerCase(Locale.ROOT), randomValue(type, random));
        }
        row.setField("event_timestamp", NOW);
        rows.add(row);
      }
      writer.upsert(rows);
      table.refresh();
    }
    Map<Object, Map<String, Object>> expected = TableRows.readByKey(table, "driver_id");

    List<FeastValueType> read = List.of(FeastValueType.values());
    List<Column> columns = new ArrayList<>(List.of(Column.physical("driver_id", DataTypes.BIGINT().notNull())));
    List<String> names = new ArrayList<>();
    for (FeastValueType type : read) {
      String name = "f_" + type.name().toLowerCase(Locale.ROOT);
      names.add(name);
      columns.add(Column.physical(name, TypeConversions.fromLogicalToDataType(type.flinkType(true))));
    }
    try (OnlineTableReader reader = new OnlineTableReader(
        TableBinding.resolve(store, "all_types", ResolvedSchema.of(columns), null), names, List.of("driver_id"),
        Duration.ofHours(1).toMillis(), 0)) {
      reader.open();
      for (long key = 1; key <= keys + 5; key++) {
        RowData row = reader.lookup(GenericRowData.of(key)).row();
        Map<String, Object> oracle = expected.get(key);
        if (oracle == null) {
          assertThat(row).as("key %d", key).isNull();
          continue;
        }
        assertThat(row).as("key %d", key).isNotNull();
        for (int i = 0; i < read.size(); i++) {
          Object value = RowData.createFieldGetter(read.get(i).flinkType(true), i).getFieldOrNull(row);
          assertThat(comparable(value)).as("key %d, %s", key, names.get(i)).isEqualTo(comparable(oracle.get(names.get(i))));
        }
      }
      assertThat(reader.pageBytesFetched()).as("bytes read by pages").isPositive();
    }
  }

  /** A random value of the type, null one time in eight; lists may be empty and hold nulls. */
  private static Object randomValue(FeastValueType type, Random random) {
    if (random.nextInt(8) == 0) {
      return null;
    }
    if (type.isList()) {
      List<Object> elements = new ArrayList<>();
      for (int i = random.nextInt(4); i > 0; i--) {
        elements.add(randomValue(type.elementType(), random));
      }
      return elements;
    }
    return switch (type) {
      case INT32 -> random.nextInt();
      case INT64 -> random.nextLong();
      case FLOAT -> random.nextFloat();
      case DOUBLE -> random.nextDouble();
      case STRING -> "s" + random.nextInt(1_000);
      case BYTES -> ByteBuffer.wrap(new byte[] {(byte) random.nextInt(), (byte) random.nextInt()});
      case BOOL -> random.nextBoolean();
      case UNIX_TIMESTAMP -> NOW.minusNanos(random.nextInt(1_000_000) * 1_000L);
      default -> throw new AssertionError(type);
    };
  }

  /**
   * A value of a Flink row or of {@link TableRows} in one form: strings, epoch microseconds, bytes
   * as hex and lists, so that equal values compare equal.
   */
  private static Object comparable(Object value) {
    if (value instanceof StringData string) {
      return string.toString();
    } else if (value instanceof TimestampData timestamp) {
      return TableRows.epochMicros(timestamp.toInstant());
    } else if (value instanceof byte[] bytes) {
      return HexFormat.of().formatHex(bytes);
    } else if (value instanceof ArrayData array) {
      Object[] elements = ((GenericArrayData) array).toObjectArray();
      return Arrays.stream(elements).map(PagePointReadTest::comparable).toList();
    } else if (value instanceof List<?> list) {
      return list.stream().map(PagePointReadTest::comparable).toList();
    }
    return value;
  }

  private static DataFile withoutPageIndex(Table table, DataFile file) throws Exception {
    Configuration conf = new Configuration();
    org.apache.hadoop.fs.Path source = new org.apache.hadoop.fs.Path(URI.create(file.location()));
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(URI.create(file.location().replace(".parquet", "-copy.parquet")));
    ParquetMetadata footer;
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(source, conf))) {
      footer = reader.getFooter();
    }
    ParquetFileWriter writer = new ParquetFileWriter(HadoopOutputFile.fromPath(target, conf),
        footer.getFileMetaData().getSchema(), ParquetFileWriter.Mode.CREATE, 128L * 1024 * 1024, 0);
    writer.start();
    writer.appendFile(HadoopInputFile.fromPath(source, conf));
    writer.end(footer.getFileMetaData().getKeyValueMetaData());
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(target, conf))) {
      List<ColumnChunkMetaData> chunks = reader.getFooter().getBlocks().stream().flatMap(block -> block.getColumns().stream()).toList();
      assertThat(chunks).as("column chunks of the copy").isNotEmpty()
          .allMatch(chunk -> chunk.getOffsetIndexReference() == null && chunk.getColumnIndexReference() == null);
    }
    long length = target.getFileSystem(conf).getFileStatus(target).getLen();
    return DataFiles.builder(table.specs().get(file.specId())).copy(file).withPath(target.toUri().toString())
        .withFileSizeInBytes(length).withSplitOffsets(null).build();
  }

  private static Map<Long, Double> upserts(Table table, int keys, int commits) {
    Map<Long, Double> expected = new HashMap<>();
    for (int commit = 0; commit < commits; commit++) {
      expected.putAll(upserts(table, commit == 0 ? keys : keys / 10, keys, commit));
    }
    return expected;
  }

  /** Upserts {@code count} keys of 1..keys (all of them when count == keys) with conv_rate key + version. */
  private static Map<Long, Double> upserts(Table table, int count, int keys, double version) {
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    Random random = new Random(count * 31L + (long) version);
    List<Record> rows = new ArrayList<>();
    Map<Long, Double> written = new HashMap<>();
    LongStream ids = count == keys ? LongStream.rangeClosed(1, keys) : random.longs(count, 1, keys + 1).distinct();
    ids.forEach(id -> {
      Record row = writer.newRow();
      row.setField("driver_id", id);
      row.setField("conv_rate", id + version);
      row.setField("city", "c" + id);
      row.setField("event_timestamp", NOW);
      rows.add(row);
      written.put(id, id + version);
    });
    writer.upsert(rows);
    table.refresh();
    return written;
  }

  private static OnlineTableReader reader(OnlineStoreConfig store, String tableName) {
    TableBinding binding = TableBinding.resolve(store, tableName, DECLARED, null);
    return new OnlineTableReader(binding, List.of("conv_rate", "city"), List.of("driver_id"),
        Duration.ofHours(1).toMillis(), 0);
  }

  private static FeatureViewSpec driverStats(String name) {
    return JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: " + name,
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: conv_rate, type: DOUBLE }, { name: city, type: STRING } ]",
        "    buckets: 4"), key -> null).featureViews().get(0);
  }
}
