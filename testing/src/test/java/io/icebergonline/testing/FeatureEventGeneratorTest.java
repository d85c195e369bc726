package io.icebergonline.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeatureEventGeneratorTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<GeneratedEvent> generate(long seed, int count) {
    return new FeatureEventGenerator(FeatureEventGenerator.Settings.defaults(seed, 1_000)).next(count);
  }

  @Test
  void theSameSeedGivesTheSameEvents() {
    List<GeneratedEvent> first = generate(42, 5_000);
    List<GeneratedEvent> second = generate(42, 5_000);
    for (int i = 0; i < first.size(); i++) {
      assertThat(second.get(i).valueText()).isEqualTo(first.get(i).valueText());
      assertThat(second.get(i).recordTimestamp()).isEqualTo(first.get(i).recordTimestamp());
    }
    assertThat(generate(43, 100).get(50).valueText()).isNotEqualTo(first.get(50).valueText());
  }

  @Test
  void ratesAndSkewAreAsConfigured() throws Exception {
    List<GeneratedEvent> events = generate(7, 100_000);
    Map<GeneratedEvent.Kind, Integer> kinds = new HashMap<>();
    Map<Long, Integer> perKey = new HashMap<>();
    for (GeneratedEvent event : events) {
      kinds.merge(event.kind(), 1, Integer::sum);
      if (event.kind() == GeneratedEvent.Kind.UPSERT) {
        perKey.merge(event.driverId(), 1, Integer::sum);
        assertThat(JSON.readTree(event.value()).get("driver_id").asLong()).isEqualTo(event.driverId());
      }
    }
    assertThat(kinds.get(GeneratedEvent.Kind.MALFORMED)).isBetween(800, 1_200);
    assertThat(kinds.get(GeneratedEvent.Kind.TOMBSTONE)).isBetween(800, 1_200);
    // Zipf s=1.1 over 1,000 keys: the top key gets roughly 1/H(1000,1.1) ~ 17% of the events
    assertThat(perKey.get(1L)).isGreaterThan(perKey.get(10L) * 8).isGreaterThan(10_000);

    NewestRowOracle oracle = new NewestRowOracle();
    oracle.acceptAll(events);
    assertThat(oracle.malformedCount()).isEqualTo(kinds.get(GeneratedEvent.Kind.MALFORMED).longValue());
    assertThat(oracle.staleCount()).as("late and duplicate events lose").isGreaterThan(3_000);
  }

  @Test
  void malformedEventsCarryTheirReason() {
    assertThat(generate(9, 20_000).stream().filter(event -> event.kind() == GeneratedEvent.Kind.MALFORMED)
            .map(GeneratedEvent::malformedReason).distinct())
        .containsExactlyInAnyOrder("not JSON", "missing entity", "wrong type", "bad timestamp");
  }
}
