package io.icebergonline.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * A stand-in for a schema registry: the calls of the Confluent Schema Registry REST API this
 * project makes, {@code GET /schemas/ids/{id}} (the job: {@code {"schema": "..."}}) and {@code GET
 * /subjects/{subject}/versions/latest} (the feature server: {@code {"subject", "version", "id",
 * "schema"}}), or 404 with error codes 40403 / 40401 for what it does not have, as Confluent's and
 * Apicurio's compatible API answer them, on the JDK's HTTP server. No registry server runs from artifacts reachable here (Confluent's are not on Maven
 * Central; Apicurio's needs its Quarkus app), and the wire format is small and documented. It counts
 * the fetches of each id, and writes records in the Confluent wire format.
 */
public final class SchemaRegistryStandIn implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();
  private final Map<Integer, AtomicInteger> fetches = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(1);

  private final Map<String, Integer> latestBySubject = new ConcurrentHashMap<>();

  public SchemaRegistryStandIn() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/schemas/ids/", this::schemaById);
    server.createContext("/subjects/", this::latestOfSubject);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Registers {@code schema}; returns its id. */
  public int register(Schema schema) {
    int id = nextId.getAndIncrement();
    schemas.put(id, schema);
    return id;
  }

  /** Registers {@code schema} as the latest version of {@code subject}; returns its id. */
  public int register(String subject, Schema schema) {
    int id = register(schema);
    latestBySubject.put(subject, id);
    return id;
  }

  /** The schema registered under {@code id}. */
  public Schema schema(int id) {
    return schemas.get(id);
  }

  public int fetches(int id) {
    AtomicInteger count = fetches.get(id);
    return count == null ? 0 : count.get();
  }

  /** {@code record} in the Confluent wire format: magic byte 0, the schema id (4 bytes, big-endian), Avro binary. */
  public byte[] framed(int id, GenericRecord record) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
    out.writeBytes(plain(record));
    return out.toByteArray();
  }

  /** {@code record} as plain Avro binary of its schema. */
  public static byte[] plain(GenericRecord record) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    try {
      new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  private void schemaById(HttpExchange exchange) throws IOException {
    String tail = exchange.getRequestURI().getPath().substring("/schemas/ids/".length());
    Schema schema = null;
    int id = -1;
    try {
      id = Integer.parseInt(tail);
      schema = schemas.get(id);
    } catch (NumberFormatException e) {
      // answered 404 below
    }
    byte[] body;
    int status;
    if (schema == null) {
      status = 404;
      body = JSON.writeValueAsBytes(Map.of("error_code", 40403, "message", "Schema " + tail + " not found"));
    } else {
      fetches.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
      status = 200;
      body = JSON.writeValueAsBytes(Map.of("schema", schema.toString()));
    }
    exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  private void latestOfSubject(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String subject = path.substring("/subjects/".length(), Math.max("/subjects/".length(), path.indexOf('/', "/subjects/".length())));
    Integer id = path.endsWith("/versions/latest") ? latestBySubject.get(subject) : null;
    if (id == null) {
      send(exchange, 404, Map.of("error_code", 40401, "message", "Subject '" + subject + "' not found."));
    } else {
      send(exchange, 200, Map.of("subject", subject, "version", 1, "id", id, "schema", schemas.get(id).toString()));
    }
  }

  private static void send(HttpExchange exchange, int status, Map<String, Object> answer) throws IOException {
    byte[] body = JSON.writeValueAsBytes(answer);
    exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
