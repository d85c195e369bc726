package io.icebergonline.lookup;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.core.EntityKeys;
import java.util.List;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.VarCharType;
import org.junit.jupiter.api.Test;

class BucketShufflePartitionerTest {

  @Test
  void eachSubtaskGetsAContiguousRangeOfBuckets() {
    BucketShufflePartitioner partitioner =
        new BucketShufflePartitioner(16, false, List.of(new BigIntType(false)), new int[] {0});
    for (long key = 0; key < 2_000; key++) {
      int bucket = EntityKeys.bucket(key, 16);
      assertThat(partitioner.partition(GenericRowData.of(key), 4)).as("key %d in bucket %d", key, bucket)
          .isEqualTo(bucket / 4);
      assertThat(partitioner.partition(GenericRowData.of(key), 3)).isEqualTo(bucket * 3 / 16);
    }
    assertThat(partitioner.isDeterministic()).isTrue();
  }

  @Test
  void compositeKeysRouteByTheBucketOfTheirCanonicalEncodingWhateverTheJoinKeyOrder() {
    // identifier order (customer_id, region); the join-key row holds them as (region, customer_id)
    BucketShufflePartitioner partitioner = new BucketShufflePartitioner(8, true,
        List.of(new VarCharType(VarCharType.MAX_LENGTH), new IntType()), new int[] {1, 0});
    int bucket = EntityKeys.bucket(EntityKeys.compositeKey(List.of("c|1", 3)), 8);
    assertThat(partitioner.partition(GenericRowData.of(3, StringData.fromString("c|1")), 8)).isEqualTo(bucket);
  }
}
