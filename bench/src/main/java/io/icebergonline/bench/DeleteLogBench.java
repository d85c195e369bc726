package io.icebergonline.bench;

import io.icebergonline.core.DeleteLog;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.MaintenanceConfig;
import io.icebergonline.job.maintenance.MaintenanceReport;
import io.icebergonline.job.maintenance.OnlineTableMaintenance;
import io.icebergonline.job.pipeline.BucketVersions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.SnapshotSummary;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;

/**
 * Seeding a bucket from a view's delete log after a simulated week of 30 s checkpoints with
 * deletes (issue 25, item 4), beside the log as it was before: partitioned by day and never
 * maintained (one simulated day of it, as a week would take hours to build). The maintained log is
 * built in its steady state: one compacted file per bucket holding the week's rows (as the hourly
 * maintenance leaves it), then the last hour's 120 checkpoint commits, each writer writing a file
 * per bucket it deleted in. Then one real maintenance run. Seeding reads what {@link
 * BucketVersions#retainedDeletes} reads.
 */
final class DeleteLogBench {
  private static final int BUCKETS = 256;
  private static final int WRITERS = 2;
  static final int DELETES_PER_CHECKPOINT = 20;
  static final Duration CHECKPOINT = Duration.ofSeconds(30);
  static final int CHECKPOINTS_PER_HOUR = (int) (Duration.ofHours(1).toSeconds() / CHECKPOINT.toSeconds());
  static final Duration RETENTION = Duration.ofDays(7);
  private static final int SEEDED_BUCKETS = 16;

  private final BenchCatalog catalog;
  private final Report report;
  private final Random random = new Random(20260101);

  DeleteLogBench(BenchCatalog catalog, Report report) {
    this.catalog = catalog;
    this.report = report;
  }

  void run() {
    Instant now = Instant.now();
    Report.Section section = report.section("Delete log: seeding a bucket");
    Report.ResultTable table = new Report.ResultTable("delete-log.csv", "Seeding one bucket from the delete log",
        "log", "data files", "rows", "metadata.json bytes", "seed median ms", "seed max ms", "rows per seed");

    Table before = createByDay("delete_log_by_day");
    Instant dayStart = now.minus(Duration.ofDays(1));
    for (int hour = 0; hour < 24; hour++) {
      List<DataFile> files = new ArrayList<>();
      for (int checkpoint = 0; checkpoint < CHECKPOINTS_PER_HOUR; checkpoint++) {
        Instant at = dayStart.plus(CHECKPOINT.multipliedBy((long) hour * CHECKPOINTS_PER_HOUR + checkpoint));
        for (int writer = 0; writer < WRITERS; writer++) {
          files.add(write(before, deletes(DELETES_PER_CHECKPOINT / WRITERS, at)));
        }
      }
      append(before, files);
      Progress.log("delete log: by-day layout, simulated hour %d of 24", hour + 1);
    }
    measure(table, "by day, never maintained, 1 simulated day", before, now);

    Table maintained = createByBucket("delete_log_by_bucket");
    fillSteadyWeek(maintained, now, random, ANY_KEY, CHECKPOINTS_PER_HOUR);
    Progress.log("delete log: bucket layout built (a week compacted + the last hour's %d commits)", CHECKPOINTS_PER_HOUR);
    measure(table, "by bucket, a week: compacted + the last hour's commits", maintained, now);

    long started = System.nanoTime();
    MaintenanceReport maintenance = OnlineTableMaintenance.runDeleteLog(
        () -> catalog.catalog().loadTable(DeleteLog.identifier("delete_log_by_bucket", view())), RETENTION,
        new MaintenanceConfig(true, Duration.ofHours(1), Duration.ZERO, 5, Duration.ofDays(3), 128L << 20), "bench");
    double maintenanceSeconds = (System.nanoTime() - started) / 1e9;
    Table afterMaintenance = catalog.catalog().loadTable(DeleteLog.identifier("delete_log_by_bucket", view()));
    double[] after = measure(table, "by bucket, a week, after one maintenance run", afterMaintenance, now);

    section.tables().add(table);
    section.note("%d buckets, %d writers, %d deletes per 30 s checkpoint, delete_retention %s; seeding time is the "
        + "median and maximum over %d buckets of reading the bucket's retained deletes, as the job reads them when it "
        + "seeds a bucket. The by-day log is one simulated day (%d commits of a simulated hour each, %d files); a week "
        + "of it would hold 7x the files, and its cost grows with them.", BUCKETS, WRITERS, DELETES_PER_CHECKPOINT,
        RETENTION, SEEDED_BUCKETS, 24, 24 * CHECKPOINTS_PER_HOUR * WRITERS);
    section.note("One maintenance run of the week's log took %.1f s: %s", maintenanceSeconds, maintenance.describe());
    report.target("Delete log", "seeding a bucket after a simulated week of 30 s checkpoints with deletes <= 1 s",
        String.format(Locale.ROOT, "max %.0f ms after maintenance", after[1]), after[1] <= 1_000);
  }

