package io.icebergonline.job.pipeline;

import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.table.data.RowData;

/**
 * Keys the stream by entity-hash bucket so that every bucket owns its own Flink key group and the
 * key groups of a view's buckets are spaced evenly: at any parallelism p, subtask i serves buckets
 * {@code [i*N/p, (i+1)*N/p)}, so buckets spread evenly (not at the mercy of hash collisions), and a
 * savepoint restores at another parallelism. The max parallelism is fixed by the bucket count alone,
 * so it never changes between restores.
 */
final class BucketRouting implements KeySelector<RowData, Integer> {
  private static final long serialVersionUID = 1L;
  /** At least this many key groups, so a view with few buckets can still be rescaled up to it. */
  private static final int MIN_KEY_GROUPS = 128;

  private final int[] routingKeys;

  BucketRouting(int buckets) {
    int maxParallelism = maxParallelism(buckets);
    int spacing = maxParallelism / buckets;
    this.routingKeys = new int[buckets];
    for (int bucket = 0; bucket < buckets; bucket++) {
      routingKeys[bucket] = keyForKeyGroup(bucket * spacing, maxParallelism);
    }
  }

  /** The max parallelism of a view's keyed operators: a multiple of the bucket count. */
  static int maxParallelism(int buckets) {
    return buckets * Math.max(1, (MIN_KEY_GROUPS + buckets - 1) / buckets);
  }

  @Override
  public Integer getKey(RowData versioned) {
    return routingKeys[VersionedRow.bucket(versioned)];
  }

  private static int keyForKeyGroup(int keyGroup, int maxParallelism) {
    for (int candidate = 0; ; candidate++) {
      if (KeyGroupRangeAssignment.assignToKeyGroup(candidate, maxParallelism) == keyGroup) {
        return candidate;
      }
    }
  }
}
