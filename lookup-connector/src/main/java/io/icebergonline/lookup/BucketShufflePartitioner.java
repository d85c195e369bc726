package io.icebergonline.lookup;

import io.icebergonline.core.EntityKeys;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.connector.source.abilities.SupportsLookupCustomShuffle;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.LogicalType;

/**
 * Sends each probe row to the lookup subtask that owns its key's bucket (contiguous bucket ranges
 * per subtask), so every subtask reads, indexes and caches only its own buckets.
 */
final class BucketShufflePartitioner implements SupportsLookupCustomShuffle.InputDataPartitioner {
  private static final long serialVersionUID = 1L;

  private final int buckets;
  private final boolean derivedKey;
  private final RowData.FieldGetter[] identifierGetters;

  /**
   * @param identifierTypes the identifier columns' types, in identifier order
   * @param identifierPositions where each identifier column sits in the join-key row
   */
  BucketShufflePartitioner(int buckets, boolean derivedKey, List<LogicalType> identifierTypes, int[] identifierPositions) {
    this.buckets = buckets;
    this.derivedKey = derivedKey;
    this.identifierGetters = new RowData.FieldGetter[identifierTypes.size()];
    for (int i = 0; i < identifierGetters.length; i++) {
      identifierGetters[i] = RowData.createFieldGetter(identifierTypes.get(i), identifierPositions[i]);
    }
  }

  @Override
  public int partition(RowData joinKeys, int numPartitions) {
    List<Object> values = new ArrayList<>(identifierGetters.length);
    for (RowData.FieldGetter getter : identifierGetters) {
      Object value = getter.getFieldOrNull(joinKeys);
      if (value == null) {
        return 0;
      }
      values.add(value instanceof StringData text ? text.toString() : value);
    }
    Object keyValue = derivedKey ? EntityKeys.compositeKey(values) : values.get(0);
    return (int) ((long) EntityKeys.bucket(keyValue, buckets) * numPartitions / buckets);
  }
}
