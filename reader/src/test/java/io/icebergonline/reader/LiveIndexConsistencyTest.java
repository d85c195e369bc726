package io.icebergonline.reader;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.CatalogType;
import io.icebergonline.core.EntityKeys;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.PlaceholderConfig;
import io.icebergonline.testing.TableRows;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.OverwriteFiles;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live index answers as point reads and Iceberg's readers do, whatever the table and the index go through. */
class LiveIndexConsistencyTest {
  private static final int KEYS = 40;
  /** One event time for every row: a delete row lands in the day partition of the row it deletes. */
  private static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC);
  private static final int BUCKETS = 4;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final ResolvedSchema DECLARED = ResolvedSchema.of(
      Column.physical("driver_id", DataTypes.BIGINT().notNull()), Column.physical("conv_rate", DataTypes.DOUBLE()),
      Column.physical("city", DataTypes.STRING()));

  @TempDir Path warehouse;

  /**
   * A lookup takes its key's bucket, checks that it is at the reader's snapshot, then reads the
   * key's rows. Here the lookup pauses between the two (inside the map's lookup, where it asks the
   * key for its hash) while a copy-on-write overwrite of the bucket makes the index drop and rebuild
   * it: the paused lookup must still answer the row it would have answered, not "missing".
   */
  @Test
  void aLookupRacingTheRebuildOfItsBucketAnswersTheOldRowsNeverMissing() throws Exception {
    OnlineStoreConfig store = store("racing");
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", driverStats("racing"));
    Map<Long, Record> rows = new HashMap<>();
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    writer.upsert(LongStream.rangeClosed(1, KEYS).mapToObj(id -> {
      Record row = driver(writer, id, "v1");
      rows.put(id, row);
      return row;
    }).toList());

    ExecutorService lookups = Executors.newSingleThreadExecutor();
    try (OnlineTableReader reader = reader(store, "racing")) {
      reader.indexAllBuckets();
      awaitCondition("the index answers every key", () -> answersEveryKeyFromIndex(reader));
      LiveIndex index = reader.liveIndex();
      long key = 1;
      int bucket = index.bucketOf(key);
      long before = reader.snapshotId();
      PausingKey paused = new PausingKey(key);
      Future<LiveIndex.Hit> racing = lookups.submit(() -> index.lookup(paused, bucket, before));
      assertThat(paused.entered.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the lookup reached the map").isTrue();

      overwriteBucket(table, bucket, rows);
      reader.refreshNow(); // the index drops the bucket and starts rebuilding it
      paused.resume.countDown();
      LiveIndex.Hit hit = racing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      assertThat(hit).as("the index answered the lookup it had taken").isNotNull();
      assertThat(hit.row()).as("key %d, live at snapshot %d", key, before).isNotNull();
      assertThat(hit.row().getString(1).toString()).isEqualTo("v1");

      awaitCondition("the rebuilt bucket answers", () -> answersEveryKeyFromIndex(reader));
      assertThat(reader.lookup(GenericRowData.of(key)).row().getString(1).toString()).isEqualTo("v1");
    } finally {
      lookups.shutdownNow();
    }
  }

  /**
   * Another engine evolves the partition spec (adds a day partition) and compacts every file into
   * the new spec. Later upserts and deletes are partitioned equality deletes of the new spec: Iceberg
   * applies them to the rewritten rows, and so must the index, though it read those rows from the
   * files of the old spec. An upsert then a delete must not bring back the value from before the
   * upsert.
   */
  @Test
  void afterACompactionIntoANewPartitionSpecTheIndexAppliesLaterDeletesAsIcebergDoes() throws Exception {
    OnlineStoreConfig store = store("evolved");
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", driverStats("evolved"));
    Map<Long, String> oracle = new HashMap<>();
    GenericUpserts before = new GenericUpserts(table, List.of("driver_id"));
    before.upsert(LongStream.rangeClosed(1, KEYS).mapToObj(id -> {
      oracle.put(id, "v1");
      return driver(before, id, "v1");
    }).toList());

    try (OnlineTableReader indexed = reader(store, "evolved");
        OnlineTableReader pointReads = pointReader(store, "evolved")) {
      indexed.indexAllBuckets();
      assertExact(table, oracle, indexed, pointReads);

      table.updateSpec().addField(Expressions.day("event_timestamp")).commit();
      compactIntoCurrentSpec(table);
      assertExact(table, oracle, indexed, pointReads);

      GenericUpserts after = new GenericUpserts(table, List.of("driver_id"));
      after.upsert(List.of(driver(after, 1, "v2")));
      oracle.put(1L, "v2");
      assertExact(table, oracle, indexed, pointReads);
      after.delete(List.of(driver(after, 1, null), driver(after, 2, null)));
      oracle.remove(1L);
      oracle.remove(2L);
      assertExact(table, oracle, indexed, pointReads);
    }
  }

  /**
   * The index is built after many upserts and deletes: rows that a later upsert replaced, keys
   * deleted (with no row after), and keys deleted then written again. It answers each key as
   * Iceberg's reader does, and holds exactly the table's live rows, no superseded one.
   */
  @Test
  void anIndexBuiltAfterUpsertsAndDeletesHoldsExactlyTheLiveRows() throws Exception {
    OnlineStoreConfig store = store("history");
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", driverStats("history"));
    Map<Long, String> oracle = new HashMap<>();
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    for (int version = 1; version <= 4; version++) {
      String city = "v" + version;
      int step = version;
      List<Long> written = LongStream.rangeClosed(1, KEYS).filter(id -> id % step == 0).boxed().toList();
      writer.upsert(written.stream().map(id -> driver(writer, id, city)).toList());
      written.forEach(id -> oracle.put(id, city));
      List<Long> deleted = LongStream.rangeClosed(1, KEYS).filter(id -> id % 7 == step).boxed().toList();
      writer.delete(deleted.stream().map(id -> driver(writer, id, null)).toList());
      deleted.forEach(oracle::remove);
    }

    try (OnlineTableReader indexed = reader(store, "history");
        OnlineTableReader pointReads = pointReader(store, "history")) {
      indexed.indexAllBuckets();
      assertExact(table, oracle, indexed, pointReads);
      assertThat(indexed.indexStats().rows()).as("rows the index holds").isEqualTo(oracle.size());
    }
  }

  /**
   * A bucket that cannot fit the index's memory budget is given up at its first rows: its build
   * opens one data file, not every file of the bucket, and its keys are answered by point reads.
   */
  @Test
  void aBucketBeyondTheBudgetStopsBuildingInItsFirstFile() throws Exception {
    OnlineStoreConfig store = new OnlineStoreConfig(CatalogType.HADOOP, "budget", null, warehouse.toUri().toString(),
        "online", Map.of("io-impl", CountingFileIO.class.getName()));
    Table table = OnlineTables.createOrVerify(IcebergCatalogs.load(store), "online", driverStats("budget"));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    int commits = 5;
    Map<Long, String> oracle = new HashMap<>();
    for (int commit = 0; commit < commits; commit++) { // appends of new keys: every bucket gets a file per commit
      List<Record> rows = LongStream.rangeClosed(commit * KEYS + 1L, (commit + 1L) * KEYS)
          .mapToObj(id -> driver(writer, id, "c" + id)).toList();
      rows.forEach(row -> oracle.put((Long) row.getField("driver_id"), (String) row.getField("city")));
      AppendFiles append = table.newAppend();
      writer.writeDataFiles(rows).forEach(append::appendFile);
      append.commit();
    }
    Set<String> dataFiles = new HashSet<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      tasks.forEach(task -> dataFiles.add(task.file().location()));
    }
    assertThat(dataFiles).hasSize(commits * BUCKETS);

    try (OnlineTableReader indexed = open(store, "budget", IndexMode.MEMORY, 1)) {
      int openedBefore = CountingFileIO.opened().size();
      indexed.indexAllBuckets();
      awaitCondition("every bucket given up", () -> indexed.indexStats().bucketsOverBudget() == BUCKETS);
      List<String> opened = CountingFileIO.opened().subList(openedBefore, CountingFileIO.opened().size());
      assertThat(opened.stream().filter(dataFiles::contains).count()).as("data files the builds opened")
          .isEqualTo(BUCKETS);
      for (long id = 1; id <= commits * KEYS; id += 7) {
        OnlineTableReader.Result result = indexed.lookup(GenericRowData.of(id));
        assertThat(result.fromIndex()).isFalse();
        assertThat(city(result)).as("point read, key %d", id).isEqualTo(oracle.get(id));
      }
    }
  }

  /**
   * Once the index answers every key at the table's current snapshot, each key's index answer,
   * point read and Iceberg's own reader equal the oracle.
   */
  private static void assertExact(Table table, Map<Long, String> oracle, OnlineTableReader indexed,
      OnlineTableReader pointReads) throws InterruptedException {
    indexed.refreshNow();
    pointReads.refreshNow();
    awaitCondition("the index answers every key", () -> answersEveryKeyFromIndex(indexed));
    Map<Object, Map<String, Object>> iceberg = TableRows.readByKey(table, "driver_id");
    for (long id = 1; id <= KEYS; id++) {
      Map<String, Object> icebergRow = iceberg.get(id);
      assertThat(icebergRow == null ? null : icebergRow.get("city")).as("Iceberg's reader, key %d", id)
          .isEqualTo(oracle.get(id));
      assertThat(city(pointReads.lookup(GenericRowData.of(id)))).as("point read, key %d", id).isEqualTo(oracle.get(id));
      OnlineTableReader.Result fromIndex = indexed.lookup(GenericRowData.of(id));
      assertThat(fromIndex.fromIndex()).isTrue();
      assertThat(city(fromIndex)).as("index, key %d", id).isEqualTo(oracle.get(id));
    }
  }

  private static String city(OnlineTableReader.Result result) {
    return result.row() == null ? null : result.row().getString(1).toString();
  }

  /** What a rewrite_data_files after partition evolution commits: every live row rewritten in the current spec. */
  private static void compactIntoCurrentSpec(Table table) throws IOException {
    table.refresh();
    long planned = table.currentSnapshot().snapshotId();
    Set<DataFile> oldData = new HashSet<>();
    Set<DeleteFile> oldDeletes = new HashSet<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        oldData.add(task.file());
        oldDeletes.addAll(task.deletes());
      }
    }
    List<Record> live = new ArrayList<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      records.forEach(record -> live.add(record.copy()));
    }
    Set<DataFile> newData = new GenericUpserts(table, List.of("driver_id")).writeDataFiles(live);
    assertThat(newData).allMatch(file -> file.specId() == table.spec().specId());
    table.newRewrite().validateFromSnapshot(planned).rewriteFiles(oldData, oldDeletes, newData, Set.of()).commit();
  }

  /** A lookup key equal to a long key that pauses when asked for its hash, the first thing a map lookup asks. */
  private static final class PausingKey {
    final long id;
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch resume = new CountDownLatch(1);

    PausingKey(long id) {
      this.id = id;
    }

    @Override
    public int hashCode() {
      entered.countDown();
      try {
        resume.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Long.hashCode(id);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Long value && value == id;
    }
  }

  /** What a copy-on-write MERGE does to a bucket: its data files replaced by one holding the same live rows. */
  private static void overwriteBucket(Table table, int bucket, Map<Long, Record> rows) throws IOException {
    table.refresh();
    OverwriteFiles overwrite = table.newOverwrite().validateFromSnapshot(table.currentSnapshot().snapshotId());
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        if (task.file().partition().get(0, Integer.class) == bucket) {
          overwrite.deleteFile(task.file());
        }
      }
    }
    List<Record> live = rows.entrySet().stream().filter(row -> EntityKeys.bucket(row.getKey(), BUCKETS) == bucket)
        .map(Map.Entry::getValue).toList();
    new GenericUpserts(table, List.of("driver_id")).writeDataFiles(live).forEach(overwrite::addFile);
    overwrite.commit();
  }

  private static boolean answersEveryKeyFromIndex(OnlineTableReader reader) {
    boolean all = true;
    for (long id = 1; id <= KEYS; id++) {
      all &= reader.lookup(GenericRowData.of(id)).fromIndex();
    }
    return all;
  }

  private static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private OnlineStoreConfig store(String catalogName) {
    return new OnlineStoreConfig(CatalogType.HADOOP, catalogName, null, warehouse.toUri().toString(), "online", Map.of());
  }

  /** An indexed reader that only the test refreshes. */
  private static OnlineTableReader reader(OnlineStoreConfig store, String tableName) {
    return open(store, tableName, IndexMode.MEMORY);
  }

  /** A reader of point reads only, that only the test refreshes. */
  private static OnlineTableReader pointReader(OnlineStoreConfig store, String tableName) {
    return open(store, tableName, IndexMode.NONE);
  }

  private static OnlineTableReader open(OnlineStoreConfig store, String tableName, IndexMode mode) {
    return open(store, tableName, mode, Long.MAX_VALUE);
  }

  private static OnlineTableReader open(OnlineStoreConfig store, String tableName, IndexMode mode, long indexMaxBytes) {
    TableBinding binding = TableBinding.resolve(store, tableName, DECLARED, null);
    OnlineTableReader reader = new OnlineTableReader(binding, List.of("conv_rate", "city"), List.of("driver_id"),
        Duration.ofHours(1).toMillis(), 3, mode, indexMaxBytes);
    reader.open();
    return reader;
  }

  private static Record driver(GenericUpserts writer, long id, String city) {
    Record row = writer.newRow();
    row.setField("driver_id", id);
    row.setField("conv_rate", id / 10.0);
    row.setField("city", city);
    row.setField("event_timestamp", NOW);
    return row;
  }

  private static FeatureViewSpec driverStats(String name) {
    return JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: " + name,
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: conv_rate, type: DOUBLE }, { name: city, type: STRING } ]",
        "    buckets: " + BUCKETS), key -> null).featureViews().get(0);
  }
}
