package io.icebergonline.reader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotChanges;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.util.SnapshotUtil;
import org.apache.iceberg.util.StructLikeWrapper;

/**
 * The live files of one table snapshot, grouped by partition: data files newest first (by data
 * sequence number) and the delete files that may apply to them. Immutable; {@link #refresh}
 * builds the next one from the snapshots added since, reading only their manifests, and falls
 * back to planning the whole table when history was rewritten (rollback, expired snapshots).
 */
final class TableFileIndex {
  /** One partition of one spec. */
  record Partition(int specId, StructLikeWrapper value) {}

  /** A partition's files; data files and equality deletes newest (highest data sequence number) first. */
  record PartitionFiles(List<DataFile> dataNewestFirst, List<DeleteFile> equalityDeletes, List<DeleteFile> positionDeletes) {}

  static final TableFileIndex EMPTY = new TableFileIndex(-1, Map.of(), Map.of(), Map.of(), Map.of());

  private final long snapshotId;
  private final Map<String, DataFile> dataFiles;
  private final Map<String, DeleteFile> deleteFiles;
  private final Map<Partition, PartitionFiles> partitions;
  private final Map<Integer, PartitionSpec> specs;

  private TableFileIndex(long snapshotId, Map<String, DataFile> dataFiles, Map<String, DeleteFile> deleteFiles,
      Map<Partition, PartitionFiles> partitions, Map<Integer, PartitionSpec> specs) {
    this.snapshotId = snapshotId;
    this.dataFiles = dataFiles;
    this.deleteFiles = deleteFiles;
    this.partitions = partitions;
    this.specs = specs;
  }

  long snapshotId() {
    return snapshotId;
  }

  Map<Partition, PartitionFiles> partitions() {
    return partitions;
  }

  PartitionSpec spec(int specId) {
    return specs.get(specId);
  }

  boolean hasDataFile(String location) {
    return dataFiles.containsKey(location);
  }

  int dataFileCount() {
    return dataFiles.size();
  }

  int deleteFileCount() {
    return deleteFiles.size();
  }

  /** The index of the table's current snapshot (the table must have been refreshed by the caller). */
  TableFileIndex refresh(Table table) {
    Snapshot current = table.currentSnapshot();
    if (current == null) {
      return EMPTY;
    }
    if (current.snapshotId() == snapshotId) {
      return this;
    }
    if (snapshotId < 0 || !SnapshotUtil.isAncestorOf(table, current.snapshotId(), snapshotId)) {
      return planned(table, current);
    }
    Map<String, DataFile> data = new HashMap<>(dataFiles);
    Map<String, DeleteFile> deletes = new HashMap<>(deleteFiles);
    List<Snapshot> added = new ArrayList<>();
    SnapshotUtil.ancestorsBetween(table, current.snapshotId(), snapshotId).forEach(added::add);
    for (int i = added.size() - 1; i >= 0; i--) { // oldest first
      // with the table's partition specs: Snapshot.addedDataFiles(io) and friends read them from
      // each manifest, which Iceberg 1.11 logs as deprecated (two warnings per refresh)
      SnapshotChanges changes = SnapshotChanges.builderFor(table).snapshot(added.get(i)).build();
      changes.removedDataFiles().forEach(file -> data.remove(file.location()));
      changes.addedDataFiles().forEach(file -> data.put(file.location(), file));
      changes.removedDeleteFiles().forEach(file -> deletes.remove(file.location()));
      changes.addedDeleteFiles().forEach(file -> deletes.put(file.location(), file));
    }
    return build(current.snapshotId(), table, data, deletes);
  }

  private static TableFileIndex planned(Table table, Snapshot current) {
    Map<String, DataFile> data = new HashMap<>();
    Map<String, DeleteFile> deletes = new HashMap<>();
    // with column statistics, as the incremental refresh has them: lookups prune files by key bounds
    try (CloseableIterable<FileScanTask> tasks =
        table.newScan().useSnapshot(current.snapshotId()).includeColumnStats().planFiles()) {
      for (FileScanTask task : tasks) {
        data.put(task.file().location(), task.file());
        task.deletes().forEach(delete -> deletes.put(delete.location(), delete));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return build(current.snapshotId(), table, data, deletes);
  }

  private static TableFileIndex build(long snapshotId, Table table, Map<String, DataFile> data,
      Map<String, DeleteFile> deletes) {
    Map<Integer, PartitionSpec> specs = table.specs();
    Map<Partition, List<DataFile>> dataByPartition = new HashMap<>();
    data.values().forEach(file -> dataByPartition.computeIfAbsent(partition(specs, file), p -> new ArrayList<>()).add(file));
    Map<Partition, List<DeleteFile>> equalityByPartition = new HashMap<>();
    Map<Partition, List<DeleteFile>> positionByPartition = new HashMap<>();
    List<DeleteFile> globalEqualityDeletes = new ArrayList<>();
    for (DeleteFile delete : deletes.values()) {
      if (delete.content() == FileContent.EQUALITY_DELETES) {
        if (specs.get(delete.specId()).isUnpartitioned()) {
          // Iceberg applies an unpartitioned equality delete to the data of every partition of every spec
          globalEqualityDeletes.add(delete);
        } else {
          equalityByPartition.computeIfAbsent(partition(specs, delete), p -> new ArrayList<>()).add(delete);
        }
      } else {
        positionByPartition.computeIfAbsent(partition(specs, delete), p -> new ArrayList<>()).add(delete);
      }
    }
    Map<Partition, PartitionFiles> partitions = new HashMap<>();
    dataByPartition.forEach((partition, files) -> {
      files.sort(Comparator.comparingLong((DataFile file) -> file.dataSequenceNumber()).reversed());
      List<DeleteFile> equality = new ArrayList<>(equalityByPartition.getOrDefault(partition, List.of()));
      equality.addAll(globalEqualityDeletes);
      equality.sort(Comparator.comparingLong((DeleteFile file) -> file.dataSequenceNumber()).reversed());
      partitions.put(partition, new PartitionFiles(List.copyOf(files), List.copyOf(equality),
          List.copyOf(positionByPartition.getOrDefault(partition, List.of()))));
    });
    return new TableFileIndex(snapshotId, Map.copyOf(data), Map.copyOf(deletes), Map.copyOf(partitions), Map.copyOf(specs));
  }

  private static Partition partition(Map<Integer, PartitionSpec> specs, ContentFile<?> file) {
    PartitionSpec spec = specs.get(file.specId());
    return new Partition(file.specId(), StructLikeWrapper.forType(spec.partitionType()).set(file.partition()));
  }
}
