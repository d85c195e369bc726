package io.icebergonline.job.pipeline;

import java.util.Arrays;
import java.util.Comparator;
import java.util.function.Consumer;
import org.apache.flink.core.memory.MemorySegment;
import org.apache.flink.core.memory.MemorySegmentFactory;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryRowData;
import org.apache.flink.table.data.binary.BinarySegmentUtils;
import org.apache.flink.table.runtime.typeutils.RowDataSerializer;
import org.apache.flink.table.types.logical.RowType;

/**
 * The newest {@link VersionedRow} per entity key, with the counts of the older events it stands
 * for, kept as Flink binary rows in one growing byte array and found through an open-addressing
 * index of int arrays. A buffer of objects per key (a hash map of parsed rows, ~20 objects per key)
 * lives from one checkpoint to the next, so the garbage collector copied it from young to old
 * generation on every collection: in the materialization bench that copying was 20% of the run
 * (G1 log: ~150 MB copied per young pause, pauses of 0.5–1 s). Here a key costs a few array slots
 * and its row's bytes, and the arrays are reused from one checkpoint to the next.
 *
 * <p>An event older than the buffered row of its key is only counted; a newer one replaces the
 * row's bytes, in place when they fit. {@link #drain} hands out each winner once as a binary row
 * (valid until the next call on this buffer) and empties the buffer.
 */
final class NewestRowBuffer {
  /** The bytes past which a buffer counts as full, whatever its number of rows. */
  static final int MAX_BYTES = 256 << 20;
  private static final int INITIAL_BYTES = 1 << 16;
  private static final int INITIAL_ENTRIES = 1 << 10;

  private final RowDataSerializer serializer;
  private final int arity;
  /** Points at one entry's bytes to read or change them. */
  private final BinaryRowData entryView;

  private byte[] bytes = new byte[INITIAL_BYTES];
  private MemorySegment segment = MemorySegmentFactory.wrap(bytes);
  private int bytesUsed;

  private int[] entryOffsets = new int[INITIAL_ENTRIES];
  private int[] entryLengths = new int[INITIAL_ENTRIES];
  /** Bytes reserved for the entry at its offset: a later row of the key that fits is written there. */
  private int[] entryCapacities = new int[INITIAL_ENTRIES];
  private int[] entryHashes = new int[INITIAL_ENTRIES];
  private int entries;

  /** Open addressing: entry index + 1, 0 for a free slot; twice as many slots as entries at most. */
  private int[] slots = new int[INITIAL_ENTRIES * 2];

  NewestRowBuffer(RowType versionedRowType) {
    this.serializer = new RowDataSerializer(versionedRowType);
    this.arity = versionedRowType.getFieldCount();
    this.entryView = new BinaryRowData(arity);
  }

  int size() {
    return entries;
  }

  /** Bytes the buffered rows take, including room left by rows replaced with shorter ones. */
  int bytes() {
    return bytesUsed;
  }

  /** Whether it holds {@code maxRows} rows or {@link #MAX_BYTES}: time to drain it. */
  boolean isFull(int maxRows) {
    return entries >= maxRows || bytesUsed >= MAX_BYTES;
  }

  /**
   * Keeps {@code versioned} if it is newer than, or tied with, the buffered row of its key; counts it
   * as stale otherwise. A buffered row's {@link VersionedRow#SUPERSEDED} and {@link
   * VersionedRow#STALE} count the events this buffer saw; counts {@code versioned} carries are not
   * added to them.
   */
  void add(RowData versioned) {
    StringData key = versioned.getString(VersionedRow.KEY);
    int hash = key.hashCode();
    int mask = slots.length - 1;
    int slot = mix(hash) & mask;
    while (slots[slot] != 0) {
      int entry = slots[slot] - 1;
      if (entryHashes[entry] == hash && pointAt(entry).getString(VersionedRow.KEY).equals(key)) {
        replaceOrCount(entry, versioned);
        return;
      }
      slot = (slot + 1) & mask;
    }
    int entry = append(versioned, hash);
    slots[slot] = entry + 1;
    if (entries * 2 > slots.length) {
      rehash(slots.length * 2);
    }
  }

