package io.icebergonline.lookup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.FeatureEventGenerator;
import io.icebergonline.testing.GeneratedEvent;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.NewestRowOracle;
import io.icebergonline.testing.PlaceholderConfig;
import io.icebergonline.testing.RestCatalogOnS3;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code 'type' = 'iceberg-online'} catalog with real Flink SQL over Iceberg's REST catalog on
 * the S3 mock: namespaces and tables listed, schemas and primary keys derived from the Iceberg
 * tables, lookup joins and scans by name checked against the oracle, hints over the catalog's
 * options, option validation, and the catalog refusing DDL and writes.
 */
class OnlineCatalogTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

  private static final int DRIVERS = 200;
  private static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
  private static final OffsetDateTime TWO_DAYS_AGO = NOW.minusDays(2);

  private static RestCatalogOnS3 server;
  private static NewestRowOracle oracle;
  /** route_stats rows by (region, driver_id): trips and event time. */
  private static final Map<List<Object>, List<Object>> routes = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    server = RestCatalogOnS3.start();
    Catalog catalog = server.newClient("online_catalog");
    writeDriverStats(OnlineTables.createOrVerify(catalog, "feast_online", JobConfigParser.parse(
        PlaceholderConfig.withFeatureViews(FeatureEventGenerator.featureViewYaml("driver_stats", 4)), name -> null)
        .featureViews().get(0)));
    FeatureViewSpec routeStats = LookupJoinHarness.view("route_stats",
        "{ name: region, type: STRING }, { name: driver_id, type: INT64 }", "{ name: trips, type: INT64 }", "1h");
    writeRouteStats(OnlineTables.createOrVerify(catalog, "routes", routeStats), OnlineTableLayout.of(routeStats));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** Generated events in five upsert commits (newest rows of the keys a batch touched, deletes of its tombstones). */
  private static void writeDriverStats(Table table) {
    oracle = new NewestRowOracle();
    FeatureEventGenerator generator = new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(16, DRIVERS));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    for (int commit = 0; commit < 5; commit++) {
      List<GeneratedEvent> batch = generator.next(600);
      oracle.acceptAll(batch);
      Set<Long> touched = batch.stream().map(GeneratedEvent::driverId).collect(Collectors.toSet());
      Map<Long, Map<String, Object>> live = oracle.liveRows();
      List<Record> upserts = new ArrayList<>();
      List<Record> deletes = new ArrayList<>();
      for (long id : touched) {
        Record row = writer.newRow();
        row.setField("driver_id", id);
        Map<String, Object> values = live.get(id);
        if (values == null) {
          deletes.add(row);
          continue;
        }
        row.setField("conv_rate", values.get("conv_rate"));
        row.setField("trips", values.get("trips"));
        row.setField("city", values.get("city"));
        row.setField("event_timestamp", utc((Long) values.get("event_timestamp")));
        row.setField("created", values.get("created") == null ? null : utc((Long) values.get("created")));
        upserts.add(row);
      }
      writer.upsert(upserts);
      writer.delete(deletes);
    }
  }

  /** A composite-key view with a 1 h ttl: some rows fresh, some two days old. */
  private static void writeRouteStats(Table table, OnlineTableLayout layout) {
    GenericUpserts writer = new GenericUpserts(table, layout.equalityColumns());
    List<Record> rows = new ArrayList<>();
    for (String region : List.of("north", "south")) {
      for (long id = 1; id <= 10; id++) {
        OffsetDateTime eventTime = id % 3 == 0 ? TWO_DAYS_AGO : NOW;
        Record row = writer.newRow();
        row.setField("region", region);
        row.setField("driver_id", id);
        row.setField(OnlineTableLayout.DERIVED_KEY_COLUMN, layout.keyValue(List.of(region, id)));
        row.setField("trips", id * (region.equals("north") ? 1 : 100));
        row.setField("event_timestamp", eventTime);
        rows.add(row);
        routes.put(List.of(region, id), List.of(id * (region.equals("north") ? 1 : 100), eventTime.toInstant()));
      }
    }
    writer.upsert(rows);
  }

  private static OffsetDateTime utc(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).atOffset(ZoneOffset.UTC);
  }

  /** A session with catalog {@code online} over the test's REST catalog, plus {@code extraOptions}. */
  private static StreamTableEnvironment session(String extraOptions) {
    StreamTableEnvironment sql = newSession();
    sql.executeSql(createCatalog("online", extraOptions));
    return sql;
  }

  private static StreamTableEnvironment newSession() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    return StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
  }

  private static String createCatalog(String name, String extraOptions) {
    String fileIo = RestCatalogOnS3.fileIoProperties(server.s3Endpoint()).entrySet().stream()
        .map(entry -> "'catalog." + entry.getKey() + "' = '" + entry.getValue() + "'")
        .collect(Collectors.joining(", "));
    return "CREATE CATALOG " + name + " WITH ('type' = 'iceberg-online', 'catalog-type' = 'rest', 'uri' = '"
        + server.uri() + "', " + fileIo + (extraOptions.isEmpty() ? "" : ", " + extraOptions) + ")";
  }

  private static List<Row> rows(StreamTableEnvironment sql, String statement) throws Exception {
    return LookupJoinHarness.collect(sql.executeSql(statement));
  }

  @Test
  void namespacesAreDatabasesAndIcebergTablesAreTables() throws Exception {
    StreamTableEnvironment sql = session("");
    assertThat(rows(sql, "SHOW DATABASES IN online")).map(row -> row.getField(0))
        .containsExactlyInAnyOrder("feast_online", "routes");
    assertThat(rows(sql, "SHOW TABLES FROM online.feast_online")).map(row -> row.getField(0))
        .containsExactly("driver_stats");
    assertThat(rows(sql, "SHOW TABLES FROM online.routes")).map(row -> row.getField(0))
        .containsExactly("route_stats");
    sql.executeSql("USE CATALOG online");
    assertThat(sql.getCurrentDatabase()).as("the default database is the default namespace").isEqualTo("feast_online");
  }

  @Test
  void describeShowsTheIcebergColumnsAndTheIdentifierFieldsAsPrimaryKey() throws Exception {
    StreamTableEnvironment sql = session("");
    assertThat(describe(sql, "online.feast_online.driver_stats")).containsExactly(
        "driver_id BIGINT false PRI(driver_id)",
        "event_timestamp TIMESTAMP_LTZ(6) false null",
        "created TIMESTAMP_LTZ(6) true null",
        "conv_rate DOUBLE true null",
        "trips BIGINT true null",
        "city STRING true null");
    assertThat(describe(sql, "online.routes.route_stats")).containsExactly(
        "region STRING false PRI(region, driver_id)",
        "driver_id BIGINT false PRI(region, driver_id)",
        "_entity_key STRING false null",
        "event_timestamp TIMESTAMP_LTZ(6) false null",
        "trips BIGINT true null");
  }

  /** {@code DESCRIBE} rows as "name type nullable key". */
  private static List<String> describe(StreamTableEnvironment sql, String table) throws Exception {
    return rows(sql, "DESCRIBE " + table).stream()
        .map(row -> row.getField(0) + " " + row.getField(1) + " " + row.getField(2) + " " + row.getField(3))
        .toList();
  }

  @Test
  void aLookupJoinThroughTheCatalogReturnsTheOraclesRows() throws Exception {
    StreamTableEnvironment sql = session("'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '1000'");
    List<Long> probes = LongStream.rangeClosed(1, DRIVERS + 20).boxed().toList();
    sql.executeSql(LookupJoinHarness.probeView(probes));
    Map<Long, List<Object>> actual = byId(rows(sql, "SELECT p.id, d.conv_rate, d.trips, d.city, d.event_timestamp "
        + "FROM probes AS p LEFT JOIN online.feast_online.driver_stats FOR SYSTEM_TIME AS OF p.pt AS d "
        + "ON p.id = d.driver_id"));
    assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(probes);
    Map<Long, Map<String, Object>> live = oracle.liveRows();
    assertThat(live).as("some drivers deleted, most live").hasSizeBetween(DRIVERS / 2, DRIVERS - 1);
    for (long probe : probes) {
      assertThat(actual.get(probe)).as("driver %d", probe).isEqualTo(features(live.get(probe)));
    }
  }

  @Test
  void aScanThroughTheCatalogReturnsTheLiveRows() throws Exception {
    StreamTableEnvironment sql = session("");
    Map<Long, List<Object>> actual = byId(rows(sql,
        "SELECT driver_id, conv_rate, trips, city, event_timestamp FROM online.feast_online.driver_stats"));
    Map<Long, List<Object>> expected = new HashMap<>();
    oracle.liveRows().forEach((id, row) -> expected.put(id, features(row)));
    assertThat(actual).isEqualTo(expected);

    long someLiveDriver = expected.keySet().iterator().next();
    assertThat(rows(sql, "SELECT driver_id, conv_rate, trips, city, event_timestamp "
        + "FROM online.feast_online.driver_stats WHERE driver_id = " + someLiveDriver))
        .map(row -> List.of(row.getField(0), Arrays.asList(row.getField(1), row.getField(2), row.getField(3),
            ((Instant) row.getField(4)).toEpochMilli())))
        .containsExactly(List.of(someLiveDriver, expected.get(someLiveDriver)));
  }

  @Test
  void aCompositeKeyLookupAppliesTheViewsTtlAndHintsOverrideTheCatalogsOptions() throws Exception {
    StreamTableEnvironment sql = session("");
    sql.executeSql(createCatalog("online_any_age", "'lookup.max-age' = '0s', 'namespace' = 'routes'"));
    List<String> probes = new ArrayList<>();
    for (String region : List.of("north", "south", "west")) {
      for (long id = 1; id <= 10; id++) {
        probes.add("('" + region + "', CAST(" + id + " AS BIGINT))");
      }
    }
    sql.executeSql("CREATE TEMPORARY VIEW route_probes AS SELECT region, id, PROCTIME() AS pt FROM (VALUES "
        + String.join(", ", probes) + ") AS t(region, id)");

    Map<List<Object>, List<Object>> fresh = new HashMap<>();
    routes.forEach((key, value) -> {
      if (value.get(1).equals(NOW.toInstant())) {
        fresh.put(key, value);
      }
    });
    assertThat(fresh).as("the ttl hides some rows").hasSizeBetween(1, routes.size() - 1);
    assertThat(routeLookup(sql, "online.routes.route_stats")).as("the view's ttl").isEqualTo(fresh);
    assertThat(routeLookup(sql, "online.routes.route_stats /*+ OPTIONS('lookup.max-age' = '0s') */"))
        .as("a hint over the table's defaults").isEqualTo(routes);
    assertThat(routeLookup(sql, "online_any_age.routes.route_stats")).as("the catalog's option").isEqualTo(routes);
    assertThat(routeLookup(sql, "online_any_age.routes.route_stats /*+ OPTIONS('lookup.max-age' = '1h') */"))
        .as("a hint over the catalog's option").isEqualTo(fresh);
  }

  /** Joined rows by (region, driver_id): trips and event time, for the keys found. */
  private static Map<List<Object>, List<Object>> routeLookup(StreamTableEnvironment sql, String table) throws Exception {
    Map<List<Object>, List<Object>> found = new HashMap<>();
    for (Row row : rows(sql, "SELECT p.region, p.id, r.trips, r.event_timestamp FROM route_probes AS p "
        + "JOIN " + table + " FOR SYSTEM_TIME AS OF p.pt AS r ON p.region = r.region AND p.id = r.driver_id")) {
      assertThat(found.put(List.of(row.getField(0), row.getField(1)), List.of(row.getField(2), row.getField(3))))
          .as("one row per key").isNull();
    }
    return found;
  }

  @Test
  void badCatalogOptionsFailNamingTheOption() {
    StreamTableEnvironment sql = newSession();
    assertThatThrownBy(() -> sql.executeSql("CREATE CATALOG c1 WITH ('type' = 'iceberg-online', 'catalog-type' = 'rest')"))
        .hasStackTraceContaining("Option 'uri' is required for catalog-type rest");
    assertThatThrownBy(() -> sql.executeSql("CREATE CATALOG c2 WITH ('type' = 'iceberg-online', 'catalog-type' = 'nosql', "
        + "'uri' = 'http://localhost:1')"))
        .hasStackTraceContaining("Option 'catalog-type' must be one of");
    assertThatThrownBy(() -> sql.executeSql(createCatalog("c3", "'lookup.cach' = 'PARTIAL'")))
        .hasStackTraceContaining("Unsupported options")
        .hasStackTraceContaining("lookup.cach");
    assertThatThrownBy(() -> sql.executeSql(createCatalog("c4", "'lookup.cache' = 'SOMETIMES'")))
        .hasStackTraceContaining("lookup.cache")
        .hasStackTraceContaining("SOMETIMES");
    assertThatThrownBy(() -> sql.executeSql(createCatalog("c5", "'table' = 'driver_stats'")))
        .as("the table is the catalog's to name").hasStackTraceContaining("Unsupported options")
        .hasStackTraceContaining("table");
  }

  @Test
  void ddlAndWritesThroughTheCatalogFailBecauseTheJobOwnsTheTables() throws Exception {
    StreamTableEnvironment sql = session("");
    String readOnly = "catalog 'online' is read-only: the iceberg-online materialization job owns the online tables";
    for (String statement : List.of(
        "CREATE DATABASE online.more",
        "DROP DATABASE online.routes CASCADE",
        "CREATE TABLE online.feast_online.t (id BIGINT)",
        "DROP TABLE online.feast_online.driver_stats",
        "ALTER TABLE online.feast_online.driver_stats RENAME TO d",
        "ALTER TABLE online.feast_online.driver_stats SET ('lookup.cache' = 'FULL')",
        "INSERT INTO online.feast_online.driver_stats SELECT * FROM online.feast_online.driver_stats")) {
      assertThatThrownBy(() -> sql.executeSql(statement).await()).as(statement).hasStackTraceContaining(readOnly);
    }
    assertThat(rows(sql, "SHOW TABLES FROM online.feast_online")).map(row -> row.getField(0))
        .as("the table is still there").containsExactly("driver_stats");
  }

  private static Map<Long, List<Object>> byId(List<Row> rows) {
    Map<Long, List<Object>> byId = new HashMap<>();
    for (Row row : rows) {
      Object eventTime = row.getField(4) == null ? null : ((Instant) row.getField(4)).toEpochMilli();
      List<Object> previous = byId.put((Long) row.getField(0),
          Arrays.asList(row.getField(1), row.getField(2), row.getField(3), eventTime));
      assertThat(previous).as("one row for driver %s", row.getField(0)).isNull();
    }
    return byId;
  }

  /** conv_rate, trips, city, event time of an oracle row; all null for a missing row. */
  private static List<Object> features(Map<String, Object> live) {
    return live == null ? Arrays.asList(null, null, null, null)
        : Arrays.asList(live.get("conv_rate"), live.get("trips"), live.get("city"), live.get("event_timestamp"));
  }
}
