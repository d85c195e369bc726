package io.icebergonline.job.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.EntityKeys;
import io.icebergonline.core.FeastValueType;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.FieldSpec;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.TimestampUnit;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.types.RowKind;
import org.apache.iceberg.Schema;
import org.apache.iceberg.types.Types;

/**
 * Turns a Kafka record of a feature view into a {@link VersionedRow}: a flat JSON value (Feast's
 * KafkaSource JSON convention) becomes an upsert; a tombstone (null value, JSON key of the entity
 * columns) becomes a delete versioned by the record timestamp. The row has the table's columns
 * in the table's order; columns the view does not know stay null. Anything that does not fit
 * throws {@link MalformedEventException} with the reason.
 */
final class FeatureEventParser implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What fills a table column. */
  private enum Source { ENTITY, DERIVED_KEY, EVENT_TIME, CREATED_TIME, FEATURE, NONE }

  private final FeatureViewSpec view;
  private final OnlineTableLayout layout;
  private final String[] columnNames;
  private final Source[] sources;
  private final FeastValueType[] types;
  private final int[] entityColumns;
  private final int eventTimeColumn;
  private final int createdTimeColumn;
  private final int derivedKeyColumn;

  FeatureEventParser(FeatureViewSpec view, Schema tableSchema) {
    this.view = view;
    this.layout = OnlineTableLayout.of(view);
    List<Types.NestedField> columns = tableSchema.columns();
    int arity = columns.size();
    this.columnNames = new String[arity];
    this.sources = new Source[arity];
    this.types = new FeastValueType[arity];
    this.entityColumns = new int[view.entities().size()];
    int eventTime = -1;
    int createdTime = -1;
    int derivedKey = -1;
    for (int i = 0; i < arity; i++) {
      String name = columns.get(i).name();
      columnNames[i] = name;
      sources[i] = Source.NONE;
      for (int e = 0; e < view.entities().size(); e++) {
        if (view.entities().get(e).name().equals(name)) {
          sources[i] = Source.ENTITY;
          types[i] = view.entities().get(e).type();
          entityColumns[e] = i;
        }
      }
      for (FieldSpec feature : view.features()) {
        if (feature.name().equals(name)) {
          sources[i] = Source.FEATURE;
          types[i] = feature.type();
        }
      }
      if (name.equals(view.timestampField())) {
        sources[i] = Source.EVENT_TIME;
        eventTime = i;
      } else if (name.equals(view.createdTimestampColumn())) {
        sources[i] = Source.CREATED_TIME;
        createdTime = i;
      } else if (view.hasCompositeKey() && name.equals(OnlineTableLayout.DERIVED_KEY_COLUMN)) {
        sources[i] = Source.DERIVED_KEY;
        derivedKey = i;
      }
    }
    this.eventTimeColumn = eventTime;
    this.createdTimeColumn = createdTime;
    this.derivedKeyColumn = derivedKey;
  }

  RowData parse(KafkaRecord record) throws MalformedEventException {
    return record.value == null ? parseTombstone(record) : parseUpsert(record);
  }

  private RowData parseUpsert(KafkaRecord record) throws MalformedEventException {
    JsonNode json = readObject(record.value, "value");
    GenericRowData row = new GenericRowData(RowKind.INSERT, columnNames.length);
    for (int i = 0; i < columnNames.length; i++) {
      if (sources[i] == Source.ENTITY || sources[i] == Source.FEATURE) {
        row.setField(i, JsonValues.toInternal(columnNames[i], types[i], json.get(columnNames[i]), view.timestampUnit()));
      }
    }
    List<Object> entityValues = entityValues(row, "missing entity ");
    JsonNode eventTimeNode = json.get(view.timestampField());
    if (eventTimeNode == null || eventTimeNode.isNull()) {
      throw new MalformedEventException("missing event timestamp " + view.timestampField());
    }
    Instant eventTime = JsonValues.instant(view.timestampField(), eventTimeNode, view.timestampUnit());
    row.setField(eventTimeColumn, TimestampData.fromInstant(eventTime));
    long createdTime = VersionedRow.NO_CREATED_TIME;
    if (createdTimeColumn >= 0) {
      JsonNode createdNode = json.get(view.createdTimestampColumn());
      if (createdNode != null && !createdNode.isNull()) {
        Instant created = JsonValues.instant(view.createdTimestampColumn(), createdNode, view.timestampUnit());
        row.setField(createdTimeColumn, TimestampData.fromInstant(created));
        createdTime = JsonValues.epochMicros(created);
      }
    }
    return versioned(row, entityValues, JsonValues.epochMicros(eventTime), createdTime, false);
  }

  private RowData parseTombstone(KafkaRecord record) throws MalformedEventException {
    if (record.key == null) {
      throw new MalformedEventException("tombstone without a key: a delete needs the entity columns as a JSON key");
    }
    JsonNode json = readObject(record.key, "tombstone key");
    GenericRowData row = new GenericRowData(RowKind.DELETE, columnNames.length);
    for (int column : entityColumns) {
      row.setField(column,
          JsonValues.toInternal(columnNames[column], types[column], json.get(columnNames[column]), view.timestampUnit()));
    }
    List<Object> entityValues = entityValues(row, "tombstone key misses entity ");
    Instant deletedAt = JsonValues.instant("Kafka record timestamp", record.timestamp, TimestampUnit.MILLIS);
    row.setField(eventTimeColumn, TimestampData.fromInstant(deletedAt));
    return versioned(row, entityValues, JsonValues.epochMicros(deletedAt), VersionedRow.NO_CREATED_TIME, true);
  }

  private List<Object> entityValues(GenericRowData row, String missingPrefix) throws MalformedEventException {
    List<Object> values = new ArrayList<>(entityColumns.length);
    for (int column : entityColumns) {
      Object value = row.getField(column);
      if (value == null) {
        throw new MalformedEventException(missingPrefix + columnNames[column]);
      }
      values.add(value instanceof StringData text ? text.toString() : value);
    }
    return values;
  }

  /** {@code eventTime} and {@code createdTime} in epoch microseconds. */
  private RowData versioned(GenericRowData row, List<Object> entityValues, long eventTime, long createdTime,
      boolean delete) {
    Object keyValue = layout.keyValue(entityValues);
    if (derivedKeyColumn >= 0) {
      row.setField(derivedKeyColumn, StringData.fromString((String) keyValue));
    }
    int bucket = EntityKeys.bucket(keyValue, view.buckets());
    return VersionedRow.of(bucket, EntityKeys.compositeKey(entityValues), eventTime, createdTime, delete, row);
  }

  private static JsonNode readObject(byte[] bytes, String what) throws MalformedEventException {
    JsonNode json;
    try {
      json = JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new MalformedEventException(what + " is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new MalformedEventException(what + " is not readable: " + e.getMessage());
    }
    if (json == null || !json.isObject()) {
      throw new MalformedEventException(what + " is not a JSON object");
    }
    return json;
  }
}
