package io.icebergonline.job.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A Kafka record as read, bytes untouched, with where it came from: what the parser reads and,
 * if it is malformed, exactly what goes to the dead-letter topic. Never changed once made: its Flink
 * type ({@link KafkaRecordType}) hands it on between chained operators without a copy.
 */
@TypeInfo(KafkaRecordType.Factory.class)
public class KafkaRecord {
  public String topic;
  public int partition;
  public long offset;
  public long timestamp;
  public byte[] key;
  /** Null for a tombstone. */
  public byte[] value;
  public String[] headerKeys;
  public byte[][] headerValues;

  public KafkaRecord() {}

  public static KafkaRecord of(ConsumerRecord<byte[], byte[]> record) {
    KafkaRecord copy = new KafkaRecord();
    copy.topic = record.topic();
    copy.partition = record.partition();
    copy.offset = record.offset();
    copy.timestamp = record.timestamp();
    copy.key = record.key();
    copy.value = record.value();
    List<String> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (Header header : record.headers()) {
      keys.add(header.key());
      values.add(header.value());
    }
    copy.headerKeys = keys.toArray(new String[0]);
    copy.headerValues = values.toArray(new byte[0][]);
    return copy;
  }

  /** "topic-partition@offset", for messages. */
  public String position() {
    return topic + "-" + partition + "@" + offset;
  }
}
