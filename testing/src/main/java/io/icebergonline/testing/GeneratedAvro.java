package io.icebergonline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;

/**
 * The generator's driver_stats upserts as Avro records: {@link #SCHEMA} (event time as {@code
 * timestamp-millis}, trips and city optional), or another version of it with the same field
 * names. Only what the schema has is written: a field the schema lacks is dropped from the event,
 * and {@link #asWritten} says what the record then holds, for the oracle.
 */
public final class GeneratedAvro {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The driver_stats events of {@link FeatureEventGenerator} as an Avro record schema. */
  public static final Schema SCHEMA = SchemaBuilder.record("DriverStats").namespace("io.icebergonline.demo").fields()
      .requiredLong("driver_id").requiredDouble("conv_rate").optionalLong("trips").optionalString("city")
      .name("event_timestamp").type(LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG)))
      .noDefault().optionalLong("created").endRecord();

  private GeneratedAvro() {}

  /** The upsert's JSON value as a record of {@code schema}; its trips an int where the schema says so. */
  public static GenericRecord record(Schema schema, GeneratedEvent upsert) {
    JsonNode json = json(upsert);
    GenericRecordBuilder record = new GenericRecordBuilder(schema);
    record.set("driver_id", json.get("driver_id").longValue());
    record.set("conv_rate", json.get("conv_rate").doubleValue());
    Schema.Field trips = schema.getField("trips");
    if (trips != null) {
      JsonNode value = json.get("trips");
      boolean asInt = trips.schema().getTypes().stream().anyMatch(branch -> branch.getType() == Schema.Type.INT);
      record.set("trips", value == null ? null : asInt ? (Object) value.intValue() : (Object) value.longValue());
    }
    if (schema.getField("city") != null) {
      record.set("city", json.path("city").textValue());
    }
    JsonNode time = json.get("event_timestamp");
    long millis = time.isNumber() ? time.longValue() : Instant.parse(time.textValue()).toEpochMilli();
    record.set("event_timestamp", schema.getField("event_timestamp").schema().getLogicalType()
        instanceof LogicalTypes.TimestampMicros ? millis * 1000 : millis);
    if (schema.getField("created") != null) {
      record.set("created", json.has("created") ? json.get("created").longValue() : null);
    }
    return record.build();
  }

  /** The upsert as a record of {@code schema} holds it: its fields the schema lacks left out (read as null). */
  public static GeneratedEvent asWritten(Schema schema, GeneratedEvent upsert) {
    ObjectNode json = (ObjectNode) json(upsert);
    json.retain(schema.getFields().stream().map(Schema.Field::name).toList());
    try {
      return new GeneratedEvent(upsert.kind(), upsert.driverId(), upsert.key(), JSON.writeValueAsBytes(json),
          upsert.recordTimestamp(), upsert.malformedReason());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode json(GeneratedEvent upsert) {
    try {
      return JSON.readTree(upsert.value());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
