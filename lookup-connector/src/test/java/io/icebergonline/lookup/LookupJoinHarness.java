package io.icebergonline.lookup;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.PlaceholderConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/** A driver-stats online table in some catalog, written with Iceberg's generic writers, and Flink SQL over it. */
final class LookupJoinHarness {
  static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC);

  final Catalog catalog;
  final String connectorOptions;
  final String namespace;

  /** @param connectorOptions the catalog part of the WITH clause, e.g. {@code 'catalog-type' = 'hadoop', ...} */
  LookupJoinHarness(Catalog catalog, String connectorOptions, String namespace) {
    this.catalog = catalog;
    this.connectorOptions = connectorOptions;
    this.namespace = namespace;
  }

  static FeatureViewSpec view(String name, String entities, String features, String ttl) {
    String yaml = PlaceholderConfig.withFeatureViews(
        "  - name: " + name,
        "    topic: t",
        "    entities: [ " + entities + " ]",
        "    features: [ " + features + " ]",
        ttl == null ? "" : "    ttl: " + ttl,
        "    buckets: 4");
    return JobConfigParser.parse(yaml, key -> null).featureViews().get(0);
  }

  static FeatureViewSpec driverStats(String name, String ttl) {
    return view(name, "{ name: driver_id, type: INT64 }",
        "{ name: conv_rate, type: DOUBLE }, { name: trips, type: INT64 }, { name: city, type: STRING }", ttl);
  }

  Table create(FeatureViewSpec view) {
    return OnlineTables.createOrVerify(catalog, namespace, view);
  }

  static Record driver(GenericUpserts writer, long id, double convRate, String city, OffsetDateTime eventTime) {
    Record row = writer.newRow();
    row.setField("driver_id", id);
    row.setField("conv_rate", convRate);
    row.setField("trips", id * 10);
    row.setField("city", city);
    row.setField("event_timestamp", eventTime);
    return row;
  }

  StreamTableEnvironment sql() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    return StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
  }

  String createDriverTable(String flinkName, String table, String extraOptions) {
    return "CREATE TABLE " + flinkName + " ("
        + " driver_id BIGINT, conv_rate DOUBLE, trips BIGINT, city STRING, event_timestamp TIMESTAMP_LTZ(6)"
        + ") WITH ('connector' = 'iceberg-online', " + connectorOptions + ", 'namespace' = '" + namespace
        + "', 'table' = '" + table + "'" + (extraOptions.isEmpty() ? "" : ", " + extraOptions) + ")";
  }

  /** A bounded probe stream {@code probes(id, pt)} with a processing-time attribute. */
  static String probeView(Collection<Long> ids) {
    String values = ids.stream().map(id -> "(CAST(" + id + " AS BIGINT))").collect(Collectors.joining(", "));
    return "CREATE TEMPORARY VIEW probes AS SELECT id, PROCTIME() AS pt FROM (VALUES " + values + ") AS t(id)";
  }

  /** An unbounded probe stream {@code probes(id, pt)} of random ids in {@code 1..maxId}. */
  static void randomProbes(StreamTableEnvironment sql, int rowsPerSecond, long maxId) {
    sql.executeSql("CREATE TABLE ticks (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '"
        + rowsPerSecond + "', 'fields.id.kind' = 'random', 'fields.id.min' = '1', 'fields.id.max' = '" + maxId + "')");
    sql.executeSql("CREATE TEMPORARY VIEW probes AS SELECT id, PROCTIME() AS pt FROM ticks");
  }

  /** Runs a bounded query and returns its rows. */
  static List<Row> collect(TableResult result) throws Exception {
    List<Row> rows = new ArrayList<>();
    try (CloseableIterator<Row> iterator = result.collect()) {
      iterator.forEachRemaining(rows::add);
    }
    return rows;
  }

  /** Rows of {@code id, conv_rate, city} by probe id; fails on two answers for one probe. */
  static Map<Long, List<Object>> byId(List<Row> rows) {
    Map<Long, List<Object>> byId = new HashMap<>();
    for (Row row : rows) {
      List<Object> previous = byId.put((Long) row.getField(0), java.util.Arrays.asList(row.getField(1), row.getField(2)));
      if (previous != null) {
        throw new AssertionError("two answers for probe " + row.getField(0));
      }
    }
    return byId;
  }

  /** The live rows, as Iceberg's reader returns them. */
  static List<Record> liveRecords(Table table) {
    List<Record> live = new ArrayList<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      records.forEach(record -> live.add(record.copy()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return live;
  }

  /** Rewrites every partition into one file with all deletes applied: a {@code replace} snapshot. */
  static void compact(Table table) {
    table.refresh();
    long planned = table.currentSnapshot().snapshotId();
    Set<DataFile> oldData = new HashSet<>();
    Set<DeleteFile> oldDeletes = new HashSet<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        oldData.add(task.file());
        oldDeletes.addAll(task.deletes());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Set<DataFile> newData = new GenericUpserts(table, List.of("driver_id")).writeDataFiles(liveRecords(table));
    table.newRewrite().validateFromSnapshot(planned).rewriteFiles(oldData, oldDeletes, newData, Set.of()).commit();
  }
}
