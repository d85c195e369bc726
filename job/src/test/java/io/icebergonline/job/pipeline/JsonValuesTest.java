package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.core.TimestampUnit;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonValuesTest {
  @Test
  void integerTimestampsAreTheInstantsJavaTimeGivesWithinTheRangeAndOutOfRangeOtherwise() throws Exception {
    Random random = new Random(14);
    for (TimestampUnit unit : TimestampUnit.values()) {
      List<Long> values = new ArrayList<>(List.of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE));
      long earliest = inUnit(JsonValues.EARLIEST, unit);
      long latest = inUnit(JsonValues.LATEST, unit);
      for (long edge : new long[] {earliest, latest}) {
        values.addAll(List.of(edge - 1, edge, edge + 1));
      }
      for (int i = 0; i < 100_000; i++) {
        values.add(earliest + (long) (random.nextDouble() * (latest - earliest)));
        values.add(random.nextLong());
      }
      for (long value : values) {
        Instant expected = javaTime(value, unit);
        if (expected == null || expected.isBefore(JsonValues.EARLIEST) || expected.isAfter(JsonValues.LATEST)) {
          assertThatThrownBy(() -> JsonValues.epochMicros("t", value, unit)).as("%d %s", value, unit)
              .hasMessage("bad timestamp t: " + value + " " + unit.description()
                  + " is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z");
        } else {
          assertThat(JsonValues.epochMicros("t", value, unit)).as("%d %s", value, unit)
              .isEqualTo(JsonValues.epochMicros(expected));
        }
      }
    }
  }

  /** The instant java.time makes of {@code value} units after the epoch; null beyond its range. */
  private static Instant javaTime(long value, TimestampUnit unit) {
    try {
      return switch (unit) {
        case SECONDS -> Instant.ofEpochSecond(value);
        case MILLIS -> Instant.ofEpochMilli(value);
        case MICROS -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000L), Math.floorMod(value, 1_000_000L) * 1_000L);
      };
    } catch (DateTimeException e) {
      return null;
    }
  }

  private static long inUnit(Instant instant, TimestampUnit unit) {
    long micros = JsonValues.epochMicros(instant);
    return switch (unit) {
      case SECONDS -> Math.floorDiv(micros, 1_000_000L);
      case MILLIS -> Math.floorDiv(micros, 1_000L);
      case MICROS -> micros;
    };
  }
}
