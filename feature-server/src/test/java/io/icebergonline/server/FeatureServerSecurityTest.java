package io.icebergonline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.testing.RestCatalogOnS3;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS from PEM files (what Feast's remote store {@code cert} option verifies against), the bearer
 * token from the environment, and a view whose table does not exist yet: the server starts, health
 * says which view is unreadable, and a read of it is a 503 naming the table, not a 500.
 */
class FeatureServerSecurityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "s3cr3t-token-value";

  @TempDir
  static Path dir;

  private static RestCatalogOnS3 catalog;
  private static FeatureServer server;
  private static HttpClient https;
  private static String base;

  @BeforeAll
  static void startTlsServerWithToken() throws Exception {
    catalog = RestCatalogOnS3.start();
    Path keyStore = dir.resolve("server.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", keyStore.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    KeyStore generated = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      generated.load(in, "changeit".toCharArray());
    }
    Certificate certificate = generated.getCertificate("server");
    Path cert = Files.writeString(dir.resolve("tls.crt"), pem("CERTIFICATE", certificate.getEncoded()));
    Path key = Files.writeString(dir.resolve("tls.key"),
        pem("PRIVATE KEY", generated.getKey("server", "changeit".toCharArray()).getEncoded()));

    String yaml = String.join("\n",
        catalog.onlineStoreYaml(),
        "kafka: { bootstrap_servers: '127.0.0.1:1' }",
        "dead_letter_topic: dead-letters",
        "feature_views:",
        "  - name: not_yet_created",
        "    topic: t",
        "    entities: [ { name: id, type: INT64 } ]",
        "    features: [ { name: x, type: DOUBLE } ]",
        "server:",
        "  port: 0",
        "  tls_cert: " + cert,
        "  tls_key: " + key,
        "  bearer_token_env: FEATURE_SERVER_TOKEN",
        "");
    Map<String, String> environment = Map.of("FEATURE_SERVER_TOKEN", TOKEN);
    JobConfig job = JobConfigParser.parse(yaml, environment::get);
    FeatureServerConfig config = JobConfigParser.parseFeatureServer(yaml, environment::get);
    server = FeatureServer.start(job, config);
    base = "https://localhost:" + server.port();

    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("server", certificate);
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, trust.getTrustManagers(), null);
    https = HttpClient.newBuilder().sslContext(tls).build();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (catalog != null) {
      catalog.close();
    }
  }

  private static HttpResponse<String> read(String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/get-online-features"))
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"features\": [\"not_yet_created:x\"], \"entities\": {\"id\": [1]}}"));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return https.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void withoutTheTokenARequestIs401AndTheTokenAppearsNowhere() throws Exception {
    HttpResponse<String> missing = read(null);
    HttpResponse<String> wrong = read("Bearer guess");

    assertThat(missing.statusCode()).isEqualTo(401);
    assertThat(FeastClientError.read(missing.body()).message()).isEqualTo("missing 'Authorization: Bearer <token>' header");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(FeastClientError.read(wrong.body()).message()).isEqualTo("wrong bearer token");
    assertThat(missing.body() + wrong.body()).doesNotContain(TOKEN);
  }

  @Test
  void overTlsWithTheTokenAReadOfAMissingTableIs503NamingItAndHealthSaysWhich() throws Exception {
    HttpResponse<String> response = read("Bearer " + TOKEN);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
    assertThat(FeastClientError.read(response.body()).message()).contains("feast_online.not_yet_created");
    assertThat(response.body()).doesNotContain(TOKEN, "s3.secret-access-key", "test-secret-key");

    HttpResponse<String> health = https.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    // its only view cannot be served: the replica cannot serve anything
    assertThat(health.statusCode()).isEqualTo(503);
    JsonNode state = JSON.readTree(health.body()).path("feature_views").path("not_yet_created");
    assertThat(state.path("status").asText()).isEqualTo("unavailable");
    assertThat(state.path("reason").asText()).contains("feast_online.not_yet_created");
    assertThat(health.body()).doesNotContain("s3.secret-access-key", "test-secret-key");
  }
}
