package io.icebergonline.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.core.CatalogType;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.PlaceholderConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.stream.LongStream;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lookups on tables whose schema changed: columns are matched by field id, as Iceberg matches them. */
class SchemaEvolutionTest {
  private static final int KEYS = 200;

  @TempDir Path warehouse;

  @Test
  void afterTheKeyColumnIsRenamedPointReadsFindTheRowsWrittenBeforeTheRename() throws Exception {
    OnlineStoreConfig store = store("renamed");
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", driverStats("renamed"));
    Map<Long, String> expected = new HashMap<>();
    upsert(table, "driver_id", 1, KEYS, "before", expected);
    table.updateSchema().renameColumn("driver_id", "driver").commit();
    upsert(table, "driver", KEYS + 1, KEYS + 20, "after", expected);

    ResolvedSchema declared = ResolvedSchema.of(Column.physical("driver", DataTypes.BIGINT().notNull()),
        Column.physical("city", DataTypes.STRING()));
    TableBinding binding = TableBinding.resolve(store, "renamed", declared, null);
    assertThat(binding.filterKeyColumn()).as("the key column point reads test").isEqualTo("driver");
    try (OnlineTableReader reader = new ReaderSpec(binding, List.of("city"), List.of("driver"),
        Duration.ofHours(1).toMillis(), 0).open()) {
      assertCities(reader, KEYS + 25, expected);
      assertThat(reader.pageBytesFetched()).as("bytes read by pages, where the key column is matched").isPositive();
    }
  }

  /**
   * The key column is renamed while readers are open (with and without the live index): they keep
   * answering, before the next snapshot and after it, the rows written before and after the
   * rename, without a restart.
   */
  @Test
  void readersOpenWhileTheKeyColumnIsRenamedKeepAnswering() throws Exception {
    OnlineStoreConfig store = store("renamed_open");
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", driverStats("renamed_open"));
    Map<Long, String> expected = new HashMap<>();
    upsert(table, "driver_id", 1, KEYS, "before", expected);
    ResolvedSchema declared = ResolvedSchema.of(Column.physical("driver_id", DataTypes.BIGINT().notNull()),
        Column.physical("city", DataTypes.STRING()));
    TableBinding binding = TableBinding.resolve(store, "renamed_open", declared, null);
    try (OnlineTableReader indexed = new ReaderSpec(binding, List.of("city"), List.of("driver_id"),
            Duration.ofHours(1).toMillis(), 3, IndexMode.MEMORY, Long.MAX_VALUE).open();
        OnlineTableReader pointReads = new ReaderSpec(binding, List.of("city"), List.of("driver_id"),
            Duration.ofHours(1).toMillis(), 3).open()) {
      indexed.indexAllBuckets();
      table.updateSchema().renameColumn("driver_id", "driver").commit();
      for (OnlineTableReader reader : List.of(indexed, pointReads)) { // a new schema, no new snapshot yet
        reader.refreshNow();
        assertCities(reader, KEYS, expected);
      }
      upsert(table, "driver", KEYS - 9, KEYS + 20, "after", expected);
      for (OnlineTableReader reader : List.of(indexed, pointReads)) {
        reader.refreshNow();
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!answersEveryKeyFromIndex(indexed)) {
        assertThat(System.nanoTime()).as("the live index answers every key").isLessThan(deadline);
        Thread.sleep(20);
      }
      assertCities(indexed, KEYS + 25, expected);
      assertCities(pointReads, KEYS + 25, expected);
    }
  }

  /** The reader answers keys 1..{@code keys} with the expected cities (null: missing). */
  private static void assertCities(OnlineTableReader reader, long keys, Map<Long, String> expected) {
    for (long id = 1; id <= keys; id++) {
      RowData row = reader.lookup(GenericRowData.of(id)).row();
      assertThat(row == null ? null : row.getString(0).toString()).as("key %d", id).isEqualTo(expected.get(id));
    }
  }

