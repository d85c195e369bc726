package io.icebergonline.job.pipeline;

import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Writes a dead letter as the original key, value and headers, plus headers saying where it came
 * from (topic, partition, offset, the original record timestamp) and why it was rejected. Its
 * record timestamp is the time it is written: with the original one, a backfill's dead letters
 * were older than the topic's retention and the broker deleted them at its next retention check.
 */
final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
  private static final long serialVersionUID = 1L;

  static final String HEADER_SOURCE_TOPIC = "dlq.source.topic";
  static final String HEADER_SOURCE_PARTITION = "dlq.source.partition";
  static final String HEADER_SOURCE_OFFSET = "dlq.source.offset";
  /** The original record timestamp, epoch milliseconds in decimal. */
  static final String HEADER_SOURCE_TIMESTAMP = "dlq.source.timestamp";
  static final String HEADER_FEATURE_VIEW = "dlq.feature.view";
  static final String HEADER_REASON = "dlq.reason";

  private final String topic;

  DeadLetterSerializer(String topic) {
    this.topic = topic;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(DeadLetter letter, KafkaSinkContext context, Long timestamp) {
    KafkaRecord record = letter.record;
    RecordHeaders headers = new RecordHeaders();
    for (int i = 0; i < record.headerKeys.length; i++) {
      headers.add(record.headerKeys[i], record.headerValues[i]);
    }
    headers.add(HEADER_SOURCE_TOPIC, utf8(record.topic));
    headers.add(HEADER_SOURCE_PARTITION, utf8(Integer.toString(record.partition)));
    headers.add(HEADER_SOURCE_OFFSET, utf8(Long.toString(record.offset)));
    headers.add(HEADER_SOURCE_TIMESTAMP, utf8(Long.toString(record.timestamp)));
    headers.add(HEADER_FEATURE_VIEW, utf8(letter.featureView));
    headers.add(HEADER_REASON, utf8(letter.reason));
    return new ProducerRecord<>(topic, null, System.currentTimeMillis(), record.key, record.value, headers);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