  /** Adds a row to the table; returns the median and maximum seeding milliseconds. */
  private double[] measure(Report.ResultTable results, String name, Table log, Instant now) {
    log.refresh();
    long appliedSince = now.minus(RETENTION).toEpochMilli();
    double[] millis = new double[SEEDED_BUCKETS];
    long rows = 0;
    for (int i = 0; i < SEEDED_BUCKETS; i++) {
      int bucket = i * (BUCKETS / SEEDED_BUCKETS);
      long started = System.nanoTime();
      try (CloseableIterable<Record> deletes = BucketVersions.retainedDeletes(log, bucket, appliedSince)) {
        for (Record ignored : deletes) {
          rows++;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      millis[i] = (System.nanoTime() - started) / 1e6;
    }
    Arrays.sort(millis);
    long files = Long.parseLong(log.currentSnapshot().summary().getOrDefault(SnapshotSummary.TOTAL_DATA_FILES_PROP, "0"));
    long totalRows = Long.parseLong(log.currentSnapshot().summary().getOrDefault(SnapshotSummary.TOTAL_RECORDS_PROP, "0"));
    results.add(name, files, totalRows, metadataBytes(log), millis[SEEDED_BUCKETS / 2], millis[SEEDED_BUCKETS - 1],
        rows / SEEDED_BUCKETS);
    Progress.log("delete log: %s: %d files, seed median %.0f ms, max %.0f ms", name, files, millis[SEEDED_BUCKETS / 2],
        millis[SEEDED_BUCKETS - 1]);
    return new double[] {millis[SEEDED_BUCKETS / 2], millis[SEEDED_BUCKETS - 1]};
  }

  private List<Record> deletes(int count, Instant at) {
    return deletes(count, at, random, ANY_KEY);
  }

  /** Sets a deleted key and its bucket on a delete log row (and may set another version than the default). */
  interface DeletedKeys {
    void fill(Record row, Random random);
  }

  /** Any of 10M keys in any of the {@value #BUCKETS} buckets: this bench reads buckets, not keys. */
  private static final DeletedKeys ANY_KEY = (row, random) -> {
    row.setField(DeleteLog.BUCKET, random.nextInt(BUCKETS));
    row.setField(DeleteLog.ENTITY_KEY, Long.toString(random.nextInt(10_000_000)));
  };

  /**
   * Fills a delete log as the job and the hourly maintenance leave it after a week of 30 s
   * checkpoints with {@value #DELETES_PER_CHECKPOINT} deletes each: one compacted file per bucket
   * holding the week's rows, then {@code commitsSinceMaintenance} commits (an hour's at most), each
   * writer writing a file per bucket it deleted in; returns the rows written.
   */
  static long fillSteadyWeek(Table log, Instant now, Random random, DeletedKeys keys, int commitsSinceMaintenance) {
    Instant maintained = now.minus(CHECKPOINT.multipliedBy(commitsSinceMaintenance));
    Map<Integer, List<Record>> week = new HashMap<>();
    int weekCheckpoints = (int) (RETENTION.toSeconds() / CHECKPOINT.toSeconds());
    long rows = 0;
    for (int checkpoint = 0; checkpoint < weekCheckpoints; checkpoint++) {
      Instant at = maintained.minus(CHECKPOINT.multipliedBy(checkpoint + 1L));
      for (Record row : deletes(DELETES_PER_CHECKPOINT, at, random, keys)) {
        week.computeIfAbsent((Integer) row.getField(DeleteLog.BUCKET), bucket -> new ArrayList<>()).add(row);
        rows++;
      }
    }
    List<DataFile> compacted = new ArrayList<>();
    week.values().forEach(bucketRows -> compacted.add(write(log, bucketRows)));
    append(log, compacted);
    for (int checkpoint = 0; checkpoint < commitsSinceMaintenance; checkpoint++) {
      Instant at = maintained.plus(CHECKPOINT.multipliedBy(checkpoint));
      List<DataFile> files = new ArrayList<>();
      for (int writer = 0; writer < WRITERS; writer++) {
        Map<Integer, List<Record>> byBucket = new HashMap<>();
        for (Record row : deletes(DELETES_PER_CHECKPOINT / WRITERS, at, random, keys)) {
          byBucket.computeIfAbsent((Integer) row.getField(DeleteLog.BUCKET), bucket -> new ArrayList<>()).add(row);
          rows++;
        }
        byBucket.values().forEach(bucketRows -> files.add(write(log, bucketRows)));
      }
      append(log, files);
    }
    return rows;
  }

  private static List<Record> deletes(int count, Instant at, Random random, DeletedKeys keys) {
    OffsetDateTime appliedAt = OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
    List<Record> rows = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Record row = GenericRecord.create(DeleteLog.SCHEMA);
      row.setField(DeleteLog.EVENT_TIME, appliedAt.minusSeconds(1));
      row.setField(DeleteLog.DELETED_AT, appliedAt);
      keys.fill(row, random);
      rows.add(row);
    }
    return rows;
  }

  /** One data file of the rows, which share a partition of the table's spec. */
  private static DataFile write(Table log, List<Record> rows) {
    PartitionKey partition = new PartitionKey(log.spec(), log.schema());
    partition.partition(new InternalRecordWrapper(log.schema().asStruct()).wrap(rows.get(0)));
    DataWriter<Record> writer = new GenericFileWriterFactory.Builder(log).build().newDataWriter(
        OutputFileFactory.builderFor(log, 1, System.nanoTime()).build().newOutputFile(log.spec(), partition),
        log.spec(), partition);
    try (writer) {
      rows.forEach(writer::write);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return writer.toDataFile();
  }

  private static void append(Table log, List<DataFile> files) {
    AppendFiles append = log.newAppend();
    files.forEach(append::appendFile);
    append.commit();
  }

  /** The log as the job creates it now. */
  private Table createByBucket(String namespace) {
    return DeleteLog.createOrLoad(catalog.catalog(), namespace, view());
  }

  /** The log as the job created it before: partitioned by day of {@code deleted_at}. */
  private Table createByDay(String namespace) {
    return catalog.catalog().buildTable(DeleteLog.identifier(namespace, view()), DeleteLog.SCHEMA)
        .withPartitionSpec(PartitionSpec.builderFor(DeleteLog.SCHEMA).day(DeleteLog.DELETED_AT).build())
        .withProperty(TableProperties.FORMAT_VERSION, "2")
        .create();
  }

  private FeatureViewSpec view() {
    return catalog.driverStatsConfig("unused", "localhost:9092", "driver_stats").featureViews().get(0);
  }

  private static long metadataBytes(Table log) {
    try {
      return Files.size(Path.of(URI.create(((HasTableOperations) log).operations().current().metadataFileLocation())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
