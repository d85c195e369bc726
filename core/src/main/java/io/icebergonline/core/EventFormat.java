package io.icebergonline.core;

import java.io.Serializable;

/**
 * How a feature view's Kafka records are encoded (the view's {@code format} key and its
 * companions), as Feast's {@code KafkaSource} message formats name them: JSON ({@code
 * JsonFormat}, the default) or Avro, either framed by a schema registry (magic byte, schema id,
 * Avro binary: the Confluent wire format) or plain Avro binary of one schema given in the config
 * ({@code AvroFormat(schema_json)}).
 *
 * @param avroSchema the writer schema of plain Avro records, or null when records are framed
 * @param registry where framed records' schemas are fetched, or null
 */
public record EventFormat(Kind kind, String avroSchema, SchemaRegistryConfig registry) implements Serializable {
  /** The encodings. */
  public enum Kind { JSON, AVRO }

  public static final EventFormat JSON = new EventFormat(Kind.JSON, null, null);

  /** True when records carry a registry's framing (magic byte and schema id) rather than plain Avro. */
  public boolean framed() {
    return kind == Kind.AVRO && avroSchema == null;
  }
}
