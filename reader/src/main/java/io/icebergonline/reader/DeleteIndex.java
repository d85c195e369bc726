package io.icebergonline.reader;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.ParquetReader;
import org.apache.iceberg.types.TypeUtil;
import org.apache.iceberg.util.StructLikeSet;
import org.apache.iceberg.util.StructProjection;

/**
 * Delete files in memory: for each equality-delete file the rows it deletes, as values of its own
 * equality columns (the table's key, or more columns, e.g. key and event time as Iceberg's Flink
 * upsert sink writes them on a time-partitioned table), compared as Iceberg compares them; for each
 * position-delete file the deleted row positions per data file. Loaded on first use and cached
 * (delete files never change, only appear and disappear).
 */
final class DeleteIndex {
  private static final Schema POSITION_DELETE_SCHEMA = new Schema(MetadataColumns.DELETE_FILE_PATH, MetadataColumns.DELETE_FILE_POS);

  /** The rows an equality-delete file deletes, as values of its equality columns. */
  record EqualityRows(Schema columns, StructLikeSet rows) {}

  private final Table table;
  private final Cache<String, EqualityRows> equalityRows;
  private final Cache<String, Map<String, long[]>> positions;

  DeleteIndex(Table table, long maxWeightBytes) {
    this.table = table;
    this.equalityRows = Caffeine.newBuilder().maximumWeight(maxWeightBytes)
        .weigher((String path, EqualityRows deleted) -> 64 + deleted.rows().size() * 64).build();
    this.positions = Caffeine.newBuilder().maximumWeight(maxWeightBytes)
        .weigher((String path, Map<String, long[]> byFile) -> 64 + byFile.values().stream().mapToInt(p -> 100 + p.length * 8).sum())
        .build();
  }

  /** True when the equality-delete file deletes by no column outside {@code columns} (field ids). */
  static boolean deletesBy(DeleteFile delete, Set<Integer> columns) {
    return columns.containsAll(delete.equalityFieldIds());
  }

  /**
   * True when the equality-delete file deletes a row with these values; {@code row} has the
   * {@code rowSchema}, which holds every equality column of the file.
   */
  boolean deletesRow(DeleteFile delete, Schema rowSchema, StructLike row) {
    return deletes(delete, rowSchema).test(row);
  }

  /**
   * The test of rows with {@code rowSchema} (which holds every equality column of the file)
   * against the equality-delete file, its rows and its projection of the row made once for the
   * rows of a whole data file. Not thread-safe: the projection is reused from row to row.
   */
  Predicate<StructLike> deletes(DeleteFile delete, Schema rowSchema) {
    EqualityRows deleted = equalityRows(delete);
    if (rowSchema.asStruct().equals(deleted.columns().asStruct())) {
      return deleted.rows()::contains;
    }
    StructProjection projection = StructProjection.create(rowSchema, deleted.columns());
    return row -> deleted.rows().contains(projection.wrap(row));
  }

  /** The rows the equality-delete file deletes. */
  EqualityRows equalityRows(DeleteFile delete) {
    return equalityRows.get(delete.location(), path -> loadEqualityRows(delete));
  }

  /** True when the position-delete file deletes row {@code position} of {@code dataFile}. */
  boolean deletesPosition(DeleteFile delete, String dataFile, long position) {
    long[] deleted = positions(delete).get(dataFile);
    return deleted != null && Arrays.binarySearch(deleted, position) >= 0;
  }

  /** The positions the position-delete file deletes, sorted, by data file location. */
  Map<String, long[]> positions(DeleteFile delete) {
    return positions.get(delete.location(), path -> loadPositions(delete));
  }

  private EqualityRows loadEqualityRows(DeleteFile delete) {
    Schema columns = TypeUtil.select(table.schema(), Set.copyOf(delete.equalityFieldIds()));
    // values as Iceberg compares them (timestamps as microseconds, as the Flink row wrapper gives them)
    InternalRecordWrapper internal = new InternalRecordWrapper(columns.asStruct());
    StructLikeSet rows = StructLikeSet.create(columns.asStruct());
    for (Record row : read(delete, columns)) {
      rows.add(internal.copyFor(row));
    }
    return new EqualityRows(columns, rows);
  }

  private Map<String, long[]> loadPositions(DeleteFile delete) {
    Map<String, List<Long>> byFile = new HashMap<>();
    for (Record row : read(delete, POSITION_DELETE_SCHEMA)) {
      byFile.computeIfAbsent(row.get(0, CharSequence.class).toString(), file -> new ArrayList<>()).add(row.get(1, Long.class));
    }
    Map<String, long[]> sorted = new HashMap<>();
    byFile.forEach((file, list) -> sorted.put(file, list.stream().mapToLong(Long::longValue).sorted().toArray()));
    return sorted;
  }

  private List<Record> read(DeleteFile delete, Schema schema) {
    if (delete.format() != FileFormat.PARQUET) {
      throw new UnsupportedOperationException("Delete file " + delete.location() + " is " + delete.format()
          + "; lookups read Parquet delete files");
    }
    List<Record> rows = new ArrayList<>();
    try (CloseableIterable<Record> records = new ParquetReader<>(
        table.io().newInputFile(delete.location(), delete.fileSizeInBytes()), schema, ParquetInputFile.readOptions(),
        fileSchema -> GenericParquetReaders.buildReader(schema, fileSchema), null, null, false, true)) {
      records.forEach(rows::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }
}
