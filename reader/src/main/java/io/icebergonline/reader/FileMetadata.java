package io.icebergonline.reader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.types.Types;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ColumnPath;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.internal.column.columnindex.ColumnIndex;
import org.apache.parquet.internal.column.columnindex.OffsetIndex;
import org.apache.parquet.internal.filter2.columnindex.ColumnIndexStore;
import org.apache.parquet.internal.hadoop.metadata.IndexReference;

/**
 * What point reads need of one Parquet data file, read once (files are immutable) and kept in
 * memory: the parsed footer, the key column's {@link KeyFilter}, and per row group the page index
 * (column index and offset index of every column), so that a warm point read goes straight to the
 * pages that can hold the key without reading any metadata. Thread-safe.
 */
final class FileMetadata {
  private final ParquetMetadata footer;
  private final KeyFilter keyFilter;
  private final List<PageIndex> pageIndexes;
  private final long[] firstRows;
  private final int weightBytes;

  /** The page index of one row group, as Parquet's readers ask for it. */
  record PageIndex(Map<ColumnPath, ColumnIndex> columnIndexes, Map<ColumnPath, OffsetIndex> offsetIndexes)
      implements ColumnIndexStore {
    @Override
    public ColumnIndex getColumnIndex(ColumnPath column) {
      return columnIndexes.get(column);
    }

    @Override
    public OffsetIndex getOffsetIndex(ColumnPath column) {
      OffsetIndex offsets = offsetIndexes.get(column);
      if (offsets == null) {
        throw new MissingOffsetIndexException(column);
      }
      return offsets;
    }
  }

  private FileMetadata(ParquetMetadata footer, KeyFilter keyFilter, List<PageIndex> pageIndexes, int weightBytes) {
    this.footer = footer;
    this.keyFilter = keyFilter;
    this.pageIndexes = pageIndexes;
    this.weightBytes = weightBytes;
    List<BlockMetaData> blocks = footer.getBlocks();
    firstRows = new long[blocks.size()];
    for (int i = 1; i < blocks.size(); i++) {
      firstRows[i] = firstRows[i - 1] + blocks.get(i - 1).getRowCount();
    }
  }

  /**
   * Reads the footer, the key column's bloom filters ({@code keyField} null: none) and the page
   * index; the page index of all row groups lies in one stretch before the footer and is fetched
   * with one ranged read.
   */
  static FileMetadata load(InputFile file, Types.NestedField keyField) {
    ParquetInputFile parquetFile = new ParquetInputFile(file);
    try (ParquetFileReader reader = ParquetFileReader.open(parquetFile, ParquetInputFile.readOptions())) {
      ParquetMetadata footer = reader.getFooter();
      KeyFilter keyFilter = keyField == null ? null : KeyFilter.read(reader, keyField);
      long indexStart = Long.MAX_VALUE;
      long indexEnd = 0;
      int chunks = 0;
      for (BlockMetaData block : footer.getBlocks()) {
        for (ColumnChunkMetaData chunk : block.getColumns()) {
          chunks++;
          for (IndexReference index : new IndexReference[] {chunk.getColumnIndexReference(), chunk.getOffsetIndexReference()}) {
            if (index != null) {
              indexStart = Math.min(indexStart, index.getOffset());
              indexEnd = Math.max(indexEnd, index.getOffset() + index.getLength());
            }
          }
        }
      }
      List<PageIndex> pageIndexes = new ArrayList<>();
      if (indexEnd > indexStart) {
        try (ParquetFileReader indexReader = new ParquetFileReader(parquetFile, footer, ParquetInputFile.readOptions(),
            PrefetchedStream.fetch(file, List.of(new long[] {indexStart, indexEnd})))) {
          for (BlockMetaData block : footer.getBlocks()) {
            pageIndexes.add(pageIndex(indexReader, block));
          }
        }
      } else {
        footer.getBlocks().forEach(block -> pageIndexes.add(null));
      }
      long indexBytes = Math.max(0, indexEnd - indexStart);
      // parsed indexes take a few times their Thrift-encoded size; a column chunk's metadata a few hundred bytes
      long weight = 1024 + 512L * chunks + 4 * indexBytes + (keyFilter == null ? 0 : keyFilter.weightBytes());
      return new FileMetadata(footer, keyFilter, pageIndexes, (int) Math.min(Integer.MAX_VALUE, weight));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the metadata of " + file.location(), e);
    }
  }

  /** The row group's page index; null when a column of it has none (files written without page index). */
  private static PageIndex pageIndex(ParquetFileReader reader, BlockMetaData block) throws IOException {
    Map<ColumnPath, ColumnIndex> columnIndexes = new HashMap<>();
    Map<ColumnPath, OffsetIndex> offsetIndexes = new HashMap<>();
    for (ColumnChunkMetaData chunk : block.getColumns()) {
      OffsetIndex offsets = chunk.getOffsetIndexReference() == null ? null : reader.readOffsetIndex(chunk);
      if (offsets == null) {
        return null;
      }
      offsetIndexes.put(chunk.getPath(), offsets);
      if (chunk.getColumnIndexReference() != null) {
        ColumnIndex columnIndex = reader.readColumnIndex(chunk);
        if (columnIndex != null) {
          columnIndexes.put(chunk.getPath(), columnIndex);
        }
      }
    }
    return new PageIndex(Map.copyOf(columnIndexes), Map.copyOf(offsetIndexes));
  }

  ParquetMetadata footer() {
    return footer;
  }

  /** The key column's filter; null when loaded without a key column. */
  KeyFilter keyFilter() {
    return keyFilter;
  }

  /** The page index of row group {@code rowGroup}, or null when the file has none for it. */
  PageIndex pageIndex(int rowGroup) {
    return pageIndexes.get(rowGroup);
  }

  /** The position in the file of the first row of row group {@code rowGroup}. */
  long firstRow(int rowGroup) {
    return firstRows[rowGroup];
  }

  /** Approximate in-memory size, for cache weighing. */
  int weightBytes() {
    return weightBytes;
  }
}
