package io.icebergonline.job.pipeline;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;

/**
 * Writes a dead letter as the original key, value and headers, plus headers saying where it came
 * from (topic, partition, offset, the original record timestamp) and why it was rejected. Its
 * record timestamp is the time it is written: with the original one, a backfill's dead letters
 * were older than the topic's retention and the broker deleted them at its next retention check.
 *
 * <p>A dead letter is always writable: one larger than {@code maxRecordBytes} (the least of the
 * producer's {@code max.request.size} and the topic's {@code max.message.bytes}, measured as the
 * producer measures it) would fail the send, the job, and every restart on the same record. Its
 * value is cut to fit instead ({@value #HEADER_VALUE_ORIGINAL_SIZE} gives the original size); if
 * the key and headers alone do not fit, they are left out too ({@value #HEADER_KEY_ORIGINAL_SIZE},
 * {@value #HEADER_HEADERS_LEFT_OUT}), and the reason and coordinates always remain.
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
  /** Present when the value was cut to fit: the original value's size in bytes, in decimal. */
  static final String HEADER_VALUE_ORIGINAL_SIZE = "dlq.value.original.size";
  /** Present when the key was left out to fit: its size in bytes, in decimal. */
  static final String HEADER_KEY_ORIGINAL_SIZE = "dlq.key.original.size";
  /** Present when the original headers were left out to fit: how many there were, in decimal. */
  static final String HEADER_HEADERS_LEFT_OUT = "dlq.headers.left.out";
  /** Reasons are short; this bounds one that echoes a huge input so the coordinates always fit. */
  private static final int MAX_REASON_CHARS = 2_000;
  /** Room for the varints of a cut value's length in the record (at most 5 bytes each). */
  private static final int VARINT_SLACK = 16;

  private final String topic;
  private final int maxRecordBytes;

  DeadLetterSerializer(String topic, int maxRecordBytes) {
    this.topic = topic;
    this.maxRecordBytes = maxRecordBytes;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(DeadLetter letter, KafkaSinkContext context, Long timestamp) {
    KafkaRecord record = letter.record;
    RecordHeaders headers = new RecordHeaders();
    for (int i = 0; i < record.headerKeys.length; i++) {
      headers.add(record.headerKeys[i], record.headerValues[i]);
    }
    addOrigin(headers, letter);
    if (size(record.key, record.value, headers) <= maxRecordBytes) {
      return letter(record.key, record.value, headers);
    }
    byte[] key = record.key;
    if (size(key, null, withValueCut(headers, record)) + VARINT_SLACK > maxRecordBytes) {
      headers = new RecordHeaders();
      addOrigin(headers, letter);
      headers.add(HEADER_HEADERS_LEFT_OUT, utf8(Integer.toString(record.headerKeys.length)));
      if (key != null) {
        headers.add(HEADER_KEY_ORIGINAL_SIZE, utf8(Integer.toString(key.length)));
        key = null;
      }
    }
    RecordHeaders cut = withValueCut(headers, record);
    int room = maxRecordBytes - size(key, null, cut) - VARINT_SLACK;
    byte[] value = record.value == null ? null : Arrays.copyOf(record.value, Math.max(0, Math.min(room, record.value.length)));
    return letter(key, value, cut);
  }

  private ProducerRecord<byte[], byte[]> letter(byte[] key, byte[] value, RecordHeaders headers) {
    return new ProducerRecord<>(topic, null, System.currentTimeMillis(), key, value, headers);
  }

  private static void addOrigin(RecordHeaders headers, DeadLetter letter) {
    KafkaRecord record = letter.record;
    headers.add(HEADER_SOURCE_TOPIC, utf8(record.topic));
    headers.add(HEADER_SOURCE_PARTITION, utf8(Integer.toString(record.partition)));
    headers.add(HEADER_SOURCE_OFFSET, utf8(Long.toString(record.offset)));
    headers.add(HEADER_SOURCE_TIMESTAMP, utf8(Long.toString(record.timestamp)));
    headers.add(HEADER_FEATURE_VIEW, utf8(letter.featureView));
    String reason = letter.reason.length() <= MAX_REASON_CHARS
        ? letter.reason : letter.reason.substring(0, MAX_REASON_CHARS) + "...";
    headers.add(HEADER_REASON, utf8(reason));
  }

  private static RecordHeaders withValueCut(RecordHeaders headers, KafkaRecord record) {
    RecordHeaders cut = new RecordHeaders(headers.toArray());
    if (record.value != null) {
      cut.add(HEADER_VALUE_ORIGINAL_SIZE, utf8(Integer.toString(record.value.length)));
    }
    return cut;
  }

  /** The size the producer checks against {@code max.request.size}: Kafka's own upper bound. */
  private static int size(byte[] key, byte[] value, RecordHeaders headers) {
    return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE,
        key, value, headers.toArray());
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
