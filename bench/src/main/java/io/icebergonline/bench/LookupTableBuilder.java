package io.icebergonline.bench;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.testing.GenericUpserts;
import io.icebergonline.testing.PlaceholderConfig;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;

/**
 * Builds a lookup benchmark table: a feature view of {@value Sizes#LOOKUP_FEATURES} features
 * (doubles, longs, strings) keyed by {@code driver_id = 1..keys}, written as upsert commits with
 * Iceberg's generic writers: first every key (in commits of at most {@value #MAX_ROWS_PER_COMMIT}
 * rows), then commits that each rewrite a random share of the keys, as a materialization job's
 * checkpoints would. It remembers every key's current {@code f1}, to check lookup answers.
 */
final class LookupTableBuilder {
  static final String CHECKED_FEATURE = "f1";
  private static final int MAX_ROWS_PER_COMMIT = 1_000_000;
  private static final OffsetDateTime START = OffsetDateTime.ofInstant(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  private LookupTableBuilder() {}

  /** The table (in {@code namespace}) and the current {@code f1} of every key (index = key). */
  record Built(String namespace, Table table, FeatureViewSpec view, double[] expectedF1, int commits) {}

  static FeatureViewSpec view(String name) {
    String features = IntStream.rangeClosed(1, Sizes.LOOKUP_FEATURES)
        .mapToObj(i -> "{ name: f" + i + ", type: " + (i <= 4 ? "DOUBLE" : i <= 7 ? "INT64" : "STRING") + " }")
        .collect(Collectors.joining(", "));
    String yaml = PlaceholderConfig.withFeatureViews(
        "  - name: " + name,
        "    topic: unused",
        "    entities: [ { name: driver_id, type: INT64 } ]",
        "    features: [ " + features + " ]",
        "    buckets: " + Sizes.BUCKETS);
    return JobConfigParser.parse(yaml, env -> null).featureViews().get(0);
  }

  static Built build(BenchCatalog catalog, String namespace, int keys, int updateCommits, double updateShare, long seed) {
    FeatureViewSpec view = view("features_" + keys);
    Table table = catalog.create(namespace, view);
    GenericUpserts writer = new GenericUpserts(table, List.of(BenchCatalog.KEY_COLUMN));
    Random random = new Random(seed);
    double[] expected = new double[keys + 1];
    int commits = 0;
    for (int from = 1; from <= keys; from += MAX_ROWS_PER_COMMIT) {
      List<Record> rows = new ArrayList<>();
      for (int key = from; key < Math.min(keys + 1, from + MAX_ROWS_PER_COMMIT); key++) {
        rows.add(row(writer, key, random, expected));
      }
      writer.upsert(rows);
      commits++;
      Progress.log("lookup: %s: commit %d, %,d rows", table.name(), commits, rows.size());
    }
    int updated = (int) Math.round(keys * updateShare);
    for (int version = 1; version <= updateCommits; version++) {
      List<Record> rows = new ArrayList<>(updated);
      random.ints(1, keys + 1).distinct().limit(updated).sorted()
          .forEach(key -> rows.add(row(writer, key, random, expected)));
      writer.upsert(rows);
      commits++;
    }
    Progress.log("lookup: %s: %d commits (%,d keys rewritten by each of the last %d)", table.name(), commits, updated,
        updateCommits);
    table.refresh();
    return new Built(namespace, table, view, expected, commits);
  }

  private static Record row(GenericUpserts writer, int key, Random random, double[] expected) {
    Record row = writer.newRow();
    row.setField(BenchCatalog.KEY_COLUMN, (long) key);
    row.setField("event_timestamp", START.plusSeconds(random.nextInt(86_400)));
    for (int i = 1; i <= Sizes.LOOKUP_FEATURES; i++) {
      Object value = i <= 4 ? (Object) random.nextDouble() : i <= 7 ? (Object) (long) random.nextInt(1_000_000)
          : "value-" + random.nextInt(100_000);
      row.setField("f" + i, value);
    }
    expected[key] = (Double) row.getField(CHECKED_FEATURE);
    return row;
  }
}
