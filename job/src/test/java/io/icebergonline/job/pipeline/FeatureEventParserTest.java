package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icebergonline.core.EntityKeys;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.testing.PlaceholderConfig;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.types.RowKind;
import org.apache.iceberg.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FeatureEventParserTest {
  private static final String CONFIG = PlaceholderConfig.withFeatureViews(
      "  - name: driver_stats",
      "    topic: t",
      "    entities: [ { name: driver_id, type: INT64 } ]",
      "    features: [ { name: conv_rate, type: DOUBLE }, { name: trips, type: INT32 }, { name: tags, type: STRING_LIST },"
          + " { name: raw, type: BYTES }, { name: active, type: BOOL }, { name: rating, type: FLOAT },"
          + " { name: seen, type: UNIX_TIMESTAMP }, { name: visits, type: UNIX_TIMESTAMP_LIST } ]",
      "    created_timestamp_column: created",
      "    buckets: 8",
      "  - name: customer_region",
      "    topic: t2",
      "    entities: [ { name: customer_id, type: STRING }, { name: region, type: INT32 } ]",
      "    features: [ { name: spend, type: FLOAT } ]",
      "  - name: driver_seconds",
      "    topic: t3",
      "    entities: [ { name: driver_id, type: INT64 } ]",
      "    features: [ { name: seen, type: UNIX_TIMESTAMP } ]",
      "    created_timestamp_column: created",
      "    timestamp_unit: seconds");

  private static final List<FeatureViewSpec> VIEWS = JobConfigParser.parse(CONFIG, name -> null).featureViews();
  private static final FeatureViewSpec DRIVER = VIEWS.get(0);
  private static final Schema DRIVER_SCHEMA = OnlineTableLayout.of(DRIVER).schema();
  private static final FeatureEventParser PARSER = new FeatureEventParser(DRIVER, DRIVER_SCHEMA);

  private static KafkaRecord record(String key, String value, long timestamp) {
    KafkaRecord record = new KafkaRecord();
    record.topic = "t";
    record.key = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
    record.value = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
    record.timestamp = timestamp;
    record.headerKeys = new String[0];
    record.headerValues = new byte[0][];
    return record;
  }

  @Test
  void parsesAnUpsertIntoTheTableLayoutWithItsVersion() throws Exception {
    RowData versioned = PARSER.parse(record(null,
        "{\"driver_id\":42,\"conv_rate\":0.25,\"trips\":7,\"tags\":[\"a\",null],\"raw\":\"AQI=\",\"active\":true,"
            + "\"event_timestamp\":\"2026-11-23T08:00:00Z\",\"created\":1700000000123,\"unknown\":1}", 5));

    long eventTime = Instant.parse("2026-11-23T08:00:00Z").toEpochMilli();
    assertThat(VersionedRow.eventTime(versioned)).isEqualTo(eventTime * 1000);
    assertThat(VersionedRow.createdTime(versioned)).isEqualTo(1700000000123L * 1000);
    assertThat(VersionedRow.isDelete(versioned)).isFalse();
    assertThat(VersionedRow.key(versioned)).isEqualTo("42");
    assertThat(VersionedRow.bucket(versioned)).isEqualTo(EntityKeys.bucket(42L, 8));

    RowData row = VersionedRow.row(versioned, DRIVER_SCHEMA.columns().size());
    assertThat(row.getRowKind()).isEqualTo(RowKind.INSERT);
    assertThat(row.getLong(index("driver_id"))).isEqualTo(42L);
    assertThat(row.getTimestamp(index("event_timestamp"), 6)).isEqualTo(TimestampData.fromEpochMillis(eventTime));
    assertThat(row.getTimestamp(index("created"), 6)).isEqualTo(TimestampData.fromEpochMillis(1700000000123L));
    assertThat(row.getDouble(index("conv_rate"))).isEqualTo(0.25);
    assertThat(row.getInt(index("trips"))).isEqualTo(7);
    assertThat(row.getArray(index("tags")).getString(0).toString()).isEqualTo("a");
    assertThat(row.getArray(index("tags")).isNullAt(1)).isTrue();
    assertThat(row.getBinary(index("raw"))).containsExactly(1, 2);
    assertThat(row.getBoolean(index("active"))).isTrue();
  }

  @Test
  void missingFeaturesAndCreatedTimeAreNull() throws Exception {
    RowData versioned = PARSER.parse(record(null, "{\"driver_id\":1,\"event_timestamp\":1000}", 5));
    RowData row = VersionedRow.row(versioned, DRIVER_SCHEMA.columns().size());
    assertThat(row.isNullAt(index("conv_rate"))).isTrue();
    assertThat(row.isNullAt(index("created"))).isTrue();
    assertThat(VersionedRow.createdTime(versioned)).isEqualTo(VersionedRow.NO_CREATED_TIME);
  }

  @Test
  void aTombstoneIsADeleteVersionedByTheRecordTimestamp() throws Exception {
    RowData versioned = PARSER.parse(record("{\"driver_id\":42}", null, 99_000));
    assertThat(VersionedRow.isDelete(versioned)).isTrue();
    assertThat(VersionedRow.eventTime(versioned)).as("micros").isEqualTo(99_000_000);
    assertThat(VersionedRow.key(versioned)).isEqualTo("42");
    RowData row = VersionedRow.row(versioned, DRIVER_SCHEMA.columns().size());
    assertThat(row.getRowKind()).isEqualTo(RowKind.DELETE);
    assertThat(row.getLong(index("driver_id"))).isEqualTo(42L);
  }

  @Test
  void compositeKeysFillTheDerivedKeyColumnAndBucketOnIt() throws Exception {
    FeatureViewSpec view = VIEWS.get(1);
    Schema schema = OnlineTableLayout.of(view).schema();
    RowData versioned = new FeatureEventParser(view, schema).parse(record(null,
        "{\"customer_id\":\"c|1\",\"region\":3,\"spend\":1.5,\"event_timestamp\":1000}", 5));
    String derived = EntityKeys.compositeKey(List.of("c|1", 3));
    RowData row = VersionedRow.row(versioned, schema.columns().size());
    int derivedIndex = schema.columns().indexOf(schema.findField(OnlineTableLayout.DERIVED_KEY_COLUMN));
    assertThat(row.getString(derivedIndex).toString()).isEqualTo(derived);
    assertThat(VersionedRow.key(versioned)).isEqualTo(derived);
    assertThat(VersionedRow.bucket(versioned)).isEqualTo(EntityKeys.bucket(derived, view.buckets()));
  }

  @Test
  void subMillisecondTimesAreKeptToTheMicrosecond() throws Exception {
    RowData versioned = PARSER.parse(record(null, "{\"driver_id\":1,\"event_timestamp\":\"2026-11-23T08:00:00.123999Z\","
        + "\"created\":\"2026-11-23T08:00:00.123001999Z\",\"seen\":\"1969-12-31T23:59:59.999999Z\"}", 5));

    Instant eventTime = Instant.parse("2026-11-23T08:00:00.123999Z");
    Instant createdTime = Instant.parse("2026-11-23T08:00:00.123001Z");
    assertThat(VersionedRow.eventTime(versioned)).isEqualTo(eventTime.getEpochSecond() * 1_000_000 + 123_999);
    assertThat(VersionedRow.createdTime(versioned)).isEqualTo(createdTime.getEpochSecond() * 1_000_000 + 123_001);
    RowData row = VersionedRow.row(versioned, DRIVER_SCHEMA.columns().size());
    assertThat(row.getTimestamp(index("event_timestamp"), 6)).isEqualTo(TimestampData.fromInstant(eventTime));
    assertThat(row.getTimestamp(index("created"), 6)).as("nanoseconds truncated to the column's microseconds")
        .isEqualTo(TimestampData.fromInstant(createdTime));
    assertThat(row.getTimestamp(index("seen"), 6))
        .isEqualTo(TimestampData.fromInstant(Instant.parse("1969-12-31T23:59:59.999999Z")));
  }

  @Test
  void integerTimestampsAreEpochMillisecondsUnlessTheViewSaysOtherwise() throws Exception {
    RowData millis = PARSER.parse(record(null, "{\"driver_id\":1,\"event_timestamp\":1767225600123,"
        + "\"seen\":-1,\"visits\":[0,1767225600123]}", 5));
    RowData millisRow = VersionedRow.row(millis, DRIVER_SCHEMA.columns().size());
    assertThat(VersionedRow.eventTime(millis)).isEqualTo(1_767_225_600_123_000L);
    assertThat(millisRow.getTimestamp(index("seen"), 6)).isEqualTo(TimestampData.fromEpochMillis(-1));
    assertThat(millisRow.getArray(index("visits")).getTimestamp(1, 6))
        .isEqualTo(TimestampData.fromEpochMillis(1_767_225_600_123L));

    FeatureViewSpec seconds = VIEWS.get(2);
    Schema schema = OnlineTableLayout.of(seconds).schema();
    RowData versioned = new FeatureEventParser(seconds, schema).parse(record(null,
        "{\"driver_id\":1,\"event_timestamp\":1767225600,\"created\":1767225601,\"seen\":86400}", 5));
    assertThat(VersionedRow.eventTime(versioned)).isEqualTo(1_767_225_600_000_000L);
    assertThat(VersionedRow.createdTime(versioned)).isEqualTo(1_767_225_601_000_000L);
    RowData row = VersionedRow.row(versioned, schema.columns().size());
    int seen = schema.columns().indexOf(schema.findField("seen"));
    assertThat(row.getTimestamp(seen, 6)).isEqualTo(TimestampData.fromEpochMillis(86_400_000L));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "\"0001-01-01T00:00:00Z\"|-62135596800000000",
      "\"9999-12-31T23:59:59.999999Z\"|253402300799999999",
      "-62135596800000|-62135596800000000",
      "253402300799999|253402300799999000",
  })
  void theEdgesOfTheTimestampRangeAreAccepted(String timestamp, long micros) throws Exception {
    RowData versioned = PARSER.parse(record(null, "{\"driver_id\":1,\"event_timestamp\":" + timestamp + "}", 5));
    assertThat(VersionedRow.eventTime(versioned)).isEqualTo(micros);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', value = {
      "{\"driver_id\": 1, \"conv_rate\": |value is not JSON: Unexpected end-of-input",
      "[1, 2]|value is not a JSON object",
      "{\"conv_rate\":0.5,\"event_timestamp\":1}|missing entity driver_id",
      "{\"driver_id\":\"abc\",\"event_timestamp\":1}|driver_id: expected INT64, got \"abc\"",
      "{\"driver_id\":1.5,\"event_timestamp\":1}|driver_id: expected INT64, got 1.5",
      "{\"driver_id\":1,\"trips\":\"many\",\"event_timestamp\":1}|trips: expected INT32, got \"many\"",
      "{\"driver_id\":1,\"trips\":3000000000,\"event_timestamp\":1}|trips: expected INT32, got 3000000000",
      "{\"driver_id\":1,\"tags\":\"a\",\"event_timestamp\":1}|tags: expected STRING_LIST, got \"a\"",
      "{\"driver_id\":1,\"tags\":[1],\"event_timestamp\":1}|tags[0]: expected STRING, got 1",
      "{\"driver_id\":1,\"raw\":\"%%%\",\"event_timestamp\":1}|raw: expected base64 bytes, got \"%%%\"",
      "{\"driver_id\":1}|missing event timestamp event_timestamp",
      "{\"driver_id\":1,\"event_timestamp\":\"yesterday\"}|bad timestamp event_timestamp: expected an ISO-8601 instant or epoch milliseconds, got \"yesterday\"",
      "{\"driver_id\":1,\"event_timestamp\":1,\"created\":true}|bad timestamp created: expected an ISO-8601 instant or epoch milliseconds, got true",
      "{\"driver_id\":6,\"event_timestamp\":\"+1000000000-01-01T00:00:00Z\"}|bad timestamp event_timestamp: \"+1000000000-01-01T00:00:00Z\" is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z",
      "{\"driver_id\":6,\"event_timestamp\":1,\"created\":\"+1000000000-01-01T00:00:00Z\"}|bad timestamp created: \"+1000000000-01-01T00:00:00Z\" is outside",
      "{\"driver_id\":6,\"event_timestamp\":1,\"seen\":\"+1000000000-01-01T00:00:00Z\"}|bad timestamp seen: \"+1000000000-01-01T00:00:00Z\" is outside",
      "{\"driver_id\":6,\"event_timestamp\":1,\"visits\":[1,\"-1000000000-01-01T00:00:00Z\"]}|bad timestamp visits[1]: \"-1000000000-01-01T00:00:00Z\" is outside",
      "{\"driver_id\":6,\"event_timestamp\":\"+10000-01-01T00:00:00Z\"}|bad timestamp event_timestamp: \"+10000-01-01T00:00:00Z\" is outside",
      "{\"driver_id\":6,\"event_timestamp\":9300000000000000}|bad timestamp event_timestamp: 9300000000000000 epoch milliseconds is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z",
      "{\"driver_id\":6,\"event_timestamp\":1767225600000000}|bad timestamp event_timestamp: 1767225600000000 epoch milliseconds is outside",
      "{\"driver_id\":6,\"event_timestamp\":-62135596800001}|bad timestamp event_timestamp: -62135596800001 epoch milliseconds is outside",
      "{\"driver_id\":6,\"event_timestamp\":1,\"created\":253402300800000}|bad timestamp created: 253402300800000 epoch milliseconds is outside",
      "{\"driver_id\":6,\"event_timestamp\":1,\"seen\":-9223372036854775808}|bad timestamp seen: -9223372036854775808 epoch milliseconds is outside",
      "{\"driver_id\":6,\"event_timestamp\":99999999999999999999}|bad timestamp event_timestamp: 99999999999999999999 epoch milliseconds is outside",
      "{\"driver_id\":6,\"event_timestamp\":1,\"rating\":1e39}|rating: expected a finite FLOAT, got 1.0E39",
      "{\"driver_id\":6,\"event_timestamp\":1,\"rating\":-1e39}|rating: expected a finite FLOAT, got -1.0E39",
      "{\"driver_id\":6,\"event_timestamp\":1,\"conv_rate\":1e400}|conv_rate: expected a finite DOUBLE, got a number beyond its range",
      "{\"driver_id\":6,\"event_timestamp\":1,\"conv_rate\":-1e400}|conv_rate: expected a finite DOUBLE, got a number beyond its range",
  })
  void malformedValuesFailWithTheReason(String value, String reason) {
    assertThatThrownBy(() -> PARSER.parse(record(null, value, 1)))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageStartingWith(reason);
  }

  @Test
  void secondsOutOfRangeAreRejectedNamingTheField() {
    FeatureViewSpec seconds = VIEWS.get(2);
    FeatureEventParser parser = new FeatureEventParser(seconds, OnlineTableLayout.of(seconds).schema());
    assertThatThrownBy(() -> parser.parse(record(null, "{\"driver_id\":1,\"event_timestamp\":1767225600000}", 5)))
        .isInstanceOf(MalformedEventException.class)
        .hasMessage("bad timestamp event_timestamp: 1767225600000 epoch seconds is outside "
            + "0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z");
    assertThatThrownBy(() -> parser.parse(record(null,
            "{\"driver_id\":1,\"event_timestamp\":1,\"seen\":9223372036854775807}", 5)))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageStartingWith("bad timestamp seen: 9223372036854775807 epoch seconds is outside");
  }

  @Test
  void aTombstoneWithARecordTimestampOutOfRangeIsMalformed() {
    assertThatThrownBy(() -> PARSER.parse(record("{\"driver_id\":42}", null, Long.MAX_VALUE)))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageStartingWith("bad timestamp Kafka record timestamp: 9223372036854775807 epoch milliseconds is outside");
  }

  @Test
  void malformedTombstonesFailWithTheReason() {
    assertThatThrownBy(() -> PARSER.parse(record(null, null, 1)))
        .hasMessage("tombstone without a key: a delete needs the entity columns as a JSON key");
    assertThatThrownBy(() -> PARSER.parse(record("42", null, 1))).hasMessage("tombstone key is not a JSON object");
    assertThatThrownBy(() -> PARSER.parse(record("{\"id\":42}", null, 1)))
        .hasMessage("tombstone key misses entity driver_id");
  }

  private static int index(String column) {
    return DRIVER_SCHEMA.columns().indexOf(DRIVER_SCHEMA.findField(column));
  }
}
