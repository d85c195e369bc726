package io.icebergonline.core;

import java.time.Instant;
import java.util.Locale;

/**
 * The unit of a feature view's integer timestamps (key {@code timestamp_unit}); ISO-8601 strings
 * carry their own. Milliseconds by default; Feast's own ingestion reads integers as seconds.
 */
public enum TimestampUnit {
  SECONDS("epoch seconds"),
  MILLIS("epoch milliseconds"),
  MICROS("epoch microseconds");

  private final String description;

  TimestampUnit(String description) {
    this.description = description;
  }

  /** The name used in configs: {@code seconds}, {@code millis}, {@code micros}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** For messages, e.g. {@code epoch milliseconds}. */
  public String description() {
    return description;
  }

  /**
   * The instant {@code value} units after the epoch.
   *
   * @throws java.time.DateTimeException beyond the range of {@link Instant} (seconds only)
   */
  public Instant toInstant(long value) {
    return switch (this) {
      case SECONDS -> Instant.ofEpochSecond(value);
      case MILLIS -> Instant.ofEpochMilli(value);
      case MICROS -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000L), Math.floorMod(value, 1_000_000L) * 1_000L);
    };
  }
}
