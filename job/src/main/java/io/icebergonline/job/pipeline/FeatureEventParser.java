package io.icebergonline.job.pipeline;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.EntityKeys;
import io.icebergonline.core.EventFormat;
import io.icebergonline.core.FeastValueType;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.FieldSpec;
import io.icebergonline.core.OnlineTableLayout;
import io.icebergonline.core.TimestampUnit;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.types.RowKind;
import org.apache.iceberg.Schema;
import org.apache.iceberg.types.Types;

/**
 * Turns a Kafka record of a feature view into a {@link VersionedRow}: a flat JSON value (Feast's
 * KafkaSource JSON convention), an Avro record (the view's {@code format: avro}, see {@link
 * AvroRecords}) or a Protobuf message ({@code format: protobuf}, see {@link ProtobufValues})
 * becomes an upsert; a tombstone (null value, the entity columns in the key: a JSON object, or an
 * Avro record or Protobuf message framed as the values are) becomes a delete versioned by the
 * record timestamp. The row has the table's columns
 * in the table's order; columns the view does not know stay null. Anything that does not fit
 * throws {@link MalformedEventException} with the reason.
 */
final class FeatureEventParser implements Serializable {
  private static final long serialVersionUID = 1L;
  /** What {@link #readScalar} returns for a value it leaves to {@link JsonValues}. */
  private static final Object NOT_READ = new Object();

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
  /** Table column of each JSON field the parser reads: entities, features, event and created time. */
  private final Map<String, Integer> columnsByName = new HashMap<>();
  /**
   * Jackson with a buffer pool of its own instead of its default thread-local one: looking the
   * buffers up among the many thread locals of a Flink task thread took ~5% of the parse thread in
   * a JFR profile. A subtask parses on one thread, so one pooled buffer set serves every record.
   */
  private transient ObjectMapper json;
  /** For each Avro writer schema met, by identity: see {@link #avroColumns}. */
  private transient Map<org.apache.avro.Schema, int[]> avroColumnsBySchema;
  /** The view's Avro records, null for a JSON view. */
  private final AvroRecords avro;
  /** The field reader of each Protobuf message type met, by identity. */
  private transient Map<com.google.protobuf.Descriptors.Descriptor, ProtobufFieldReader> protobufReaders;
  /** The view's Protobuf messages, null unless its format is protobuf. */
  private final ProtobufValues protobuf;

  FeatureEventParser(FeatureViewSpec view, Schema tableSchema) {
    this.view = view;
    this.avro = view.format().kind() == EventFormat.Kind.AVRO ? new AvroRecords(view.format()) : null;
    this.protobuf = view.format().kind() == EventFormat.Kind.PROTOBUF ? new ProtobufValues(view.format()) : null;
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
    for (int i = 0; i < arity; i++) {
      if (sources[i] != Source.NONE && sources[i] != Source.DERIVED_KEY) {
        columnsByName.put(columnNames[i], i);
      }
    }
  }

  RowData parse(KafkaRecord record) throws MalformedEventException {
    if (record.value == null) {
      return parseTombstone(record);
    }
    return avro != null ? parseAvroUpsert(record) : protobuf != null ? parseProtobufUpsert(record) : parseUpsert(record);
  }

  /**
   * The view's column of each field of a writer schema, -1 where the view has none: looked up once
   * per schema rather than by name for each field of each record (8% of the Avro parse).
   */
  private int[] avroColumns(org.apache.avro.Schema schema) {
    if (avroColumnsBySchema == null) {
      avroColumnsBySchema = new IdentityHashMap<>();
    }
    int[] columns = avroColumnsBySchema.get(schema);
    if (columns == null) {
      List<org.apache.avro.Schema.Field> fields = schema.getFields();
      columns = new int[fields.size()];
      for (int pos = 0; pos < columns.length; pos++) {
        columns[pos] = columnsByName.getOrDefault(fields.get(pos).name(), -1);
      }
      avroColumnsBySchema.put(schema, columns);
    }
    return columns;
  }