  /** Hands every buffered row to {@code emit}, the newest per key with its counts, and empties the buffer. */
  void drain(Consumer<RowData> emit) {
    for (int entry = 0; entry < entries; entry++) {
      emit.accept(pointAt(entry));
    }
    clear();
  }

  /**
   * As {@link #drain}, in the order of the entity keys: numerically for keys of one integer column
   * ({@code numericKeys}), else by their string.
   */
  void drainSortedByKey(boolean numericKeys, Consumer<RowData> emit) {
    Integer[] order = new Integer[entries];
    Arrays.setAll(order, entry -> entry);
    if (numericKeys) {
      long[] keys = new long[entries];
      Arrays.setAll(keys, entry -> Long.parseLong(VersionedRow.key(pointAt(entry))));
      Arrays.sort(order, Comparator.comparingLong(entry -> keys[entry]));
    } else {
      String[] keys = new String[entries];
      Arrays.setAll(keys, entry -> VersionedRow.key(pointAt(entry)));
      Arrays.sort(order, Comparator.comparing(entry -> keys[entry]));
    }
    for (int entry : order) {
      emit.accept(pointAt(entry));
    }
    clear();
  }

  private void replaceOrCount(int entry, RowData versioned) {
    BinaryRowData buffered = pointAt(entry);
    int superseded = buffered.getInt(VersionedRow.SUPERSEDED);
    int stale = buffered.getInt(VersionedRow.STALE);
    if (VersionedRow.isOlder(versioned, buffered)) {
      buffered.setInt(VersionedRow.STALE, stale + 1);
    } else {
      store(entry, versioned, superseded + 1, stale);
    }
  }

  private int append(RowData versioned, int hash) {
    if (entries == entryOffsets.length) {
      int grown = entries * 2;
      entryOffsets = Arrays.copyOf(entryOffsets, grown);
      entryLengths = Arrays.copyOf(entryLengths, grown);
      entryCapacities = Arrays.copyOf(entryCapacities, grown);
      entryHashes = Arrays.copyOf(entryHashes, grown);
    }
    int entry = entries++;
    entryCapacities[entry] = 0;
    entryHashes[entry] = hash;
    store(entry, versioned, 0, 0);
    return entry;
  }

  /** Writes {@code versioned} as the entry's row with these counts: over its old row when it fits, else at the end. */
  private void store(int entry, RowData versioned, int superseded, int stale) {
    BinaryRowData row = serializer.toBinaryRow(versioned);
    int length = row.getSizeInBytes();
    if (length > entryCapacities[entry]) {
      entryOffsets[entry] = reserve(length);
      entryCapacities[entry] = length;
    }
    BinarySegmentUtils.copyToBytes(row.getSegments(), row.getOffset(), bytes, entryOffsets[entry], length);
    entryLengths[entry] = length;
    BinaryRowData stored = pointAt(entry);
    stored.setInt(VersionedRow.SUPERSEDED, superseded);
    stored.setInt(VersionedRow.STALE, stale);
  }

  /** Room for {@code length} bytes at the end; the offset of the room. */
  private int reserve(int length) {
    if (bytesUsed + length > bytes.length) {
      long wanted = Math.max((long) bytes.length * 2, (long) bytesUsed + length);
      if (wanted > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("The collapse buffer outgrew 2 GiB; lower max buffered rows");
      }
      bytes = Arrays.copyOf(bytes, (int) wanted);
      segment = MemorySegmentFactory.wrap(bytes);
    }
    int offset = bytesUsed;
    bytesUsed += length;
    return offset;
  }

  private BinaryRowData pointAt(int entry) {
    entryView.pointTo(segment, entryOffsets[entry], entryLengths[entry]);
    return entryView;
  }

  private void rehash(int slotCount) {
    slots = new int[slotCount];
    int mask = slotCount - 1;
    for (int entry = 0; entry < entries; entry++) {
      int slot = mix(entryHashes[entry]) & mask;
      while (slots[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      slots[slot] = entry + 1;
    }
  }

  private void clear() {
    Arrays.fill(slots, 0);
    entries = 0;
    bytesUsed = 0;
  }

  /** Spreads the key's hash over the slot bits (murmur3's finalizer). */
  private static int mix(int hash) {
    int h = hash;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
