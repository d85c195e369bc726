package io.icebergonline.lookup;

import static io.icebergonline.lookup.LookupJoinHarness.NOW;
import static io.icebergonline.lookup.LookupJoinHarness.driver;
import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.RestCatalogOnS3;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.sink.FlinkSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Lookups over Iceberg's REST catalog server with data on an S3 mock: a table written by
 * Iceberg's own Flink upsert sink, and a compaction that rewrites and physically removes files
 * while a lookup join runs.
 */
class LookupOnRestCatalogTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

  private static RestCatalogOnS3 server;
  private static Catalog catalog;
  private static LookupJoinHarness harness;

  @BeforeAll
  static void start() throws Exception {
    server = RestCatalogOnS3.start();
    catalog = server.newClient("online_catalog");
    String fileIo = RestCatalogOnS3.fileIoProperties(server.s3Endpoint()).entrySet().stream()
        .map(entry -> "'catalog." + entry.getKey() + "' = '" + entry.getValue() + "'")
        .collect(Collectors.joining(", "));
    harness = new LookupJoinHarness(catalog, "'catalog-type' = 'rest', 'uri' = '" + server.uri() + "', " + fileIo, "online");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void aTableWrittenByIcebergsStockFlinkUpsertSinkIsReadExactly() throws Exception {
    Table table = harness.create(LookupJoinHarness.driverStats("stock_sink", null));
    Map<Long, List<Object>> expected = new HashMap<>();
    List<RowData> first = new ArrayList<>();
    for (long id = 1; id <= 100; id++) {
      first.add(row(RowKind.INSERT, id, id / 10.0, "v1"));
      expected.put(id, Arrays.asList(id / 10.0, "v1"));
    }
    first.add(row(RowKind.INSERT, 3, 33.0, "v1-again")); // a key twice in one commit
    expected.put(3L, Arrays.asList(33.0, "v1-again"));
    writeWithStockSink(table, first);
    List<RowData> second = new ArrayList<>();
    for (long id = 1; id <= 30; id++) {
      second.add(row(RowKind.INSERT, id, id, "v2"));
      expected.put(id, Arrays.asList((double) id, "v2"));
    }
    second.add(row(RowKind.DELETE, 50, 0, null));
    expected.remove(50L);
    writeWithStockSink(table, second);

    List<Long> probes = LongStream.rangeClosed(1, 105).boxed().toList();
    StreamTableEnvironment sql = harness.sql();
    sql.executeSql(harness.createDriverTable("d", "stock_sink", "'lookup.cache' = 'NONE'"));
    sql.executeSql(LookupJoinHarness.probeView(probes));
    Map<Long, List<Object>> actual = LookupJoinHarness.byId(LookupJoinHarness.collect(sql.executeSql(
        "SELECT p.id, d.conv_rate, d.city FROM probes AS p LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id")));
    for (long probe : probes) {
      assertThat(actual.get(probe)).as("probe %d", probe).isEqualTo(expected.getOrDefault(probe, Arrays.asList(null, null)));
    }
  }

  @Test
  void aCompactionThatRemovesFilesDuringLookupsCausesNoErrorAndNoWrongRow() throws Exception {
    Table table = harness.create(LookupJoinHarness.driverStats("compacted", null));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    Map<Long, String> expected = new HashMap<>();
    for (int commit = 0; commit < 3; commit++) {
      List<Record> rows = new ArrayList<>();
      for (long id = 1; id <= 20; id++) {
        rows.add(driver(writer, id, commit, "v" + commit + "-" + id, NOW));
        expected.put(id, "v" + commit + "-" + id);
      }
      writer.upsert(rows);
    }

    StreamTableEnvironment sql = harness.sql();
    // a long refresh interval: lookups keep using the pre-compaction file list until a file is missing
    sql.executeSql(harness.createDriverTable("d", "compacted", "'lookup.cache' = 'NONE', 'lookup.refresh-interval' = '1h'"));
    LookupJoinHarness.randomProbes(sql, 50, 20);
    TableResult result = sql.executeSql(
        "SELECT p.id, d.city FROM probes AS p LEFT JOIN d FOR SYSTEM_TIME AS OF p.pt AS d ON p.id = d.driver_id");
    try (CloseableIterator<Row> rows = result.collect()) {
      for (int i = 0; i < 20; i++) {
        assertCorrect(rows.next(), expected);
      }
      Set<String> removed = compactAndExpire(table);
      assertThat(removed).as("old data files are deleted from the store").anyMatch(path -> path.contains("/data/"));
      for (int i = 0; i < 200; i++) {
        assertCorrect(rows.next(), expected);
      }
    } finally {
      result.getJobClient().orElseThrow().cancel();
    }
  }

  private static void assertCorrect(Row row, Map<Long, String> expected) {
    assertThat(row.getField(1)).as("driver %s", row.getField(0)).isEqualTo(expected.get((Long) row.getField(0)));
  }

  /** Rewrites every partition into one file applying all deletes, then expires history so old files are deleted. */
  private static Set<String> compactAndExpire(Table table) {
    LookupJoinHarness.compact(table);
    table.newAppend().commit(); // files a snapshot removes are deleted when that snapshot expires
    Set<String> removed = new HashSet<>();
    table.expireSnapshots().expireOlderThan(System.currentTimeMillis() + 1).retainLast(1)
        .deleteWith(path -> {
          removed.add(path);
          table.io().deleteFile(path);
        })
        .commit();
    return removed;
  }

  private static RowData row(RowKind kind, long id, double convRate, String city) {
    return GenericRowData.ofKind(kind, id, TimestampData.fromInstant(NOW.toInstant()), convRate, id * 10,
        city == null ? null : StringData.fromString(city));
  }

  private static void writeWithStockSink(Table table, List<RowData> rows) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    var stream = env.fromData(rows, InternalTypeInfo.of(FlinkSchemaUtil.convert(table.schema())));
    TableLoader loader = TableLoader.fromCatalog(
        CatalogLoader.custom("online_catalog", server.clientProperties(), new org.apache.hadoop.conf.Configuration(),
            "org.apache.iceberg.rest.RESTCatalog"),
        org.apache.iceberg.catalog.TableIdentifier.of("online", table.name().substring(table.name().lastIndexOf('.') + 1)));
    FlinkSink.forRowData(stream).tableLoader(loader).upsert(true).equalityFieldColumns(List.of("driver_id")).append();
    env.execute("stock upsert sink");
  }
}
