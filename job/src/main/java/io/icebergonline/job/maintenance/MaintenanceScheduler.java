package io.icebergonline.job.maintenance;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.MaintenanceConfig;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.job.pipeline.CheckpointStats;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.iceberg.catalog.Catalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-job maintenance: a parallelism-1 operator of the materialization job that, on the first
 * completed checkpoint (i.e. after Iceberg's committer commits) once {@code maintenance.interval}
 * has passed, runs {@link OnlineTableMaintenance} on every view's table in a background thread, so
 * checkpoints and commits never wait for it. Its input (the per-checkpoint stats) only anchors it
 * in the job graph.
 *
 * <p>Chosen over Iceberg's Flink {@code TableMaintenance} API: that API's rewrite leaves
 * equality-delete files referenced (see {@link BucketRewriter}), and its lock (JDBC or ZooKeeper)
 * would need infrastructure our config does not have. No lock is needed here: every maintenance
 * commit is validated against concurrent commits, so it may overlap the job, a one-shot
 * {@code maintain} or another run; the orphan safety window protects files not yet committed.
 * Stateless: after a restart the next run is one interval later.
 *
 * <p>Counts runs, failed runs, conflicts validated and retries as accumulators.
 */
public final class MaintenanceScheduler extends ProcessFunction<CheckpointStats, Void> implements CheckpointListener {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceScheduler.class);

  static final String RUNS = "maintenance-runs";
  static final String FAILED_RUNS = "maintenance-failed-runs";
  static final String CONFLICTS_VALIDATED = "maintenance-conflicts-validated";
  static final String RETRIES = "maintenance-retries";

  private final OnlineStoreConfig store;
  private final List<FeatureViewSpec> views;
  private final MaintenanceConfig settings;

  private transient ExecutorService executor;
  private transient Future<?> running;
  private transient long nextRunMillis;
  private transient LongCounter runs;
  private transient LongCounter failedRuns;
  private transient LongCounter conflictsValidated;
  private transient LongCounter retries;

  public MaintenanceScheduler(OnlineStoreConfig store, List<FeatureViewSpec> views, MaintenanceConfig settings) {
    this.store = store;
    this.views = List.copyOf(views);
    this.settings = settings;
  }

  @Override
  public void open(OpenContext openContext) {
    executor = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "iceberg-online-maintenance");
      thread.setDaemon(true);
      return thread;
    });
    nextRunMillis = System.currentTimeMillis() + settings.interval().toMillis();
    runs = counter(RUNS);
    failedRuns = counter(FAILED_RUNS);
    conflictsValidated = counter(CONFLICTS_VALIDATED);
    retries = counter(RETRIES);
  }

  private LongCounter counter(String name) {
    LongCounter counter = new LongCounter();
    getRuntimeContext().addAccumulator(name, counter);
    return counter;
  }

  @Override
  public void processElement(CheckpointStats stats, Context context, Collector<Void> out) {
    // the input only places this operator in the job; runs are triggered by completed checkpoints
  }

  @Override
  public void notifyCheckpointComplete(long checkpointId) {
    long now = System.currentTimeMillis();
    if (now >= nextRunMillis && (running == null || running.isDone())) {
      nextRunMillis = now + settings.interval().toMillis();
      running = executor.submit(this::maintainAll);
    }
  }

  private void maintainAll() {
    long started = System.nanoTime();
    boolean failed = false;
    try {
      Catalog catalog = IcebergCatalogs.load(store);
      try {
        for (FeatureViewSpec view : views) {
          failed |= !maintain(catalog, view);
        }
      } finally {
        if (catalog instanceof AutoCloseable closeable) {
          closeable.close();
        }
      }
    } catch (Exception | LinkageError e) {
      // e.g. the catalog cannot be loaded: counted and logged here, as nothing reads the run's Future
      failed = true;
      LOG.warn("Maintenance run failed; retrying in {}", settings.interval(), e);
    }
    runs.add(1);
    if (failed) {
      failedRuns.add(1);
    }
    LOG.debug("Maintenance run took {} ms", (System.nanoTime() - started) / 1_000_000);
  }

  /** Maintains one view's table; false if that failed (logged). */
  private boolean maintain(Catalog catalog, FeatureViewSpec view) {
    try {
      for (MaintenanceReport report
          : OnlineTableMaintenance.maintainView(catalog, store.namespace(), view, settings, "in-job")) {
        conflictsValidated.add(report.conflictsValidated());
        retries.add(report.retries());
        LOG.info("Maintained feature view '{}', table {}", view.name(), report.describe());
      }
      return true;
    } catch (RuntimeException e) {
      if (executor.isShutdown()) {
        // close() interrupted the run: the job is stopping, nothing failed
        LOG.info("Maintenance of feature view '{}' stopped with the job: {}", view.name(), e.toString());
      } else {
        LOG.warn("Maintenance of feature view '{}' failed; retrying in {}", view.name(), settings.interval(), e);
      }
      return false;
    }
  }

  @Override
  public void close() throws Exception {
    if (executor != null) {
      // an interrupted run leaves at most uncommitted files, which a later run's orphan cleanup removes
      executor.shutdownNow();
      executor.awaitTermination(30, TimeUnit.SECONDS);
    }
  }
}
