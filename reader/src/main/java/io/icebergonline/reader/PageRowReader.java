package io.icebergonline.reader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.PrimitiveIterator;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.Schema;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.parquet.ParquetSchemaUtil;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.TypeUtil;
import org.apache.iceberg.types.Types;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.filter2.predicate.FilterPredicate;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ColumnPath;
import org.apache.parquet.internal.column.columnindex.OffsetIndex;
import org.apache.parquet.internal.filter2.columnindex.ColumnIndexFilter;
import org.apache.parquet.internal.filter2.columnindex.ColumnIndexStore;
import org.apache.parquet.internal.filter2.columnindex.RowRanges;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Point reads of single pages: with a file's cached {@link FileMetadata}, finds through the page
 * index the row ranges of each row group that can hold the key, fetches the pages of the projected
 * columns that cover those rows in one ranged read where they lie close, decodes the key column
 * alone over those ranges to find the rows that hold the key, and then decodes the other columns
 * at those rows only. (Decoding every row of the ranges into records and filtering them took 86% of
 * a point read in a profile: a page holds up to 20,000 rows, one of which is wanted.)
 *
 * <p>Decoding goes through parquet-mr's column readers, not Iceberg's value readers: pages of
 * different columns start at different rows, and only parquet-mr's column readers skip each column
 * to the selected rows (Iceberg 1.11's row readers read every page they are given from its first
 * value). The selected rows are decoded column by column into Flink rows, for the column types
 * online tables have (primitives and lists of them); a file with another type, without field ids
 * or without page index is read the stock way by the caller.
 */
final class PageRowReader {
  private PageRowReader() {}

  /** The rows read, each with its position in the file, and the bytes fetched to read them. */
  record Read(List<RowData> rows, long bytesFetched) {}

  /** True when the page reader decodes every column of the schema. */
  static boolean decodes(Schema schema) {
    return schema.columns().stream().allMatch(field -> decodes(field.type()));
  }

  private static boolean decodes(Type type) {
    return switch (type.typeId()) {
      case BOOLEAN, INTEGER, LONG, FLOAT, DOUBLE, STRING, BINARY, DATE, TIMESTAMP -> true;
      case LIST -> type.asListType().elementType().isPrimitiveType() && decodes(type.asListType().elementType());
      default -> false;
    };
  }

