package io.icebergonline.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaTest {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.start();
    System.out.printf("start-up: embedded KRaft Kafka %d ms%n", kafka.startupMillis());
  }

  @AfterAll
  static void stop() throws Exception {
    kafka.close();
  }

  @Test
  void generatedEventsRoundTripWithKeysTimestampsAndTombstones() throws Exception {
    kafka.createTopic("round-trip", 3);
    List<GeneratedEvent> events = new FeatureEventGenerator(
        FeatureEventGenerator.Settings.defaults(3, 50).withRates(0.05, 0.05, 0.05, 0.1)).next(2_000);

    kafka.produce("round-trip", events);
    List<ConsumerRecord<byte[], byte[]>> records = kafka.readCommitted("round-trip", Duration.ofSeconds(30));

    assertThat(records).hasSize(events.size());
    assertThat(records.stream().filter(record -> record.value() == null).count())
        .isEqualTo(events.stream().filter(event -> event.kind() == GeneratedEvent.Kind.TOMBSTONE).count())
        .isPositive();
    // Per key, records come back in the order they were produced (one partition per key).
    List<GeneratedEvent> ofDriverOne = events.stream().filter(event -> event.driverId() == 1).toList();
    List<ConsumerRecord<byte[], byte[]>> readOfDriverOne = records.stream()
        .filter(record -> new String(record.key()).equals("{\"driver_id\":1}"))
        .sorted(Comparator.comparingLong(ConsumerRecord::offset)).toList();
    assertThat(readOfDriverOne).hasSize(ofDriverOne.size());
    for (int i = 0; i < ofDriverOne.size(); i++) {
      assertThat(readOfDriverOne.get(i).timestamp()).isEqualTo(ofDriverOne.get(i).recordTimestamp());
      assertThat(readOfDriverOne.get(i).value()).isEqualTo(ofDriverOne.get(i).value());
    }
  }
}
