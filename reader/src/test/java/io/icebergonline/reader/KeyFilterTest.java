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
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.SnapshotChanges;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.transforms.Transforms;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.util.SerializableFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key filters of real data files, written by Iceberg's writer with the online table's bloom filter. */
class KeyFilterTest {
  private static final int KEYS = 20_000;
  private static final int BUCKETS = 4;
  private static final int THREADS = 4;
  private static final int ROUNDS = 5;

  @TempDir Path warehouse;

  @Test
  void concurrentChecksNeverMissAKeyTheFileHolds() throws Exception {
    Catalog catalog = IcebergCatalogs.load(new OnlineStoreConfig(CatalogType.HADOOP, "key_filters", null,
        warehouse.toUri().toString(), "online", Map.of()));
    Table table = OnlineTables.createOrVerify(catalog, "online", driverStats());
    GenericUpserts writer = new GenericUpserts(table, List.of("driver_id"));
    writer.upsert(LongStream.rangeClosed(1, KEYS)
        .mapToObj(id -> driver(writer, id)).toList());
    table.refresh();
    List<DataFile> files = new ArrayList<>();
    SnapshotChanges.builderFor(table).snapshot(table.currentSnapshot()).build().addedDataFiles().forEach(files::add);
    assertThat(files).as("one data file per bucket").hasSize(BUCKETS);
    List<KeyFilter> filters = files.stream()
        .map(file -> KeyFilter.load(table.io().newInputFile(file.location(), file.fileSizeInBytes()),
            table.schema().findField("driver_id")))
        .toList();
    SerializableFunction<Long, Integer> bucket = Transforms.<Long>bucket(BUCKETS).bind(Types.LongType.get());

    // async lookups check one file's filter from several threads at once
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Long>> missed = new ArrayList<>();
    for (int thread = 0; thread < THREADS; thread++) {
      missed.add(pool.submit(() -> {
        start.await();
        long misses = 0;
        for (int round = 0; round < ROUNDS; round++) {
          for (long key = 1; key <= KEYS; key++) {
            for (int i = 0; i < files.size(); i++) {
              if (files.get(i).partition().get(0, Integer.class).equals(bucket.apply(key))
                  && !filters.get(i).mightContain(key)) {
                misses++;
              }
            }
          }
        }
        return misses;
      }));
    }
    start.countDown();
    long total = 0;
    for (Future<Long> misses : missed) {
      total += misses.get();
    }
    pool.shutdown();
    assertThat(total).as("keys a file holds that its filter said it does not").isZero();
  }

  private static FeatureViewSpec driverStats() {
    return JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
        "  - name: drivers",
        "    topic: t",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ { name: conv_rate, type: DOUBLE }, { name: city, type: STRING } ]",
        "    buckets: " + BUCKETS), key -> null).featureViews().get(0);
  }

  private static Record driver(GenericUpserts writer, long id) {
    Record row = writer.newRow();
    row.setField("driver_id", id);
    row.setField("conv_rate", 0.5);
    row.setField("city", "c");
    row.setField("event_timestamp", OffsetDateTime.now(ZoneOffset.UTC));
    return row;
  }
}
