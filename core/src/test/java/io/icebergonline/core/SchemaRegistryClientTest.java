package io.icebergonline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
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
    String body = status != 200 ? "{\"error_code\": " + status + "01, \"message\": \"scripted\"}"
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

    assertThat(client.schema(4)).contains(new SchemaRegistryClient.RegisteredSchema(4, "AVRO", "\"string\""));
    assertThat(client.schema(4)).isPresent();
    assertThat(client.latest("t-value")).contains(new SchemaRegistryClient.RegisteredSchema(7, "AVRO", "\"long\""));
    assertThat(client.latest("t-value")).isPresent();

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
}
