package io.icebergonline.testing;

import java.nio.charset.StandardCharsets;

/**
 * One generated Kafka record: key and value bytes as the producer sends them, the record
 * timestamp, and what the generator meant it to be (so tests can count what must be dead-lettered).
 *
 * @param value null for a tombstone
 * @param malformedReason null unless {@code kind} is {@link Kind#MALFORMED}
 */
public record GeneratedEvent(Kind kind, long driverId, byte[] key, byte[] value, long recordTimestamp, String malformedReason) {

  /** What a record is meant to be. */
  public enum Kind {
    /** A valid update (fresh, late, or an exact duplicate of an earlier one). */
    UPSERT,
    /** A delete: null value, entity key in the record key, versioned by the record timestamp. */
    TOMBSTONE,
    /** Must be dead-lettered; {@code malformedReason} says why. */
    MALFORMED
  }

  public String valueText() {
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }
}
