package io.icebergonline.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NewestRowOracleTest {
  private static GeneratedEvent upsert(long key, long eventTime, Long created, String city) {
    String json = "{\"driver_id\":" + key + ",\"conv_rate\":0.5,\"trips\":1,\"city\":\"" + city
        + "\",\"event_timestamp\":" + eventTime + (created == null ? "" : ",\"created\":" + created) + "}";
    return new GeneratedEvent(GeneratedEvent.Kind.UPSERT, key, null, json.getBytes(StandardCharsets.UTF_8), 0, null);
  }

  private static GeneratedEvent tombstone(long key, long recordTimestamp) {
    return new GeneratedEvent(GeneratedEvent.Kind.TOMBSTONE, key, null, null, recordTimestamp, null);
  }

  private static Object city(NewestRowOracle oracle, long key) {
    return oracle.liveRows().get(key).get("city");
  }

  @Test
  void newerEventTimeWinsAndOlderIsStale() {
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.accept(upsert(1, 100, null, "a"));
    oracle.accept(upsert(1, 200, null, "b"));
    oracle.accept(upsert(1, 150, null, "late"));
    assertThat(city(oracle, 1)).isEqualTo("b");
    assertThat(oracle.staleCount()).isEqualTo(1);
    assertThat(oracle.appliedCount()).isEqualTo(2);
  }

  @Test
  void createdTimeBreaksEventTimeTiesAndAnExactTieGoesToTheLaterRecord() {
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.accept(upsert(1, 100, 5L, "created-5"));
    oracle.accept(upsert(1, 100, 4L, "created-4"));
    assertThat(city(oracle, 1)).isEqualTo("created-5");
    oracle.accept(upsert(1, 100, 5L, "same-version-later"));
    assertThat(city(oracle, 1)).isEqualTo("same-version-later");
    oracle.accept(upsert(1, 100, null, "no-created"));
    assertThat(city(oracle, 1)).as("an absent created time is the oldest").isEqualTo("same-version-later");
  }

  @Test
  void aTombstoneDeletesAndOlderUpsertsStayDeleted() {
    NewestRowOracle oracle = new NewestRowOracle();
    oracle.accept(upsert(1, 100, null, "a"));
    oracle.accept(tombstone(1, 150));
    assertThat(oracle.liveRows()).doesNotContainKey(1L);
    oracle.accept(upsert(1, 120, null, "older than the delete"));
    assertThat(oracle.liveRows()).doesNotContainKey(1L);
    oracle.accept(upsert(1, 160, null, "newer"));
    assertThat(city(oracle, 1)).isEqualTo("newer");
  }
}
