package io.icebergonline.core;

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
   * Microseconds after the epoch of {@code value} units after the epoch.
   *
   * @throws ArithmeticException beyond a long's range of microseconds
   */
  public long toEpochMicros(long value) {
    return switch (this) {
      case SECONDS -> Math.multiplyExact(value, 1_000_000L);
      case MILLIS -> Math.multiplyExact(value, 1_000L);
      case MICROS -> value;
    };
  }
}
