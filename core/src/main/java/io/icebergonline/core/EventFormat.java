package io.icebergonline.core;

import java.io.Serializable;

/**
 * How a feature view's Kafka records are encoded (the view's {@code format} key and its
 * companions), as Feast's {@code KafkaSource} message formats name them: JSON ({@code
 * JsonFormat}, the default); Avro, either framed by a schema registry (magic byte, schema id,
 * Avro binary: the Confluent wire format) or plain Avro binary of one schema given in the config
 * ({@code AvroFormat(schema_json)}); or Protobuf messages, either of a type from a descriptor set
 * file (what {@code ProtoFormat(class_path)} means for a JVM job) or framed by a schema registry
 * (magic byte, schema id, message indexes).
 *
 * @param avroSchema the writer schema of plain Avro records, or null when records are framed
 * @param registry where framed records' schemas are fetched, or null
 * @param protobufDescriptors a serialized {@code FileDescriptorSet}, base64, or null
 * @param protobufMessage the full name of the message type in {@code protobufDescriptors}; with a
 *     registry, the message the feature server writes (null: the first of the schema)
 */
public record EventFormat(Kind kind, String avroSchema, SchemaRegistryConfig registry, String protobufDescriptors,
    String protobufMessage) implements Serializable {
  /** The encodings. */
  public enum Kind { JSON, AVRO, PROTOBUF }

  public static final EventFormat JSON = new EventFormat(Kind.JSON, null, null, null, null);

  /** Avro records framed by {@code registry}. */
  public static EventFormat avroFramed(SchemaRegistryConfig registry) {
    return new EventFormat(Kind.AVRO, null, registry, null, null);
  }

  /** Plain Avro records of {@code schema}. */
  public static EventFormat avroPlain(String schema) {
    return new EventFormat(Kind.AVRO, schema, null, null, null);
  }

  /** Protobuf messages of type {@code message} of the descriptor set (base64). */
  public static EventFormat protobuf(String descriptors, String message) {
    return new EventFormat(Kind.PROTOBUF, null, null, descriptors, message);
  }

  /** Protobuf messages framed by {@code registry}; {@code message} as for {@link #protobufMessage}. */
  public static EventFormat protobufFramed(SchemaRegistryConfig registry, String message) {
    return new EventFormat(Kind.PROTOBUF, null, registry, null, message);
  }

  /** True when records carry a registry's framing (magic byte and schema id) rather than plain Avro or Protobuf. */
  public boolean framed() {
    return kind != Kind.JSON && avroSchema == null && protobufDescriptors == null;
  }
}