  /**
   * A feature column is widened from int to long while readers are open: a Flink lookup join's
   * (declared INT) with and without the live index, and the feature server's (its binding made
   * from the table when it opened). Files written after the change hold longs; every reader keeps
   * answering every key, in the type it was opened with, without a restart; a value the old type
   * cannot hold fails the lookup naming the column.
   */
  @Test
  void wideningAFeatureColumnWhileReadersAreOpenKeepsEveryLookupAnswering() throws Exception {
    OnlineStoreConfig store = store("widened");
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", withTrips("widened"));
    Map<Long, List<Object>> expected = new HashMap<>();
    upsertTrips(table, 1, KEYS, id -> (int) id, "before", expected);

    ResolvedSchema declared = ResolvedSchema.of(Column.physical("driver_id", DataTypes.BIGINT().notNull()),
        Column.physical("trips", DataTypes.INT()), Column.physical("city", DataTypes.STRING()));
    TableBinding joinBinding = TableBinding.resolve(store, "widened", declared, null);
    TableBinding serverBinding = TableBinding.forTable(store, "widened", Duration.ZERO);
    List<String> output = List.of("trips", "city");
    try (OnlineTableReader indexed = new ReaderSpec(joinBinding, output, List.of("driver_id"),
            Duration.ofHours(1).toMillis(), 3, IndexMode.MEMORY, Long.MAX_VALUE).open();
        OnlineTableReader pointReads = new ReaderSpec(joinBinding, output, List.of("driver_id"),
            Duration.ofHours(1).toMillis(), 3).open();
        OnlineTableReader server = new ReaderSpec(serverBinding, output, List.of("driver_id"),
            Duration.ofHours(1).toMillis(), 3, IndexMode.MEMORY, Long.MAX_VALUE).open()) {
      indexed.indexAllBuckets();
      server.indexAllBuckets();
      List<OnlineTableReader> readers = List.of(indexed, pointReads, server);
      assertAnswers(readers, expected);

      table.updateSchema().updateColumn("trips", Types.LongType.get()).commit();
      upsertTrips(table, 1, 10, id -> id * 1_000, "after", expected);
      assertAnswers(readers, expected);

      upsertTrips(table, KEYS + 1, KEYS + 1, id -> 3_000_000_000L, "too big", new HashMap<>());
      for (OnlineTableReader reader : readers) {
        reader.refreshNow();
        assertThatThrownBy(() -> reader.lookup(GenericRowData.of((long) KEYS + 1)))
            .isInstanceOf(UnreadableTableException.class)
            .hasMessageContaining("Column 'trips' is now BIGINT").hasMessageContaining("cannot hold 3000000000");
      }
    }
  }