  /**
   * The rows of the file (with {@code schema}, whose last column is the row position) that hold
   * the key as the key filter's column; the caller still tests the key and the deletes. Null when
   * this file cannot be read by pages (no page index, no field ids).
   */
  static Read read(InputFile file, FileMetadata metadata, Schema schema, Object key) {
    MessageType fileSchema = metadata.footer().getFileMetaData().getSchema();
    if (!ParquetSchemaUtil.hasIds(fileSchema)) {
      return null;
    }
    KeyFilter keyFilter = metadata.keyFilter();
    FilterPredicate keyEquals = keyFilter.equalTo(key);
    if (keyEquals == null) {
      return new Read(List.of(), 0);
    }
    List<BlockMetaData> blocks = metadata.footer().getBlocks();
    List<Integer> rowGroups = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      if (keyFilter.mightContain(i, key)) {
        if (metadata.pageIndex(i) == null) {
          return null;
        }
        rowGroups.add(i);
      }
    }
    Schema dataSchema = TypeUtil.selectNot(schema, Set.of(MetadataColumns.ROW_POSITION.fieldId()));
    MessageType projection = ParquetSchemaUtil.pruneColumns(fileSchema, dataSchema);
    MessageType keyProjection = new MessageType(fileSchema.getName(), fileSchema.getType(keyFilter.column()));
    ColumnDescriptor keyColumn = keyProjection.getColumns().get(0);
    Object parquetKey = keyFilter.parquetValue(key);
    String createdBy = metadata.footer().getFileMetaData().getCreatedBy();
    Set<ColumnPath> fileColumns = new HashSet<>();
    fileSchema.getColumns().forEach(column -> fileColumns.add(ColumnPath.get(column.getPath())));
    FilterCompat.Filter filter = FilterCompat.get(keyEquals);
    List<RowData> rows = new ArrayList<>();
    long bytes = 0;
    for (int rowGroup : rowGroups) {
      BlockMetaData block = blocks.get(rowGroup);
      FileMetadata.PageIndex pageIndex = metadata.pageIndex(rowGroup);
      RowRanges ranges = ColumnIndexFilter.calculateRowRanges(filter, pageIndex, fileColumns, block.getRowCount());
      if (ranges.rowCount() == 0) {
        continue;
      }
      List<long[]> byteRanges = pageBytes(block, pageIndex, projection, ranges);
      try (PrefetchedStream pages = PrefetchedStream.fetch(file, byteRanges);
          ParquetFileReader reader = new ParquetFileReader(new ParquetInputFile(file), metadata.footer(),
              ParquetInputFile.readOptions(), pages) {
            @Override
            public ColumnIndexStore getColumnIndexStore(int blockIndex) {
              return metadata.pageIndex(blockIndex);
            }
          }) {
        bytes += pages.bytesFetched();
        reader.setRequestedSchema(keyProjection);
        RowRanges keyRows = rowsHolding(reader.readFilteredRowGroup(rowGroup, ranges), keyProjection, keyColumn,
            createdBy, parquetKey, block.getRowCount());
        if (keyRows.rowCount() == 0) {
          continue;
        }
        reader.setRequestedSchema(projection);
        PageReadStore store = reader.readFilteredRowGroup(rowGroup, keyRows);
        decode(store, projection, createdBy, schema, metadata.firstRow(rowGroup), rows);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the pages of " + file.location(), e);
      }
    }
    return new Read(rows, bytes);
  }

  /** The byte ranges of the projected columns' pages (and dictionaries) that cover the row ranges, sorted. */
  private static List<long[]> pageBytes(BlockMetaData block, FileMetadata.PageIndex pageIndex, MessageType projection,
      RowRanges ranges) {
    Set<ColumnPath> projected = new HashSet<>();
    projection.getColumns().forEach(column -> projected.add(ColumnPath.get(column.getPath())));
    List<long[]> byteRanges = new ArrayList<>();
    for (ColumnChunkMetaData chunk : block.getColumns()) {
      if (!projected.contains(chunk.getPath())) {
        continue;
      }
      OffsetIndex offsets = pageIndex.getOffsetIndex(chunk.getPath());
      if (offsets.getPageCount() > 0 && chunk.getStartingPos() < offsets.getOffset(0)) {
        byteRanges.add(new long[] {chunk.getStartingPos(), offsets.getOffset(0)}); // the dictionary page
      }
      for (int page = 0; page < offsets.getPageCount(); page++) {
        if (ranges.isOverlapping(offsets.getFirstRowIndex(page), offsets.getLastRowIndex(page, block.getRowCount()))) {
          byteRanges.add(new long[] {offsets.getOffset(page), offsets.getOffset(page) + offsets.getCompressedPageSize(page)});
        }
      }
    }
    byteRanges.sort((a, b) -> Long.compare(a[0], b[0]));
    return byteRanges;
  }

  /**
   * The rows of the row group whose key column value is {@code parquetKey}, read from the key
   * column's pages alone (the store of those pages over the ranges that may hold it).
   */
  private static RowRanges rowsHolding(PageReadStore keyPages, MessageType keyProjection, ColumnDescriptor keyColumn,
      String createdBy, Object parquetKey, long rowGroupRows) {
    ColumnReader values = new ColumnReadStoreImpl(keyPages, new GroupRecordConverter(keyProjection).getRootConverter(),
        keyProjection, createdBy).getColumnReader(keyColumn);
    PrimitiveIterator.OfLong rowIndexes = rowIndexes(keyPages);
    List<Long> matching = new ArrayList<>();
    for (long i = 0; i < keyPages.getRowCount(); i++) {
      long rowIndex = rowIndexes.nextLong();
      if (values.getCurrentDefinitionLevel() == keyColumn.getMaxDefinitionLevel() && holds(values, parquetKey)) {
        matching.add(rowIndex);
      }
      values.consume();
    }
    return singleRows(matching, rowGroupRows);
  }

  private static boolean holds(ColumnReader values, Object parquetKey) {
    if (parquetKey instanceof Long key) {
      return values.getLong() == key;
    } else if (parquetKey instanceof Integer key) {
      return values.getInteger() == key;
    }
    return values.getBinary().equals(parquetKey);
  }

  /**
   * Row ranges of exactly the given rows (ascending). Parquet's {@link RowRanges} is built only
   * from pages of an offset index, so each row is given as a page of its own.
   */
  private static RowRanges singleRows(List<Long> rows, long rowGroupRows) {
    OffsetIndex onePagePerRow = new OffsetIndex() {
      @Override
      public int getPageCount() {
        return rows.size();
      }

      @Override
      public long getOffset(int page) {
        throw new UnsupportedOperationException();
      }

      @Override
      public int getCompressedPageSize(int page) {
        throw new UnsupportedOperationException();
      }

      @Override
      public long getFirstRowIndex(int page) {
        return rows.get(page);
      }

      @Override
      public long getLastRowIndex(int page, long rowGroupRowCount) {
        return rows.get(page);
      }
    };
    return RowRanges.create(rowGroupRows, IntStream.range(0, rows.size()).iterator(), onePagePerRow);
  }

  private static PrimitiveIterator.OfLong rowIndexes(PageReadStore store) {
    return store.getRowIndexes().orElseGet(() -> LongStream.range(0, store.getRowCount()).iterator());
  }

  /**
   * Decodes the selected rows column by column: each column's reader skips to those rows and yields
   * their values. (Parquet-mr's record assembly, which this replaced, built a state machine over
   * every column per read and an example group per row: most of what a point read allocated after
   * fetching the pages, and the slowest code for the JIT to compile.)
   */
  private static void decode(PageReadStore store, MessageType projection, String createdBy, Schema schema,
      long firstRow, List<RowData> rows) {
    int count = Math.toIntExact(store.getRowCount());
    List<Types.NestedField> fields = schema.columns();
    GenericRowData[] decoded = new GenericRowData[count];
    int position = fields.indexOf(schema.findField(MetadataColumns.ROW_POSITION.fieldId()));
    PrimitiveIterator.OfLong rowIndexes = rowIndexes(store);
    for (int row = 0; row < count; row++) {
      decoded[row] = new GenericRowData(fields.size());
      long rowIndex = rowIndexes.nextLong();
      if (position >= 0) {
        decoded[row].setField(position, firstRow + rowIndex);
      }
    }
    ColumnReadStoreImpl columns = new ColumnReadStoreImpl(store,
        new GroupRecordConverter(projection).getRootConverter(), projection, createdBy);
    for (int i = 0; i < fields.size(); i++) {
      int index = fieldIndex(projection, fields.get(i).fieldId());
      if (index < 0) {
        continue;
      }
      Type type = fields.get(i).type();
      ColumnDescriptor column = projection.getColumns().get(index);
      ColumnReader values = columns.getColumnReader(column);
      PrimitiveTypeName physical = column.getPrimitiveType().getPrimitiveTypeName();
      if (type.typeId() == Type.TypeID.LIST) {
        // a list is present from the definition level of its field, holds elements from that of its repeated level
        String[] path = column.getPath();
        int listDefined = projection.getMaxDefinitionLevel(path[0]);
        int entryDefined = projection.getMaxDefinitionLevel(Arrays.copyOf(path, 2));
        Type elementType = type.asListType().elementType();
        for (int row = 0; row < count; row++) {
          int definition = values.getCurrentDefinitionLevel();
          if (definition < listDefined) {
            values.consume();
            continue;
          }
          List<Object> elements = new ArrayList<>();
          if (definition < entryDefined) {
            values.consume();
          } else {
            do {
              elements.add(values.getCurrentDefinitionLevel() == column.getMaxDefinitionLevel()
                  ? value(values, physical, elementType) : null);
              values.consume();
            } while (values.getCurrentRepetitionLevel() > 0);
          }
          decoded[row].setField(i, new GenericArrayData(elements.toArray()));
        }
      } else {
        for (int row = 0; row < count; row++) {
          if (values.getCurrentDefinitionLevel() == column.getMaxDefinitionLevel()) {
            decoded[row].setField(i, value(values, physical, type));
          }
          values.consume();
        }
      }
    }
    rows.addAll(List.of(decoded));
  }

  /** The index of the top-level field with the id, -1 if none has it. */
  private static int fieldIndex(MessageType type, int fieldId) {
    for (int i = 0; i < type.getFieldCount(); i++) {
      org.apache.parquet.schema.Type.ID id = type.getType(i).getId();
      if (id != null && id.intValue() == fieldId) {
        return i;
      }
    }
    return -1;
  }

  /** The reader's current value, of the given physical type, as Flink's internal data of {@code type}. */
  private static Object value(ColumnReader values, PrimitiveTypeName physical, Type type) {
    return switch (type.typeId()) {
      case BOOLEAN -> values.getBoolean();
      case INTEGER, DATE -> values.getInteger();
      case LONG -> physical == PrimitiveTypeName.INT32 ? (long) values.getInteger() : values.getLong();
      case FLOAT -> values.getFloat();
      case DOUBLE -> physical == PrimitiveTypeName.FLOAT ? (double) values.getFloat() : values.getDouble();
      case STRING -> StringData.fromBytes(values.getBinary().getBytes());
      case BINARY -> values.getBinary().getBytes();
      case TIMESTAMP -> {
        long micros = values.getLong();
        yield TimestampData.fromEpochMillis(Math.floorDiv(micros, 1000), (int) Math.floorMod(micros, 1000) * 1000);
      }
      default -> throw new IllegalStateException("Point reads by page do not decode " + type);
    };
  }
}
