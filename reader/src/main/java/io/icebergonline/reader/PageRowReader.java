package io.icebergonline.reader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
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
import org.apache.parquet.example.data.Group;
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
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.GroupType;
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
 * value). A flat projection is decoded column by column into Flink rows; one with lists goes
 * through parquet-mr's record reader and its example {@link Group}s. Both cover the column types
 * online tables have; a file with another type, without field ids or without page index is read
 * the stock way by the caller.
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
      case LIST -> decodes(type.asListType().elementType());
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
        if (flat(projection)) {
          decodeColumns(store, projection, createdBy, schema, metadata.firstRow(rowGroup), rows);
        } else {
          decodeRecords(store, projection, fileSchema, schema, metadata.firstRow(rowGroup), rows);
        }
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

  /** True when every column of the projection is a top-level primitive (no lists). */
  private static boolean flat(MessageType projection) {
    return projection.getFields().stream().allMatch(org.apache.parquet.schema.Type::isPrimitive);
  }

  /**
   * Decodes a flat projection column by column: each column's reader skips to the selected rows and
   * yields their values. (Parquet-mr's record assembly, which {@link #decodeRecords} needs for
   * lists, builds a state machine over every column per read: in a profile its construction and
   * the per-row groups were most of what a point read allocated after fetching the pages.)
   */
  private static void decodeColumns(PageReadStore store, MessageType projection, String createdBy, Schema schema,
      long firstRow, List<RowData> rows) {
    int count = Math.toIntExact(store.getRowCount());
    List<Types.NestedField> fields = schema.columns();
    GenericRowData[] decoded = new GenericRowData[count];
    PrimitiveIterator.OfLong rowIndexes = rowIndexes(store);
    for (int row = 0; row < count; row++) {
      decoded[row] = new GenericRowData(fields.size());
      long rowIndex = rowIndexes.nextLong();
      for (int i = 0; i < fields.size(); i++) {
        if (fields.get(i).fieldId() == MetadataColumns.ROW_POSITION.fieldId()) {
          decoded[row].setField(i, firstRow + rowIndex);
        }
      }
    }
    ColumnReadStoreImpl columns = new ColumnReadStoreImpl(store,
        new GroupRecordConverter(projection).getRootConverter(), projection, createdBy);
    for (int i = 0; i < fields.size(); i++) {
      int index = fieldIndex(projection, fields.get(i).fieldId());
      if (index < 0) {
        continue;
      }
      ColumnDescriptor column = projection.getColumns().get(index);
      ColumnReader values = columns.getColumnReader(column);
      PrimitiveTypeName physical = column.getPrimitiveType().getPrimitiveTypeName();
      PrimitiveValues current = columnValues(values);
      for (int row = 0; row < count; row++) {
        if (values.getCurrentDefinitionLevel() == column.getMaxDefinitionLevel()) {
          decoded[row].setField(i, value(current, physical, fields.get(i).type()));
        }
        values.consume();
      }
    }
    rows.addAll(List.of(decoded));
  }

  private static void decodeRecords(PageReadStore store, MessageType projection, MessageType fileSchema, Schema schema,
      long firstRow, List<RowData> rows) {
    RecordReader<Group> records = new ColumnIOFactory().getColumnIO(projection, fileSchema, true)
        .getRecordReader(store, new GroupRecordConverter(projection));
    PrimitiveIterator.OfLong rowIndexes = rowIndexes(store);
    for (long i = 0; i < store.getRowCount(); i++) {
      long rowIndex = rowIndexes.nextLong();
      rows.add(toRow(records.read(), schema, firstRow + rowIndex));
    }
  }

  /** The group as a Flink row of {@code schema}: its columns by field id, then the position. */
  private static RowData toRow(Group group, Schema schema, long position) {
    List<Types.NestedField> fields = schema.columns();
    GenericRowData row = new GenericRowData(fields.size());
    GroupType type = group.getType();
    for (int i = 0; i < fields.size(); i++) {
      Types.NestedField field = fields.get(i);
      if (field.fieldId() == MetadataColumns.ROW_POSITION.fieldId()) {
        row.setField(i, position);
        continue;
      }
      int index = fieldIndex(type, field.fieldId());
      if (index >= 0 && group.getFieldRepetitionCount(index) > 0) {
        row.setField(i, value(group, index, 0, field.type()));
      }
    }
    return row;
  }

  private static int fieldIndex(GroupType type, int fieldId) {
    for (int i = 0; i < type.getFieldCount(); i++) {
      org.apache.parquet.schema.Type.ID id = type.getType(i).getId();
      if (id != null && id.intValue() == fieldId) {
        return i;
      }
    }
    return -1;
  }

  /** Value {@code repetition} of field {@code index} as Flink's internal data (as Iceberg's Flink readers give it). */
  private static Object value(Group group, int index, int repetition, Type type) {
    if (type.typeId() == Type.TypeID.LIST) {
      return list(group.getGroup(index, repetition), type.asListType().elementType());
    }
    return value(groupValues(group, index, repetition),
        group.getType().getType(index).asPrimitiveType().getPrimitiveTypeName(), type);
  }

  /** The current value of a primitive column, whichever way it is held. */
  private interface PrimitiveValues {
    boolean getBoolean();

    int getInteger();

    long getLong();

    float getFloat();

    double getDouble();

    org.apache.parquet.io.api.Binary getBinary();
  }

  private static PrimitiveValues columnValues(ColumnReader column) {
    return new PrimitiveValues() {
      @Override
      public boolean getBoolean() {
        return column.getBoolean();
      }

      @Override
      public int getInteger() {
        return column.getInteger();
      }

      @Override
      public long getLong() {
        return column.getLong();
      }

      @Override
      public float getFloat() {
        return column.getFloat();
      }

      @Override
      public double getDouble() {
        return column.getDouble();
      }

      @Override
      public org.apache.parquet.io.api.Binary getBinary() {
        return column.getBinary();
      }
    };
  }

  private static PrimitiveValues groupValues(Group group, int index, int repetition) {
    return new PrimitiveValues() {
      @Override
      public boolean getBoolean() {
        return group.getBoolean(index, repetition);
      }

      @Override
      public int getInteger() {
        return group.getInteger(index, repetition);
      }

      @Override
      public long getLong() {
        return group.getLong(index, repetition);
      }

      @Override
      public float getFloat() {
        return group.getFloat(index, repetition);
      }

      @Override
      public double getDouble() {
        return group.getDouble(index, repetition);
      }

      @Override
      public org.apache.parquet.io.api.Binary getBinary() {
        return group.getBinary(index, repetition);
      }
    };
  }

  /** A primitive value of the given physical type as Flink's internal data of {@code type}. */
  private static Object value(PrimitiveValues values, PrimitiveTypeName physical, Type type) {
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

  /** A three-level Parquet list (LIST group, repeated group, element) as Flink array data. */
  private static GenericArrayData list(Group list, Type elementType) {
    int size = list.getFieldRepetitionCount(0);
    Object[] elements = new Object[size];
    for (int i = 0; i < size; i++) {
      Group entry = list.getGroup(0, i);
      elements[i] = entry.getFieldRepetitionCount(0) == 0 ? null : value(entry, 0, 0, elementType);
    }
    return new GenericArrayData(elements);
  }
}
