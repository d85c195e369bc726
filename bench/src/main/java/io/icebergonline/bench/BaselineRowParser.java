package io.icebergonline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.job.pipeline.KafkaRecord;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.Collector;

/**
 * The baselines' parse step: a flat JSON value becomes an {@code INSERT} row of the table, a
 * tombstone a {@code DELETE} row carrying the key (or nothing, for the append-only sink), and a
 * record that does not parse is dropped. It reads the same JSON with the same Jackson as our parser,
 * so the baselines do comparable work before their sink; it does not version or order anything.
 */
final class BaselineRowParser implements FlatMapFunction<KafkaRecord, RowData> {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String[] names;
  private final LogicalTypeRoot[] types;
  private final String keyColumn;
  private final boolean keepDeletes;

  BaselineRowParser(RowType tableRow, String keyColumn, boolean keepDeletes) {
    List<RowType.RowField> fields = tableRow.getFields();
    this.names = fields.stream().map(RowType.RowField::getName).toArray(String[]::new);
    this.types = fields.stream().map(field -> field.getType().getTypeRoot()).toArray(LogicalTypeRoot[]::new);
    this.keyColumn = keyColumn;
    this.keepDeletes = keepDeletes;
  }

  @Override
  public void flatMap(KafkaRecord record, Collector<RowData> out) {
    try {
      if (record.value == null) {
        if (keepDeletes) {
          out.collect(row(JSON.readTree(record.key), RowKind.DELETE));
        }
      } else {
        out.collect(row(JSON.readTree(record.value), RowKind.INSERT));
      }
    } catch (IOException | RuntimeException e) {
      // malformed: the baselines have no dead-letter topic
    }
  }

  private RowData row(JsonNode json, RowKind kind) {
    if (!json.hasNonNull(keyColumn)) {
      throw new IllegalArgumentException("no key");
    }
    GenericRowData row = new GenericRowData(kind, names.length);
    for (int i = 0; i < names.length; i++) {
      JsonNode value = json.get(names[i]);
      if (value != null && !value.isNull()) {
        row.setField(i, value(types[i], value));
      }
    }
    return row;
  }

  private static Object value(LogicalTypeRoot type, JsonNode value) {
    return switch (type) {
      case BIGINT -> {
        if (!value.canConvertToLong()) {
          throw new IllegalArgumentException("not a long");
        }
        yield value.longValue();
      }
      case DOUBLE -> value.doubleValue();
      case VARCHAR -> StringData.fromString(value.asText());
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE, TIMESTAMP_WITHOUT_TIME_ZONE -> value.isNumber()
          ? TimestampData.fromEpochMillis(value.longValue())
          : TimestampData.fromInstant(Instant.parse(value.textValue()));
      default -> throw new IllegalArgumentException("unsupported column type " + type);
    };
  }
}
