package io.icebergonline.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Flink's SQL client does in gateway mode ({@code sql-client.sh gateway -e ... -f script.sql},
 * flink-sql-client at release-2.1.1: {@code CliClient.executeFile}, {@code SqlMultiLineParser},
 * {@code ExecutorImpl}): the script split into statements at a ';' that ends a line outside quotes
 * and comments, each sent on its own to the SQL Gateway's REST API ({@code POST
 * /v3/sessions/:session/statements}), its result fetched from token 0 until it is ready.
 */
final class SqlGatewayClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final URI gateway;
  private final String session;

  private SqlGatewayClient(URI gateway, String session) {
    this.gateway = gateway;
    this.session = session;
  }

  static SqlGatewayClient openSession(URI gateway) throws IOException, InterruptedException {
    ObjectNode request = JSON.createObjectNode();
    request.set("properties", JSON.createObjectNode());
    JsonNode answer = send(HttpClient.newHttpClient(), HttpRequest.newBuilder(gateway.resolve("/v3/sessions"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(request.toString())).build());
    return new SqlGatewayClient(gateway, answer.path("sessionHandle").asText());
  }

  /**
   * The script with its {@code ${NAME}} / {@code ${NAME:-default}} placeholders filled from {@code
   * values}, as a user fills them before handing the file to the SQL client (which has no variables).
   */
  static String fill(String script, Map<String, String> values) {
    Matcher placeholder = PLACEHOLDER.matcher(script);
    StringBuilder filled = new StringBuilder();
    while (placeholder.find()) {
      String value = values.containsKey(placeholder.group(1)) ? values.get(placeholder.group(1)) : placeholder.group(2);
      if (value == null) {
        throw new IllegalArgumentException("no value for ${" + placeholder.group(1) + "}");
      }
      placeholder.appendReplacement(filled, Matcher.quoteReplacement(value));
    }
    placeholder.appendTail(filled);
    return filled.toString();
  }

  /** The statements of a script as the SQL client splits it (comment-only text is not sent). */
  static List<String> statements(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder statement = new StringBuilder();
    boolean inQuote = false;
    boolean inBlockComment = false;
    for (String line : script.split("\n", -1)) {
      statement.append(line).append('\n');
      StringBuilder code = new StringBuilder();
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if (inBlockComment) {
          if (c == '*' && i + 1 < line.length() && line.charAt(i + 1) == '/') {
            inBlockComment = false;
            i++;
          }
        } else if (inQuote) {
          inQuote = c != '\'';
          code.append(c);
        } else if (c == '-' && i + 1 < line.length() && line.charAt(i + 1) == '-') {
          break;
        } else if (c == '/' && i + 1 < line.length() && line.charAt(i + 1) == '*') {
          inBlockComment = true;
          i++;
        } else {
          inQuote = c == '\'';
          code.append(c);
        }
      }
      if (!inQuote && !inBlockComment && code.toString().trim().endsWith(";")) {
        statements.add(statement.toString().trim());
        statement.setLength(0);
      }
    }
    return statements;
  }

  /**
   * Executes one statement and waits for its first result; returns the id of the job it submitted
   * (an INSERT), or null. A statement the gateway refuses fails with the gateway's message.
   */
  String execute(String statement) throws IOException, InterruptedException {
    ObjectNode request = JSON.createObjectNode();
    request.put("statement", statement);
    String operation = send(http, HttpRequest.newBuilder(gateway.resolve("/v3/sessions/" + session + "/statements"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(request.toString())).build()).path("operationHandle").asText();
    URI result = gateway.resolve("/v3/sessions/" + session + "/operations/" + operation + "/result/0?rowFormat=JSON");
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode answer = send(http, HttpRequest.newBuilder(result).build());
      if (!answer.path("resultType").asText().equals("NOT_READY")) {
        return answer.hasNonNull("jobID") ? answer.path("jobID").asText() : null;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no result for statement: " + statement);
  }

  void close() throws IOException, InterruptedException {
    send(http, HttpRequest.newBuilder(gateway.resolve("/v3/sessions/" + session)).DELETE().build());
  }

  private static JsonNode send(HttpClient http, HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      JsonNode errors = JSON.readTree(response.body()).path("errors");
      throw new AssertionError("SQL Gateway answered " + response.statusCode() + " to " + request.method() + " "
          + request.uri() + ": " + (errors.isArray() && !errors.isEmpty() ? errors.get(errors.size() > 1 ? 1 : 0).asText()
              : response.body()));
    }
    return JSON.readTree(response.body());
  }
}