  /**
   * A Protobuf message's fields, by name, into the row; fields the view does not have are left
   * out. Read by the type's {@link ProtobufFieldReader}, or as a {@link
   * com.google.protobuf.DynamicMessage} where that reader leaves the record to it.
   */
  private RowData parseProtobufUpsert(KafkaRecord record) throws MalformedEventException {
    ProtobufValues.Located at = protobuf.locate(record.value, "value");
    if (protobufReaders == null) {
      protobufReaders = new IdentityHashMap<>();
    }
    ProtobufFieldReader reader = protobufReaders.computeIfAbsent(at.type(),
        type -> new ProtobufFieldReader(type, columnsByName));
    Object[] values;
    try {
      values = reader.read(record.value, at.offset());
    } catch (IOException e) {
      throw ProtobufValues.notAMessage("value", at, e);
    }
    if (values == null) {
      values = reader.values(ProtobufValues.parse(record.value, at, "value"));
    }
    GenericRowData row = new GenericRowData(RowKind.INSERT, columnNames.length);
    for (int i = 0; i < values.length; i++) {
      int column = reader.column(i);
      com.google.protobuf.Descriptors.FieldDescriptor field = reader.field(i);
      Object read = values[i];
      if (sources[column] == Source.EVENT_TIME || sources[column] == Source.CREATED_TIME) {
        row.setField(column, read == null ? null
            : TimestampData.fromInstant(ProtobufValues.instant(field.getName(), read, view.timestampUnit())));
      } else {
        row.setField(column, ProtobufValues.toInternal(field.getName(), types[column], read, field,
            view.timestampUnit()));
      }
    }
    return versionedUpsert(row);
  }

  /** An Avro record's fields, by name, into the row; fields the view does not have are left out. */
  private RowData parseAvroUpsert(KafkaRecord record) throws MalformedEventException {
    GenericRecord value = avro.read(record.value, "value");
    GenericRowData row = new GenericRowData(RowKind.INSERT, columnNames.length);
    int[] columnOfField = avroColumns(value.getSchema());
    List<org.apache.avro.Schema.Field> fields = value.getSchema().getFields();
    for (int pos = 0; pos < columnOfField.length; pos++) {
      int column = columnOfField[pos];
      if (column < 0) {
        continue;
      }
      org.apache.avro.Schema.Field field = fields.get(pos);
      Object read = value.get(pos);
      if (sources[column] == Source.EVENT_TIME || sources[column] == Source.CREATED_TIME) {
        row.setField(column, read == null ? null
            : TimestampData.fromInstant(AvroValues.instant(field.name(), read, field.schema(), view.timestampUnit())));
      } else {
        row.setField(column, AvroValues.toInternal(field.name(), types[column], read, field.schema(),
            view.timestampUnit()));
      }
    }
    return versionedUpsert(row);
  }

  /** An upsert row whose time columns hold timestamps (or null), with its version. */
  private RowData versionedUpsert(GenericRowData row) throws MalformedEventException {
    List<Object> entityValues = entityValues(row, "missing entity ");
    TimestampData eventTime = (TimestampData) row.getField(eventTimeColumn);
    if (eventTime == null) {
      throw new MalformedEventException("missing event timestamp " + view.timestampField());
    }
    long createdTime = VersionedRow.NO_CREATED_TIME;
    if (createdTimeColumn >= 0 && row.getField(createdTimeColumn) != null) {
      createdTime = JsonValues.epochMicros((TimestampData) row.getField(createdTimeColumn));
    }
    return versioned(row, entityValues, JsonValues.epochMicros(eventTime), createdTime, false);
  }

