package io.icebergonline.reader;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.CatalogType;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.PlaceholderConfig;
import io.icebergonline.testing.RestCatalogOnS3;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;

/** The file index of a table: what lookups can prune without opening a file. */
class TableFileIndexTest {
  private static final ResolvedSchema DECLARED = ResolvedSchema.of(
      Column.physical("driver_id", DataTypes.BIGINT().notNull()), Column.physical("conv_rate", DataTypes.DOUBLE()),
      Column.physical("city", DataTypes.STRING()));

  /**
   * A reader plans the whole table when it opens and after a rollback; the files it knows then
   * carry their key bounds, so a key beyond every file's bounds costs no request to the store.
   */
  @Test
  void aFullScanKeepsKeyBoundsSoALookupOutsideThemFetchesNoFooter() throws Exception {
    try (RestCatalogOnS3 server = RestCatalogOnS3.start()) {
      Catalog catalog = server.newClient("bounds");
      Table table = OnlineTables.createOrVerify(catalog, "online", driverStats());
      GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
      writer.upsert(LongStream.rangeClosed(1, 1_000).mapToObj(id -> driver(writer, id)).toList());
      table.refresh();
      long first = table.currentSnapshot().snapshotId();
      writer.upsert(LongStream.rangeClosed(1_001, 2_000).mapToObj(id -> driver(writer, id)).toList());
      OnlineStoreConfig store = new OnlineStoreConfig(CatalogType.REST, "bounds", server.uri(), null, "online",
          RestCatalogOnS3.fileIoProperties(server.s3Endpoint()));
      TableBinding binding = TableBinding.resolve(store, "drivers", DECLARED, null);
      try (OnlineTableReader reader = new OnlineTableReader(binding, List.of("conv_rate", "city"), List.of("driver_id"),
          Duration.ofHours(1).toMillis(), 0)) {
        reader.open();
        assertThat(getsOfLookup(reader, 1_500)).as("GETs of a key inside the bounds of a file").isPositive();
        assertThat(getsOfLookup(reader, 5_000)).as("GETs of a key beyond every file's bounds, after open").isZero();

        table.manageSnapshots().rollbackTo(first).commit();
        reader.refreshNow();
        assertThat(getsOfLookup(reader, 1_700)).as("GETs of a key beyond every file's bounds, after a rollback")
            .isZero();
      }
    }
  }

  private static long getsOfLookup(OnlineTableReader reader, long key) {
    long before = CountingS3Requests.gets();
    reader.lookup(GenericRowData.of(key));
    return CountingS3Requests.gets() - before;
  }

  private static FeatureViewSpec driverStats() {
    return JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: drivers",
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: conv_rate, type: DOUBLE }, { name: city, type: STRING } ]",
        "    buckets: 4"), key -> null).featureViews().get(0);
  }

  private static Record driver(GenericUpserts writer, long id) {
    Record row = writer.newRow();
    row.setField("driver_id", id);
    row.setField("conv_rate", id / 10.0);
    row.setField("city", "c" + id);
    row.setField("event_timestamp", OffsetDateTime.now(ZoneOffset.UTC));
    return row;
  }
}
