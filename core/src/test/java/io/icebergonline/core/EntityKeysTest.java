package io.icebergonline.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.apache.iceberg.transforms.Transforms;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.util.SerializableFunction;
import org.junit.jupiter.api.Test;

/** Our bucket function against Iceberg's own {@code bucket[N]} transform, for every key type. */
class EntityKeysTest {
  private static final int[] BUCKET_COUNTS = {1, 2, 3, 7, 16, 128, 1000, 65536};
  private static final Random RANDOM = new Random(20261123);

  @Test
  void int64BucketsEqualIcebergs() {
    List<Object> values = new ArrayList<>(List.of(0L, 1L, -1L, 42L, Long.MIN_VALUE, Long.MAX_VALUE));
    for (int i = 0; i < 5000; i++) {
      values.add(RANDOM.nextLong());
    }
    assertSameBuckets(Types.LongType.get(), values, Function.identity());
  }

  @Test
  void int32BucketsEqualIcebergs() {
    List<Object> values = new ArrayList<>(List.of(0, 1, -1, 42, Integer.MIN_VALUE, Integer.MAX_VALUE));
    for (int i = 0; i < 5000; i++) {
      values.add(RANDOM.nextInt());
    }
    assertSameBuckets(Types.IntegerType.get(), values, Function.identity());
  }

  @Test
  void stringBucketsEqualIcebergs() {
    List<Object> values = new ArrayList<>(List.of("", "a", "driver-42", "ünïcødé ✓", "\uD83D\uDE80 rocket", "x".repeat(1000)));
    for (int i = 0; i < 5000; i++) {
      StringBuilder text = new StringBuilder();
      int length = RANDOM.nextInt(40);
      for (int c = 0; c < length; c++) {
        text.appendCodePoint(RANDOM.nextInt(4) == 0 ? 0x80 + RANDOM.nextInt(0x2000) : 0x20 + RANDOM.nextInt(0x5f));
      }
      values.add(text.toString());
    }
    assertSameBuckets(Types.StringType.get(), values, Function.identity());
  }

  @Test
  void bytesBucketsEqualIcebergs() {
    List<Object> values = new ArrayList<>(List.of(new byte[0], new byte[] {0}, new byte[] {-1, 127}));
    for (int i = 0; i < 5000; i++) {
      byte[] bytes = new byte[RANDOM.nextInt(64)];
      RANDOM.nextBytes(bytes);
      values.add(bytes);
    }
    assertSameBuckets(Types.BinaryType.get(), values, value -> ByteBuffer.wrap((byte[]) value));
    // the same keys given as ByteBuffers (how Iceberg generic records carry binary)
    List<Object> buffers = values.stream().map(value -> (Object) ByteBuffer.wrap((byte[]) value)).toList();
    assertSameBuckets(Types.BinaryType.get(), buffers, Function.identity());
  }

  @Test
  void compositeKeysBucketAsIcebergBucketsTheDerivedStringColumn() {
    List<Object> values = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      values.add(EntityKeys.compositeKey(List.of("customer-" + RANDOM.nextInt(10_000), RANDOM.nextInt(50))));
    }
    assertSameBuckets(Types.StringType.get(), values, Function.identity());
  }

  @Test
  void compositeKeyEncodingIsTheDocumentedOne() {
    assertThat(EntityKeys.compositeKey(List.of(42L, "eu|west"))).isEqualTo("42|eu\\|west");
    assertThat(EntityKeys.compositeKey(List.of("a\\", 7))).isEqualTo("a\\\\|7");
    assertThat(EntityKeys.compositeKey(List.of(new byte[] {0x0f, (byte) 0xa0}, -3L))).isEqualTo("0fa0|-3");
  }

  @Test
  void compositeKeyEncodingIsInjectiveOnTrickyValues() {
    List<List<Object>> keys = List.of(
        List.of("a|b", "c"), List.of("a", "b|c"), List.of("a\\", "|c"), List.of("a\\|", "c"),
        List.of("a", "b", "c"), List.of("", "a|b|c"), List.of("a|b|c", ""), List.of("\\", "\\"), List.of("\\\\", ""));
    Set<String> encodings = new HashSet<>();
    keys.forEach(key -> encodings.add(EntityKeys.compositeKey(key)));
    assertThat(encodings).hasSize(keys.size());
  }

  private static void assertSameBuckets(Type type, List<Object> ourValues, Function<Object, Object> toIceberg) {
    for (int buckets : BUCKET_COUNTS) {
      @SuppressWarnings("unchecked")
      SerializableFunction<Object, Integer> iceberg =
          (SerializableFunction<Object, Integer>) Transforms.bucket(buckets).bind(type);
      Set<Integer> seen = new HashSet<>();
      for (Object value : ourValues) {
        int ours = EntityKeys.bucket(value, buckets);
        assertThat(ours).as("%s with %d buckets", value, buckets).isEqualTo(iceberg.apply(toIceberg.apply(value)));
        seen.add(ours);
      }
      assertThat(seen).as("buckets used of %d", buckets).hasSizeGreaterThan(Math.min(buckets, ourValues.size()) / 2);
    }
  }
}
