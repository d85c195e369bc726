package io.icebergonline.reader;

import java.util.HashMap;
import java.util.Map;

/**
 * The data sequence number of the newest equality delete of each key, for the live index's build,
 * which asks it once per row read. Keys that are all {@code long} (the usual entity) live in an
 * open-addressing table of primitive arrays: a {@code HashMap<Object, Long>} spent 17% of a build's
 * CPU on its lookups (node chasing, {@code Long.equals}); other keys in a plain map.
 */
final class NewestDeletes {
  /** What {@link #sequence} answers for a key no delete names. */
  static final long NONE = Long.MIN_VALUE;
  private static final float LOAD = 0.5f;

  private long[] keys = new long[16];
  private long[] sequences = new long[16];
  private boolean[] used = new boolean[16];
  private int size;
  private Map<Object, Long> others;

  /** Records a delete of {@code key} at {@code sequence}, keeping the newest. */
  void add(Object key, long sequence) {
    if (key instanceof Long value && others == null) {
      addLong(value, sequence);
      return;
    }
    if (others == null) {
      others = new HashMap<>();
      for (int slot = 0; slot < keys.length; slot++) {
        if (used[slot]) {
          others.put(keys[slot], sequences[slot]);
        }
      }
      keys = null;
      sequences = null;
      used = null;
    }
    others.merge(key, sequence, Math::max);
  }

  /** The newest delete's data sequence number of {@code key}, {@link #NONE} when none deletes it. */
  long sequence(Object key) {
    if (others != null) {
      Long sequence = others.get(key);
      return sequence == null ? NONE : sequence;
    }
    if (size == 0 || !(key instanceof Long value)) {
      return NONE;
    }
    long wanted = value;
    int mask = keys.length - 1;
    for (int slot = slot(wanted, mask); used[slot]; slot = (slot + 1) & mask) {
      if (keys[slot] == wanted) {
        return sequences[slot];
      }
    }
    return NONE;
  }

  private void addLong(long key, long sequence) {
    if (size + 1 > keys.length * LOAD) {
      grow();
    }
    int mask = keys.length - 1;
    int slot = slot(key, mask);
    while (used[slot]) {
      if (keys[slot] == key) {
        sequences[slot] = Math.max(sequences[slot], sequence);
        return;
      }
      slot = (slot + 1) & mask;
    }
    used[slot] = true;
    keys[slot] = key;
    sequences[slot] = sequence;
    size++;
  }

  private void grow() {
    long[] oldKeys = keys;
    long[] oldSequences = sequences;
    boolean[] oldUsed = used;
    keys = new long[oldKeys.length * 2];
    sequences = new long[oldKeys.length * 2];
    used = new boolean[oldKeys.length * 2];
    size = 0;
    for (int slot = 0; slot < oldKeys.length; slot++) {
      if (oldUsed[slot]) {
        addLong(oldKeys[slot], oldSequences[slot]);
      }
    }
  }

  /** A slot by the key's mixed bits (keys are often consecutive ids). */
  private static int slot(long key, int mask) {
    long mixed = key * 0x9E3779B97F4A7C15L;
    return (int) (mixed ^ (mixed >>> 32)) & mask;
  }
}
