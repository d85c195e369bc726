package io.icebergonline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.RowDelta;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericFileWriterFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.deletes.EqualityDeleteWriter;
import org.apache.iceberg.deletes.PositionDelete;
import org.apache.iceberg.deletes.PositionDeleteWriter;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFileFactory;
import org.apache.iceberg.util.StructLikeWrapper;

/**
 * Upserts and deletes with Iceberg's own generic file writers, committed as one {@code RowDelta}
 * per call, the way any v2 upsert writer does it: per partition a data file, a key-only
 * equality-delete file for the keys written, and, when a key repeats within the call, a
 * position delete for its earlier row. Tests use it to build tables no code of ours wrote.
 */
public final class GenericUpserts {
  private final Table table;
  private final List<String> keyColumns;
  private final Schema keySchema;
  private final GenericFileWriterFactory writers;
  private final OutputFileFactory files;

  public GenericUpserts(Table table, List<String> keyColumns) {
    this.table = table;
    this.keyColumns = List.copyOf(keyColumns);
    this.keySchema = table.schema().select(keyColumns);
    int[] equalityIds = keyColumns.stream().mapToInt(column -> table.schema().findField(column).fieldId()).toArray();
    this.writers = new GenericFileWriterFactory.Builder(table)
        .dataFileFormat(FileFormat.PARQUET)
        .deleteFileFormat(FileFormat.PARQUET)
        .equalityFieldIds(equalityIds)
        .equalityDeleteRowSchema(keySchema)
        .build();
    this.files = OutputFileFactory.builderFor(table, 1, System.nanoTime()).format(FileFormat.PARQUET).build();
  }

  public Record newRow() {
    return GenericRecord.create(table.schema());
  }

  /** Writes the rows as the newest values of their keys (a later row of the same key wins). */
  public void upsert(List<Record> rows) {
    commit(rows, List.of());
  }

  /** Deletes the keys of the given rows (only their key columns are read). */
  public void delete(List<Record> keyRows) {
    commit(List.of(), keyRows);
  }

  /** Writes the rows as data files, one per partition, without committing them (for rewrites). */
  public java.util.Set<DataFile> writeDataFiles(List<Record> rows) {
    Map<StructLikeWrapper, Batch> batches = new LinkedHashMap<>();
    InternalRecordWrapper wrapper = new InternalRecordWrapper(table.schema().asStruct());
    rows.forEach(row -> batch(batches, wrapper, row).rows.add(row));
    java.util.Set<DataFile> written = new java.util.HashSet<>();
    try {
      for (Batch batch : batches.values()) {
        DataWriter<Record> data = writers.newDataWriter(files.newOutputFile(table.spec(), batch.partition), table.spec(),
            batch.partition);
        try (data) {
          batch.rows.forEach(data::write);
        }
        written.add(data.toDataFile());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return written;
  }

  private void commit(List<Record> rows, List<Record> deletedKeys) {
    Map<StructLikeWrapper, Batch> batches = new LinkedHashMap<>();
    InternalRecordWrapper wrapper = new InternalRecordWrapper(table.schema().asStruct());
    for (Record row : rows) {
      batch(batches, wrapper, row).rows.add(row);
    }
    for (Record row : deletedKeys) {
      batch(batches, wrapper, row).deletedKeys.add(row);
    }
    RowDelta delta = table.newRowDelta();
    try {
      for (Batch batch : batches.values()) {
        writeBatch(batch, delta);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    delta.commit();
  }

  private Batch batch(Map<StructLikeWrapper, Batch> batches, InternalRecordWrapper wrapper, Record row) {
    PartitionKey partition = new PartitionKey(table.spec(), table.schema());
    partition.partition(wrapper.wrap(row));
    return batches.computeIfAbsent(StructLikeWrapper.forType(table.spec().partitionType()).set(partition),
        key -> new Batch(partition));
  }

  private void writeBatch(Batch batch, RowDelta delta) throws IOException {
    Map<List<Object>, Record> keys = new LinkedHashMap<>();
    batch.deletedKeys.forEach(row -> keys.put(key(row), row));
    batch.rows.forEach(row -> keys.put(key(row), row));
    EqualityDeleteWriter<Record> equalityDeletes =
        writers.newEqualityDeleteWriter(files.newOutputFile(table.spec(), batch.partition), table.spec(), batch.partition);
    try (equalityDeletes) {
      for (Record row : keys.values()) {
        Record keyOnly = GenericRecord.create(keySchema);
        keyColumns.forEach(column -> keyOnly.setField(column, row.getField(column)));
        equalityDeletes.write(keyOnly);
      }
    }
    delta.addDeletes(equalityDeletes.toDeleteFile());
    if (batch.rows.isEmpty()) {
      return;
    }
    DataWriter<Record> data = writers.newDataWriter(files.newOutputFile(table.spec(), batch.partition), table.spec(), batch.partition);
    Map<List<Object>, Long> positionOfKey = new HashMap<>();
    List<Long> repeated = new ArrayList<>();
    long position = 0;
    try (data) {
      for (Record row : batch.rows) {
        Long earlier = positionOfKey.put(key(row), position++);
        if (earlier != null) {
          repeated.add(earlier);
        }
        data.write(row);
      }
    }
    DataFile dataFile = data.toDataFile();
    delta.addRows(dataFile);
    if (!repeated.isEmpty()) {
      PositionDeleteWriter<Record> positions =
          writers.newPositionDeleteWriter(files.newOutputFile(table.spec(), batch.partition), table.spec(), batch.partition);
      try (positions) {
        for (long earlier : repeated.stream().sorted().toList()) {
          positions.write(PositionDelete.<Record>create().set(dataFile.location(), earlier, null));
        }
      }
      DeleteFile positionDeletes = positions.toDeleteFile();
      delta.addDeletes(positionDeletes);
    }
  }

  private List<Object> key(Record row) {
    List<Object> key = new ArrayList<>(keyColumns.size());
    keyColumns.forEach(column -> key.add(row.getField(column)));
    return key;
  }

  private static final class Batch {
    final PartitionKey partition;
    final List<Record> rows = new ArrayList<>();
    final List<Record> deletedKeys = new ArrayList<>();

    Batch(PartitionKey partition) {
      this.partition = partition;
    }
  }
}
