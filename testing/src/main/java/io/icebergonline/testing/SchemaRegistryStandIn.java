package io.icebergonline.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * A stand-in for a schema registry: the calls of the Confluent Schema Registry REST API this
 * project makes, {@code GET /schemas/ids/{id}} (the job: {@code {"schemaType", "schema",
 * "references"}}), {@code GET /subjects/{subject}/versions/{version|latest}} (the feature server
 * and Protobuf imports: {@code {"subject", "version", "id", "schemaType", "schema", "references"}}),
 * Protobuf schemas with {@code ?format=serialized} as a base64 {@code FileDescriptorProto} (as
 * Confluent's registry and Redpanda 25.2+ answer), or 404 with error codes 40403 / 40401 / 40402
 * for what it does not have, on the JDK's HTTP server. No registry server runs from artifacts
 * reachable here (Confluent's are not on Maven Central; Apicurio's needs its Quarkus app), and the
 * wire format is small and documented. It keeps no {@code .proto} text: asked for a Protobuf schema
 * without {@code format=serialized} it says so in the schema string. It counts the fetches of each
 * id, and writes records in the Confluent wire format.
 */
public final class SchemaRegistryStandIn implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A registered schema as the registry holds it. */
  private record Registered(String type, String text, byte[] serialized, List<Map<String, Object>> references) {}

  private final HttpServer server;
  private final Map<Integer, Registered> schemas = new ConcurrentHashMap<>();
  private final Map<Integer, AtomicInteger> fetches = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(1);
  /** Each subject's versions in order: their schema ids. */
  private final Map<String, List<Integer>> versionsBySubject = new ConcurrentHashMap<>();

  public SchemaRegistryStandIn() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/schemas/ids/", this::schemaById);
    server.createContext("/subjects/", this::versionOfSubject);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Registers {@code schema}; returns its id. */
  public int register(Schema schema) {
    return add(new Registered("AVRO", schema.toString(), null, List.of()));
  }

  /** Registers {@code schema} as the latest version of {@code subject}; returns its id. */
  public int register(String subject, Schema schema) {
    return addVersion(subject, register(schema));
  }

  /**
   * Registers the Protobuf {@code file} as the latest version of {@code subject}; each of its
   * imports that is not a well-known type must have been registered before, under the subject
   * named as the import (version 1), as Confluent's serializers register them. Returns its id.
   */
  public int registerProtobuf(String subject, Descriptors.FileDescriptor file) {
    List<Map<String, Object>> references = new ArrayList<>();
    for (Descriptors.FileDescriptor dependency : file.getDependencies()) {
      if (!dependency.getName().startsWith("google/protobuf/")) {
        references.add(Map.of("name", dependency.getName(), "subject", dependency.getName(), "version", 1));
      }
    }
    int id = add(new Registered("PROTOBUF", "// " + file.getName() + ": this stand-in serves Protobuf schemas only "
        + "with format=serialized", file.toProto().toByteArray(), references));
    return addVersion(subject, id);
  }

  private int add(Registered registered) {
    int id = nextId.getAndIncrement();
    schemas.put(id, registered);
    return id;
  }

  private int addVersion(String subject, int id) {
    versionsBySubject.computeIfAbsent(subject, key -> new CopyOnWriteArrayList<>()).add(id);
    return id;
  }

  public int fetches(int id) {
    AtomicInteger count = fetches.get(id);
    return count == null ? 0 : count.get();
  }

  /** {@code record} in the Confluent wire format: magic byte 0, the schema id (4 bytes, big-endian), Avro binary. */
  public byte[] framed(int id, GenericRecord record) {
    ByteArrayOutputStream out = header(id);
    out.writeBytes(plain(record));
    return out.toByteArray();
  }

  /**
   * {@code message} in the Confluent wire format for Protobuf: magic byte 0, the schema id, the
   * message indexes naming its type in the schema's file (zigzag varints: their count, then each
   * position, top level first; the first message as the single count 0), the message.
   */
  public byte[] framed(int id, Message message) {
    List<Integer> path = new ArrayList<>();
    for (Descriptors.Descriptor at = message.getDescriptorForType(); at != null; at = at.getContainingType()) {
      path.add(0, (at.getContainingType() == null ? at.getFile().getMessageTypes()
          : at.getContainingType().getNestedTypes()).indexOf(at));
    }
    ByteArrayOutputStream out = header(id);
    CodedOutputStream indexes = CodedOutputStream.newInstance(out);
    try {
      if (path.equals(List.of(0))) {
        indexes.writeSInt32NoTag(0);
      } else {
        indexes.writeSInt32NoTag(path.size());
        for (int index : path) {
          indexes.writeSInt32NoTag(index);
        }
      }
      indexes.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    out.writeBytes(message.toByteArray());
    return out.toByteArray();
  }

  private static ByteArrayOutputStream header(int id) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
    return out;
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
    Registered registered = null;
    int id = -1;
    try {
      id = Integer.parseInt(tail);
      registered = schemas.get(id);
    } catch (NumberFormatException e) {
      // answered 404 below
    }
    if (registered == null) {
      send(exchange, 404, Map.of("error_code", 40403, "message", "Schema " + tail + " not found"));
    } else {
      fetches.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
      send(exchange, 200, answer(registered, serialized(exchange), Map.of()));
    }
  }

  private void versionOfSubject(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String[] parts = path.substring("/subjects/".length()).split("/versions/");
    String subject = parts[0];
    List<Integer> versions = versionsBySubject.get(subject);
    if (versions == null || parts.length != 2) {
      send(exchange, 404, Map.of("error_code", 40401, "message", "Subject '" + subject + "' not found."));
      return;
    }
    int version;
    try {
      version = parts[1].equals("latest") ? versions.size() : Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      version = -1;
    }
    if (version < 1 || version > versions.size()) {
      send(exchange, 404, Map.of("error_code", 40402, "message", "Version " + parts[1] + " not found."));
      return;
    }
    int id = versions.get(version - 1);
    send(exchange, 200, answer(schemas.get(id), serialized(exchange), Map.of("subject", subject, "version", version,
        "id", id)));
  }

  private static boolean serialized(HttpExchange exchange) {
    String query = exchange.getRequestURI().getQuery();
    return query != null && List.of(query.split("&")).contains("format=serialized");
  }

  private Map<String, Object> answer(Registered registered, boolean serialized, Map<String, Object> more) {
    Map<String, Object> answer = new LinkedHashMap<>(more);
    if (!registered.type().equals("AVRO")) {
      answer.put("schemaType", registered.type());
    }
    answer.put("schema", serialized && registered.serialized() != null
        ? Base64.getEncoder().encodeToString(registered.serialized()) : registered.text());
    if (!registered.references().isEmpty()) {
      answer.put("references", registered.references());
    }
    return answer;
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
