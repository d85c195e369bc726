package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.VarCharType;
import org.junit.jupiter.api.Test;

class NewestRowBufferTest {
  private static final RowType TABLE_ROW = RowType.of(
      new LogicalType[] {new BigIntType(), new VarCharType(VarCharType.MAX_LENGTH)}, new String[] {"id", "city"});

  /** What the buffer must hand out for a key: its newest row and the counts of the events behind it. */
  private record Expected(long eventTime, long createdTime, String city, int superseded, int stale) {}

  @Test
  void keepsTheNewestRowPerKeyWithTheCountsOfTheEventsItStandsFor() {
    NewestRowBuffer buffer = new NewestRowBuffer(VersionedRow.type(TABLE_ROW));
    Random random = new Random(7);
    // more keys than the first arrays hold, and cities of changing length: rows move when they grow
    for (int round = 0; round < 3; round++) {
      Map<String, Expected> expected = new HashMap<>();
      for (int i = 0; i < 40_000; i++) {
        long id = random.nextInt(3_000);
        String key = Long.toString(id);
        long eventTime = random.nextInt(50);
        long createdTime = random.nextBoolean() ? VersionedRow.NO_CREATED_TIME : random.nextInt(3);
        String city = "c".repeat(random.nextInt(40)) + i;
        buffer.add(VersionedRow.of(bucket(id), key, eventTime, createdTime, false,
            GenericRowData.of(id, StringData.fromString(city))));
        Expected now = expected.get(key);
        if (now == null) {
          expected.put(key, new Expected(eventTime, createdTime, city, 0, 0));
        } else if (BucketVersions.isOlder(eventTime, createdTime, now.eventTime(), now.createdTime())) {
          expected.put(key, new Expected(now.eventTime(), now.createdTime(), now.city(), now.superseded(),
              now.stale() + 1));
        } else {
          expected.put(key, new Expected(eventTime, createdTime, city, now.superseded() + 1, now.stale()));
        }
      }
      assertThat(buffer.size()).isEqualTo(expected.size());

      Map<String, Expected> drained = new HashMap<>();
      buffer.drain(row -> {
        String key = VersionedRow.key(row);
        RowData tableRow = VersionedRow.row(row, TABLE_ROW.getFieldCount());
        assertThat(VersionedRow.bucket(row)).isEqualTo(bucket(Long.parseLong(key)));
        assertThat(tableRow.getLong(0)).isEqualTo(Long.parseLong(key));
        assertThat(drained.put(key, new Expected(VersionedRow.eventTime(row), VersionedRow.createdTime(row),
            tableRow.getString(1).toString(), VersionedRow.superseded(row), VersionedRow.stale(row))))
            .as("handed out once: %s", key).isNull();
      });
      assertThat(drained).isEqualTo(expected);
      assertThat(buffer.size()).isZero();
      assertThat(buffer.bytes()).isZero();
    }
  }

  @Test
  void anExactTieKeepsTheLaterEventAsNewestWinsDoes() {
    NewestRowBuffer buffer = new NewestRowBuffer(VersionedRow.type(TABLE_ROW));
    for (String city : List.of("first", "second")) {
      buffer.add(VersionedRow.of(1, "9", 5, 1, false, GenericRowData.of(9L, StringData.fromString(city))));
    }
    buffer.add(VersionedRow.of(1, "9", 7, VersionedRow.NO_CREATED_TIME, true, GenericRowData.of(9L, null)));

    buffer.drain(row -> {
      assertThat(VersionedRow.isDelete(row)).isTrue();
      assertThat(VersionedRow.eventTime(row)).isEqualTo(7);
      assertThat(VersionedRow.row(row, 2).isNullAt(1)).isTrue();
      assertThat(VersionedRow.superseded(row)).isEqualTo(2);
    });
  }

  @Test
  void drainsInKeyOrderNumericallyOrByString() {
    NewestRowBuffer buffer = new NewestRowBuffer(VersionedRow.type(TABLE_ROW));
    List<Long> ids = List.of(10L, 9L, 100L, 2L, 9L);
    for (boolean numeric : List.of(true, false)) {
      for (long id : ids) {
        buffer.add(VersionedRow.of(bucket(id), Long.toString(id), 1, 1, false,
            GenericRowData.of(id, StringData.fromString("x"))));
      }
      List<String> drained = new ArrayList<>();
      buffer.drainSortedByKey(numeric, row -> drained.add(VersionedRow.key(row)));
      assertThat(drained).containsExactlyElementsOf(numeric ? List.of("2", "9", "10", "100")
          : List.of("10", "100", "2", "9"));
    }
  }

  private static int bucket(long id) {
    return (int) (id % 16);
  }
}
