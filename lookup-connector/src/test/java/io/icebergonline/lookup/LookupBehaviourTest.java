package io.icebergonline.lookup;

import static io.icebergonline.lookup.LookupJoinHarness.NOW;
import static io.icebergonline.lookup.LookupJoinHarness.driver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.core.CatalogType;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.testing.GenericUpserts;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** TTL, projection, composite keys, caches, freshness, and the errors users meet at planning. */
class LookupBehaviourTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir static Path warehouse;
  private static LookupJoinHarness harness;

  @BeforeAll
  static void catalog() {
    OnlineStoreConfig store = new OnlineStoreConfig(CatalogType.HADOOP, "behaviour", null,
        warehouse.toUri().toString(), "online", Map.of());
    harness = new LookupJoinHarness(IcebergCatalogs.load(store),
        "'catalog-type' = 'hadoop', 'catalog-name' = 'behaviour', 'warehouse' = '" + warehouse.toUri() + "'", "online");
  }

  private static Map<Long, List<Object>> join(String table, String options, List<Long> probes) throws Exception {
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql(harness.createDriverTable("d", table, options));
    sql.executeSql(LookupJoinHarness.probeView(probes));
    return LookupJoinHarness.byId(LookupJoinHarness.collect(sql.executeSql(
        "SELECT p.id, d.conv_rate, d.city FROM probes AS p LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d "
            + "ON p.id = d.driver_id")));
  }

  @Test
  void rowsOlderThanTheViewsTtlOrTheMaxAgeCountAsMissing() throws Exception {
    GenericUpserts writer = new GenericUpserts(harness.create(LookupJoinHarness.driverStats("with_ttl", "1h")), List.of("driver_id"));
    writer.upsert(List.of(driver(writer, 1, 0.1, "fresh", NOW.minusMinutes(5)), driver(writer, 2, 0.2, "stale", NOW.minusHours(2))));

    assertThat(join("with_ttl", "", List.of(1L, 2L)))
        .containsEntry(1L, Arrays.asList(0.1, "fresh"))
        .containsEntry(2L, Arrays.asList(null, null));
    assertThat(join("with_ttl", "'lookup.max-age' = '3h'", List.of(2L))).containsEntry(2L, Arrays.asList(0.2, "stale"));
    assertThat(join("with_ttl", "'lookup.max-age' = '1min'", List.of(1L))).containsEntry(1L, Arrays.asList(null, null));
  }

  @Test
  void projectionAndAReorderedDeclarationReturnTheRightColumns() throws Exception {
    GenericUpserts writer = new GenericUpserts(harness.create(LookupJoinHarness.driverStats("projected", null)), List.of("driver_id"));
    writer.upsert(List.of(driver(writer, 5, 0.5, "Riga", NOW)));
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql("CREATE TABLE p_only (city STRING, driver_id BIGINT) WITH ('connector' = 'iceberg-online', "
        + harness.connectorOptions + ", 'namespace' = 'online', 'table' = 'projected')");
    sql.executeSql(LookupJoinHarness.probeView(List.of(5L, 6L)));
    List<Row> rows = LookupJoinHarness.collect(sql.executeSql(
        "SELECT p.id, d.city FROM probes AS p LEFT JOIN p_only FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id"));
    assertThat(rows).extracting(row -> row.getField(0) + "=" + row.getField(1)).containsExactlyInAnyOrder("5=Riga", "6=null");
  }

  @Test
  void compositeKeysAreLookedUpByAllTheirColumns() throws Exception {
    Table table = harness.create(LookupJoinHarness.view("customer_region",
        "{ name: customer_id, type: STRING }, { name: region, type: INT32 }", "{ name: spend, type: DOUBLE }", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("customer_id", "region", "_entity_key"));
    List<Record> rows = new ArrayList<>();
    for (String customer : List.of("c|1", "c2")) {
      for (int region = 1; region <= 3; region++) {
        Record row = writer.newRow();
        row.setField("customer_id", customer);
        row.setField("region", region);
        row.setField("_entity_key", io.icebergonline.core.EntityKeys.compositeKey(List.of(customer, region)));
        row.setField("event_timestamp", NOW);
        row.setField("spend", region * 1.5);
        rows.add(row);
      }
    }
    writer.upsert(rows);
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql("CREATE TABLE cr (customer_id STRING, region INT, spend DOUBLE) WITH ('connector' = 'iceberg-online', "
        + harness.connectorOptions + ", 'namespace' = 'online', 'table' = 'customer_region')");
    sql.executeSql("CREATE TEMPORARY VIEW orders AS SELECT c, r, PROCTIME() AS pt FROM (VALUES "
        + "('c|1', 2), ('c2', 3), ('c2', 9), ('c3', 1)) AS t(c, r)");
    List<Row> joined = LookupJoinHarness.collect(sql.executeSql("SELECT o.c, o.r, d.spend FROM orders AS o "
        + "LEFT JOIN cr FOR SYSTEM_TIME AS OF o.pt AS d ON o.c = d.customer_id AND o.r = d.region"));
    assertThat(joined).extracting(row -> row.getField(0) + "/" + row.getField(1) + "=" + row.getField(2))
        .containsExactlyInAnyOrder("c|1/2=3.0", "c2/3=4.5", "c2/9=null", "c3/1=null");

    assertThatThrownBy(() -> sql.executeSql("SELECT o.c, d.spend FROM orders AS o "
            + "JOIN cr FOR SYSTEM_TIME AS OF o.pt AS d ON o.c = d.customer_id"))
        .hasStackTraceContaining("A lookup join on 'customer_region' must cover the table's key [customer_id, region] "
            + "with equality conditions; the join has [customer_id]");
  }

  @Test
  void aPartialCacheServesCachedRowsUntilTheyExpireAndMissesReadTheTable() throws Exception {
    Table table = harness.create(LookupJoinHarness.driverStats("cached", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    writer.upsert(List.of(driver(writer, 1, 0.1, "v1", NOW), driver(writer, 2, 0.2, "v1", NOW)));
    String cache = "'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.expire-after-write' = '1h', "
        + "'lookup.partial-cache.max-rows' = '1000', 'lookup.refresh-interval' = '100ms'";
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql(harness.createDriverTable("d", "cached", cache));
    // one stream, parallelism 1, so all probes share one cache: key 1 twice, a commit between them
    LookupJoinHarness.randomProbes(sql, 20, 2);
    TableResult result = sql.executeSql("SELECT /*+ OPTIONS('parallelism'='1') */ p.id, d.city FROM probes AS p "
        + "JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id");
    try (CloseableIterator<Row> rows = result.collect()) {
      assertThat(rows.next().getField(1)).isEqualTo("v1");
      writer.upsert(List.of(driver(writer, 1, 0.1, "v2", NOW), driver(writer, 2, 0.2, "v2", NOW)));
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (System.nanoTime() < deadline) {
        assertThat(rows.next().getField(1)).as("cached keys keep their cached row").isEqualTo("v1");
      }
    } finally {
      result.getJobClient().orElseThrow().cancel();
    }
  }

  @Test
  void aPartialCacheNeverKeepsARowLongerThanTheMaxAge() throws Exception {
    GenericUpserts writer = new GenericUpserts(harness.create(LookupJoinHarness.driverStats("cached_aging", null)),
        List.of("driver_id"));
    String cache = "'lookup.max-age' = '1s', 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.expire-after-access' = '1h', "
        + "'lookup.partial-cache.cache-missing-key' = 'false', 'lookup.partial-cache.max-rows' = '1000', "
        + "'lookup.refresh-interval' = '100ms'";
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql(harness.createDriverTable("d", "cached_aging", cache));
    LookupJoinHarness.randomProbes(sql, 20, 2);
    TableResult result = sql.executeSql("SELECT /*+ OPTIONS('parallelism'='1') */ p.id, d.city FROM probes AS p "
        + "LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id WHERE p.id = 1");
    try (CloseableIterator<Row> rows = result.collect()) {
      rows.next(); // the join runs
      // an event time ahead of the clock: the row is within the max age for the next 16 s, then older
      OffsetDateTime eventTime = OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(15);
      writer.upsert(List.of(driver(writer, 1, 0.1, "aging", eventTime)));
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (!"aging".equals(rows.next().getField(1))) {
        assertThat(System.nanoTime()).as("the row is found while within the max age").isLessThan(deadline);
      }
      deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (rows.next().getField(1) != null) {
        assertThat(System.nanoTime()).as("the cached row is dropped once older than the max age").isLessThan(deadline);
      }
    } finally {
      result.getJobClient().orElseThrow().cancel();
    }
  }

  @Test
  void aBytesJoinKeyBesideTheEntityMatchesEqualBytes() throws Exception {
    Table table = harness.create(LookupJoinHarness.view("tagged", "{ name: driver_id, type: INT64 }",
        "{ name: tag, type: BYTES }, { name: conv_rate, type: DOUBLE }", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    List<Record> rows = new ArrayList<>();
    for (long id = 1; id <= 2; id++) {
      Record row = writer.newRow();
      row.setField("driver_id", id);
      row.setField("tag", ByteBuffer.wrap((id == 1 ? "one" : "two").getBytes(StandardCharsets.UTF_8)));
      row.setField("conv_rate", id / 10.0);
      row.setField("event_timestamp", NOW);
      rows.add(row);
    }
    writer.upsert(rows);
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql("CREATE TABLE t (driver_id BIGINT, tag BYTES, conv_rate DOUBLE) WITH ('connector' = 'iceberg-online', "
        + harness.connectorOptions + ", 'namespace' = 'online', 'table' = 'tagged')");
    // the tags as ENCODE(...) of strings: the planner cannot take BINARY literals in VALUES
    sql.executeSql("CREATE TEMPORARY VIEW tagged_probes AS SELECT id, ENCODE(tag, 'UTF-8') AS tag, PROCTIME() AS pt "
        + "FROM (VALUES (CAST(1 AS BIGINT), 'one'), (CAST(2 AS BIGINT), 'xyz')) AS p(id, tag)");
    List<Row> joined = LookupJoinHarness.collect(sql.executeSql("SELECT p.id, d.conv_rate FROM tagged_probes AS p "
        + "LEFT JOIN t FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id AND p.tag = d.tag"));
    assertThat(joined).extracting(row -> row.getField(0) + "=" + row.getField(1)).containsExactlyInAnyOrder("1=0.1", "2=null");
  }

  @Test
  void aCommitMadeWhileTheJoinRunsIsVisibleAfterTheRefreshInterval() throws Exception {
    Table table = harness.create(LookupJoinHarness.driverStats("fresh", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    writer.upsert(List.of(driver(writer, 1, 0.1, "before", NOW), driver(writer, 2, 0.2, "other", NOW)));
    assertNewValueBecomesVisible("fresh", "'lookup.cache' = 'NONE', 'lookup.refresh-interval' = '500ms'", writer);
  }

  @Test
  void aFullCacheReloadsPeriodically() throws Exception {
    Table table = harness.create(LookupJoinHarness.driverStats("full_cache", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    writer.upsert(List.of(driver(writer, 1, 0.1, "before", NOW), driver(writer, 2, 0.2, "other", NOW)));
    assertNewValueBecomesVisible("full_cache",
        "'lookup.cache' = 'FULL', 'lookup.full-cache.reload-strategy' = 'PERIODIC', "
            + "'lookup.full-cache.periodic-reload.interval' = '1s'", writer);
  }

  private static void assertNewValueBecomesVisible(String table, String options, GenericUpserts writer) throws Exception {
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql(harness.createDriverTable("d", table, options));
    LookupJoinHarness.randomProbes(sql, 20, 2);
    TableResult result = sql.executeSql("SELECT p.id, d.city FROM probes AS p JOIN d FOR SYSTEM_TIME AS OF p.pt AS d "
        + "ON p.id = d.driver_id WHERE p.id = 1");
    try (CloseableIterator<Row> rows = result.collect()) {
      assertThat(rows.next().getField(1)).isEqualTo("before");
      writer.upsert(List.of(driver(writer, 1, 0.2, "after", NOW)));
      long committed = System.nanoTime();
      long deadline = committed + TIMEOUT.toNanos();
      while (!"after".equals(rows.next().getField(1))) {
        assertThat(System.nanoTime()).as("the new value shows up").isLessThan(deadline);
      }
      System.out.printf("%s: commit visible to the lookup join after %d ms%n", table,
          (System.nanoTime() - committed) / 1_000_000);
    } finally {
      result.getJobClient().orElseThrow().cancel();
    }
  }

  @Test
  void badOptionsAndSchemasFailAtPlanningNamingTheOptionOrColumn() throws Exception {
    harness.create(LookupJoinHarness.driverStats("checked", "1h"));
    assertPlanningFails("'catalog-type' = 'nessie', 'table' = 'checked'",
        "Option 'catalog-type' must be one of [rest, hadoop, jdbc, glue, hive], got 'nessie'");
    assertPlanningFails("'catalog-type' = 'rest', 'table' = 'checked'", "Option 'uri' is required for catalog-type rest");
    assertPlanningFails("'catalog-type' = 'rest', 'uri' = ' ', 'table' = 'checked'",
        "Option 'uri' is required for catalog-type rest");
    assertPlanningFails(harness.connectorOptions + ", 'namespace' = 'online', 'table' = 'checked', 'lookup.cachee' = 'NONE'",
        "lookup.cachee");
    assertPlanningFails(harness.connectorOptions + ", 'namespace' = 'online', 'table' = 'checked', 'lookup.cache' = 'FULL'",
        "'lookup.cache' = 'FULL' cannot expire rows by age");
    assertPlanningFails(harness.connectorOptions + ", 'namespace' = 'online', 'table' = 'no_such_table'",
        "Cannot load Iceberg table online.no_such_table");

    StreamTableEnvironment sql = harness.sql();
    sql.executeSql("CREATE TABLE wrong_type (driver_id BIGINT, trips INT) WITH ('connector' = 'iceberg-online', "
        + harness.connectorOptions + ", 'namespace' = 'online', 'table' = 'checked')");
    sql.executeSql("CREATE TABLE missing_column (driver_id BIGINT, rating FLOAT) WITH ('connector' = 'iceberg-online', "
        + harness.connectorOptions + ", 'namespace' = 'online', 'table' = 'checked')");
    sql.executeSql(LookupJoinHarness.probeView(List.of(1L)));
    assertThatThrownBy(() -> sql.executeSql("SELECT d.trips FROM probes AS p JOIN wrong_type FOR SYSTEM_TIME AS OF p.pt AS d "
            + "ON p.id = d.driver_id"))
        .hasStackTraceContaining("Column 'trips' is declared INT but Iceberg table behaviour.online.checked has it as BIGINT");
    assertThatThrownBy(() -> sql.executeSql("SELECT d.rating FROM probes AS p JOIN missing_column FOR SYSTEM_TIME AS OF p.pt AS d "
            + "ON p.id = d.driver_id"))
        .hasStackTraceContaining("Column 'rating' is declared but Iceberg table behaviour.online.checked has no such column");
  }

  private static void assertPlanningFails(String options, String message) {
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql("CREATE TABLE bad (driver_id BIGINT, city STRING) WITH ('connector' = 'iceberg-online', " + options + ")");
    sql.executeSql(LookupJoinHarness.probeView(List.of(1L)));
    // executeSql plans and submits; it throws only when planning fails
    assertThatThrownBy(() -> sql.executeSql("SELECT d.city FROM probes AS p JOIN bad FOR SYSTEM_TIME AS OF p.pt AS d "
            + "ON p.id = d.driver_id"))
        .hasStackTraceContaining(message);
  }
}
