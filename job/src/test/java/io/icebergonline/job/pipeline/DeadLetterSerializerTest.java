package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;

class DeadLetterSerializerTest {
  private static final int LIMIT = 10_000;
  private final DeadLetterSerializer serializer = new DeadLetterSerializer("dlq", LIMIT);

  @Test
  void aLetterThatFitsIsTheRecordWithItsOriginAndNothingCut() {
    ProducerRecord<byte[], byte[]> letter = serializer.serialize(letter(bytes(10), bytes(100), 1, 10), null, null);

    assertThat(letter.key()).hasSize(10);
    assertThat(letter.value()).hasSize(100);
    assertThat(letter.headers().lastHeader("original-0")).isNotNull();
    assertThat(letter.headers().lastHeader(DeadLetterSerializer.HEADER_VALUE_ORIGINAL_SIZE)).isNull();
  }

  @Test
  void aValueTooLargeIsCutToFitWithItsOriginalSize() {
    byte[] value = bytes(50_000);
    ProducerRecord<byte[], byte[]> letter = serializer.serialize(letter(bytes(10), value, 1, 10), null, null);

    assertThat(size(letter)).isLessThanOrEqualTo(LIMIT).isGreaterThan(LIMIT - 100);
    assertThat(letter.value()).isEqualTo(Arrays.copyOf(value, letter.value().length));
    assertThat(header(letter, DeadLetterSerializer.HEADER_VALUE_ORIGINAL_SIZE)).isEqualTo("50000");
    assertThat(letter.key()).hasSize(10);
    assertThat(letter.headers().lastHeader("original-0")).isNotNull();
  }

  @Test
  void aKeyAndHeadersTooLargeAreLeftOutAndTheReasonAndCoordinatesRemain() {
    ProducerRecord<byte[], byte[]> letter = serializer.serialize(letter(bytes(20_000), bytes(20_000), 3, 5_000), null, null);

    assertThat(size(letter)).isLessThanOrEqualTo(LIMIT);
    assertThat(letter.key()).isNull();
    assertThat(header(letter, DeadLetterSerializer.HEADER_KEY_ORIGINAL_SIZE)).isEqualTo("20000");
    assertThat(header(letter, DeadLetterSerializer.HEADER_HEADERS_LEFT_OUT)).isEqualTo("3");
    assertThat(letter.headers().lastHeader("original-0")).isNull();
    assertThat(header(letter, DeadLetterSerializer.HEADER_VALUE_ORIGINAL_SIZE)).isEqualTo("20000");
    assertThat(header(letter, DeadLetterSerializer.HEADER_REASON)).isEqualTo("value is not JSON");
    assertThat(header(letter, DeadLetterSerializer.HEADER_SOURCE_OFFSET)).isEqualTo("42");
    assertThat(letter.value().length).isGreaterThan(LIMIT - 1_000);
  }

  private static DeadLetter letter(byte[] key, byte[] value, int headers, int headerSize) {
    KafkaRecord record = new KafkaRecord();
    record.topic = "features";
    record.partition = 2;
    record.offset = 42;
    record.timestamp = 1_767_225_600_000L;
    record.key = key;
    record.value = value;
    record.headerKeys = new String[headers];
    record.headerValues = new byte[headers][];
    for (int i = 0; i < headers; i++) {
      record.headerKeys[i] = "original-" + i;
      record.headerValues[i] = bytes(headerSize);
    }
    return new DeadLetter(record, "driver_stats", "value is not JSON");
  }

  private static byte[] bytes(int size) {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) ('a' + i % 26);
    }
    return bytes;
  }

  private static int size(ProducerRecord<byte[], byte[]> record) {
    return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE,
        record.key(), record.value(), record.headers().toArray());
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
