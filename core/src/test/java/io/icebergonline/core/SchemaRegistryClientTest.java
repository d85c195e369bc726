package io.icebergonline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The schema registry client against scripted answers of a registry's REST API: a registry that
 * blinks is retried, an unknown id is absent (not a failure), refused credentials fail at once
 * without showing them, and each id and subject is asked for once.
 */
class SchemaRegistryClientTest {
  private HttpServer server;
  private final Queue<Integer> statuses = new ConcurrentLinkedQueue<>();
  private final List<String> requests = new ArrayList<>();
  private final List<String> authorizations = new ArrayList<>();
  /** Answers by path and query, where a test scripts them. */
  private final Map<String, String> bodies = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::answer);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private synchronized void answer(HttpExchange exchange) throws IOException {
    requests.add(exchange.getRequestURI().getPath());
    authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
    Integer scripted = statuses.poll();
    int status = scripted == null ? 200 : scripted;
    String scriptedBody = bodies.get(exchange.getRequestURI().toString());
    String body = status != 200 ? "{\"error_code\": " + status + "01, \"message\": \"scripted\"}"
        : scriptedBody != null ? scriptedBody
        : exchange.getRequestURI().getPath().startsWith("/subjects/")
            ? "{\"subject\": \"t-value\", \"version\": 3, \"id\": 7, \"schema\": \"\\\"long\\\"\"}"
            : "{\"schema\": \"\\\"string\\\"\"}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private SchemaRegistryClient client(String userInfo) {
    return SchemaRegistryClient.of(new SchemaRegistryConfig("http://127.0.0.1:" + server.getAddress().getPort(),
        userInfo, null));
  }

  @Test
  void aRegistryThatBlinksIsRetriedAndEachIdIsFetchedOnce() {
    statuses.addAll(List.of(503, 500));
    SchemaRegistryClient client = client("user:s3cret");

    assertThat(client.schema(4)).contains(new SchemaRegistryClient.RegisteredSchema(4, "AVRO", "\"string\"", List.of()));
    assertThat(client.schema(4)).isPresent();
    assertThat(client.latest("t-value", false)).contains(new SchemaRegistryClient.RegisteredSchema(7, "AVRO", "\"long\"", List.of()));
    assertThat(client.latest("t-value", false)).isPresent();

    assertThat(requests).containsExactly("/schemas/ids/4", "/schemas/ids/4", "/schemas/ids/4",
        "/subjects/t-value/versions/latest");
    assertThat(authorizations).allSatisfy(header -> assertThat(header).isEqualTo("Basic dXNlcjpzM2NyZXQ="));
  }

  @Test
  void anIdTheRegistryDoesNotKnowIsAbsentAndRefusedCredentialsFailAtOnceWithoutShowingThem() {
    statuses.add(404);
    SchemaRegistryClient client = client("someone:pa55word");
    assertThat(client.schema(99)).isEmpty();

    statuses.add(401);
    assertThatThrownBy(() -> client.schema(100))
        .isInstanceOf(SchemaRegistryClient.RegistryUnavailableException.class)
        .hasMessageContaining("refused the credentials (401) fetching schema id 100")
        .satisfies(error -> assertThat(error.getMessage()).doesNotContain("pa55word"));
    assertThat(requests).hasSize(2);
  }

  @Test
  void anIdUnknownAtFirstIsAskedForAgainOnceUnknownHasGrownStaleAndThenKeptForGood() {
    AtomicLong nanos = new AtomicLong();
    SchemaRegistryClient client = new SchemaRegistryClient(new SchemaRegistryConfig("http://127.0.0.1:"
        + server.getAddress().getPort(), null, null), nanos::get);
    statuses.add(404); // a registry replica that has not seen the producer's new schema yet
    assertThat(client.schema(5)).isEmpty();
    nanos.addAndGet(SchemaRegistryClient.UNKNOWN_FOR.toNanos() - 1);
    assertThat(client.schema(5)).isEmpty();
    assertThat(requests).hasSize(1);

    nanos.addAndGet(1);
    assertThat(client.schema(5)).contains(new SchemaRegistryClient.RegisteredSchema(5, "AVRO", "\"string\"", List.of()));
    nanos.addAndGet(SchemaRegistryClient.UNKNOWN_FOR.toNanos() * 100);
    assertThat(client.schema(5)).isPresent();
    assertThat(requests).containsExactly("/schemas/ids/5", "/schemas/ids/5");
  }

  @Test
  void aProtobufSchemaComesSerializedWithTheFilesItsReferencesNameAndMessageIndexesNameItsMessages()
      throws Exception {
    FileDescriptorProto common = FileDescriptorProto.newBuilder().setName("shared/common.proto").setPackage("shared")
        .setSyntax("proto3").addMessageType(DescriptorProto.newBuilder().setName("Money")
            .addField(field("cents", 1, FieldDescriptorProto.Type.TYPE_INT64, null))).build();
    FileDescriptorProto driver = FileDescriptorProto.newBuilder().setName("driver.proto").setPackage("feast.test")
        .setSyntax("proto3").addDependency("common.proto").addDependency("google/protobuf/timestamp.proto")
        .addMessageType(DescriptorProto.newBuilder().setName("Header"))
        .addMessageType(DescriptorProto.newBuilder().setName("Outer")
            .addNestedType(DescriptorProto.newBuilder().setName("DriverStats")
                .addField(field("driver_id", 1, FieldDescriptorProto.Type.TYPE_INT64, null))
                .addField(field("earned", 2, FieldDescriptorProto.Type.TYPE_MESSAGE, ".shared.Money"))
                .addField(field("event_timestamp", 3, FieldDescriptorProto.Type.TYPE_MESSAGE,
                    ".google.protobuf.Timestamp"))))
        .build();
    bodies.put("/schemas/ids/5", "{\"schemaType\": \"PROTOBUF\", \"schema\": \"syntax = \\\"proto3\\\";\"}");
    bodies.put("/schemas/ids/5?format=serialized", "{\"schemaType\": \"PROTOBUF\", \"schema\": \""
        + Base64.getEncoder().encodeToString(driver.toByteArray())
        + "\", \"references\": [{\"name\": \"common.proto\", \"subject\": \"common\", \"version\": 2}]}");
    bodies.put("/subjects/common/versions/2?format=serialized", "{\"subject\": \"common\", \"version\": 2, "
        + "\"id\": 9, \"schemaType\": \"PROTOBUF\", \"schema\": \""
        + Base64.getEncoder().encodeToString(common.toByteArray()) + "\"}");
    SchemaRegistryClient client = client(null);

    Descriptors.FileDescriptor file = ProtobufDescriptors.registered(client, client.protobufSchema(5).orElseThrow());
    Descriptors.Descriptor stats = ProtobufDescriptors.messageAt(file, new int[] {1, 0});

    assertThat(stats.getFullName()).isEqualTo("feast.test.Outer.DriverStats");
    assertThat(stats.findFieldByName("earned").getMessageType().getFullName()).isEqualTo("shared.Money");
    assertThat(ProtobufDescriptors.messageAt(file, new int[] {2})).isNull();
    assertThat(ProtobufDescriptors.indexes(file.findMessageTypeByName("Header"))).containsExactly(0);
    byte[] framed = ProtobufDescriptors.indexes(stats);
    assertThat(framed).as("count 2, then 1 and 0, zigzag").containsExactly(4, 2, 0);
    assertThat(ProtobufDescriptors.readIndexes(CodedInputStream.newInstance(framed))).containsExactly(1, 0);
    assertThat(ProtobufDescriptors.readIndexes(CodedInputStream.newInstance(new byte[] {0}))).containsExactly(0);
    assertThat(requests).containsExactly("/schemas/ids/5", "/schemas/ids/5", "/subjects/common/versions/2");
  }

  @Test
  void theLatestProtobufSchemaOfASubjectComesSerializedByItsIdAndAnAvroSubjectStaysAvro() {
    FileDescriptorProto file = FileDescriptorProto.newBuilder().setName("stats.proto").setSyntax("proto3")
        .addMessageType(DescriptorProto.newBuilder().setName("Stats")).build();
    bodies.put("/subjects/p-value/versions/latest", "{\"subject\": \"p-value\", \"version\": 4, \"id\": 12, "
        + "\"schemaType\": \"PROTOBUF\", \"schema\": \"syntax = \\\"proto3\\\"; message Stats {}\"}");
    bodies.put("/schemas/ids/12", "{\"schemaType\": \"PROTOBUF\", \"schema\": \"syntax = \\\"proto3\\\";\"}");
    bodies.put("/schemas/ids/12?format=serialized", "{\"schemaType\": \"PROTOBUF\", \"schema\": \""
        + Base64.getEncoder().encodeToString(file.toByteArray()) + "\"}");
    SchemaRegistryClient client = client(null);

    assertThat(client.latest("p-value", true)).contains(new SchemaRegistryClient.RegisteredSchema(12, "PROTOBUF",
        Base64.getEncoder().encodeToString(file.toByteArray()), List.of()));
    assertThat(client.latest("t-value", true)).as("an Avro subject is not asked for serialized")
        .contains(new SchemaRegistryClient.RegisteredSchema(7, "AVRO", "\"long\"", List.of()));
    assertThat(client.latest("p-value", true)).isPresent();
    assertThat(requests).containsExactly("/subjects/p-value/versions/latest", "/schemas/ids/12", "/schemas/ids/12",
        "/subjects/t-value/versions/latest");
  }

  @Test
  void aRegistryThatDoesNotServeProtobufSchemasSerializedFailsAtOnceSayingSo() {
    String asText = "{\"schemaType\": \"PROTOBUF\", \"schema\": \"syntax = \\\"proto3\\\"; message X {}\"}";
    bodies.put("/schemas/ids/6", asText);
    bodies.put("/schemas/ids/6?format=serialized", asText);
    bodies.put("/schemas/ids/7", asText);
    SchemaRegistryClient client = client(null);
    assertThatThrownBy(() -> client.protobufSchema(6))
        .isInstanceOf(SchemaRegistryClient.RegistryUnavailableException.class)
        .hasMessageContaining("schema id 6 as a serialized Protobuf descriptor (format=serialized) and sent it as .proto text");

    statuses.addAll(List.of(200, 501));
    assertThatThrownBy(() -> client.protobufSchema(7))
        .isInstanceOf(SchemaRegistryClient.RegistryUnavailableException.class)
        .hasMessageContaining("and answered HTTP 501");
    assertThat(requests).as("neither retried").hasSize(4);
    assertThat(client.protobufSchema(4)).as("an Avro schema is not asked for serialized")
        .contains(new SchemaRegistryClient.RegisteredSchema(4, "AVRO", "\"string\"", List.of()));
    assertThat(requests).hasSize(5);
  }

  private static FieldDescriptorProto field(String name, int number, FieldDescriptorProto.Type type, String typeName) {
    FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type);
    return (typeName == null ? field : field.setTypeName(typeName)).build();
  }
}
