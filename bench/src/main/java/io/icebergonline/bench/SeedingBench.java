package io.icebergonline.bench;

import io.icebergonline.core.DeleteLog;
import io.icebergonline.core.EntityKeys;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.job.pipeline.MaterializationJob;
import io.icebergonline.job.pipeline.MaterializeOptions;
import io.icebergonline.testing.GenericUpserts;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;

/**
 * A start without state: our job started, without a checkpoint or savepoint, on a table of
 * {@link Sizes#keys()} keys whose delete log holds a week of deletes (as the job and its hourly
 * maintenance leave it), fed a short replay of generated events that touches every bucket. Every
 * bucket it touches is first seeded with the versions the table and the log hold; the time measured
 * runs from the submission until the job's first commit lands, which needs every touched bucket
 * seeded first.
 */
final class SeedingBench {
  private static final String NAMESPACE = "seeding";
  /** Events of the replay: enough Zipf-skewed keys to touch every bucket within the first checkpoint. */
  private static final int EVENTS = 200_000;
  /** A short interval, so that the first commit waits for the seeding, not for the interval. */
  private static final Duration CHECKPOINT = Duration.ofSeconds(1);
  /** Event time of the table's rows: before the generated events, which then replace them. */
  private static final OffsetDateTime TABLE_ROWS_AT = OffsetDateTime.of(2025, 12, 1, 0, 0, 0, 0, ZoneOffset.UTC);

  private final Sizes sizes;
  private final BenchCatalog catalog;
  private final Report report;

  SeedingBench(Sizes sizes, BenchCatalog catalog, Report report) {
    this.sizes = sizes;
    this.catalog = catalog;
    this.report = report;
  }

  void run() throws Exception {
    int keys = sizes.keys();
    FeatureViewSpec view = catalog.driverStatsConfig(NAMESPACE, "unused:9092", "driver_stats").featureViews().get(0);
    Table table = catalog.create(NAMESPACE, view);
    Random random = new Random(Sizes.SEED + 7);
    writeEveryKey(table, keys, random);
    Table log = DeleteLog.createOrLoad(catalog.catalog(), NAMESPACE, view);
    int commitsSinceMaintenance = sizes.seedingLogCommits();
    long deletes = DeleteLogBench.fillSteadyWeek(log, Instant.now(), random, (row, rng) -> {
      long key = 1 + rng.nextInt(keys);
      row.setField(DeleteLog.BUCKET, EntityKeys.bucket(key, Sizes.BUCKETS));
      row.setField(DeleteLog.ENTITY_KEY, Long.toString(key));
      // newer than the table's rows, older than the generated events: the events replace deleted keys too
      row.setField(DeleteLog.EVENT_TIME, TABLE_ROWS_AT.plusDays(1));
    }, commitsSinceMaintenance);
    log.refresh();
    Progress.log("seeding: delete log of %,d deletes in %d data files", deletes,
        Long.parseLong(log.currentSnapshot().summary().get("total-data-files")));

    table.refresh();
    long tableSnapshot = table.currentSnapshot().snapshotId();
    double seconds;
    try (GeneratedInput input = GeneratedInput.generate(Sizes.SEED + 8, keys, Math.min(EVENTS, sizes.events()))) {
      StreamExecutionEnvironment env = MaterializeBench.localEnvironment(catalog);
      MaterializationJob.buildView(env, catalog.store(NAMESPACE), view, input.replay(env, Sizes.PARALLELISM),
          new MaterializeOptions(Path.of("unused"), false, Sizes.PARALLELISM, CHECKPOINT,
              MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS));
      Progress.log("seeding: our job without state on the table, %,d events", input.events().size());
      long submitted = System.nanoTime();
      JobClient job = env.executeAsync("bench seeding");
      Long committedAt = null;
      while (committedAt == null) {
        // whether the job had ended before the table was read: it can commit and end between two looks
        boolean ended = job.getJobExecutionResult().isDone();
        table.refresh();
        Snapshot current = table.currentSnapshot();
        if (current.snapshotId() != tableSnapshot) {
          committedAt = System.nanoTime();
        } else if (ended) {
          job.getJobExecutionResult().get();
          throw new IllegalStateException("the seeding run ended without committing to " + table.name());
        } else {
          Thread.sleep(20);
        }
      }
      seconds = (committedAt - submitted) / 1e9;
      job.getJobExecutionResult().get();
    }
    Progress.log("seeding: first commit %.2f s after the submission", seconds);

    Report.Section section = report.section("Seeding a start without state");
    section.note("Our job started without a checkpoint or savepoint on a table of %,d keys (16 buckets, one commit) "
        + "whose delete log holds a week of 30 s checkpoints with %d deletes each (%,d deletes: one compacted file per "
        + "bucket and %d commits since, the hourly maintenance leaving up to %d), fed %,d generated events that "
        + "touch every bucket; checkpoint every %s. Before it applies an event of a bucket, each subtask seeds the "
        + "bucket with the versions of its keys in the table and in the log; the job's first commit needs every bucket "
        + "it touched seeded. Measured: from the job's submission (local cluster start included) until its first "
        + "commit is in the table: %.2f s.", keys, DeleteLogBench.DELETES_PER_CHECKPOINT, deletes,
        commitsSinceMaintenance, DeleteLogBench.CHECKPOINTS_PER_HOUR, Math.min(EVENTS, sizes.events()), CHECKPOINT, seconds);
    report.target("Seeding", String.format(Locale.ROOT, "start without state over a %,d-key table with %d days of "
            + "deletes: every bucket seeded and the first commit ≤ 10 s", keys, DeleteLogBench.RETENTION.toDays()),
        String.format(Locale.ROOT, "%.2f s", seconds), seconds <= 10);
  }

  /** Keys 1..{@code keys}, one row each, in one upsert commit. */
  private static void writeEveryKey(Table table, int keys, Random random) {
    Progress.log("seeding: writing a table of %,d keys", keys);
    GenericUpserts writer = new GenericUpserts(table, List.of(BenchCatalog.KEY_COLUMN));
    List<Record> rows = new ArrayList<>(keys);
    for (long key = 1; key <= keys; key++) {
      Record row = writer.newRow();
      row.setField(BenchCatalog.KEY_COLUMN, key);
      row.setField("conv_rate", random.nextDouble());
      row.setField("trips", (long) random.nextInt(1_000));
      row.setField("city", "city-" + random.nextInt(1_000));
      row.setField("event_timestamp", TABLE_ROWS_AT.plusSeconds(random.nextInt(86_400)));
      rows.add(row);
    }
    writer.upsert(rows);
  }
}
