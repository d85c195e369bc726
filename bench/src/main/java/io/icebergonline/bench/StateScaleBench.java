package io.icebergonline.bench;

import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.job.pipeline.MaterializationJob;
import io.icebergonline.job.pipeline.MaterializeOptions;
import io.icebergonline.testing.NewestRowOracle;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.Table;

/**
 * Our pipeline on a key space that does not fit a benchmark's memory budget for held input (10M
 * keys / 50M events by default for this mode): the input is generated as the source reads it
 * ({@link StreamedInput}: every key loaded once, then skewed updates), the keyed state lives in
 * the chosen state backend (RocksDB with incremental checkpoints, or the heap), and the table is
 * compared with the oracle row by row. Reports the newest-wins operator's state size, as its last
 * checkpoint holding it recorded, per key.
 */
final class StateScaleBench {
  private static final String NAMESPACE = "state_scale";

  /** Where the keyed state lives, as Flink's {@code state.backend.type} names it. */
  enum Backend {
    ROCKSDB("rocksdb"),
    HASHMAP("hashmap");

    final String flinkName;

    Backend(String flinkName) {
      this.flinkName = flinkName;
    }

    static Backend of(String name) {
      for (Backend backend : values()) {
        if (backend.flinkName.equals(name)) {
          return backend;
        }
      }
      throw new IllegalArgumentException("--state-backend must be rocksdb or hashmap, got '" + name + "'");
    }
  }

  /** The newest-wins operator's keyed state as one checkpoint recorded it (full size, not the increment). */
  record StateSize(long checkpointId, long bytes) {}

  private final Sizes sizes;
  private final BenchCatalog catalog;
  private final Report report;
  private final Backend backend;

  StateScaleBench(Sizes sizes, BenchCatalog catalog, Report report, Backend backend) {
    this.sizes = sizes;
    this.catalog = catalog;
    this.report = report;
    this.backend = backend;
  }

