package io.icebergonline.core;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import org.apache.iceberg.util.BucketUtil;

/**
 * Entity keys: the canonical encoding of composite keys and the bucket a key falls into.
 *
 * <p>The bucket equals Iceberg's {@code bucket[N]} partition transform of the key column (the
 * Iceberg spec's 32-bit Murmur3 hash, masked non-negative, modulo N), so a key's bucket is also
 * its partition and every Iceberg engine prunes on it.
 *
 * <p><b>Composite key encoding, version {@value #ENCODING_VERSION}.</b> A view with several entity
 * columns stores, in the derived string column {@value OnlineTableLayout#DERIVED_KEY_COLUMN}, the
 * entity values in declared order joined by {@code |}. Each value is written as: INT32/INT64 in
 * decimal, STRING as is, BYTES in lowercase hex; then {@code \} becomes {@code \\} and {@code |}
 * becomes {@code \|}. Example: {@code (42, "eu|west")} encodes to {@code 42|eu\|west}. The
 * encoding is injective, so equal encodings mean equal keys.
 */
public final class EntityKeys {
  public static final int ENCODING_VERSION = 1;

  private static final HexFormat HEX = HexFormat.of();

  private EntityKeys() {}

  /**
   * The bucket of a key column value: {@link Integer}, {@link Long}, {@link CharSequence}, {@code
   * byte[]} or {@link ByteBuffer}, as Iceberg's {@code bucket[numBuckets]} transform computes it.
   */
  public static int bucket(Object keyValue, int numBuckets) {
    int hash;
    if (keyValue instanceof Long value) {
      hash = BucketUtil.hash(value);
    } else if (keyValue instanceof Integer value) {
      hash = BucketUtil.hash(value);
    } else if (keyValue instanceof CharSequence value) {
      hash = BucketUtil.hash(value);
    } else if (keyValue instanceof byte[] value) {
      hash = BucketUtil.hash(ByteBuffer.wrap(value));
    } else if (keyValue instanceof ByteBuffer value) {
      hash = BucketUtil.hash(value);
    } else {
      throw new IllegalArgumentException("not an entity key value: " + (keyValue == null ? "null" : keyValue.getClass().getName()));
    }
    return (hash & Integer.MAX_VALUE) % numBuckets;
  }

  /** The canonical encoding (see class docs) of a composite key's values, in entity order. */
  public static String compositeKey(List<?> entityValues) {
    StringBuilder encoded = new StringBuilder();
    for (int i = 0; i < entityValues.size(); i++) {
      if (i > 0) {
        encoded.append('|');
      }
      String text = render(entityValues.get(i));
      for (int c = 0; c < text.length(); c++) {
        char ch = text.charAt(c);
        if (ch == '\\' || ch == '|') {
          encoded.append('\\');
        }
        encoded.append(ch);
      }
    }
    return encoded.toString();
  }

  private static String render(Object value) {
    if (value instanceof Long || value instanceof Integer) {
      return value.toString();
    } else if (value instanceof CharSequence text) {
      return text.toString();
    } else if (value instanceof byte[] bytes) {
      return HEX.formatHex(bytes);
    } else if (value instanceof ByteBuffer buffer) {
      byte[] bytes = new byte[buffer.remaining()];
      buffer.duplicate().get(bytes);
      return HEX.formatHex(bytes);
    }
    throw new IllegalArgumentException("not an entity key value: " + (value == null ? "null" : value.getClass().getName()));
  }
}
