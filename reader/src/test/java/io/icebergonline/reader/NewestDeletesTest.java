package io.icebergonline.reader;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The newest delete per key answers as a map of key to the highest sequence number added for it. */
class NewestDeletesTest {
  @Test
  void longKeysAnswerTheNewestSequenceAndNoneForKeysNeverAdded() {
    NewestDeletes deletes = new NewestDeletes();
    Map<Long, Long> expected = new HashMap<>();
    Random random = new Random(7);
    for (int i = 0; i < 50_000; i++) {
      // small ids collide often (updates of the same key), the extremes test the slot arithmetic
      long key = switch (i % 4) {
        case 0 -> random.nextInt(20_000);
        case 1 -> random.nextLong();
        case 2 -> i % 8 == 2 ? Long.MIN_VALUE : Long.MAX_VALUE;
        default -> -random.nextInt(1_000);
      };
      long sequence = 1 + random.nextInt(100);
      deletes.add(key, sequence);
      expected.merge(key, sequence, Math::max);
    }
    expected.forEach((key, sequence) -> assertThat(deletes.sequence(key)).as("key %d", key).isEqualTo(sequence));
    for (long key = 20_000; key < 21_000; key++) {
      assertThat(deletes.sequence(key)).isEqualTo(expected.getOrDefault(key, NewestDeletes.NONE));
    }
    assertThat(deletes.sequence("20001")).as("another type of key").isEqualTo(NewestDeletes.NONE);
  }

  @Test
  void aKeyOfAnotherTypeKeepsTheLongKeysAddedBefore() {
    NewestDeletes deletes = new NewestDeletes();
    deletes.add(5L, 3);
    deletes.add(5L, 2);
    deletes.add(0L, 9);
    deletes.add("driver-1", 4);
    deletes.add("driver-1", 6);
    deletes.add(5L, 8);
    assertThat(deletes.sequence(5L)).isEqualTo(8);
    assertThat(deletes.sequence(0L)).isEqualTo(9);
    assertThat(deletes.sequence("driver-1")).isEqualTo(6);
    assertThat(deletes.sequence(6L)).isEqualTo(NewestDeletes.NONE);
    assertThat(new NewestDeletes().sequence(0L)).isEqualTo(NewestDeletes.NONE);
  }
}