  /**
   * Another engine widens the key column from int to long while a reader is open: keys the caller
   * declared as int no longer equal the keys read (the rebuilt index would answer every key
   * missing, a point read throw a ClassCastException), so lookups fail naming the column.
   */
  @Test
  void wideningTheKeyColumnFailsLookupsNamingTheColumn() throws Exception {
    OnlineStoreConfig store = store("widened_key");
    FeatureViewSpec view = JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: widened_key",
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT32 } ]",
        "    features: [ { name: city, type: STRING } ]",
        "    buckets: 4"), key -> null).featureViews().get(0);
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", view);
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    writer.upsert(LongStream.rangeClosed(1, KEYS).mapToObj(id -> {
      Record row = writer.newRow();
      row.setField("driver_id", (int) id);
      row.setField("city", "c" + id);
      row.setField("event_timestamp", OffsetDateTime.now(ZoneOffset.UTC));
      return row;
    }).toList());
    ResolvedSchema declared = ResolvedSchema.of(Column.physical("driver_id", DataTypes.INT().notNull()),
        Column.physical("city", DataTypes.STRING()));
    try (OnlineTableReader reader = new ReaderSpec(TableBinding.resolve(store, "widened_key", declared, null),
        List.of("city"), List.of("driver_id"), Duration.ofHours(1).toMillis(), 3, IndexMode.MEMORY, Long.MAX_VALUE)
        .open()) {
      assertThat(reader.lookup(GenericRowData.of(1)).row().getString(0).toString()).isEqualTo("c1");

      table.updateSchema().updateColumn("driver_id", Types.LongType.get()).commit();
      GenericUpserts after = new GenericUpserts(table, List.of("driver_id"));
      Record widened = after.newRow();
      widened.setField("driver_id", 3_000_000_000L);
      widened.setField("city", "beyond int");
      widened.setField("event_timestamp", OffsetDateTime.now(ZoneOffset.UTC));
      after.upsert(List.of(widened));
      reader.refreshNow();
      assertThatThrownBy(() -> reader.lookup(GenericRowData.of(1))).isInstanceOf(UnreadableTableException.class)
          .hasMessageContaining("Key column 'driver_id'").hasMessageContaining("is now BIGINT");
    }
  }

  /**
   * A column the readers return is dropped from the table while they are open: they keep following
   * the table, the dropped column null in rows written after the drop.
   */
  @Test
  void droppingAReturnedColumnWhileReadersAreOpenKeepsThemFollowingTheTable() throws Exception {
    OnlineStoreConfig store = store("dropped");
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", driverStats("dropped"));
    Map<Long, String> cities = new HashMap<>();
    upsert(table, "driver_id", 1, KEYS, "before", cities);
    ResolvedSchema declared = ResolvedSchema.of(Column.physical("driver_id", DataTypes.BIGINT().notNull()),
        Column.physical("conv_rate", DataTypes.DOUBLE()), Column.physical("city", DataTypes.STRING()));
    TableBinding binding = TableBinding.resolve(store, "dropped", declared, null);
    List<String> output = List.of("conv_rate", "city");
    try (OnlineTableReader indexed = new ReaderSpec(binding, output, List.of("driver_id"),
            Duration.ofHours(1).toMillis(), 3, IndexMode.MEMORY, Long.MAX_VALUE).open();
        OnlineTableReader pointReads = new ReaderSpec(binding, output, List.of("driver_id"),
            Duration.ofHours(1).toMillis(), 3).open()) {
      indexed.indexAllBuckets();
      table.updateSchema().deleteColumn("conv_rate").commit();
      table.refresh();
      GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
      writer.upsert(LongStream.rangeClosed(1, 5).mapToObj(id -> {
        Record row = writer.newRow();
        row.setField("driver_id", id);
        row.setField("city", "after" + id);
        row.setField("event_timestamp", OffsetDateTime.now(ZoneOffset.UTC));
        cities.put(id, "after" + id);
        return row;
      }).toList());
      List<OnlineTableReader> readers = List.of(indexed, pointReads);
      readers.forEach(OnlineTableReader::refreshNow);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!answersEveryKeyFromIndex(indexed)) {
        assertThat(System.nanoTime()).as("the live index answers every key").isLessThan(deadline);
        Thread.sleep(20);
      }
      for (OnlineTableReader reader : readers) {
        for (long id = 1; id <= KEYS; id++) {
          RowData row = reader.lookup(GenericRowData.of(id)).row();
          assertThat(row.getString(1).toString()).as("city of key %d", id).isEqualTo(cities.get(id));
          assertThat(row.isNullAt(0)).as("conv_rate of key %d is null", id).isEqualTo(id <= 5);
        }
      }
    }
  }

  /**
   * Once the indexed readers answer every key from their index at the table's current snapshot,
   * every reader answers each key as expected: trips as an int, and the city.
   */
  private static void assertAnswers(List<OnlineTableReader> readers, Map<Long, List<Object>> expected)
      throws InterruptedException {
    readers.forEach(OnlineTableReader::refreshNow);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!readers.stream().allMatch(reader -> reader.indexStats() == null || answersEveryKeyFromIndex(reader))) {
      assertThat(System.nanoTime()).as("the live indexes answer every key").isLessThan(deadline);
      Thread.sleep(20);
    }
    for (OnlineTableReader reader : readers) {
      for (long id = 1; id <= KEYS; id++) {
        RowData row = reader.lookup(GenericRowData.of(id)).row();
        assertThat(row == null ? null : List.of(row.getInt(0), row.getString(1).toString())).as("key %d", id)
            .isEqualTo(expected.get(id));
      }
    }
  }

  private static boolean answersEveryKeyFromIndex(OnlineTableReader reader) {
    boolean all = true;
    for (long id = 1; id <= KEYS; id++) {
      all &= reader.lookup(GenericRowData.of(id)).fromIndex();
    }
    return all;
  }

  /** Upserts keys {@code from..to} with the given trips (in the column's current type) and city {@code version + id}. */
  private static void upsertTrips(Table table, long from, long to, LongFunction<Object> trips, String version,
      Map<Long, List<Object>> expected) {
    table.refresh();
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    writer.upsert(LongStream.rangeClosed(from, to).mapToObj(id -> {
      Record row = writer.newRow();
      row.setField("driver_id", id);
      row.setField("conv_rate", id / 10.0);
      row.setField("trips", trips.apply(id));
      row.setField("city", version + id);
      row.setField("event_timestamp", OffsetDateTime.now(ZoneOffset.UTC));
      expected.put(id, List.of(((Number) trips.apply(id)).intValue(), version + id));
      return row;
    }).toList());
  }

  private static FeatureViewSpec withTrips(String name) {
    return JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: " + name,
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: conv_rate, type: DOUBLE }, { name: trips, type: INT32 }, { name: city, type: STRING } ]",
        "    buckets: 4"), key -> null).featureViews().get(0);
  }

  private OnlineStoreConfig store(String catalogName) {
    return new OnlineStoreConfig(CatalogType.HADOOP, catalogName, null, warehouse.toUri().toString(), "online", Map.of());
  }

  /** Upserts keys {@code from..to} with city {@code version + id}, the key in column {@code keyColumn}. */
  private static void upsert(Table table, String keyColumn, long from, long to, String version,
      Map<Long, String> expected) {
    table.refresh();
    GenericUpserts writer = new GenericUpserts(table, List.of(keyColumn));
    writer.upsert(LongStream.rangeClosed(from, to).mapToObj(id -> {
      Record row = writer.newRow();
      row.setField(keyColumn, id);
      row.setField("conv_rate", id / 10.0);
      row.setField("city", version + id);
      row.setField("event_timestamp", OffsetDateTime.now(ZoneOffset.UTC));
      expected.put(id, version + id);
      return row;
    }).toList());
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
