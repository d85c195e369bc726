package io.icebergonline.job.pipeline;

import java.util.List;
import org.apache.iceberg.Schema;
import org.apache.iceberg.types.Types;

/** What the parser tests of each event format share: a record of a value alone, and a column's index. */
final class ParserTestRecords {
  private ParserTestRecords() {}

  /** A Kafka record of topic {@code t} holding {@code value}, no key, no headers. */
  static KafkaRecord record(byte[] value) {
    KafkaRecord record = new KafkaRecord();
    record.topic = "t";
    record.value = value;
    record.timestamp = 5;
    record.headerKeys = new String[0];
    record.headerValues = new byte[0][];
    return record;
  }

  /** The position of {@code column} in the table's schema. */
  static int index(Schema table, String column) {
    List<Types.NestedField> columns = table.columns();
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).name().equals(column)) {
        return i;
      }
    }
    throw new IllegalArgumentException(column);
  }
}
