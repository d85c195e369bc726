package io.icebergonline.lookup;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.icebergonline.core.EntityKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.ParquetReader;

/**
 * Delete files in memory: for each equality-delete file the set of canonical entity keys it
 * deletes, for each position-delete file the deleted row positions per data file. Loaded on first
 * use and cached (delete files never change, only appear and disappear).
 */
final class DeleteIndex {
  private static final Schema POSITION_DELETE_SCHEMA = new Schema(MetadataColumns.DELETE_FILE_PATH, MetadataColumns.DELETE_FILE_POS);

  private final Table table;
  private final List<String> identifierColumns;
  private final Cache<String, Set<String>> equalityKeys;
  private final Cache<String, Map<String, long[]>> positions;

  DeleteIndex(Table table, List<String> identifierColumns, long maxWeightBytes) {
    this.table = table;
    this.identifierColumns = identifierColumns;
    this.equalityKeys = Caffeine.newBuilder().maximumWeight(maxWeightBytes)
        .weigher((String path, Set<String> keys) -> 64 + keys.size() * 48).build();
    this.positions = Caffeine.newBuilder().maximumWeight(maxWeightBytes)
        .weigher((String path, Map<String, long[]> byFile) -> 64 + byFile.values().stream().mapToInt(p -> 100 + p.length * 8).sum())
        .build();
  }

  /** True when the equality-delete file deletes the key (canonical encoding of the identifier values). */
  boolean deletesKey(DeleteFile delete, String canonicalKey) {
    return equalityKeys.get(delete.location(), path -> loadEqualityKeys(delete)).contains(canonicalKey);
  }

  /** True when the position-delete file deletes row {@code position} of {@code dataFile}. */
  boolean deletesPosition(DeleteFile delete, String dataFile, long position) {
    long[] deleted = positions.get(delete.location(), path -> loadPositions(delete)).get(dataFile);
    return deleted != null && Arrays.binarySearch(deleted, position) >= 0;
  }

  private Set<String> loadEqualityKeys(DeleteFile delete) {
    List<String> deleteColumns = new ArrayList<>();
    for (int fieldId : delete.equalityFieldIds()) {
      deleteColumns.add(table.schema().findColumnName(fieldId));
    }
    if (!deleteColumns.containsAll(identifierColumns)) {
      throw new UnsupportedOperationException("Equality-delete file " + delete.location() + " deletes by "
          + deleteColumns + ", which do not include the table's key " + identifierColumns);
    }
    Schema schema = table.schema().select(identifierColumns);
    Set<String> keys = new HashSet<>();
    for (Record row : read(delete, schema)) {
      List<Object> values = new ArrayList<>(identifierColumns.size());
      for (String column : identifierColumns) {
        values.add(keyValue(row.getField(column)));
      }
      keys.add(EntityKeys.compositeKey(values));
    }
    return keys;
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

  /** Iceberg's generic value of a key column as {@link EntityKeys} takes it. */
  static Object keyValue(Object icebergValue) {
    if (icebergValue instanceof CharSequence text) {
      return text.toString();
    } else if (icebergValue instanceof ByteBuffer bytes) {
      byte[] copy = new byte[bytes.remaining()];
      bytes.duplicate().get(copy);
      return copy;
    }
    return icebergValue;
  }
}
