package io.icebergonline.job.pipeline;

import io.icebergonline.core.DeleteLog;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.job.StartupException;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.filesystem.AbstractFsCheckpointStorageAccess;
import org.apache.flink.runtime.state.filesystem.FsCompletedCheckpointStorageLocation;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses at start-up a savepoint that Iceberg's committer could not restore, instead of a job that
 * fails on it after every restart (or re-commits old rows). Restored, the committer learns which of
 * the savepoint's checkpoints it already committed by walking the table's history back to the last
 * commit of the job that took the savepoint ({@code flink.job-id} in the snapshot summary). When
 * another job committed after it and maintenance expired the snapshots in between, that commit is
 * gone from the history: the committer would commit the savepoint's checkpoint again, from
 * manifests it deleted after the first commit.
 */
final class SavepointRestoreCheck {
  private static final Logger LOG = LoggerFactory.getLogger(SavepointRestoreCheck.class);
  /** The operator state in which Iceberg's committer ({@code IcebergFilesCommitter}) keeps its job id. */
  private static final String COMMITTER_JOB_ID_STATE = "iceberg-flink-job-id";

  private SavepointRestoreCheck() {}

  static void verify(String savepointPath, Catalog catalog, String namespace, List<FeatureViewSpec> views) {
    Optional<String> savedBy;
    try {
      savedBy = committerJobId(savepointPath);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot read savepoint {} to check that its Iceberg commits can be restored ({}); restoring it unchecked",
          savepointPath, e.toString());
      return;
    }
    if (savedBy.isEmpty()) {
      return;
    }
    for (FeatureViewSpec view : views) {
      for (TableIdentifier id : List.of(OnlineTables.identifier(namespace, view), DeleteLog.identifier(namespace, view))) {
        if (catalog.tableExists(id) && !historyReaches(catalog.loadTable(id), savedBy.get())) {
          throw new StartupException("Cannot restore savepoint " + savepointPath + ": it was taken by job "
              + savedBy.get() + ", and the history of table " + id + " no longer reaches that job's last commit "
              + "(another job committed after it and maintenance expired the snapshots in between), so Iceberg's "
              + "committer cannot tell which of the savepoint's checkpoints it committed. Start the job without the "
              + "savepoint: the table holds everything that job committed, and a start without state seeds from it.");
        }
      }
    }
  }

  /** The job id the savepoint's Iceberg committers recorded; empty if it has none (no Iceberg sink in it). */
  private static Optional<String> committerJobId(String savepointPath) throws IOException {
    FsCompletedCheckpointStorageLocation location =
        AbstractFsCheckpointStorageAccess.resolveCheckpointPointer(savepointPath);
    CheckpointMetadata metadata;
    try (InputStream in = location.getMetadataHandle().openInputStream()) {
      metadata = Checkpoints.loadCheckpointMetadata(new DataInputStream(in),
          SavepointRestoreCheck.class.getClassLoader(), location.getExternalPointer());
    }
    for (OperatorState operator : metadata.getOperatorStates()) {
      for (OperatorSubtaskState subtask : operator.getStates()) {
        for (OperatorStateHandle handle : subtask.getManagedOperatorState()) {
          OperatorStateHandle.StateMetaInfo jobId = handle.getStateNameToPartitionOffsets().get(COMMITTER_JOB_ID_STATE);
          if (jobId != null && jobId.getOffsets().length > 0) {
            try (FSDataInputStream in = handle.openInputStream()) {
              in.seek(jobId.getOffsets()[0]);
              return Optional.of(StringSerializer.INSTANCE.deserialize(new DataInputViewStreamWrapper(in)));
            }
          }
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Whether the committer restored with {@code jobId} finds what it needs: a commit of that job in
   * the current snapshot's ancestry, or an ancestry complete to the table's first snapshot (then
   * the job never committed to this table, and has nothing in it to recognise).
   */
  private static boolean historyReaches(Table table, String jobId) {
    Snapshot snapshot = table.currentSnapshot();
    while (snapshot != null) {
      if (jobId.equals(snapshot.summary().get(SourceOffsetCommitter.FLINK_JOB_ID))) {
        return true;
      }
      if (snapshot.parentId() == null) {
        return true;
      }
      Snapshot parent = table.snapshot(snapshot.parentId());
      if (parent == null) {
        return false; // expired: the history is cut here
      }
      snapshot = parent;
    }
    return true;
  }
}
