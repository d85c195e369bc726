package io.icebergonline.reader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.parquet.ParquetSchemaUtil;
import org.apache.iceberg.types.Types;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.values.bloomfilter.BloomFilter;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.filter2.predicate.FilterPredicate;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Which row groups of one Parquet data file may hold a key: the key column's min/max and bloom
 * filter per row group, read once from the file's footer and kept in memory, so that a warm
 * lookup opens only files that (very probably) hold the key. The key column is found in the file
 * by its field id, as Iceberg's readers find columns: a file written before the column was renamed
 * has it under its old name. Thread-safe.
 */
final class KeyFilter {
  private final String keyColumn;
  private final List<RowGroup> rowGroups;
  private final PrimitiveTypeName physicalType;

  private record RowGroup(Statistics<?> statistics, BloomFilter bloom) {}

  private KeyFilter(String keyColumn, List<RowGroup> rowGroups, PrimitiveTypeName physicalType) {
    this.keyColumn = keyColumn;
    this.rowGroups = rowGroups;
    this.physicalType = physicalType;
  }

  static KeyFilter load(InputFile file, Types.NestedField keyField) {
    try (ParquetFileReader reader = ParquetFileReader.open(new ParquetInputFile(file), ParquetInputFile.readOptions())) {
      return read(reader, keyField);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the footer of " + file.location(), e);
    }
  }

  /** The key filter of the file an open reader reads (its footer, and the bloom filters it reads). */
  static KeyFilter read(ParquetFileReader reader, Types.NestedField keyField) throws IOException {
    String keyColumn = columnName(reader.getFooter().getFileMetaData().getSchema(), keyField);
    List<RowGroup> rowGroups = new ArrayList<>();
    PrimitiveTypeName physicalType = null;
    for (BlockMetaData block : reader.getRowGroups()) {
      ColumnChunkMetaData chunk = block.getColumns().stream()
          .filter(column -> column.getPath().toDotString().equals(keyColumn)).findFirst().orElse(null);
      if (chunk == null) {
        rowGroups.add(new RowGroup(null, null));
      } else {
        BloomFilter bloom = reader.getBloomFilterDataReader(block).readBloomFilter(chunk);
        rowGroups.add(new RowGroup(chunk.getStatistics(), bloom));
        physicalType = chunk.getPrimitiveType().getPrimitiveTypeName();
      }
    }
    return new KeyFilter(keyColumn, List.copyOf(rowGroups), physicalType);
  }

  /**
   * The name of the key column in the file: the top-level column with the key's field id (null
   * when the file has none); in a file without field ids (not written by Iceberg), the column of
   * the key's current name.
   */
  private static String columnName(MessageType fileSchema, Types.NestedField keyField) {
    if (!ParquetSchemaUtil.hasIds(fileSchema)) {
      return keyField.name();
    }
    for (Type column : fileSchema.getFields()) {
      if (column.getId() != null && column.getId().intValue() == keyField.fieldId()) {
        return column.getName();
      }
    }
    return null;
  }

  /** The key column's name in the file; null when the file has none. */
  String column() {
    return keyColumn;
  }

  /** Approximate in-memory size, for cache weighing. */
  int weightBytes() {
    int weight = 64;
    for (RowGroup rowGroup : rowGroups) {
      weight += 64 + (rowGroup.bloom() == null ? 0 : rowGroup.bloom().getBitsetSize());
    }
    return weight;
  }

  /** False only when no row group can hold the key (Iceberg key value: Integer, Long, CharSequence, ByteBuffer). */
  boolean mightContain(Object key) {
    Comparable<?> parquetValue = parquetValue(key);
    if (parquetValue == null) {
      return false;
    }
    for (RowGroup rowGroup : rowGroups) {
      if (mightContain(rowGroup, parquetValue)) {
        return true;
      }
    }
    return false;
  }

  /** False only when row group {@code rowGroup} cannot hold the key. */
  boolean mightContain(int rowGroup, Object key) {
    Comparable<?> parquetValue = parquetValue(key);
    return parquetValue != null && mightContain(rowGroups.get(rowGroup), parquetValue);
  }

  /**
   * The Parquet predicate "key column equals key" in this file's physical type, for its page
   * index and its record filter; null when the file cannot hold the key.
   */
  FilterPredicate equalTo(Object key) {
    if (keyColumn == null) {
      return null; // the file has no key column: every row's key is null
    }
    Comparable<?> parquetValue = parquetValue(key);
    if (parquetValue instanceof Long value) {
      return FilterApi.eq(FilterApi.longColumn(keyColumn), value);
    } else if (parquetValue instanceof Integer value) {
      return FilterApi.eq(FilterApi.intColumn(keyColumn), value);
    } else if (parquetValue instanceof Binary value) {
      return FilterApi.eq(FilterApi.binaryColumn(keyColumn), value);
    }
    return null;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static boolean mightContain(RowGroup rowGroup, Comparable parquetValue) {
    Statistics statistics = rowGroup.statistics();
    if (statistics != null && statistics.hasNonNullValue()
        && (statistics.compareMinToValue(parquetValue) > 0 || statistics.compareMaxToValue(parquetValue) < 0)) {
      return false;
    }
    BloomFilter bloom = rowGroup.bloom();
    if (bloom == null) {
      return true;
    }
    // Parquet's BlockSplitBloomFilter hashes and probes through scratch buffers of the instance, so
    // concurrent checks (async lookups share this filter) would corrupt each other into false "no"s
    synchronized (bloom) {
      long hash;
      if (parquetValue instanceof Long value) {
        hash = bloom.hash(value.longValue());
      } else if (parquetValue instanceof Integer value) {
        hash = bloom.hash(value.intValue());
      } else {
        hash = bloom.hash((Binary) parquetValue);
      }
      return bloom.findHash(hash);
    }
  }

  /**
   * The key as this file stores it, for its statistics and bloom hashes; null when the file cannot
   * hold it. A long key in a file written before the column was promoted from int is an INT32 there.
   */
  Comparable<?> parquetValue(Object key) {
    if (key instanceof Long value && physicalType == PrimitiveTypeName.INT32) {
      return value == value.intValue() ? Integer.valueOf(value.intValue()) : null;
    } else if (key instanceof Long || key instanceof Integer) {
      return (Comparable<?>) key;
    } else if (key instanceof CharSequence text) {
      return Binary.fromString(text.toString());
    } else if (key instanceof ByteBuffer bytes) {
      return Binary.fromConstantByteBuffer(bytes.duplicate());
    }
    throw new IllegalArgumentException("not a key value: " + key.getClass().getName());
  }
}
