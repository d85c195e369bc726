package io.icebergonline.lookup;

import static io.icebergonline.lookup.LookupJoinHarness.NOW;
import static io.icebergonline.lookup.LookupJoinHarness.driver;
import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.CatalogType;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.reader.OnlineTableReader;
import io.icebergonline.reader.TableBinding;
import io.icebergonline.testing.GenericUpserts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader whose table object fell more than {@code write.metadata.previous-versions-max} commits
 * behind a Hadoop table (whose older metadata files are then deleted) still reaches the newest
 * snapshot at its next refresh, instead of serving its old snapshot forever.
 */
class ReaderFallingBehindTest {
  @TempDir static Path warehouse;

  @Test
  void aReaderMoreCommitsBehindThanTheTableKeepsMetadataVersionsServesTheNewestRows() throws Exception {
    OnlineStoreConfig store = new OnlineStoreConfig(CatalogType.HADOOP, "behind", null, warehouse.toUri().toString(),
        "online", Map.of());
    LookupJoinHarness harness = new LookupJoinHarness(IcebergCatalogs.load(store), "", "online");
    Table table = harness.create(LookupJoinHarness.driverStats("falls_behind", null));
    int keptVersions = Integer.parseInt(table.properties().get(TableProperties.METADATA_PREVIOUS_VERSIONS_MAX));
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    writer.upsert(List.of(driver(writer, 1, 0.0, "v0", NOW)));

    ResolvedSchema declared = ResolvedSchema.of(
        Column.physical("driver_id", DataTypes.BIGINT().notNull()), Column.physical("conv_rate", DataTypes.DOUBLE()));
    TableBinding binding = TableBinding.resolve(store, "falls_behind", declared, null);
    // a refresh interval far beyond the test: only the refreshes below run
    try (OnlineTableReader reader = new OnlineTableReader(binding, List.of("conv_rate"), List.of("driver_id"),
        Duration.ofHours(1).toMillis(), 0)) {
      reader.open();
      RowData key = GenericRowData.of(1L);
      assertThat(reader.lookup(key).row().getDouble(0)).isEqualTo(0.0);

      int commits = keptVersions + 2;
      for (int commit = 1; commit <= commits; commit++) {
        writer.upsert(List.of(driver(writer, 1, commit, "v" + commit, NOW)));
      }
      reader.refreshNow();

      assertThat(reader.lookup(key).row().getDouble(0)).isEqualTo(commits);
    }
  }
}
