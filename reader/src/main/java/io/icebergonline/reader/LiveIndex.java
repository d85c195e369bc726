package io.icebergonline.reader;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.icebergonline.core.EntityKeys;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataOperations;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotChanges;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.flink.RowDataWrapper;
import org.apache.iceberg.types.TypeUtil;
import org.apache.iceberg.util.SnapshotUtil;
import org.apache.iceberg.util.StructLikeWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live rows of a table's buckets in memory (DESIGN "Read path", index mode): per key its live
 * rows, newest first, each as a compact binary row with the data file and position it came from.
 * A bucket is built from its current files with deletes applied on first use, in the background,
 * and then follows the table snapshot by snapshot: a snapshot's equality deletes (data sequence
 * number N removes rows older than N), position deletes and data files are applied in Iceberg's
 * order, a compaction ({@code replace}) within one partition spec is skipped, and a snapshot that
 * cannot be applied that way (data or delete files removed, a compaction into another partition
 * spec, a schema change, history rewritten, deletes on columns the index does not keep) rebuilds
 * the bucket. A bucket keeps its rows in the {@link ReadLayout} it was built with (the table's
 * schema then), so a lookup decodes them as they were read; a rebuild after a schema change reads
 * with the new one. Each snapshot's changes are staged and then published key by
 * key, so a lookup sees a key either before or after a snapshot. A bucket that is rebuilt or given
 * up leaves the index whole: a rebuilt one is replaced by a new bucket object once built, and its
 * rows are never cleared under a lookup that still holds it. A bucket answers only while it is at
 * the snapshot the reader serves; otherwise, and for buckets over the memory budget, the reader
 * falls back to point reads. Lookups are lock-free; the refresh and builds hold this index's lock
 * while they change it.
 */