  void run() throws Exception {
    StreamedInput input = new StreamedInput(Sizes.SEED, sizes.keys(), sizes.events());
    Progress.log("state: oracle pass over %,d events (%,d keys loaded, then skewed updates)", input.count(),
        input.keys());
    NewestRowOracle oracle = input.oracle();
    Progress.log("state: oracle has %,d live keys, %,d stale events, %,d malformed", oracle.liveKeys().size(),
        oracle.staleCount(), oracle.malformedCount());

    Path checkpoints = catalog.checkpoints().resolve("state-" + backend.flinkName);
    Configuration configuration = new Configuration();
    configuration.set(StateBackendOptions.STATE_BACKEND, backend.flinkName);
    configuration.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, backend == Backend.ROCKSDB);
    // as the Helm chart configures RocksDB: bloom filters (every event looks its key up; most misses
    // are new keys), and about the managed memory its TaskManager gets (0.4 of 4 GiB, 2 slots)
    configuration.set(RocksDBConfigurableOptions.USE_BLOOM_FILTER, true);
    configuration.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(1024));
    configuration.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
    // keep every checkpoint while the job runs: the last ones hold no newest-wins state (its tasks have finished)
    configuration.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    configuration.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 10_000);
    StreamExecutionEnvironment env = MaterializeBench.localEnvironment(catalog, configuration);
    FeatureViewSpec view = catalog.driverStatsConfig(NAMESPACE, "unused:9092", "driver_stats").featureViews().get(0);
    Progress.log("state: ours, %s state, %,d events, parallelism %d, checkpoint %s", backend.flinkName, input.count(),
        Sizes.PARALLELISM, sizes.materializeCheckpoint());
    MaterializationJob.buildView(env, catalog.store(NAMESPACE), view, input.replay(env, Sizes.PARALLELISM),
        new MaterializeOptions(Path.of("unused"), false, Sizes.PARALLELISM, sizes.materializeCheckpoint(),
            MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS));
    JobClient job = env.executeAsync("bench state " + backend.flinkName);
    String uid = "newest-wins-" + view.name();
    Map<Long, Long> stateBytes = new TreeMap<>();
    CompletableFuture<JobExecutionResult> result = job.getJobExecutionResult();
    while (!result.isDone()) {
      readNewCheckpoints(checkpoints, uid, stateBytes);
      Thread.sleep(500);
    }
    long millis = result.get().getNetRuntime(TimeUnit.MILLISECONDS);
    Progress.log("state: %,d events in %.1f s = %,.0f events/s", input.count(), millis / 1000.0,
        input.count() * 1000.0 / millis);

    Optional<StateSize> state = lastHolding(stateBytes);
    Table table = catalog.load(NAMESPACE, view);
    WriteStats stats = WriteStats.of(table);
    Progress.log("state: comparing the table with the oracle (Iceberg generic reader, row by row)");
    OracleComparison comparison = OracleComparison.of(table, oracle.liveKeys(), oracle::liveRow);
    Progress.log("state: %,d live rows, %,d keys differ from the oracle; newest-wins state: %s",
        comparison.tableRows(), comparison.wrongKeys(), state.map(size -> String.format("%,d bytes = %.1f bytes per "
            + "key at checkpoint %d", size.bytes(), size.bytes() / (double) input.keys(), size.checkpointId()))
            .orElse("no checkpoint of the " + stateBytes.size() + " read held it"));
    write(input, millis, state, stateBytes.size(), stats, comparison);
  }

  /**
   * Records the newest-wins state size of each completed checkpoint not read yet, found by the
   * operator's uid in the checkpoint's metadata and read with Flink's own loader. Read while the
   * job runs: Flink deletes the checkpoints of a finished job.
   */
  private static void readNewCheckpoints(Path checkpoints, String uid, Map<Long, Long> stateBytes) throws IOException {
    if (!Files.isDirectory(checkpoints)) {
      return;
    }
    List<Path> metadata;
    try (Stream<Path> files = Files.walk(checkpoints)) {
      metadata = files.filter(file -> file.getFileName().toString().equals("_metadata")).toList();
    } catch (UncheckedIOException e) {
      return; // a checkpoint directory vanished while listed: next round
    }
    for (Path file : metadata) {
      CheckpointMetadata checkpoint;
      try (InputStream in = Files.newInputStream(file)) {
        checkpoint = Checkpoints.loadCheckpointMetadata(new DataInputStream(in),
            StateScaleBench.class.getClassLoader(), file.getParent().toString());
      } catch (NoSuchFileException | EOFException e) {
        continue; // deleted or still being written: next round
      }
      stateBytes.computeIfAbsent(checkpoint.getCheckpointId(), id -> checkpoint.getOperatorStates().stream()
          .filter(state -> state.getOperatorUid().filter(uid::equals).isPresent())
          .mapToLong(OperatorState::getStateSize)
          .sum());
    }
  }

  /** The last checkpoint that holds newest-wins state; none when the run was shorter than a checkpoint interval. */
  private static Optional<StateSize> lastHolding(Map<Long, Long> stateBytes) {
    StateSize last = null;
    for (Map.Entry<Long, Long> checkpoint : stateBytes.entrySet()) {
      if (checkpoint.getValue() > 0) {
        last = new StateSize(checkpoint.getKey(), checkpoint.getValue());
      }
    }
    return Optional.ofNullable(last);
  }

  private void write(StreamedInput input, long millis, Optional<StateSize> state, int checkpoints, WriteStats stats,
      OracleComparison comparison) {
    String bytesPerKey = state.map(size -> String.format("%.1f", size.bytes() / (double) input.keys())).orElse("n/a");
    Report.Section section = report.section("State at scale");
    section.note("Input: generated while the source reads it (not held in memory): an initial load writing each of "
        + "the %,d keys once, then the generator's Zipf-skewed events (late, duplicate, malformed, tombstones), "
        + "%,d events in all, seed %d. After the load the newest-wins state holds one version per key, %,d in all; "
        + "truth: `NewestRowOracle` over the same sequence, compared row by row with Iceberg's generic reader.",
        input.keys(), input.count(), Sizes.SEED, input.keys());
    section.note("State backend %s%s; parallelism %d, checkpoint every %s. State bytes: the newest-wins operator's "
        + "keyed state in the last of the %d checkpoints that holds it (%s; full size, as Flink's checkpoint "
        + "metadata records it: RocksDB SST files for rocksdb, the serialized heap snapshot for hashmap). Events/s "
        + "includes generating the events in the source (one thread) and the wait for the final commit.",
        backend.flinkName, backend == Backend.ROCKSDB ? " with incremental checkpoints" : "", Sizes.PARALLELISM,
        sizes.materializeCheckpoint(), checkpoints,
        state.map(size -> "checkpoint " + size.checkpointId()).orElse("none did: the run was too short"));
    Report.ResultTable table = new Report.ResultTable("state.csv", "Newest-wins state at scale", "state backend",
        "keys", "events", "net runtime s", "events/s", "commits", "rows written per event", "state bytes",
        "state bytes per key", "live rows", "keys differing from oracle");
    table.add(backend.flinkName, input.keys(), input.count(), millis / 1000.0,
        Math.round(input.count() * 1000.0 / millis), stats.commits(), stats.rowsWritten() / (double) input.count(),
        state.map(size -> (Object) size.bytes()).orElse("n/a"), bytesPerKey, comparison.tableRows(),
        comparison.wrongKeys());
    section.tables().add(table);
    report.target("State", "a 10M-key / 50M-event run with RocksDB state finishes exact",
        String.format("%,d keys / %,d events with %s state: %,d keys differ; %s state bytes per key",
            input.keys(), input.count(), backend.flinkName, comparison.wrongKeys(), bytesPerKey),
        backend == Backend.ROCKSDB && input.keys() >= 10_000_000 && input.count() >= 50_000_000
            && comparison.wrongKeys() == 0);
  }
}
