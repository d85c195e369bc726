package io.icebergonline.reader;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.stream.LongStream;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lookups on tables whose schema changed: columns are matched by field id, as Iceberg matches them. */
class SchemaEvolutionTest {
  private static final int KEYS = 200;

  @TempDir Path warehouse;

  @Test
  void afterTheKeyColumnIsRenamedPointReadsFindTheRowsWrittenBeforeTheRename() {
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
    try (OnlineTableReader reader = new OnlineTableReader(binding, List.of("city"), List.of("driver"),
        Duration.ofHours(1).toMillis(), 0)) {
      reader.open();
      for (long id = 1; id <= KEYS + 25; id++) {
        RowData row = reader.lookup(GenericRowData.of(id)).row();
        assertThat(row == null ? null : row.getString(0).toString()).as("key %d", id).isEqualTo(expected.get(id));
      }
      assertThat(reader.pageBytesFetched()).as("bytes read by pages, where the key column is matched").isPositive();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
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