final class LiveIndex implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveIndex.class);
  /** Every bucket of a file whose partition does not name one (another spec): its rows are sorted by key. */
  private static final int ALL_BUCKETS = -1;
  /** Memory beyond the row's bytes: the array header, the entry, the hash map's node. */
  private static final int ENTRY_OVERHEAD_BYTES = 16 + 32 + 32;
  private static final int MAX_BUILDERS = 4;

  /**
   * Reads the rows of a data file that the given deletes leave live, with the layout's schema;
   * rows carry the row position after the read columns.
   */
  interface LiveRowSource {
    void forEachLiveRow(ReadLayout layout, DataFile data, TableFileIndex.PartitionFiles deletes, Consumer<RowData> rows);
  }

  /** The answer of the index for a key it serves: its newest live row in the layout's read columns, or null. */
  record Hit(RowData row, ReadLayout layout) {}

  /**
   * A partition's equality deletes split for a build: those by key as the newest delete's data
   * sequence number per key of the bucket (one hash lookup per row read, where testing each newer
   * delete file's row set took 59% of a build), and the others, which the row source applies.
   */
  private record KeyDeletes(TableFileIndex.PartitionFiles otherDeletes, NewestDeletes newestDeleteByKey) {}

  /** How a bucket keeps rows read with one layout: their codec, and the getters of the key in them. */
  private static final class Columns {
    final ReadLayout layout;
    final RowCodec codec;
    final RowDataWrapper wrapper;
    final RowData.FieldGetter[] identifierGetters;

    Columns(ReadLayout layout, int[] identifierIndexes) {
      this.layout = layout;
      RowType type = layout.columnsType();
      this.codec = new RowCodec(type);
      this.wrapper = new RowDataWrapper(type, layout.columns().asStruct());
      this.identifierGetters = Arrays.stream(identifierIndexes)
          .mapToObj(index -> RowData.createFieldGetter(type.getTypeAt(index), index)).toArray(RowData.FieldGetter[]::new);
    }
  }

  /** One live row of a key and where it lives; {@code next} is the key's next older live row. */
  private record Entry(DataFile file, long position, byte[] row, Entry next) {}

  /** A bucket's rows at a snapshot, read and kept with one layout. */
  private static final class Bucket {
    final int id;
    final Columns columns;
    final ConcurrentHashMap<Object, Entry> rows;
    /** Data files added by compactions since the build: a position delete on one needs a rebuild. */
    final Set<String> rewrittenFiles = new HashSet<>();
    volatile long snapshotId = -1;
    /** The memory the bucket holds against the index's budget, and its rows. */
    long bytes;
    long rowCount;
    /** While the bucket is built: the memory of its rows so far, and what the budget had left when the build began. */
    long buildBytes;
    long buildBudget;

    /** @param expectedKeys the keys the bucket is sized for at first (growing the map took 6% of a build) */
    Bucket(int id, Columns columns, int expectedKeys) {
      this.id = id;
      this.columns = columns;
      this.rows = new ConcurrentHashMap<>(expectedKeys);
    }
  }

  private static final class OverBudgetException extends RuntimeException {
    OverBudgetException() {
      super(null, null, false, false);
    }
  }

  private final TableBinding binding;
  private final int bucketCount;
  private final Set<Integer> readFieldIds;
  private final Set<Integer> keyFieldIds;
  private final int[] identifierFieldIds;
  /** Where the identifier columns are among the read columns. */
  private final int[] identifierIndexes;
  private final Integer derivedKeyFieldId;
  private final Integer filterKeyFieldId;
  private final int positionIndex;
  private final DeleteIndex deletes;
  private final LiveRowSource source;
  private final long maxBytes;
  private final Runnable refreshTable;

  private final Map<Integer, Bucket> ready = new ConcurrentHashMap<>();
  /** Buckets built, being built, over the budget or failed: not requested again. */
  private final Set<Integer> requested = ConcurrentHashMap.newKeySet();
  private final Set<Integer> overBudget = ConcurrentHashMap.newKeySet();
  private final AtomicLong usedBytes = new AtomicLong();
  private final AtomicBoolean overBudgetLogged = new AtomicBoolean();
  private final Map<Integer, Boolean> bucketSpecs = new ConcurrentHashMap<>();
  private final Cache<Long, SnapshotChanges> changes = Caffeine.newBuilder().maximumSize(64).build();
  private final ExecutorService builder;
  private final Map<Integer, Columns> columnsBySchema = new ConcurrentHashMap<>();

  private volatile Table table;
  private volatile ReadLayout layout;
  private volatile TableFileIndex files = TableFileIndex.EMPTY;
  private volatile long lastBuildMillis;
  private volatile long lastApplyMillis;
  private final AtomicLong builds = new AtomicLong();

  /**
   * @param layout the columns a lookup reads, in the table's schema when the reader opened
   * @param refreshTable moves the reader to the table's newest snapshot (for a retry after a file vanished)
   * @throws IllegalArgumentException when the index cannot keep a read column's type
   */
  LiveIndex(TableBinding binding, ReadLayout layout, Set<Integer> keyFieldIds, DeleteIndex deletes,
      LiveRowSource source, long maxBytes, Runnable refreshTable) {
    this.binding = binding;
    this.bucketCount = binding.buckets() == null ? 1 : binding.buckets();
    Schema readColumns = layout.columns();
    this.positionIndex = readColumns.columns().size();
    this.readFieldIds = TypeUtil.getProjectedIds(readColumns);
    this.keyFieldIds = keyFieldIds;
    List<String> names = readColumns.columns().stream().map(field -> field.name()).toList();
    this.identifierFieldIds = binding.identifierColumns().stream().mapToInt(column -> readColumns.findField(column).fieldId()).toArray();
    this.identifierIndexes = binding.identifierColumns().stream().mapToInt(names::indexOf).toArray();
    this.derivedKeyFieldId = binding.derivedKeyColumn() == null ? null : readColumns.findField(binding.derivedKeyColumn()).fieldId();
    this.filterKeyFieldId = binding.filterKeyColumn() == null ? null : readColumns.findField(binding.filterKeyColumn()).fieldId();
    this.deletes = deletes;
    this.source = source;
    this.maxBytes = maxBytes;
    this.refreshTable = refreshTable;
    this.layout = layout;
    columns(layout); // fails here, not in a build, when the index cannot keep a read column's type
    // buckets build in parallel, one per core at most: a build is CPU-bound (decoding, deletes, encoding)
    AtomicInteger builders = new AtomicInteger();
    this.builder = Executors.newFixedThreadPool(Math.min(MAX_BUILDERS, Runtime.getRuntime().availableProcessors()), runnable -> {
      Thread thread = new Thread(runnable, "iceberg-online-index-" + binding.tableName() + "-" + builders.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  /** The bucket of a lookup key as {@link OnlineTableReader} computes it (see {@link #key}). */
  int bucketOf(Object key) {
    return bucketCount == 1 ? 0 : EntityKeys.bucket(key, bucketCount);
  }

  /**
   * The key's newest live row when its bucket is indexed at {@code snapshotId}; null when the
   * index does not serve the bucket (then it starts building it, unless it did already).
   *
   * @param key the single identifier value (Long, Integer, String or ByteBuffer) or the canonical composite key
   */
  Hit lookup(Object key, int bucket, long snapshotId) {
    Bucket rows = ready.get(bucket);
    if (rows == null) {
      if (requested.add(bucket)) {
        builder.execute(() -> build(bucket));
      }
      return null;
    }
    if (rows.snapshotId != snapshotId) {
      return null;
    }
    Entry newest = rows.rows.get(key);
    return new Hit(newest == null ? null : rows.columns.codec.decode(newest.row()), rows.columns.layout);
  }

  /** Starts building every bucket not built or asked for yet (for a reader that serves every key). */
  void requestAll() {
    for (int bucket = 0; bucket < bucketCount; bucket++) {
      int requestedBucket = bucket;
      if (requested.add(requestedBucket)) {
        builder.execute(() -> build(requestedBucket));
      }
    }
  }

  /**
   * Brings every ready bucket to the reader's new snapshot; called by the reader's refresh. Buckets
   * built from now on read with {@code currentLayout}.
   */
  synchronized void advance(Table current, TableFileIndex currentFiles, ReadLayout currentLayout) {
    table = current;
    files = currentFiles;
    layout = currentLayout;
    long started = System.nanoTime();
    boolean applied = false;
    for (Bucket bucket : List.copyOf(ready.values())) {
      if (bucket.snapshotId != currentFiles.snapshotId()) {
        catchUp(bucket);
        applied = true;
      }
    }
    if (applied) {
      lastApplyMillis = (System.nanoTime() - started) / 1_000_000;
    }
  }

  LiveIndexStats stats() {
    long rows = 0;
    long snapshotId = files.snapshotId();
    long oldest = Long.MAX_VALUE;
    for (Bucket bucket : ready.values()) {
      rows += bucket.rowCount;
      oldest = Math.min(oldest, snapshotTime(bucket.snapshotId));
    }
    long newest = snapshotTime(snapshotId);
    long lag = oldest == Long.MAX_VALUE || newest < 0 || oldest < 0 ? 0 : Math.max(0, newest - oldest);
    return new LiveIndexStats(ready.size(), overBudget.size(), rows, usedBytes.get(), builds.get(), lastBuildMillis,
        lastApplyMillis, snapshotId, lag);
  }

  private long snapshotTime(long snapshotId) {
    Table current = table;
    Snapshot snapshot = current == null || snapshotId < 0 ? null : current.snapshot(snapshotId);
    return snapshot == null ? -1 : snapshot.timestampMillis();
  }

  private void build(int bucketId) {
    TableFileIndex at;
    ReadLayout readWith;
    synchronized (this) {
      at = files;
      readWith = layout;
    }
    long started = System.nanoTime();
    List<Map.Entry<TableFileIndex.PartitionFiles, DataFile>> candidates = new ArrayList<>();
    long rowsRead = 0;
    for (var partition : at.partitions().entrySet()) {
      int unit = bucketOf(isBucketSpec(partition.getKey().specId()), partition.getKey().value().get());
      if (unit == bucketId || unit == ALL_BUCKETS) {
        for (DataFile data : partition.getValue().dataNewestFirst()) {
          candidates.add(Map.entry(partition.getValue(), data));
          rowsRead += unit == ALL_BUCKETS ? data.recordCount() / bucketCount : data.recordCount();
        }
      }
    }
    candidates.sort(Comparator.comparingLong(candidate -> candidate.getValue().dataSequenceNumber()));
    // at most as many keys as rows read, fewer by the rows updated since: the map is not resized
    Bucket bucket = new Bucket(bucketId, columns(readWith), (int) Math.min(rowsRead, 1 << 24));
    try {
      // the bucket is not visible to lookups yet: its rows go straight into its map
      bucket.buildBudget = maxBytes - usedBytes.get();
      Map<TableFileIndex.PartitionFiles, KeyDeletes> keyDeletes = new IdentityHashMap<>();
      for (Map.Entry<TableFileIndex.PartitionFiles, DataFile> candidate : candidates) {
        KeyDeletes partition = keyDeletes.computeIfAbsent(candidate.getKey(), files -> keyDeletes(bucket, files));
        addRows(bucket, bucket.rows, candidate.getValue(), partition.otherDeletes(), partition.newestDeleteByKey());
      }
      accountBuilt(bucket);
      bucket.snapshotId = at.snapshotId();
    } catch (OverBudgetException e) {
      giveUpOverBudget(bucket);
      return;
    } catch (RuntimeException e) {
      release(bucket);
      retryBuild(bucketId, at, e);
      return;
    }
    lastBuildMillis = (System.nanoTime() - started) / 1_000_000;
    builds.incrementAndGet();
    LOG.info("Indexed bucket {} of {}: {} rows, {} bytes, in {} ms", bucketId, binding.tableName(), bucket.rowCount,
        bucket.bytes, lastBuildMillis);
    synchronized (this) {
      if (bucket.snapshotId == files.snapshotId() || catchUpBuilt(bucket)) {
        ready.put(bucketId, bucket);
      }
    }
  }

  /** A build failed (a file went away with a compaction and expiry, say): build again on the newest snapshot. */
  private void retryBuild(int bucketId, TableFileIndex at, RuntimeException e) {
    try {
      refreshTable.run();
    } catch (RuntimeException refreshFailed) {
      e.addSuppressed(refreshFailed);
    }
    boolean moved;
    synchronized (this) {
      moved = files.snapshotId() != at.snapshotId();
    }
    if (moved) {
      LOG.info("Building bucket {} of {} failed on snapshot {} ({}); building it again on the newest snapshot",
          bucketId, binding.tableName(), at.snapshotId(), e.toString());
      builder.execute(() -> build(bucketId));
    } else {
      LOG.warn("Cannot index bucket {} of {}; point reads serve it: {}", bucketId, binding.tableName(), e.toString(), e);
    }
  }

  /** Moves a bucket just built to the current snapshot; false when it was handed back to the builder. */
  private boolean catchUpBuilt(Bucket bucket) {
    catchUp(bucket);
    return bucket.snapshotId == files.snapshotId();
  }

  private void catchUp(Bucket bucket) {
    String notApplied;
    try {
      notApplied = applyIncrementally(bucket);
    } catch (OverBudgetException e) {
      ready.remove(bucket.id);
      giveUpOverBudget(bucket);
      return;
    } catch (RuntimeException e) {
      notApplied = "applying it failed: " + e;
    }
    if (notApplied != null) {
      LOG.info("Rebuilding bucket {} of {} at snapshot {}: {}", bucket.id, binding.tableName(), files.snapshotId(),
          notApplied);
      ready.remove(bucket.id);
      release(bucket);
      builder.execute(() -> build(bucket.id));
    }
  }

  /**
   * Applies the snapshots from the bucket's to the current one; returns null, or why a snapshot
   * cannot be applied incrementally.
   */
  private String applyIncrementally(Bucket bucket) {
    long target = files.snapshotId();
    if (bucket.snapshotId < 0 || target < 0 || !SnapshotUtil.isAncestorOf(table, target, bucket.snapshotId)) {
      return "the bucket's snapshot " + bucket.snapshotId + " is not an ancestor of the table's";
    }
    List<Snapshot> added = new ArrayList<>();
    SnapshotUtil.ancestorsBetween(table, target, bucket.snapshotId).forEach(added::add);
    for (int i = added.size() - 1; i >= 0; i--) { // oldest first
      Snapshot snapshot = added.get(i);
      String notApplied = apply(bucket, snapshot);
      if (notApplied != null) {
        return "snapshot " + snapshot.snapshotId() + " (" + snapshot.operation() + "): " + notApplied;
      }
      bucket.snapshotId = snapshot.snapshotId();
    }
    return null;
  }

  /** Applies one snapshot's changes to the bucket; returns null, or why it cannot. */
  private String apply(Bucket bucket, Snapshot snapshot) {
    if (snapshot.schemaId() != null && snapshot.schemaId() != bucket.columns.layout.schemaId()) {
      return "the schema changed";
    }
    SnapshotChanges change = changes.get(snapshot.snapshotId(), id -> SnapshotChanges.builderFor(table).snapshot(snapshot).build());
    if (DataOperations.REPLACE.equals(snapshot.operation())) {
      // a compaction rewrites live rows as they are: the index keeps them where they were read, as
      // long as they stay in their partition, which they do within one spec. Rewritten into another
      // spec (after partition evolution), later partitioned equality deletes match them by the new
      // files' spec and partition, which the index does not know row by row.
      Set<Integer> specs = new HashSet<>();
      change.removedDataFiles().forEach(file -> {
        if (covers(bucket, file)) {
          specs.add(file.specId());
        }
      });
      change.addedDataFiles().forEach(file -> {
        if (covers(bucket, file)) {
          specs.add(file.specId());
          bucket.rewrittenFiles.add(file.location());
        }
      });
      return specs.size() > 1 ? "it rewrites rows between partition specs " + specs : null;
    }
    for (DataFile removed : change.removedDataFiles()) {
      if (covers(bucket, removed)) {
        return "it removes data file " + removed.location();
      }
    }
    for (DeleteFile removed : change.removedDeleteFiles()) {
      if (covers(bucket, removed) && !dangling(removed)) {
        return "it removes delete file " + removed.location();
      }
    }
    List<DataFile> addedData = new ArrayList<>();
    change.addedDataFiles().forEach(file -> {
      if (covers(bucket, file)) {
        addedData.add(file);
      }
    });
    List<DeleteFile> equalityDeletes = new ArrayList<>();
    List<DeleteFile> positionDeletes = new ArrayList<>();
    for (DeleteFile delete : change.addedDeleteFiles()) {
      if (covers(bucket, delete)) {
        if (delete.content() == FileContent.EQUALITY_DELETES) {
          if (!readFieldIds.containsAll(delete.equalityFieldIds()) || !namesKey(delete.equalityFieldIds())) {
            return "equality delete " + delete.location() + " deletes by columns " + delete.equalityFieldIds()
                + " the index cannot apply by key";
          }
          equalityDeletes.add(delete);
        } else {
          positionDeletes.add(delete);
        }
      }
    }
    Set<String> addedLocations = new HashSet<>();
    addedData.forEach(file -> addedLocations.add(file.location()));
    Map<String, long[]> positionsInOlderFiles = new HashMap<>();
    for (DeleteFile delete : positionDeletes) {
      for (Map.Entry<String, long[]> deleted : deletes.positions(delete).entrySet()) {
        if (bucket.rewrittenFiles.contains(deleted.getKey())) {
          return "a position delete names rows of " + deleted.getKey() + ", written by a compaction after the build";
        }
        if (!addedLocations.contains(deleted.getKey())) {
          positionsInOlderFiles.merge(deleted.getKey(), deleted.getValue(), LiveIndex::union);
        }
      }
    }

    Map<Object, Entry> staged = new HashMap<>();
    for (DeleteFile delete : equalityDeletes) {
      applyEqualityDelete(bucket, staged, delete);
    }
    if (!positionsInOlderFiles.isEmpty()) {
      bucket.rows.forEach((key, head) -> {
        Entry current = staged.containsKey(key) ? staged.get(key) : head;
        Entry kept = without(current, entry -> {
          long[] positions = positionsInOlderFiles.get(entry.file().location());
          return positions != null && Arrays.binarySearch(positions, entry.position()) >= 0;
        });
        if (kept != current) {
          staged.put(key, kept);
        }
      });
    }
    addedData.sort(Comparator.comparingLong(DataFile::dataSequenceNumber));
    for (DataFile data : addedData) {
      // the position deletes of the same commit apply to its data files (data sequence number <= theirs);
      // its equality deletes do not (they apply to older data only)
      List<DeleteFile> samePartition = positionDeletes.stream()
          .filter(delete -> delete.specId() == data.specId() && samePartition(delete, data)).toList();
      addRows(bucket, staged, data, new TableFileIndex.PartitionFiles(List.of(data), List.of(), samePartition),
          new NewestDeletes());
    }
    publish(bucket, staged);
    return null;
  }

  /**
   * True when a delete file applies to no data file of the table any more (Iceberg drops such
   * files when data files go): removing it brings no row back. An equality delete applies to
   * older data of its partition (of every partition when unpartitioned), a position delete to the
   * files it names.
   */
  private boolean dangling(DeleteFile delete) {
    if (delete.content() == FileContent.POSITION_DELETES) {
      return deletes.positions(delete).keySet().stream().noneMatch(files::hasDataFile);
    }
    boolean global = table.specs().get(delete.specId()).isUnpartitioned();
    return files.partitions().entrySet().stream()
        .filter(partition -> global || partition.getKey().specId() == delete.specId()
            && partition.getKey().value().equals(StructLikeWrapper.forType(table.specs().get(delete.specId())
                .partitionType()).set(delete.partition())))
        .flatMap(partition -> partition.getValue().dataNewestFirst().stream())
        .noneMatch(data -> data.dataSequenceNumber() < delete.dataSequenceNumber());
  }

  /** Removes the rows the equality delete deletes from the keys it names, as Iceberg does: rows older than the delete. */
  private void applyEqualityDelete(Bucket bucket, Map<Object, Entry> staged, DeleteFile delete) {
    DeleteIndex.EqualityRows deleted = deletes.equalityRows(delete);
    boolean byKeyOnly = DeleteIndex.deletesBy(delete, keyFieldIds);
    PartitionSpec spec = table.specs().get(delete.specId());
    Columns columns = bucket.columns;
    Function<StructLike, Object> keyOf = deleteRowKey(deleted.columns());
    for (StructLike row : deleted.rows()) {
      Object key = keyOf.apply(row);
      if (bucketOf(key) != bucket.id) {
        continue;
      }
      Entry current = current(bucket, staged, key);
      if (current == null) {
        continue;
      }
      Entry kept = without(current, entry -> entry.file().dataSequenceNumber() < delete.dataSequenceNumber()
          && (spec.isUnpartitioned() || entry.file().specId() == delete.specId() && samePartition(delete, entry.file()))
          && (byKeyOnly || deletes.deletesRow(delete, columns.layout.columns(),
              columns.wrapper.wrap(columns.codec.decode(entry.row())))));
      if (kept != current) {
        staged.put(key, kept);
      }
    }
  }

  private KeyDeletes keyDeletes(Bucket bucket, TableFileIndex.PartitionFiles partition) {
    List<DeleteFile> others = new ArrayList<>();
    NewestDeletes newest = new NewestDeletes();
    for (DeleteFile delete : partition.equalityDeletes()) {
      if (!DeleteIndex.deletesBy(delete, keyFieldIds) || !namesKey(delete.equalityFieldIds())) {
        others.add(delete);
        continue;
      }
      DeleteIndex.EqualityRows deleted = deletes.equalityRows(delete);
      Function<StructLike, Object> keyOf = deleteRowKey(deleted.columns());
      long sequence = delete.dataSequenceNumber();
      for (StructLike row : deleted.rows()) {
        Object key = keyOf.apply(row);
        if (bucketOf(key) == bucket.id) {
          newest.add(key, sequence);
        }
      }
    }
    TableFileIndex.PartitionFiles rest = others.size() == partition.equalityDeletes().size() ? partition
        : new TableFileIndex.PartitionFiles(partition.dataNewestFirst(), others, partition.positionDeletes());
    return new KeyDeletes(rest, newest);
  }

  /**
   * Adds a data file's live rows of the bucket in front of their keys' older rows; a row whose key
   * {@code newestKeyDelete} deletes at a data sequence number above the file's is not live.
   */
  private void addRows(Bucket bucket, Map<Object, Entry> staged, DataFile data, TableFileIndex.PartitionFiles partition,
      NewestDeletes newestKeyDelete) {
    boolean filterRows = bucketOf(isBucketSpec(data.specId()), data.partition()) == ALL_BUCKETS;
    long sequence = data.dataSequenceNumber();
    Columns columns = bucket.columns;
    RowCodec.Encoder encoder = columns.codec.encoder();
    source.forEachLiveRow(columns.layout, data, partition, row -> {
      Object key = key(columns, row);
      if (filterRows && bucketOf(key) != bucket.id) {
        return;
      }
      if (newestKeyDelete.sequence(key) > sequence) {
        return;
      }
      byte[] encoded = encoder.encode(row);
      long position = row.getLong(positionIndex);
      if (staged != bucket.rows) {
        staged.put(key, new Entry(data, position, encoded, current(bucket, staged, key)));
        return;
      }
      // a build, not visible to lookups yet: one walk of the map per row
      Entry added = bucket.rows.compute(key, (same, older) -> new Entry(data, position, encoded, older));
      // a build stops at the first row the budget cannot hold, not after reading the whole bucket
      bucket.buildBytes += encoded.length + ENTRY_OVERHEAD_BYTES + (added.next() == null ? keyWeight(key) : 0);
      bucket.rowCount++;
      if (bucket.buildBytes > bucket.buildBudget) {
        throw new OverBudgetException();
      }
    });
  }

  /** The key's chain as {@code staged} has it, or as the bucket has it when the key is not staged. */
  private static Entry current(Bucket bucket, Map<Object, Entry> staged, Object key) {
    Entry entry = staged.get(key);
    if (entry != null || staged.containsKey(key)) {
      return entry;
    }
    return bucket.rows.get(key);
  }

  /** Takes the memory of a bucket just built from the budget; over the budget (other buckets built meanwhile), gives it up. */
  private void accountBuilt(Bucket bucket) {
    if (usedBytes.addAndGet(bucket.buildBytes) > maxBytes) {
      usedBytes.addAndGet(-bucket.buildBytes);
      throw new OverBudgetException();
    }
    bucket.bytes = bucket.buildBytes;
  }

  /** Publishes staged chains key by key and accounts their memory; over the budget, gives the bucket up. */
  private void publish(Bucket bucket, Map<Object, Entry> staged) {
    long bytes = 0;
    long rowCount = 0;
    for (Map.Entry<Object, Entry> change : staged.entrySet()) {
      Entry before = bucket.rows.get(change.getKey());
      Entry after = change.getValue();
      bytes += weight(after) - weight(before);
      rowCount += length(after) - length(before);
      if (before == null && after != null) {
        bytes += keyWeight(change.getKey());
      } else if (before != null && after == null) {
        bytes -= keyWeight(change.getKey());
      }
    }
    if (usedBytes.addAndGet(bytes) > maxBytes) {
      usedBytes.addAndGet(-bytes);
      throw new OverBudgetException();
    }
    for (Map.Entry<Object, Entry> change : staged.entrySet()) {
      if (change.getValue() == null) {
        bucket.rows.remove(change.getKey());
      } else {
        bucket.rows.put(change.getKey(), change.getValue());
      }
    }
    bucket.bytes += bytes;
    bucket.rowCount += rowCount;
  }

  private void giveUpOverBudget(Bucket bucket) {
    release(bucket);
    overBudget.add(bucket.id);
    if (overBudgetLogged.compareAndSet(false, true)) {
      LOG.warn("The live index of {} does not fit its memory budget of {} bytes; buckets that do not fit are served "
          + "by point reads (metric bucketsOverBudget)", binding.tableName(), maxBytes);
    }
  }

  /**
   * Gives a bucket's memory back to the budget once it left {@link #ready} (or never got there).
   * Its rows are left as they are, not cleared: a lookup that took the bucket before it left still
   * reads them at the bucket's snapshot, so it sees the old contents, never an empty map.
   */
  private void release(Bucket bucket) {
    usedBytes.addAndGet(-bucket.bytes);
    bucket.bytes = 0;
    bucket.rowCount = 0;
  }

  /** The columns of the layout; the same object for every bucket read with it. */
  private Columns columns(ReadLayout readWith) {
    return columnsBySchema.computeIfAbsent(readWith.schemaId(), id -> new Columns(readWith, identifierIndexes));
  }

  /** The lookup key of a row read from the table, as {@link OnlineTableReader#lookup} computes it from a key row. */
  private static Object key(Columns columns, RowData row) {
    if (columns.identifierGetters.length == 1) {
      return keyValue(columns.identifierGetters[0].getFieldOrNull(row));
    }
    List<Object> values = new ArrayList<>(columns.identifierGetters.length);
    for (RowData.FieldGetter getter : columns.identifierGetters) {
      Object value = getter.getFieldOrNull(row);
      values.add(value instanceof StringData text ? text.toString() : value);
    }
    return EntityKeys.compositeKey(values);
  }

  private static Object keyValue(Object value) {
    if (value instanceof StringData || value instanceof CharSequence) {
      return value.toString();
    }
    return value instanceof byte[] bytes ? ByteBuffer.wrap(bytes) : value;
  }

  /** True when an equality delete's columns name the key: all identifier columns, or the derived key column. */
  private boolean namesKey(List<Integer> equalityFieldIds) {
    if (derivedKeyFieldId != null && equalityFieldIds.contains(derivedKeyFieldId)) {
      return true;
    }
    for (int id : identifierFieldIds) {
      if (!equalityFieldIds.contains(id)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The lookup key of a row of an equality-delete file with these columns (which name the key), as
   * {@link #key} computes it from a data row.
   */
  private Function<StructLike, Object> deleteRowKey(Schema columns) {
    List<Integer> ids = columns.columns().stream().map(field -> field.fieldId()).toList();
    if (derivedKeyFieldId != null && ids.contains(derivedKeyFieldId)) {
      int derived = ids.indexOf(derivedKeyFieldId);
      return row -> row.get(derived, Object.class).toString();
    }
    int[] positions = Arrays.stream(identifierFieldIds).map(ids::indexOf).toArray();
    if (positions.length == 1) {
      return row -> keyValue(row.get(positions[0], Object.class));
    }
    return row -> {
      List<Object> values = new ArrayList<>(positions.length);
      for (int position : positions) {
        Object value = row.get(position, Object.class);
        values.add(value instanceof CharSequence text ? text.toString() : value);
      }
      return EntityKeys.compositeKey(values);
    };
  }

  /** True when the file may hold rows of the bucket. */
  private boolean covers(Bucket bucket, ContentFile<?> file) {
    int unit = bucketOf(isBucketSpec(file.specId()), file.partition());
    return unit == bucket.id || unit == ALL_BUCKETS;
  }

  /** The bucket a partition holds, or {@link #ALL_BUCKETS} when its spec is not the key's {@code bucket[N]}. */
  private int bucketOf(boolean bucketSpec, StructLike partition) {
    if (bucketCount == 1) {
      return 0;
    }
    return bucketSpec ? partition.get(0, Integer.class) : ALL_BUCKETS;
  }

  /** Whether the spec partitions by the key's {@code bucket[N]} alone, so a partition is a bucket. */
  private boolean isBucketSpec(int specId) {
    return bucketSpecs.computeIfAbsent(specId, id -> {
      PartitionSpec spec = table.specs().get(id);
      if (binding.buckets() == null || spec.fields().size() != 1) {
        return false;
      }
      PartitionField field = spec.fields().get(0);
      return field.transform().toString().equals("bucket[" + binding.buckets() + "]")
          && filterKeyFieldId != null && field.sourceId() == filterKeyFieldId;
    });
  }

  private boolean samePartition(ContentFile<?> a, ContentFile<?> b) {
    if (a.specId() != b.specId()) {
      return false;
    }
    StructLikeWrapper wrapper = StructLikeWrapper.forType(table.specs().get(a.specId()).partitionType());
    return wrapper.set(a.partition()).equals(StructLikeWrapper.forType(table.specs().get(b.specId()).partitionType())
        .set(b.partition()));
  }

  /** The chain without the entries {@code deleted} matches; the same chain when it matches none. */
  private static Entry without(Entry head, Predicate<Entry> deleted) {
    if (head == null) {
      return null;
    }
    Entry rest = without(head.next(), deleted);
    if (deleted.test(head)) {
      return rest;
    }
    return rest == head.next() ? head : new Entry(head.file(), head.position(), head.row(), rest);
  }

  private static long[] union(long[] a, long[] b) {
    return LongStream.concat(Arrays.stream(a), Arrays.stream(b)).sorted().toArray();
  }

  private static long weight(Entry chain) {
    long bytes = 0;
    for (Entry entry = chain; entry != null; entry = entry.next()) {
      bytes += entry.row().length + ENTRY_OVERHEAD_BYTES;
    }
    return bytes;
  }

  private static long length(Entry chain) {
    long rows = 0;
    for (Entry entry = chain; entry != null; entry = entry.next()) {
      rows++;
    }
    return rows;
  }

  private static long keyWeight(Object key) {
    if (key instanceof String text) {
      return 40 + text.length();
    }
    return key instanceof ByteBuffer bytes ? 64 + bytes.remaining() : 16;
  }

  @Override
  public void close() {
    builder.shutdownNow();
  }
}
