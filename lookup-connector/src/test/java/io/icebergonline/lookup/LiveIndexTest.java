package io.icebergonline.lookup;

import static io.icebergonline.lookup.LookupJoinHarness.NOW;
import static io.icebergonline.lookup.LookupJoinHarness.driver;
import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.CatalogType;
import io.icebergonline.core.EntityKeys;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.reader.IndexMode;
import io.icebergonline.reader.LiveIndexStats;
import io.icebergonline.reader.OnlineTableReader;
import io.icebergonline.reader.TableBinding;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.TableRows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.OverwriteFiles;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.sink.FlinkSink;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lookups answered by the live index ('lookup.index' = 'MEMORY') in real Flink SQL joins while the
 * table changes under them: upserts and tombstones, commits of Iceberg's stock upsert sink, a
 * compaction, an expiry and a copy-on-write overwrite. After each change every key is compared
 * three ways: the index's answer, a point read's, and an oracle kept from what was written.
 */
class LiveIndexTest {
  private static final InMemoryReporter METRICS = InMemoryReporter.create();

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4)
      .setConfiguration(METRICS.addToConfiguration(new Configuration())).build());

  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final long KEYS = 60;
  private static final int BUCKETS = 4;

  @TempDir static Path warehouse;
  private static OnlineStoreConfig store;
  private static LookupJoinHarness harness;

  /** The sum over the job's running subtasks of one of the connector's counters or gauges. */
  private static long sum(TableResult result, String name) {
    long sum = 0;
    String job = result.getJobClient().orElseThrow().getJobID().toString();
    for (Map.Entry<MetricGroup, Map<String, Metric>> group : METRICS.getMetricsByGroup().entrySet()) {
      Metric metric = group.getValue().get(name);
      if (metric != null && job.equals(group.getKey().getAllVariables().get("<job_id>"))
          && group.getKey().getMetricIdentifier(name).endsWith(".icebergOnline." + name)) {
        sum += metric instanceof Counter counter ? counter.getCount() : ((Number) ((Gauge<?>) metric).getValue()).longValue();
      }
    }
    return sum;
  }

  @BeforeAll
  static void catalog() {
    store = new OnlineStoreConfig(CatalogType.HADOOP, "indexed", null, warehouse.toUri().toString(), "online", Map.of());
    harness = new LookupJoinHarness(IcebergCatalogs.load(store),
        "'catalog-type' = 'hadoop', 'catalog-name' = 'indexed', 'warehouse' = '" + warehouse.toUri() + "'", "online");
  }

  @Test
  void aJoinOnTheIndexAnswersExactlyWhileTheTableChanges() throws Exception {
    Table table = harness.create(LookupJoinHarness.driverStats("changing", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    Map<Long, List<Object>> oracle = new HashMap<>();
    List<Record> first = new ArrayList<>();
    for (long id = 1; id <= KEYS; id++) {
      first.add(driver(writer, id, id / 10.0, "v1", NOW));
      oracle.put(id, Arrays.asList(id / 10.0, "v1"));
    }
    writer.upsert(first);

    try (OnlineTableReader indexed = reader("changing", IndexMode.MEMORY, Long.MAX_VALUE);
        OnlineTableReader pointReads = reader("changing", IndexMode.NONE, 0)) {
      StreamTableEnvironment sql = harness.sql();
      sql.executeSql(harness.createDriverTable("d", "changing", "'lookup.refresh-interval' = '200ms'"));
      LookupJoinHarness.randomProbes(sql, 200, KEYS + 5);
      TableResult result = sql.executeSql("SELECT /*+ LOOKUP('table'='d', 'shuffle'='true') */ p.id, d.conv_rate, d.city "
          + "FROM probes AS p LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id");
      try (CloseableIterator<Row> rows = result.collect()) {
        assertExact(table, oracle, indexed, pointReads, rows);
        awaitCondition("every bucket indexed by the join's subtasks", () -> sum(result, "indexedBuckets") == BUCKETS);

        // upserts and tombstones: key-only equality deletes, as the materialization job commits them
        List<Record> upserts = new ArrayList<>();
        for (long id = 1; id <= 20; id++) {
          upserts.add(driver(writer, id, id, "v2", NOW));
          oracle.put(id, Arrays.asList((double) id, "v2"));
        }
        writer.upsert(upserts);
        List<Record> tombstones = new ArrayList<>();
        for (long id = 21; id <= 25; id++) {
          tombstones.add(driver(writer, id, 0, null, NOW));
          oracle.remove(id);
        }
        writer.delete(tombstones);
        assertExact(table, oracle, indexed, pointReads, rows);

        // Iceberg's stock upsert sink: equality deletes and a position delete (key 3 twice) in one commit
        List<RowData> stock = new ArrayList<>();
        for (long id = 1; id <= 10; id++) {
          stock.add(stockRow(RowKind.INSERT, id, id * 100, "v3"));
          oracle.put(id, Arrays.asList(id * 100.0, "v3"));
        }
        stock.add(stockRow(RowKind.INSERT, 3, 333, "v3-again"));
        oracle.put(3L, Arrays.asList(333.0, "v3-again"));
        stock.add(stockRow(RowKind.DELETE, 30, 0, null));
        oracle.remove(30L);
        writeWithStockSink(table, stock);
        assertExact(table, oracle, indexed, pointReads, rows);

        // a compaction (skipped by the index), the expiry that deletes the replaced files, then more
        // upserts: all applied without rebuilding a bucket
        long builds = indexed.indexStats().bucketBuilds();
        LookupJoinHarness.compact(table);
        assertExact(table, oracle, indexed, pointReads, rows);
        table.expireSnapshots().expireOlderThan(System.currentTimeMillis() + 1).retainLast(1).commit();
        writer.upsert(List.of(driver(writer, 40, 4.4, "after-compaction", NOW)));
        oracle.put(40L, Arrays.asList(4.4, "after-compaction"));
        assertExact(table, oracle, indexed, pointReads, rows);
        assertThat(indexed.indexStats().bucketBuilds()).as("bucket builds").isEqualTo(builds);

        // a copy-on-write overwrite of key 41's bucket: data files removed and rewritten, key 42 dropped if there
        copyOnWriteOverwrite(table, oracle, 41, 42);
        assertExact(table, oracle, indexed, pointReads, rows);
        assertThat(indexed.indexStats().bucketBuilds()).as("only the overwritten bucket is rebuilt").isEqualTo(builds + 1);
        writer.upsert(List.of(driver(writer, 41, 41.5, "after-overwrite", NOW)));
        oracle.put(41L, Arrays.asList(41.5, "after-overwrite"));
        assertExact(table, oracle, indexed, pointReads, rows);

        assertThat(sum(result, "lookupsFromIndex")).as("lookups the index answered").isPositive();
        assertThat(sum(result, "indexBucketsOverBudget")).isZero();
        assertThat(sum(result, "indexBytesPerRow")).as("bytes per row").isPositive();
      } finally {
        result.getJobClient().orElseThrow().cancel();
      }
    }
  }

  /** Fails the task it runs in once, when armed. */
  public static final class FailOnce extends ScalarFunction {
    static final AtomicBoolean ARMED = new AtomicBoolean();

    public Long eval(Long id) {
      if (ARMED.compareAndSet(true, false)) {
        throw new IllegalStateException("injected failure");
      }
      return id;
    }
  }

  @Test
  void afterAFailoverTheSubtasksRebuildTheirBucketsAndAnswerExactlyAndFreshly() throws Exception {
    Table table = harness.create(LookupJoinHarness.driverStats("failover", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    Map<Long, List<Object>> oracle = new HashMap<>();
    List<Record> first = new ArrayList<>();
    for (long id = 1; id <= KEYS; id++) {
      first.add(driver(writer, id, id / 10.0, "v1", NOW));
      oracle.put(id, Arrays.asList(id / 10.0, "v1"));
    }
    writer.upsert(first);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    env.enableCheckpointing(500); // the collect sink hands over results across a restart at checkpoints
    StreamTableEnvironment sql = StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
    sql.getConfig().set("restart-strategy.type", "fixed-delay");
    sql.getConfig().set("restart-strategy.fixed-delay.attempts", "3");
    sql.getConfig().set("restart-strategy.fixed-delay.delay", "100ms");
    sql.createTemporarySystemFunction("fail_once", FailOnce.class);
    sql.executeSql(harness.createDriverTable("d", "failover", "'lookup.refresh-interval' = '200ms'"));
    LookupJoinHarness.randomProbes(sql, 200, KEYS + 5);
    TableResult result = sql.executeSql("SELECT /*+ LOOKUP('table'='d', 'shuffle'='true') */ p.id, d.conv_rate, d.city "
        + "FROM (SELECT fail_once(id) AS id, pt FROM probes) AS p "
        + "LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id");
    try (CloseableIterator<Row> rows = result.collect()) {
      awaitCondition("every bucket indexed", () -> sum(result, "indexedBuckets") == BUCKETS);
      awaitJoinExact(rows, oracle);

      FailOnce.ARMED.set(true);
      awaitCondition("the injected failure", () -> !FailOnce.ARMED.get());
      writer.upsert(List.of(driver(writer, 1, 1.5, "after-failover", NOW)));
      oracle.put(1L, Arrays.asList(1.5, "after-failover"));
      long committed = System.nanoTime();
      awaitJoinExact(rows, oracle);
      System.out.printf("failover: commit visible to every key of the join after %d ms%n",
          (System.nanoTime() - committed) / 1_000_000);
      awaitCondition("the restarted subtasks index every bucket and answer from it",
          () -> sum(result, "indexedBuckets") == BUCKETS && sum(result, "lookupsFromIndex") > 0);
      assertThat(sum(result, "indexBucketBuilds")).as("bucket builds since the restart").isEqualTo(BUCKETS);
      awaitJoinExact(rows, oracle);
    } finally {
      result.getJobClient().orElseThrow().cancel();
    }
  }

  @Test
  void bucketsBeyondTheMemoryBudgetAreServedByPointReadsExactly() throws Exception {
    Table table = harness.create(LookupJoinHarness.driverStats("over_budget", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    Map<Long, List<Object>> oracle = new HashMap<>();
    List<Record> rows = new ArrayList<>();
    for (long id = 1; id <= KEYS; id++) {
      rows.add(driver(writer, id, id / 10.0, "v1", NOW));
      oracle.put(id, Arrays.asList(id / 10.0, "v1"));
    }
    writer.upsert(rows);
    // about a bucket and a half of the table's four
    long budget = 3_000;
    try (OnlineTableReader indexed = reader("over_budget", IndexMode.MEMORY, budget);
        OnlineTableReader pointReads = reader("over_budget", IndexMode.NONE, 0)) {
      indexed.indexAllBuckets();
      awaitCondition("every bucket either indexed or over the budget", () -> {
        LiveIndexStats stats = indexed.indexStats();
        return stats.indexedBuckets() + stats.bucketsOverBudget() == BUCKETS;
      });
      LiveIndexStats stats = indexed.indexStats();
      assertThat(stats.bucketsOverBudget()).as("buckets over the budget").isPositive();
      assertThat(stats.indexedBuckets()).as("buckets indexed").isPositive();
      assertThat(stats.bytes()).isLessThanOrEqualTo(budget);
      Set<Boolean> paths = new HashSet<>();
      for (long id = 1; id <= KEYS + 5; id++) {
        OnlineTableReader.Result answer = indexed.lookup(GenericRowData.of(id));
        paths.add(answer.fromIndex());
        assertThat(values(answer.row())).as("key %d", id).isEqualTo(values(pointReads.lookup(GenericRowData.of(id)).row()))
            .isEqualTo(oracle.getOrDefault(id, Arrays.asList(null, null)));
      }
      assertThat(paths).as("answered by the index and by point reads").containsExactlyInAnyOrder(true, false);
    }

    StreamTableEnvironment sql = harness.sql();
    sql.executeSql(harness.createDriverTable("d", "over_budget", "'lookup.index.max-memory' = '" + budget + "b'"));
    LookupJoinHarness.randomProbes(sql, 200, KEYS + 5);
    TableResult result = sql.executeSql("SELECT /*+ LOOKUP('table'='d', 'shuffle'='true') */ p.id, d.conv_rate, d.city "
        + "FROM probes AS p LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id");
    try (CloseableIterator<Row> joined = result.collect()) {
      awaitJoinExact(joined, oracle);
      awaitCondition("the metric counts the buckets over the budget", () -> sum(result, "indexBucketsOverBudget") > 0);
      awaitJoinExact(joined, oracle);
    } finally {
      result.getJobClient().orElseThrow().cancel();
    }
  }

  /**
   * A feature column declared {@code INT} is widened to long in the table while the join runs (the
   * job's config moved the feature to INT64); new files hold longs. The join keeps answering every
   * key exactly, in the declared type, from indexes rebuilt with the new schema, without a restart.
   */
  @Test
  void aJoinKeepsAnsweringExactlyWhenAFeatureColumnIsWidenedUnderIt() throws Exception {
    Table table = harness.create(LookupJoinHarness.view("widening", "{ name: driver_id, type: INT64 }",
        "{ name: trips, type: INT32 }, { name: city, type: STRING }", null));
    Map<Long, List<Object>> oracle = new HashMap<>();
    upsertTrips(table, 1, KEYS, id -> (int) id, "v1", oracle);
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql("CREATE TABLE d (driver_id BIGINT, trips INT, city STRING, event_timestamp TIMESTAMP_LTZ(6)) "
        + "WITH ('connector' = 'iceberg-online', " + harness.connectorOptions + ", 'namespace' = '" + harness.namespace
        + "', 'table' = 'widening', 'lookup.refresh-interval' = '200ms')");
    LookupJoinHarness.randomProbes(sql, 200, KEYS + 5);
    TableResult result = sql.executeSql("SELECT /*+ LOOKUP('table'='d', 'shuffle'='true') */ p.id, d.trips, d.city "
        + "FROM probes AS p LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id");
    try (CloseableIterator<Row> rows = result.collect()) {
      awaitCondition("every bucket indexed", () -> sum(result, "indexedBuckets") == BUCKETS);
      awaitJoinExact(rows, oracle);

      table.updateSchema().updateColumn("trips", Types.LongType.get()).commit();
      upsertTrips(table, 1, 10, id -> id * 1_000, "v2", oracle);
      awaitJoinExact(rows, oracle);
      awaitCondition("the rebuilt buckets answer", () -> sum(result, "indexBucketBuilds") >= 2L * BUCKETS
          && sum(result, "indexedBuckets") == BUCKETS);
      long fromIndex = sum(result, "lookupsFromIndex");
      awaitCondition("lookups answered from the rebuilt index", () -> sum(result, "lookupsFromIndex") > fromIndex);
      awaitJoinExact(rows, oracle);
    } finally {
      result.getJobClient().orElseThrow().cancel();
    }
  }

  /** Upserts keys {@code from..to} with the given trips (in the column's current type) and city {@code version}. */
  private static void upsertTrips(Table table, long from, long to, LongFunction<Object> trips, String version,
      Map<Long, List<Object>> oracle) {
    table.refresh();
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    List<Record> rows = new ArrayList<>();
    for (long id = from; id <= to; id++) {
      Record row = writer.newRow();
      row.setField("driver_id", id);
      row.setField("trips", trips.apply(id));
      row.setField("city", version);
      row.setField("event_timestamp", NOW);
      rows.add(row);
      oracle.put(id, Arrays.asList(((Number) trips.apply(id)).intValue(), version));
    }
    writer.upsert(rows);
  }

  @Test
  void badIndexOptionsFailAtPlanningNamingTheOption() {
    harness.create(LookupJoinHarness.driverStats("index_options", null));
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql(harness.createDriverTable("bad_mode", "index_options", "'lookup.index' = 'DISK'"));
    sql.executeSql(harness.createDriverTable("bad_budget", "index_options", "'lookup.index.max-memory' = '0b'"));
    sql.executeSql(LookupJoinHarness.probeView(List.of(1L)));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> sql.executeSql(
            "SELECT d.city FROM probes AS p JOIN bad_mode FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id"))
        .hasStackTraceContaining("lookup.index").hasStackTraceContaining("MEMORY").hasStackTraceContaining("NONE");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> sql.executeSql(
            "SELECT d.city FROM probes AS p JOIN bad_budget FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id"))
        .hasStackTraceContaining("Option 'lookup.index.max-memory' must be positive");
  }

  private static OnlineTableReader reader(String table, IndexMode mode, long budget) {
    ResolvedSchema declared = ResolvedSchema.of(Column.physical("driver_id", DataTypes.BIGINT().notNull()),
        Column.physical("conv_rate", DataTypes.DOUBLE()), Column.physical("city", DataTypes.STRING()));
    TableBinding binding = TableBinding.resolve(store, table, declared, null);
    // refreshed by the test only
    OnlineTableReader reader = new OnlineTableReader(binding, List.of("conv_rate", "city"), List.of("driver_id"),
        Duration.ofHours(1).toMillis(), 3, mode, budget);
    reader.open();
    return reader;
  }

  /**
   * Once the index answers every key at the table's current snapshot, each key's index answer, point
   * read and Iceberg's own reader equal the oracle; then the join's answers settle on the oracle.
   */
  private static void assertExact(Table table, Map<Long, List<Object>> oracle, OnlineTableReader indexed,
      OnlineTableReader pointReads, CloseableIterator<Row> joined) throws Exception {
    indexed.refreshNow();
    pointReads.refreshNow();
    awaitCondition("the index answers every key", () -> lookUpAll(indexed));
    table.refresh();
    Map<Object, Map<String, Object>> iceberg = TableRows.readByKey(table, "driver_id");
    for (long id = 1; id <= KEYS + 5; id++) {
      RowData key = GenericRowData.of(id);
      List<Object> expected = oracle.getOrDefault(id, Arrays.asList(null, null));
      Map<String, Object> icebergRow = iceberg.get(id);
      assertThat(icebergRow == null ? Arrays.asList(null, null) : Arrays.asList(icebergRow.get("conv_rate"), icebergRow.get("city")))
          .as("Iceberg's reader, key %d", id).isEqualTo(expected);
      assertThat(values(pointReads.lookup(key).row())).as("point read, key %d", id).isEqualTo(expected);
      OnlineTableReader.Result fromIndex = indexed.lookup(key);
      assertThat(fromIndex.fromIndex()).isTrue();
      assertThat(values(fromIndex.row())).as("index, key %d", id).isEqualTo(expected);
    }
    awaitJoinExact(joined, oracle);
  }

  /** True when the index answered every key (it builds the buckets it is asked about). */
  private static boolean lookUpAll(OnlineTableReader indexed) {
    boolean all = true;
    for (long id = 1; id <= KEYS + 5; id++) {
      all &= indexed.lookup(GenericRowData.of(id)).fromIndex();
    }
    return all;
  }

  /**
   * Reads the join's rows until every key was answered as the oracle says; once a key's answer is
   * right it must stay right (the bucket shuffle keeps each key's rows in order).
   */
  private static void awaitJoinExact(CloseableIterator<Row> joined, Map<Long, List<Object>> oracle) {
    Set<Long> settled = new HashSet<>();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (settled.size() < KEYS + 5) {
      assertThat(System.nanoTime()).as("every key answered as the oracle says; settled %s", settled).isLessThan(deadline);
      Row row = joined.next();
      long id = (Long) row.getField(0);
      boolean right = Arrays.asList(row.getField(1), row.getField(2)).equals(oracle.getOrDefault(id, Arrays.asList(null, null)));
      if (right) {
        settled.add(id);
      } else {
        assertThat(settled).as("key %d answered %s after it was answered right", id, row).doesNotContain(id);
      }
    }
  }

  private static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static List<Object> values(RowData row) {
    return row == null ? Arrays.asList(null, null) : Arrays.asList(row.getDouble(0), row.getString(1).toString());
  }

  private static RowData stockRow(RowKind kind, long id, double convRate, String city) {
    return GenericRowData.ofKind(kind, id, TimestampData.fromInstant(NOW.toInstant()), convRate, id * 10,
        city == null ? null : StringData.fromString(city));
  }

  private static void writeWithStockSink(Table table, List<RowData> rows) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    var stream = env.fromData(rows, InternalTypeInfo.of(FlinkSchemaUtil.convert(table.schema())));
    TableLoader loader = TableLoader.fromCatalog(
        CatalogLoader.hadoop("indexed", new org.apache.hadoop.conf.Configuration(), Map.of("warehouse", warehouse.toUri().toString())),
        TableIdentifier.of("online", table.name().substring(table.name().lastIndexOf('.') + 1)));
    FlinkSink.forRowData(stream).tableLoader(loader).upsert(true).equalityFieldColumns(List.of("driver_id")).append();
    env.execute("stock upsert sink");
  }

  /**
   * What a copy-on-write MERGE does to the bucket of {@code changed}: its data files are replaced by
   * new ones holding the bucket's live rows, {@code changed} with a new value and {@code dropped}
   * left out when it falls in the same bucket.
   */
  private static void copyOnWriteOverwrite(Table table, Map<Long, List<Object>> oracle, long changed, long dropped) {
    table.refresh();
    int bucket = EntityKeys.bucket(changed, BUCKETS);
    List<Record> rewritten = new ArrayList<>();
    for (Record record : LookupJoinHarness.liveRecords(table)) {
      long id = (Long) record.getField("driver_id");
      if (EntityKeys.bucket(id, BUCKETS) != bucket || id == dropped) {
        continue;
      }
      if (id == changed) {
        record.setField("city", "overwritten");
        oracle.put(id, Arrays.asList(oracle.get(id).get(0), "overwritten"));
      }
      rewritten.add(record);
    }
    if (EntityKeys.bucket(dropped, BUCKETS) == bucket) {
      oracle.remove(dropped);
    }
    OverwriteFiles overwrite = table.newOverwrite().validateFromSnapshot(table.currentSnapshot().snapshotId());
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        if (task.file().partition().get(0, Integer.class) == bucket) {
          overwrite.deleteFile(task.file());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    new GenericUpserts(table, List.of("driver_id")).writeDataFiles(rewritten).forEach(overwrite::addFile);
    overwrite.commit();
  }
}
