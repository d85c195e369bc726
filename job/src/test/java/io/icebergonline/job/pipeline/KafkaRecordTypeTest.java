package io.icebergonline.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class KafkaRecordTypeTest {
  private final TypeSerializer<KafkaRecord> serializer =
      TypeInformation.of(KafkaRecord.class).createSerializer(new SerializerConfigImpl());

  @Test
  void flinkGivesKafkaRecordsTheirOwnTypeAndChainedOperatorsTheSameRecord() {
    assertThat(TypeInformation.of(KafkaRecord.class)).isInstanceOf(KafkaRecordType.class);
    KafkaRecord record = record(bytes("k"), bytes("{}"), new String[] {"h"}, new byte[][] {bytes("v")});
    assertThat(serializer.copy(record)).isSameAs(record);
  }

  @Test
  void everyFieldSurvivesTheNetworkNullsAndEmptiesIncluded() throws Exception {
    KafkaRecord full = record(bytes("key"), bytes("{\"a\":1}"), new String[] {"h1", "h2"},
        new byte[][] {bytes("v1"), null});
    KafkaRecord tombstone = record(null, null, new String[0], new byte[0][]);
    KafkaRecord bare = record(new byte[0], bytes("x"), null, null);
    bare.topic = null;

    DataOutputSerializer out = new DataOutputSerializer(64);
    for (KafkaRecord record : new KafkaRecord[] {full, tombstone, bare}) {
      serializer.serialize(record, out);
    }
    DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
    for (KafkaRecord record : new KafkaRecord[] {full, tombstone, bare}) {
      assertThat(serializer.deserialize(in)).usingRecursiveComparison().isEqualTo(record);
    }
    assertThat(in.available()).isZero();
  }

  private static KafkaRecord record(byte[] key, byte[] value, String[] headerKeys, byte[][] headerValues) {
    KafkaRecord record = new KafkaRecord();
    record.topic = "driver_stats";
    record.partition = 3;
    record.offset = 1L << 40;
    record.timestamp = 1_767_225_600_123L;
    record.key = key;
    record.value = value;
    record.headerKeys = headerKeys;
    record.headerValues = headerValues;
    return record;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