  /**
   * Reads the value with Jackson's streaming parser straight into the row: a scalar of the
   * column's type is stored as it is read; anything else (lists, wrong types, timestamps that are
   * not integers) is read as a {@link JsonNode} and converted afterwards, in column order, by
   * {@link JsonValues}, which also names what is wrong. So the values and the errors are those of
   * converting the whole JSON tree, without building it for every event.
   */
  private RowData parseUpsert(KafkaRecord record) throws MalformedEventException {
    GenericRowData row = new GenericRowData(RowKind.INSERT, columnNames.length);
    JsonNode[] deferred = null;
    try (JsonParser parser = json().getFactory().createParser(record.value)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new MalformedEventException("value is not a JSON object");
      }
      String name;
      while ((name = parser.nextFieldName()) != null) {
        Integer column = columnsByName.get(name);
        JsonToken token = parser.nextToken();
        if (column == null) {
          parser.skipChildren();
          continue;
        }
        Object value = readScalar(parser, token, column);
        row.setField(column, value == NOT_READ ? null : value);
        if (value == NOT_READ || deferred != null) {
          if (deferred == null) {
            deferred = new JsonNode[columnNames.length];
          }
          deferred[column] = value == NOT_READ ? parser.readValueAsTree() : null;
        }
      }
    } catch (JsonProcessingException e) {
      throw new MalformedEventException("value is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new MalformedEventException("value is not readable: " + e.getMessage());
    }
    if (deferred != null) {
      for (int i = 0; i < columnNames.length; i++) {
        if (deferred[i] != null && (sources[i] == Source.ENTITY || sources[i] == Source.FEATURE)) {
          row.setField(i, JsonValues.toInternal(columnNames[i], types[i], deferred[i], view.timestampUnit()));
        }
      }
    }
    List<Object> entityValues = entityValues(row, "missing entity ");
    TimestampData eventTime = timestamp(row, eventTimeColumn, deferred);
    if (eventTime == null) {
      throw new MalformedEventException("missing event timestamp " + view.timestampField());
    }
    long createdTime = VersionedRow.NO_CREATED_TIME;
    if (createdTimeColumn >= 0) {
      TimestampData created = timestamp(row, createdTimeColumn, deferred);
      if (created != null) {
        createdTime = JsonValues.epochMicros(created);
      }
    }
    return versioned(row, entityValues, JsonValues.epochMicros(eventTime), createdTime, false);
  }

  /**
   * The value of the current token if it is a scalar of the column's type that converts as {@link
   * JsonValues} would convert it, a JSON null as null, else {@link #NOT_READ}. Integer timestamps
   * are read as longs here and checked by {@link #timestamp}; string timestamps in the shapes
   * {@link IsoInstants} reads are read here, any other is left to {@link JsonValues}.
   */
  private Object readScalar(JsonParser parser, JsonToken token, int column) throws IOException {
    if (token == JsonToken.VALUE_NULL) {
      return null;
    }
    Source source = sources[column];
    if (source == Source.EVENT_TIME || source == Source.CREATED_TIME) {
      if (token == JsonToken.VALUE_STRING) {
        long micros = IsoInstants.epochMicros(parser.getTextCharacters(), parser.getTextOffset(), parser.getTextLength());
        return micros == IsoInstants.NOT_READ ? NOT_READ : JsonValues.timestampData(micros);
      }
      return token == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER
          ? (Object) parser.getLongValue() : NOT_READ;
    }
    switch (types[column]) {
      case INT64:
        if (token == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
          return parser.getLongValue();
        }
        break;
      case INT32:
        if (token == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() == JsonParser.NumberType.INT) {
          return parser.getIntValue();
        }
        break;
      case DOUBLE:
        if (token == JsonToken.VALUE_NUMBER_FLOAT || token == JsonToken.VALUE_NUMBER_INT
            && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
          double value = parser.getDoubleValue();
          return Double.isFinite(value) ? value : NOT_READ;
        }
        break;
      case FLOAT:
        if (token == JsonToken.VALUE_NUMBER_FLOAT || token == JsonToken.VALUE_NUMBER_INT
            && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
          float value = (float) parser.getDoubleValue(); // as JsonValues: the JSON tree holds a double
          return Float.isFinite(value) ? value : NOT_READ;
        }
        break;
      case STRING:
        if (token == JsonToken.VALUE_STRING) {
          return StringData.fromString(parser.getText());
        }
        break;
      case BOOL:
        if (token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE) {
          return token == JsonToken.VALUE_TRUE;
        }
        break;
      default:
        break;
    }
    return NOT_READ;
  }

