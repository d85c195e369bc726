package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.TimestampUnit;
import io.icebergonline.testing.PlaceholderConfig;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Random;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.iceberg.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hand-rolled ISO-8601 reading gives what java.time gives, and leaves every other string to it. */
class IsoInstantsTest {
  private static final FeatureViewSpec VIEW = JobConfigParser.parse(PlaceholderConfig.withFeatureViews(
      "  - name: driver_stats",
      "    topic: t",
      "    entities: [ { name: driver_id, type: INT64 } ]",
      "    features: [ { name: trips, type: INT32 } ]",
      "    created_timestamp_column: created"), name -> null).featureViews().get(0);
  private static final Schema SCHEMA = OnlineTableLayout.of(VIEW).schema();
  private static final FeatureEventParser PARSER = new FeatureEventParser(VIEW, SCHEMA);
  private static final int GENERATED = 200_000;

  @Test
  void generatedInstantsReadAsJavaTimeReadsThem() {
    Random random = new Random(14);
    int read = 0;
    for (int i = 0; i < GENERATED; i++) {
      String text = generated(random);
      Instant expected = Instant.parse(text);
      assertThat(OffsetDateTime.parse(text).toInstant()).as(text).isEqualTo(expected);
      long micros = IsoInstants.epochMicros(text.toCharArray(), 0, text.length());
      if (expected.isBefore(JsonValues.EARLIEST) || expected.isAfter(JsonValues.LATEST)) {
        assertThat(micros).as("%s is out of range: left to java.time", text).isEqualTo(IsoInstants.NOT_READ);
      } else {
        assertThat(micros).as(text).isEqualTo(JsonValues.epochMicros(expected));
        read++;
      }
    }
    assertThat(read).as("instants in range").isGreaterThan(GENERATED * 9 / 10);
  }

  @Test
  void readsWithinALargerBuffer() {
    String instant = "2024-02-29T23:59:59.5-01:30";
    char[] buffer = ("{\"t\":\"" + instant + "\"}").toCharArray();
    assertThat(IsoInstants.epochMicros(buffer, 6, instant.length()))
        .isEqualTo(JsonValues.epochMicros(Instant.parse(instant)));
  }

  @Test
  void generatedInstantsParseIntoTheSameRowAsThroughJavaTime() throws Exception {
    Random random = new Random(15);
    for (int i = 0; i < 2_000; i++) {
      assertParsesAsJavaTime(generated(random));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123456789Z", "2024-05-01T12:00:00.1+05:30",
      "2024-05-01T12:00:00-00:00", "2024-05-01T12:00:00+18:00", "2024-05-01T12:00:00-18:00",
      "1969-12-31T23:59:59.9999999Z", "1970-01-01T00:00:00Z", "2000-02-29T00:00:00Z",
      // not leap days or no such date
      "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2024-04-31T00:00:00Z",
      "2024-00-10T00:00:00Z", "2024-13-10T00:00:00Z", "2024-05-00T00:00:00Z", "2024-05-32T00:00:00Z",
      // 24:00, leap second, out-of-range fields
      "2024-05-01T24:00:00Z", "2024-12-31T23:59:60Z", "2024-06-30T23:59:60.5Z", "2024-05-01T12:60:00Z",
      "2024-05-01T25:00:00Z",
      // zone missing, lowercase, other shapes of zone
      "2024-05-01T12:00:00", "2024-05-01t12:00:00Z", "2024-05-01T12:00:00z", "2024-05-01t12:00:00z",
      "2024-05-01T12:00:00+05", "2024-05-01T12:00:00+0530", "2024-05-01T12:00:00+05:30:15",
      "2024-05-01T12:00:00+18:01", "2024-05-01T12:00:00+19:00", "2024-05-01T12:00:00+05:60",
      "2024-05-01T12:00:00UTC", "2024-05-01T12:00:00+5:30",
      // fractions
      "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00.1234567891Z", "2024-05-01T12:00:00,5Z",
      "2024-05-01T12:00:00.12a4Z",
      // extra or missing characters
      "2024-05-01T12:00:00Zx", " 2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z ", "2024-05-01T12:00Z",
      "2024-05-01 12:00:00Z", "2024-5-01T12:00:00Z", "2024-05-01T12:0a:00Z", "2024/05/01T12:00:00Z",
      "", "Z", "yesterday", "２０２４-05-01T12:00:00Z",
      // years and the edges of the range
      "+2024-05-01T12:00:00Z", "-2024-05-01T12:00:00Z", "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z",
      "+10000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01", "0001-01-01T00:00:00-00:01",
      "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.999999999Z",
      "9999-12-31T23:59:59+00:01", "9999-12-31T23:59:59-00:01"})
  void anyOtherStringGivesTheValueOrTheErrorItGaveBefore(String text) throws Exception {
    assertParsesAsJavaTime(text);
  }

