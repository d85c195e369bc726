package io.icebergonline.reader;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.icebergonline.core.EntityKeys;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.LiveTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.exceptions.NotFoundException;
import org.apache.iceberg.expressions.Evaluator;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.expressions.InclusiveMetricsEvaluator;
import org.apache.iceberg.expressions.Projections;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.RowDataWrapper;
import org.apache.iceberg.flink.data.FlinkParquetReaders;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.ParquetReader;
import org.apache.iceberg.types.TypeUtil;
import org.apache.iceberg.types.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Point reads on one Iceberg table (DESIGN "Lookup connector read path"). For a key it finds the
 * partitions that can hold it (the key's bucket), walks their data files newest first, skips a
 * file when a newer equality delete on the key columns deletes the key, when its column metrics
 * exclude the key or when the key's bloom filter says no, reads only the row groups that can hold
 * the key and only the needed columns, drops rows that position deletes or newer equality deletes
 * on more columns (say key and event time) delete, and returns the first live row found: the
 * newest. The file index is refreshed in the background from new snapshots; a file that vanished
 * (compaction, expiry) triggers a refresh and a retry. In {@link IndexMode#MEMORY} a {@link
 * LiveIndex} answers the keys of the buckets it holds at the snapshot the reader serves, and point
 * reads answer the rest. Columns are read by field id in the table's current schema, so a rename
 * or a type promotion reaches lookups with the next refresh, and returned in the types the caller
 * opened the reader with ({@link ReadLayout}). Thread-safe.
 */
public final class OnlineTableReader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OnlineTableReader.class);
  private static final long FILE_METADATA_CACHE_BYTES = 256L * 1024 * 1024;
  private static final long DELETE_CACHE_BYTES = 256L * 1024 * 1024;

  /**
   * A lookup's answer, how many data files it had to open, and whether the live index answered
   * it (else a point read did).
   */
  public record Result(RowData row, int filesOpened, boolean fromIndex) {
    public Result(RowData row, int filesOpened) {
      this(row, filesOpened, false);
    }
  }

  private final TableBinding binding;
  private final List<String> outputColumns;
  private final List<String> keyColumns;
  private final long refreshMillis;
  private final int maxRetries;
  private final IndexMode indexMode;
  private final long indexMaxBytes;

  private Catalog catalog;
  private LiveTable liveTable;
  private volatile Table table;
  /** Written before {@link #index}: a lookup that reads the index, then the layout, reads its files with it. */
  private volatile ReadLayout layout;
  private Schema keySchema;
  private Set<Integer> keyFieldIds;
  /** The column bloom filters and page reads test the key on; null when there is none. */
  private Types.NestedField filterKeyField;
  private int positionIndex;
  private int eventTimeIndex;
  private RowData.FieldGetter[] identifierInKey;
  private int[] identifierIndexesInRead;
  private int[] identifierFieldIds;
  /** The field id of the composite-key column; -1 without one. */
  private int derivedKeyFieldId;
  /** Key columns beyond the identifier fields: their getter in the key row, and their index in the read columns. */
  private List<Map.Entry<RowData.FieldGetter, Integer>> extraKeys;
  private int[] outputIndexesInRead;
  private Cache<String, FileMetadata> fileMetadata;
  private final LongAdder bytesFetched = new LongAdder();
  private DeleteIndex deletes;
  private volatile TableFileIndex index = TableFileIndex.EMPTY;
  private ScheduledExecutorService refresher;
  private LiveIndex liveIndex;

  /**
   * @param outputColumns the columns a lookup returns, in order
   * @param keyColumns the columns of the lookup key row, in order; they must include every identifier column
   */
  public OnlineTableReader(TableBinding binding, List<String> outputColumns, List<String> keyColumns, long refreshMillis,
      int maxRetries) {
    this(binding, outputColumns, keyColumns, refreshMillis, maxRetries, IndexMode.NONE, 0);
  }

  /**
   * @param indexMode {@link IndexMode#MEMORY} answers keys of indexed buckets from the live index
   * @param indexMaxBytes the live index's memory budget; buckets beyond it are served by point reads
   */
  public OnlineTableReader(TableBinding binding, List<String> outputColumns, List<String> keyColumns, long refreshMillis,
      int maxRetries, IndexMode indexMode, long indexMaxBytes) {
    this.indexMode = indexMode;
    this.indexMaxBytes = indexMaxBytes;
    this.binding = binding;
    this.outputColumns = outputColumns;
    this.keyColumns = keyColumns;
    this.refreshMillis = refreshMillis;
    this.maxRetries = maxRetries;
  }

  public void open() {
    catalog = IcebergCatalogs.load(binding.store());
    liveTable = new LiveTable(() -> binding.loadTable(catalog));
    table = liveTable.table();
    List<String> readColumns = new ArrayList<>(outputColumns);
    for (String column : binding.identifierColumns()) {
      if (!readColumns.contains(column)) {
        readColumns.add(column);
      }
    }
    for (String column : keyColumns) {
      if (!readColumns.contains(column)) {
        readColumns.add(column);
      }
    }
    if (binding.derivedKeyColumn() != null && !readColumns.contains(binding.derivedKeyColumn())) {
      readColumns.add(binding.derivedKeyColumn()); // the read filter refers to it
    }
    // the live index applies equality deletes on key and event time, as Iceberg's upsert sink writes them
    if (binding.eventTimeColumn() != null && !readColumns.contains(binding.eventTimeColumn())) {
      readColumns.add(binding.eventTimeColumn());
    }
    // columns by field id from now on, each handed out in the type the caller declared (planned) it as
    List<Types.NestedField> fields = new ArrayList<>();
    List<LogicalType> callerTypes = new ArrayList<>();
    for (String column : readColumns) {
      Types.NestedField field = table.schema().findField(column);
      fields.add(field);
      int declared = binding.declaredColumns().indexOf(column);
      callerTypes.add(declared >= 0 ? binding.declaredTypes().get(declared) : FlinkSchemaUtil.convert(field.type()));
    }
    layout = ReadLayout.of(table.schema(), fields, callerTypes);
    positionIndex = readColumns.size();
    eventTimeIndex = binding.maxAge() == null ? -1 : readColumns.indexOf(binding.eventTimeColumn());

    List<String> identifiers = binding.identifierColumns();
    identifierIndexesInRead = identifiers.stream().mapToInt(readColumns::indexOf).toArray();
    identifierFieldIds = identifiers.stream().mapToInt(column -> table.schema().findField(column).fieldId()).toArray();
    derivedKeyFieldId = binding.derivedKeyColumn() == null ? -1
        : table.schema().findField(binding.derivedKeyColumn()).fieldId();
    identifierInKey = identifiers.stream()
        .map(column -> RowData.createFieldGetter(callerTypes.get(readColumns.indexOf(column)), keyColumns.indexOf(column)))
        .toArray(RowData.FieldGetter[]::new);
    // key columns beyond the identifier fields (ON d.id = o.id AND d.city = o.city) filter the row found
    extraKeys = keyColumns.stream().filter(column -> !identifiers.contains(column))
        .map(column -> Map.entry(
            RowData.createFieldGetter(callerTypes.get(readColumns.indexOf(column)), keyColumns.indexOf(column)),
            readColumns.indexOf(column)))
        .toList();
    outputIndexesInRead = outputColumns.stream().mapToInt(readColumns::indexOf).toArray();

    fileMetadata = Caffeine.newBuilder().maximumWeight(FILE_METADATA_CACHE_BYTES)
        .weigher((String path, FileMetadata metadata) -> metadata.weightBytes()).build();
    // the composite-key column is a function of the entity columns: a delete by both deletes by key
    List<String> keyColumnsOfTable = new ArrayList<>(identifiers);
    if (binding.derivedKeyColumn() != null) {
      keyColumnsOfTable.add(binding.derivedKeyColumn());
    }
    keySchema = table.schema().select(keyColumnsOfTable);
    keyFieldIds = TypeUtil.getProjectedIds(keySchema);
    filterKeyField = binding.filterKeyColumn() == null ? null : table.schema().findField(binding.filterKeyColumn());
    deletes = new DeleteIndex(table, DELETE_CACHE_BYTES);
    if (indexMode == IndexMode.MEMORY) {
      try {
        liveIndex = new LiveIndex(binding, layout, keyFieldIds, deletes, this::forEachLiveRow, indexMaxBytes,
            this::refreshNow);
      } catch (IllegalArgumentException e) {
        LOG.warn("Table {} is served by point reads, not by a live index: {}", binding.tableName(), e.getMessage());
      }
    }
    refreshNow();
    refresher = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "iceberg-online-refresh-" + binding.tableName());
      thread.setDaemon(true);
      return thread;
    });
    refresher.scheduleWithFixedDelay(this::refreshQuietly, refreshMillis, refreshMillis, TimeUnit.MILLISECONDS);
  }

  /** Loads the table's newest snapshot into the file index, and its schema into the read layout. */
  public synchronized void refreshNow() {
    table = liveTable.refresh();
    ReadLayout nextLayout = layout.in(table.schema());
    if (nextLayout != layout) {
      LOG.info("Table {} has a new schema ({}); lookups read {} in it", table.name(), nextLayout.schemaId(),
          nextLayout.columns().asStruct());
      layout = nextLayout;
    }
    TableFileIndex next = index.refresh(table);
    if (next != index) {
      LOG.debug("Table {} at snapshot {}: {} data files, {} delete files", table.name(), next.snapshotId(),
          next.dataFileCount(), next.deleteFileCount());
      index = next;
    }
    if (liveIndex != null) {
      liveIndex.advance(table, index, layout);
    }
  }

  private void refreshQuietly() {
    try {
      refreshNow();
    } catch (RuntimeException e) {
      LOG.warn("Refreshing the file index of {} failed; lookups keep using snapshot {}: {}", table.name(),
          index.snapshotId(), e.toString());
    }
  }

  /** The newest live row of the key, or a null row when there is none (or it is older than the max age). */
  public Result lookup(RowData keyRow) {
    checkKeyTypes(layout);
    Object[] icebergValues = new Object[identifierInKey.length];
    List<Object> entityValues = new ArrayList<>(identifierInKey.length);
    for (int i = 0; i < identifierInKey.length; i++) {
      Object internal = identifierInKey[i].getFieldOrNull(keyRow);
      if (internal == null) {
        return new Result(null, 0); // a null key joins nothing
      }
      Object entityValue = internal instanceof StringData text ? text.toString() : internal;
      entityValues.add(entityValue);
      icebergValues[i] = entityValue instanceof byte[] bytes ? ByteBuffer.wrap(bytes) : entityValue;
    }
    // the canonical form names a composite key (its derived column and its live index key) only
    String canonicalKey = identifierInKey.length == 1 && binding.derivedKeyColumn() == null ? null
        : EntityKeys.compositeKey(entityValues);
    if (liveIndex != null) {
      Object indexKey = identifierInKey.length == 1 ? icebergValues[0] : canonicalKey;
      int bucket = liveIndex.bucketOf(binding.derivedKeyColumn() != null ? canonicalKey : icebergValues[0]);
      LiveIndex.Hit hit = liveIndex.lookup(indexKey, bucket, index.snapshotId());
      if (hit != null) {
        RowData row = hit.row();
        return new Result(row != null && matchesExtraKeys(hit.layout(), row, keyRow) && fresh(row)
            ? output(hit.layout(), row) : null, 0, true);
      }
    }
    GenericRecord key = GenericRecord.create(keySchema);
    for (int i = 0; i < identifierInKey.length; i++) {
      key.setField(binding.identifierColumns().get(i), icebergValues[i]);
    }
    Object filterValue = null;
    if (binding.derivedKeyColumn() != null) {
      key.setField(binding.derivedKeyColumn(), canonicalKey);
      filterValue = canonicalKey;
    } else if (binding.filterKeyColumn() != null) {
      filterValue = icebergValues[0];
    }
    for (int attempt = 0; ; attempt++) {
      TableFileIndex files = index;
      ReadLayout readWith = layout; // after the index: at least as new as the files it lists
      try {
        return find(files, readWith, keyRow, icebergValues, canonicalKey, key, filterValue);
      } catch (UnreadableTableException e) {
        throw e; // the table no longer holds what the reader was opened for: a retry changes nothing
      } catch (RuntimeException e) {
        if (attempt >= maxRetries) {
          throw e;
        }
        refreshNow();
        // A file the lookup read may have gone with a compaction and expiry since: FileIOs say so
        // differently (NotFoundException on open, S3's NoSuchKeyException in the middle of a read),
        // so any failure on a snapshot that is no longer current is retried on the current one.
        boolean missingFile = e instanceof NotFoundException || e instanceof UncheckedIOException;
        if (!missingFile && index.snapshotId() == files.snapshotId()) {
          throw e;
        }
        LOG.info("A file of {} went away during a lookup ({}); retrying on snapshot {}", table.name(), e.getMessage(),
            index.snapshotId());
      }
    }
  }

  /**
   * Fails when a key column's type changed since the reader opened (another engine widened it):
   * keys of the declared type would no longer equal the keys read, and every key would be missing.
   */
  private void checkKeyTypes(ReadLayout readWith) {
    for (int index : identifierIndexesInRead) {
      if (readWith.typeChanged(index)) {
        throw new UnreadableTableException("Key column '" + readWith.name(index) + "' of " + binding.identifier()
            + " is now " + readWith.columnsType().getTypeAt(index).copy(true) + "; lookups declared it otherwise: "
            + "open the reader again with the new type (for a Flink lookup join, declare it and restart the job)");
      }
    }
  }

  /**
   * The key as an Iceberg filter to bind to {@code schema}: each key column named as that schema
   * names it (the partition specs of a file index keep the schema they were loaded with, which may
   * name a renamed column otherwise than the read layout).
   */
  private Expression filter(Schema schema, Object[] icebergValues, String canonicalKey) {
    Expression filter = Expressions.alwaysTrue();
    for (int i = 0; i < icebergValues.length; i++) {
      filter = Expressions.and(filter, Expressions.equal(schema.findColumnName(identifierFieldIds[i]), icebergValues[i]));
    }
    if (derivedKeyFieldId >= 0) {
      filter = Expressions.and(filter, Expressions.equal(schema.findColumnName(derivedKeyFieldId), canonicalKey));
    }
    return filter;
  }

  private Result find(TableFileIndex files, ReadLayout readWith, RowData keyRow, Object[] icebergValues,
      String canonicalKey, StructLike key, Object filterValue) {
    Expression filter = filter(readWith.columns(), icebergValues, canonicalKey);
    Map<Integer, Evaluator> partitionFilters = new HashMap<>();
    List<Candidate> candidates = new ArrayList<>();
    for (Map.Entry<TableFileIndex.Partition, TableFileIndex.PartitionFiles> entry : files.partitions().entrySet()) {
      int specId = entry.getKey().specId();
      Evaluator partitionFilter = partitionFilters.computeIfAbsent(specId, id -> {
        PartitionSpec spec = files.spec(id);
        return new Evaluator(spec.partitionType(),
            Projections.inclusive(spec).project(filter(spec.schema(), icebergValues, canonicalKey)));
      });
      if (partitionFilter.eval(entry.getKey().value().get())) {
        entry.getValue().dataNewestFirst().forEach(data -> candidates.add(new Candidate(data, entry.getValue())));
      }
    }
    candidates.sort(Comparator.comparingLong((Candidate candidate) -> candidate.data().dataSequenceNumber()).reversed());
    InclusiveMetricsEvaluator metrics = new InclusiveMetricsEvaluator(readWith.columns(), filter);
    Map<TableFileIndex.PartitionFiles, NewerKeyDeletes> keyDeletes = new IdentityHashMap<>(2);
    int opened = 0;
    for (Candidate candidate : candidates) {
      DataFile data = candidate.data();
      if (!metrics.eval(data) || keyDeletes.computeIfAbsent(candidate.partition(), partition -> new NewerKeyDeletes(
          partition.equalityDeletes(), key)).deleteNewerThan(data.dataSequenceNumber())) {
        continue;
      }
      if (filterValue != null && !keyFilter(data).mightContain(filterValue)) {
        continue;
      }
      opened++;
      RowData row = readLiveRow(readWith, candidate, filter, icebergValues, filterValue);
      if (row != null) {
        return new Result(matchesExtraKeys(readWith, row, keyRow) && fresh(row) ? output(readWith, row) : null, opened);
      }
    }
    return new Result(null, opened);
  }

  private record Candidate(DataFile data, TableFileIndex.PartitionFiles partition) {}

  /**
   * Whether an equality delete on key columns only deletes the key from a partition's data files
   * older than it. The lookup asks with ever older files (they are walked newest first), so each
   * delete file of the partition (newest first too) is tested once, and only those newer than the
   * file where the key is found; a delete found deleting the key deletes it from every older file.
   */
  private final class NewerKeyDeletes {
    private final List<DeleteFile> newestFirst;
    private final StructLike key;
    private int tested;
    private boolean deleted;

    NewerKeyDeletes(List<DeleteFile> newestFirst, StructLike key) {
      this.newestFirst = newestFirst;
      this.key = key;
    }

    /** True when a delete with a higher data sequence number than {@code sequence} deletes the key. */
    boolean deleteNewerThan(long sequence) {
      while (!deleted && tested < newestFirst.size() && newestFirst.get(tested).dataSequenceNumber() > sequence) {
        DeleteFile delete = newestFirst.get(tested++);
        deleted = DeleteIndex.deletesBy(delete, keyFieldIds) && deletes.deletesRow(delete, keySchema, key);
      }
      return deleted;
    }
  }

  private List<DeleteFile> newerEqualityDeletes(Candidate candidate) {
    return candidate.partition().equalityDeletes().stream()
        .filter(delete -> delete.dataSequenceNumber() > candidate.data().dataSequenceNumber()).toList();
  }

  private KeyFilter keyFilter(DataFile data) {
    return metadata(data).keyFilter();
  }

  private FileMetadata metadata(DataFile data) {
    return fileMetadata.get(data.location(),
        path -> FileMetadata.load(table.io().newInputFile(path, data.fileSizeInBytes()), filterKeyField));
  }

  /**
   * The last row of the key in the file that no delete removes, copied; null if none. With a
   * bloom-filter key ({@code filterValue}) and the file's page index, only the pages that can hold
   * the key are read ({@link PageRowReader}); otherwise the row groups that can, through Iceberg's
   * reader.
   */
  private RowData readLiveRow(ReadLayout readWith, Candidate candidate, Expression filter, Object[] icebergValues,
      Object filterValue) {
    RowData[] live = new RowData[1];
    // the lookup tested the key against the key-only equality deletes newer than the file (NewerKeyDeletes)
    forEachLiveRow(readWith, candidate.data(), candidate.partition(), filter, filterValue, true,
        row -> hasKey(row, icebergValues), row -> live[0] = readWith.copy(row));
    return live[0];
  }

  /** Every row of the file that no delete of {@code partition} removes (the live index's build). */
  private void forEachLiveRow(ReadLayout readWith, DataFile data, TableFileIndex.PartitionFiles partition,
      Consumer<RowData> live) {
    forEachLiveRow(readWith, data, partition, Expressions.alwaysTrue(), null, false, row -> true, live);
  }

  /**
   * Calls {@code live} with each row of the file that {@code filter} and {@code wanted} select and
   * that no position delete and no newer equality delete of {@code partition} removes; the row may
   * be reused by the reader, its row position at {@code positionIndex}. With {@code pageKey} the
   * rows come from the pages that can hold that key when the file has a page index. With {@code
   * keyDeletesTested} the caller knows that no equality delete on key columns only deletes the
   * rows {@code wanted} selects (a point read's key), and those deletes are not tested again.
   */
  private void forEachLiveRow(ReadLayout readWith, DataFile data, TableFileIndex.PartitionFiles partition,
      Expression filter, Object pageKey, boolean keyDeletesTested, Predicate<RowData> wanted, Consumer<RowData> live) {
    Candidate candidate = new Candidate(data, partition);
    List<DeleteFile> newerDeletes = newerEqualityDeletes(candidate);
    List<DeleteFile> rowDeletes = newerDeletes.stream()
        .filter(delete -> !DeleteIndex.deletesBy(delete, keyFieldIds)).toList();
    List<DeleteFile> keyDeletes = keyDeletesTested ? List.of() : newerDeletes.stream()
        .filter(delete -> DeleteIndex.deletesBy(delete, keyFieldIds)).toList();
    Schema schema = rowDeletes.isEmpty() ? readWith.schema() : withEqualityColumns(readWith.schema(), rowDeletes);
    Predicate<RowData> deletedByEquality = rowDeletes.isEmpty() ? row -> false : deletedByAny(rowDeletes, schema);
    Predicate<RowData> deletedByKey = keyDeletes.isEmpty() ? row -> false : deletedByAny(keyDeletes, schema);
    Predicate<RowData> isLive = row -> wanted.test(row) && !deletedByPosition(candidate, row.getLong(positionIndex))
        && !deletedByEquality.test(row) && !deletedByKey.test(row);
    if (pageKey != null && PageRowReader.decodes(schema)) {
      PageRowReader.Read read = PageRowReader.read(table.io().newInputFile(data.location(), data.fileSizeInBytes()),
          metadata(data), schema, pageKey);
      if (read != null) {
        bytesFetched.add(read.bytesFetched());
        read.rows().stream().filter(isLive).forEach(live);
        return;
      }
    }
    // Iceberg's reader built directly rather than through Parquet.read(), which copies the Hadoop
    // configuration for every read of a HadoopFileIO file (see ParquetInputFile.readOptions)
    try (CloseableIterable<RowData> rows = new ParquetReader<>(
        table.io().newInputFile(data.location(), data.fileSizeInBytes()), schema, ParquetInputFile.readOptions(),
        fileSchema -> FlinkParquetReaders.buildReader(schema, fileSchema), null, filter, false, true)) {
      for (RowData row : rows) {
        if (isLive.test(row)) {
          live.accept(row);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The read schema with the equality columns of the deletes appended after it, so row positions stay. */
  private Schema withEqualityColumns(Schema readSchema, List<DeleteFile> equalityDeletes) {
    List<Types.NestedField> fields = new ArrayList<>(readSchema.columns());
    for (DeleteFile delete : equalityDeletes) {
      for (int fieldId : delete.equalityFieldIds()) {
        if (fields.stream().noneMatch(field -> field.fieldId() == fieldId)) {
          fields.add(table.schema().findField(fieldId));
        }
      }
    }
    return new Schema(fields);
  }

  /**
   * Whether one of the equality-delete files deletes a row read with {@code schema}; the files'
   * tests are made at the first row (a file of the live index's build runs them on every row).
   */
  private Predicate<RowData> deletedByAny(List<DeleteFile> equalityDeletes, Schema schema) {
    RowDataWrapper asStruct = new RowDataWrapper(FlinkSchemaUtil.convert(schema), schema.asStruct());
    List<Predicate<StructLike>> tests = new ArrayList<>(equalityDeletes.size());
    return row -> {
      if (tests.isEmpty()) {
        equalityDeletes.forEach(delete -> tests.add(deletes.deletes(delete, schema)));
      }
      StructLike values = asStruct.wrap(row);
      for (Predicate<StructLike> deletesRow : tests) {
        if (deletesRow.test(values)) {
          return true;
        }
      }
      return false;
    };
  }

  private boolean deletedByPosition(Candidate candidate, long position) {
    for (DeleteFile delete : candidate.partition().positionDeletes()) {
      if (delete.dataSequenceNumber() >= candidate.data().dataSequenceNumber()
          && deletes.deletesPosition(delete, candidate.data().location(), position)) {
        return true;
      }
    }
    return false;
  }

  private boolean hasKey(RowData row, Object[] icebergValues) {
    for (int i = 0; i < identifierIndexesInRead.length; i++) {
      int index = identifierIndexesInRead[i];
      if (row.isNullAt(index)) {
        return false;
      }
      Object value = icebergValues[i];
      boolean equal;
      if (value instanceof Long longValue) {
        equal = row.getLong(index) == longValue;
      } else if (value instanceof Integer intValue) {
        equal = row.getInt(index) == intValue;
      } else if (value instanceof ByteBuffer bytes) {
        equal = ByteBuffer.wrap(row.getBinary(index)).equals(bytes);
      } else {
        equal = row.getString(index).toString().equals(value);
      }
      if (!equal) {
        return false;
      }
    }
    return true;
  }

  private boolean matchesExtraKeys(ReadLayout readWith, RowData row, RowData keyRow) {
    for (Map.Entry<RowData.FieldGetter, Integer> extraKey : extraKeys) {
      Object wanted = extraKey.getKey().getFieldOrNull(keyRow);
      // deepEquals: BYTES values are byte arrays
      if (wanted == null || !Objects.deepEquals(wanted, readWith.value(row, extraKey.getValue()))) {
        return false;
      }
    }
    return true;
  }

  private boolean fresh(RowData row) {
    if (eventTimeIndex < 0) {
      return true;
    }
    long eventMillis = row.getTimestamp(eventTimeIndex, 6).getMillisecond();
    return eventMillis >= System.currentTimeMillis() - binding.maxAge().toMillis();
  }

  /** The output columns of a row read with {@code readWith}, in the types the caller declared. */
  private RowData output(ReadLayout readWith, RowData row) {
    GenericRowData out = new GenericRowData(outputIndexesInRead.length);
    for (int i = 0; i < outputIndexesInRead.length; i++) {
      out.setField(i, readWith.value(row, outputIndexesInRead[i]));
    }
    return out;
  }

  /** Bytes of data pages fetched by page reads since the reader opened (not counting metadata), for benchmarks. */
  public long pageBytesFetched() {
    return bytesFetched.sum();
  }

  /**
   * In index mode, starts building the index of every bucket in the background, as a server that
   * answers any key wants; otherwise a bucket is built on its first lookup. Lookups of a bucket
   * not built yet are point reads.
   */
  public void indexAllBuckets() {
    if (liveIndex != null) {
      liveIndex.requestAll();
    }
  }

  /** What the live index holds, for metrics; null when the reader has no live index. */
  public LiveIndexStats indexStats() {
    return liveIndex == null ? null : liveIndex.stats();
  }

  /** The live index, null without one; tests of this package drive it directly. */
  LiveIndex liveIndex() {
    return liveIndex;
  }

  /** The snapshot lookups are answered at. */
  long snapshotId() {
    return index.snapshotId();
  }

  /** The number of data and delete files the reader currently knows, for metrics. */
  public int indexedFiles() {
    TableFileIndex files = index;
    return files.dataFileCount() + files.deleteFileCount();
  }

  /** The identity of the table read: a table dropped and created again under its name has another. */
  public UUID tableUuid() {
    return table.uuid();
  }

  @Override
  public void close() throws Exception {
    if (refresher != null) {
      refresher.shutdownNow();
    }
    if (liveIndex != null) {
      liveIndex.close();
    }
    if (catalog instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }
}