  /**
   * The event or created time of a parsed value, null if absent or JSON null: a string {@link
   * #readScalar} read, an integer read as a long, else the deferred node; the column is set to the
   * timestamp.
   */
  private TimestampData timestamp(GenericRowData row, int column, JsonNode[] deferred) throws MalformedEventException {
    Object read = row.getField(column);
    if (read instanceof TimestampData timestamp) {
      return timestamp;
    }
    TimestampData timestamp;
    if (read instanceof Long value) {
      timestamp = JsonValues.timestampData(JsonValues.epochMicros(columnNames[column], value, view.timestampUnit()));
    } else if (deferred != null && deferred[column] != null && !deferred[column].isNull()) {
      timestamp = TimestampData.fromInstant(
          JsonValues.instant(columnNames[column], deferred[column], view.timestampUnit()));
    } else {
      return null;
    }
    row.setField(column, timestamp);
    return timestamp;
  }

  private RowData parseTombstone(KafkaRecord record) throws MalformedEventException {
    if (record.key == null) {
      throw new MalformedEventException("tombstone without a key: a delete needs the entity columns as a JSON key"
          + (avro != null ? " or an Avro record framed as the values are"
              : protobuf != null && view.format().framed() ? " or a Protobuf message framed as the values are" : ""));
    }
    GenericRowData row = new GenericRowData(RowKind.DELETE, columnNames.length);
    if (avro != null && avro.isFramed(record.key)) {
      GenericRecord key = avro.read(record.key, "tombstone key");
      for (int column : entityColumns) {
        org.apache.avro.Schema.Field field = key.getSchema().getField(columnNames[column]);
        row.setField(column, field == null ? null : AvroValues.toInternal(columnNames[column], types[column],
            key.get(field.pos()), field.schema(), view.timestampUnit()));
      }
    } else if (protobuf != null && protobuf.isFramed(record.key)) {
      com.google.protobuf.DynamicMessage key = protobuf.read(record.key, "tombstone key");
      for (int column : entityColumns) {
        com.google.protobuf.Descriptors.FieldDescriptor field = key.getDescriptorForType()
            .findFieldByName(columnNames[column]);
        row.setField(column, field == null ? null : ProtobufValues.toInternal(columnNames[column], types[column],
            ProtobufValues.raw(key, field), field, view.timestampUnit()));
      }
    } else {
      JsonNode key = readObject(record.key, "tombstone key");
      for (int column : entityColumns) {
        row.setField(column, JsonValues.toInternal(columnNames[column], types[column], key.get(columnNames[column]),
            view.timestampUnit()));
      }
    }
    List<Object> entityValues = entityValues(row, "tombstone key misses entity ");
    long deletedAt = JsonValues.epochMicros("Kafka record timestamp", record.timestamp, TimestampUnit.MILLIS);
    row.setField(eventTimeColumn, JsonValues.timestampData(deletedAt));
    return versioned(row, entityValues, deletedAt, VersionedRow.NO_CREATED_TIME, true);
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

  private ObjectMapper json() {
    if (json == null) {
      json = new ObjectMapper(JsonFactory.builder().recyclerPool(JsonRecyclerPools.newBoundedPool(1)).build());
    }
    return json;
  }

  private JsonNode readObject(byte[] bytes, String what) throws MalformedEventException {
    JsonNode tree;
    try {
      tree = json().readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new MalformedEventException(what + " is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new MalformedEventException(what + " is not readable: " + e.getMessage());
    }
    if (tree == null || !tree.isObject()) {
      throw new MalformedEventException(what + " is not a JSON object");
    }
    return tree;
  }
}
