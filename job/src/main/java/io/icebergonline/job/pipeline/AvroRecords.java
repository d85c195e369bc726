package io.icebergonline.job.pipeline;

import io.icebergonline.core.EventFormat;
import io.icebergonline.core.SchemaRegistryClient;
import java.io.IOException;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Avro record values of a feature view, read with Apache Avro's own reader: plain Avro binary of
 * the schema in the config, or the Confluent wire format (magic byte 0, a 4-byte big-endian
 * schema id, Avro binary of that schema), whose writer schema is fetched from the registry once per
 * id. Each record is read with its writer schema and then taken by field name, so records of every
 * registered version of a schema are read alike. What cannot be read is a {@link
 * MalformedEventException} naming why; a registry that cannot be reached is not (see {@link
 * SchemaRegistryClient}).
 */
final class AvroRecords implements Serializable {
  private static final long serialVersionUID = 1L;
  static final byte MAGIC_BYTE = 0;

  private final EventFormat format;
  private transient SchemaRegistryClient registry;
  private transient Map<Integer, GenericDatumReader<GenericRecord>> readersById;
  private transient GenericDatumReader<GenericRecord> plainReader;
  private transient BinaryDecoder decoder;

  AvroRecords(EventFormat format) {
    this.format = format;
  }

  /** True when {@code bytes} carry the registry's framing (what a framed key looks like; a JSON key does not). */
  boolean isFramed(byte[] bytes) {
    return registry() != null && bytes.length >= 5 && bytes[0] == MAGIC_BYTE;
  }

  /** The record {@code bytes} hold; {@code what} names them in errors ("value", "tombstone key"). */
  GenericRecord read(byte[] bytes, String what) throws MalformedEventException {
    GenericDatumReader<GenericRecord> reader;
    int offset;
    String schemaName;
    if (format.framed()) {
      if (bytes.length < 5 || bytes[0] != MAGIC_BYTE) {
        throw new MalformedEventException(what + " is not framed by a schema registry (magic byte 0 and a schema id)"
            + (bytes.length == 0 ? ": it is empty" : ": its first byte is " + (bytes[0] & 0xff)));
      }
      int id = ((bytes[1] & 0xff) << 24) | ((bytes[2] & 0xff) << 16) | ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff);
      reader = readerFor(id, what);
      offset = 5;
      schemaName = "schema id " + id;
    } else {
      reader = plainReader();
      offset = 0;
      schemaName = "the view's avro_schema";
    }
    try {
      decoder = DecoderFactory.get().binaryDecoder(bytes, offset, bytes.length - offset, decoder);
      GenericRecord record = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new MalformedEventException(what + " has bytes after the Avro record of " + schemaName);
      }
      return record;
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new MalformedEventException(what + " is not Avro of " + schemaName + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()));
    }
  }

  private GenericDatumReader<GenericRecord> readerFor(int id, String what) throws MalformedEventException {
    if (readersById == null) {
      readersById = new HashMap<>();
    }
    GenericDatumReader<GenericRecord> reader = readersById.get(id);
    if (reader == null) {
      Optional<SchemaRegistryClient.RegisteredSchema> registered = registry().schema(id);
      if (registered.isEmpty()) {
        throw new MalformedEventException(what + " names schema id " + id + ", which the schema registry does not know");
      }
      if (!registered.get().type().equals("AVRO")) {
        throw new MalformedEventException(what + " names schema id " + id + ", a " + registered.get().type()
            + " schema; this view's format is avro");
      }
      Schema schema;
      try {
        schema = new Schema.Parser().parse(registered.get().schema());
      } catch (RuntimeException e) {
        throw new MalformedEventException(what + " names schema id " + id + ", which Avro cannot parse: "
            + e.getMessage());
      }
      if (schema.getType() != Schema.Type.RECORD) {
        throw new MalformedEventException(what + " names schema id " + id + ", a " + schema.getType().getName()
            + " schema, not a record");
      }
      reader = new GenericDatumReader<>(schema);
      readersById.put(id, reader);
    }
    return reader;
  }

  private GenericDatumReader<GenericRecord> plainReader() {
    if (plainReader == null) {
      plainReader = new GenericDatumReader<>(new Schema.Parser().parse(format.avroSchema()));
    }
    return plainReader;
  }

  private SchemaRegistryClient registry() {
    if (registry == null && format.registry() != null) {
      registry = SchemaRegistryClient.of(format.registry());
    }
    return registry;
  }
}