  /**
   * The parser reads {@code text} as event and created time exactly as the java.time path of
   * {@link JsonValues} reads it (the path every timestamp took before): same value, or same error.
   */
  private static void assertParsesAsJavaTime(String text) throws Exception {
    String json = TextNode.valueOf(text).toString();
    KafkaRecord eventTime = record("{\"driver_id\":1,\"event_timestamp\":" + json + "}");
    KafkaRecord createdTime = record("{\"driver_id\":1,\"event_timestamp\":1,\"created\":" + json + "}");
    Instant expected;
    try {
      expected = JsonValues.instant("event_timestamp", TextNode.valueOf(text), TimestampUnit.MILLIS);
    } catch (MalformedEventException e) {
      assertThatThrownBy(() -> PARSER.parse(eventTime)).as(text).isInstanceOf(MalformedEventException.class)
          .hasMessage(e.getMessage());
      assertThatThrownBy(() -> PARSER.parse(createdTime)).as(text).isInstanceOf(MalformedEventException.class)
          .hasMessage(e.getMessage().replace("event_timestamp", "created"));
      return;
    }
    RowData versioned = PARSER.parse(eventTime);
    assertThat(VersionedRow.eventTime(versioned)).as(text).isEqualTo(JsonValues.epochMicros(expected));
    assertThat(VersionedRow.row(versioned, SCHEMA.columns().size()).getTimestamp(column("event_timestamp"), 6))
        .as(text).isEqualTo(TimestampData.fromInstant(expected));
    RowData created = PARSER.parse(createdTime);
    assertThat(VersionedRow.createdTime(created)).as(text).isEqualTo(JsonValues.epochMicros(expected));
    assertThat(VersionedRow.row(created, SCHEMA.columns().size()).getTimestamp(column("created"), 6))
        .as(text).isEqualTo(TimestampData.fromInstant(expected));
  }

  /** A valid ISO-8601 instant: any date of 0001..9999 (leap days often), 0-9 fraction digits, Z or an offset. */
  private static String generated(Random random) {
    LocalDate date;
    if (random.nextInt(10) == 0) { // the end of February of a year divisible by 4: a leap day unless a non-leap century
      date = LocalDate.of(4 * (1 + random.nextInt(2499)), 3, 1).minusDays(1);
    } else {
      int year = 1 + random.nextInt(9999);
      date = LocalDate.ofYearDay(year, 1 + random.nextInt(LocalDate.of(year, 1, 1).lengthOfYear()));
    }
    StringBuilder text = new StringBuilder(String.format("%04d-%02d-%02dT%02d:%02d:%02d", date.getYear(),
        date.getMonthValue(), date.getDayOfMonth(), random.nextInt(24), random.nextInt(60), random.nextInt(60)));
    int fractionDigits = random.nextInt(10);
    if (fractionDigits > 0) {
      text.append('.');
      for (int i = 0; i < fractionDigits; i++) {
        text.append((char) ('0' + random.nextInt(10)));
      }
    }
    if (random.nextInt(3) == 0) {
      text.append('Z');
    } else {
      int offsetHours = random.nextInt(19);
      int offsetMinutes = offsetHours == 18 ? 0 : random.nextInt(60);
      text.append(random.nextBoolean() ? '+' : '-').append(String.format("%02d:%02d", offsetHours, offsetMinutes));
    }
    return text.toString();
  }

  private static KafkaRecord record(String value) {
    KafkaRecord record = new KafkaRecord();
    record.topic = "t";
    record.value = value.getBytes(StandardCharsets.UTF_8);
    record.headerKeys = new String[0];
    record.headerValues = new byte[0][];
    return record;
  }

  private static int column(String name) {
    return SCHEMA.columns().indexOf(SCHEMA.findField(name));
  }
}
