package io.icebergonline.lookup;

import static io.icebergonline.lookup.LookupJoinHarness.NOW;
import static io.icebergonline.lookup.LookupJoinHarness.driver;
import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.CatalogType;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.TableRows;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Lookup joins in real Flink SQL against tables written by Iceberg's generic writers. */
class LookupJoinTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

  @TempDir static Path warehouse;
  private static LookupJoinHarness harness;

  @BeforeAll
  static void catalog() {
    OnlineStoreConfig store = new OnlineStoreConfig(CatalogType.HADOOP, "lookup_tests", null,
        warehouse.toUri().toString(), "online", Map.of());
    harness = new LookupJoinHarness(IcebergCatalogs.load(store),
        "'catalog-type' = 'hadoop', 'catalog-name' = 'lookup_tests', 'warehouse' = '" + warehouse.toUri() + "'", "online");
  }

  /** Several commits with equality deletes (upserts, deletes) and position deletes (a key twice in one commit). */
  private static Map<Long, List<Object>> writeHistory(Table table) {
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    Map<Long, List<Object>> expected = new HashMap<>();
    List<Record> first = new ArrayList<>();
    for (long id = 1; id <= 200; id++) {
      first.add(driver(writer, id, id / 1000.0, "c1", NOW));
      expected.put(id, Arrays.asList(id / 1000.0, "c1"));
    }
    writer.upsert(first);
    List<Record> second = new ArrayList<>();
    for (long id = 1; id <= 50; id++) {
      second.add(driver(writer, id, id / 100.0, "c2", NOW));
      expected.put(id, Arrays.asList(id / 100.0, "c2"));
    }
    second.add(driver(writer, 7, 0.777, "c2-again", NOW)); // same key twice in one commit: position delete
    expected.put(7L, Arrays.asList(0.777, "c2-again"));
    writer.upsert(second);
    List<Record> deleted = new ArrayList<>();
    for (long id = 10; id < 20; id++) {
      deleted.add(driver(writer, id, 0, "gone", NOW));
      expected.remove(id);
    }
    writer.delete(deleted);
    writer.upsert(List.of(driver(writer, 15, 15.5, "back", NOW), driver(writer, 300, 3.0, "new", NOW)));
    expected.put(15L, Arrays.asList(15.5, "back"));
    expected.put(300L, Arrays.asList(3.0, "new"));
    return expected;
  }

  private static Map<Long, List<Object>> join(String table, String options, List<Long> probes) throws Exception {
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql(harness.createDriverTable("d", table, options));
    sql.executeSql(LookupJoinHarness.probeView(probes));
    return LookupJoinHarness.byId(LookupJoinHarness.collect(sql.executeSql(
        "SELECT p.id, d.conv_rate, d.city FROM probes AS p "
            + "LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id")));
  }

  private static List<Long> probes() {
    List<Long> probes = new ArrayList<>(LongStream.rangeClosed(1, 210).boxed().toList());
    probes.addAll(List.of(300L, 999L));
    return probes;
  }

  private static void assertMatches(Map<Long, List<Object>> actual, Map<Long, List<Object>> expected, List<Long> probes) {
    assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(probes);
    for (long probe : probes) {
      assertThat(actual.get(probe)).as("probe %d", probe)
          .isEqualTo(expected.getOrDefault(probe, Arrays.asList(null, null)));
    }
  }

  @Test
  void everyProbeGetsTheNewestLiveRowAcrossEqualityAndPositionDeletes() throws Exception {
    Map<Long, List<Object>> expected = writeHistory(harness.create(LookupJoinHarness.driverStats("history", null)));
    assertMatches(join("history", "'lookup.cache' = 'NONE'", probes()), expected, probes());
  }

  @Test
  void asyncLookupsGiveTheSameAnswers() throws Exception {
    Map<Long, List<Object>> expected = writeHistory(harness.create(LookupJoinHarness.driverStats("history_async", null)));
    assertMatches(join("history_async", "'lookup.async' = 'true', 'lookup.async-thread-number' = '4'", probes()),
        expected, probes());
  }

  @Test
  void theBucketShuffleRoutesKeysAndAnswersStayExact() throws Exception {
    Map<Long, List<Object>> expected = writeHistory(harness.create(LookupJoinHarness.driverStats("history_shuffle", null)));
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql(harness.createDriverTable("d", "history_shuffle", "'lookup.cache' = 'NONE'"));
    sql.executeSql(LookupJoinHarness.probeView(probes()));
    Map<Long, List<Object>> actual = LookupJoinHarness.byId(LookupJoinHarness.collect(sql.executeSql(
        "SELECT /*+ LOOKUP('table'='d', 'shuffle'='true') */ p.id, d.conv_rate, d.city FROM probes AS p "
            + "LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id")));
    assertMatches(actual, expected, probes());
  }

  /** What Iceberg's own reader (it applies every delete) returns for the probes: {@code conv_rate, city} or nulls. */
  private static Map<Long, List<Object>> icebergAnswers(Table table, List<Long> probes) {
    Map<Object, Map<String, Object>> live = TableRows.readByKey(table, "driver_id");
    Map<Long, List<Object>> answers = new HashMap<>();
    for (long probe : probes) {
      Map<String, Object> row = live.get(probe);
      answers.put(probe, row == null ? Arrays.asList(null, null) : Arrays.asList(row.get("conv_rate"), row.get("city")));
    }
    return answers;
  }

  @Test
  void anUnpartitionedEqualityDeleteAfterTheBucketPartitionWasDroppedDeletesFromEveryBucket() throws Exception {
    Table table = harness.create(LookupJoinHarness.driverStats("spec_evolved", null));
    GenericUpserts bucketed = new GenericUpserts(table, List.of("driver_id"));
    bucketed.upsert(List.of(driver(bucketed, 1, 0.1, "one", NOW), driver(bucketed, 2, 0.2, "two", NOW)));
    table.updateSpec().removeField(table.spec().fields().get(0).name()).commit();
    GenericUpserts unpartitioned = new GenericUpserts(table, List.of("driver_id"));
    unpartitioned.delete(List.of(driver(unpartitioned, 1, 0, null, NOW)));

    List<Long> probes = List.of(1L, 2L);
    Map<Long, List<Object>> expected = icebergAnswers(table, probes);
    assertThat(expected).as("Iceberg's reader").containsEntry(1L, Arrays.asList(null, null));
    assertThat(join("spec_evolved", "'lookup.cache' = 'NONE'", probes)).isEqualTo(expected);
  }

  @Test
  void equalityDeletesOnTheKeyAndEventTimeDeleteOnlyTheRowsWithThatEventTime() throws Exception {
    // Iceberg's Flink upsert sink on a days(ts)-partitioned table writes its equality deletes on (key, ts)
    Table table = harness.create(LookupJoinHarness.driverStats("deletes_on_key_and_time", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id", "event_timestamp"));
    writer.upsert(List.of(driver(writer, 1, 0.1, "old", NOW.minusMinutes(20)), driver(writer, 2, 0.2, "gone", NOW)));
    writer.upsert(List.of(driver(writer, 1, 0.3, "new", NOW.minusMinutes(10))));
    writer.delete(List.of(driver(writer, 1, 0, null, NOW.minusMinutes(10)), driver(writer, 2, 0, null, NOW)));

    List<Long> probes = List.of(1L, 2L);
    Map<Long, List<Object>> expected = icebergAnswers(table, probes);
    assertThat(expected).as("Iceberg's reader").containsEntry(1L, Arrays.asList(0.1, "old"));
    assertThat(join("deletes_on_key_and_time", "'lookup.cache' = 'NONE'", probes)).isEqualTo(expected);
  }

  @Test
  void anIntKeyPromotedToLongFindsRowsInFilesWrittenBeforeAndAfterThePromotion() throws Exception {
    Table table = harness.create(LookupJoinHarness.view("promoted_key", "{ name: driver_id, type: INT32 }",
        "{ name: conv_rate, type: DOUBLE }, { name: trips, type: INT64 }, { name: city, type: STRING }", null));
    GenericUpserts asInt = new GenericUpserts(table, List.of("driver_id"));
    asInt.upsert(IntStream.rangeClosed(1, 100).mapToObj(id -> {
      Record row = asInt.newRow();
      row.setField("driver_id", id);
      row.setField("conv_rate", id / 10.0);
      row.setField("city", "int-" + id);
      row.setField("event_timestamp", NOW);
      return row;
    }).toList());
    table.updateSchema().updateColumn("driver_id", Types.LongType.get()).commit();
    GenericUpserts asLong = new GenericUpserts(table, List.of("driver_id"));
    asLong.upsert(List.of(driver(asLong, 2, 2.5, "long-2", NOW), driver(asLong, 200, 20.0, "long-200", NOW)));

    List<Long> probes = new ArrayList<>(LongStream.rangeClosed(1, 100).boxed().toList());
    probes.addAll(List.of(200L, 300L));
    Map<Long, List<Object>> expected = icebergAnswers(table, probes);
    assertThat(expected).as("Iceberg's reader").containsEntry(1L, Arrays.asList(0.1, "int-1"))
        .containsEntry(2L, Arrays.asList(2.5, "long-2"));
    assertThat(join("promoted_key", "'lookup.cache' = 'NONE'", probes)).isEqualTo(expected);
  }

  @Test
  void theBucketShuffleRoutesByTheKeyWhenAnExtraJoinKeyPrecedesIt() throws Exception {
    Table table = harness.create(LookupJoinHarness.driverStats("shuffle_extra_key", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    writer.upsert(LongStream.rangeClosed(1, 20).mapToObj(id -> driver(writer, id, id / 10.0, "c" + id, NOW)).toList());
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql("CREATE TABLE d (city STRING, driver_id BIGINT, conv_rate DOUBLE) WITH ('connector' = 'iceberg-online', "
        + harness.connectorOptions + ", 'namespace' = 'online', 'table' = 'shuffle_extra_key', 'lookup.cache' = 'NONE')");
    // drivers 1..25 probed with their own city, except driver 3 with another one
    String values = LongStream.rangeClosed(1, 25)
        .mapToObj(id -> "(CAST(" + id + " AS BIGINT), '" + (id == 3 ? "elsewhere" : "c" + id) + "')")
        .collect(Collectors.joining(", "));
    sql.executeSql("CREATE TEMPORARY VIEW probes AS SELECT id, c, PROCTIME() AS pt FROM (VALUES " + values + ") AS t(id, c)");
    Map<Long, List<Object>> actual = LookupJoinHarness.byId(LookupJoinHarness.collect(sql.executeSql(
        "SELECT /*+ LOOKUP('table'='d', 'shuffle'='true') */ p.id, d.conv_rate, d.city FROM probes AS p "
            + "LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id AND p.c = d.city")));
    Map<Long, List<Object>> expected = new HashMap<>();
    for (long id = 1; id <= 25; id++) {
      expected.put(id, id <= 20 && id != 3 ? Arrays.asList(id / 10.0, "c" + id) : Arrays.asList(null, null));
    }
    assertThat(actual).isEqualTo(expected);
  }
}
