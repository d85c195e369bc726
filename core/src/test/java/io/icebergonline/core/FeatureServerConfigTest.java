package io.icebergonline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FeatureServerConfigTest {
  private static final Function<String, String> ENV =
      Map.of("S3_SECRET", "hunter2-very-secret", "SERVER_TOKEN", "token-very-secret")::get;

  private static String jobYaml() throws IOException {
    try (InputStream in = FeatureServerConfigTest.class.getResourceAsStream("/job.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aConfigWithoutServerBlockGetsTheDefaults() throws IOException {
    assertThat(JobConfigParser.parseFeatureServer(jobYaml(), ENV)).isEqualTo(FeatureServerConfig.DEFAULTS);
    assertThat(FeatureServerConfig.DEFAULTS.port()).isEqualTo(6566);
  }

  @Test
  void theServerBlockIsReadAndTheJobParserAcceptsIt() throws IOException {
    String yaml = jobYaml() + String.join("\n",
        "server:",
        "  port: 7000",
        "  tls_cert: /etc/tls/tls.crt",
        "  tls_key: /etc/tls/tls.key",
        "  max_body_size: 64kb",
        "  max_entities: 50",
        "  request_timeout: 250ms",
        "  bearer_token_env: SERVER_TOKEN",
        "  index_max_memory: 1gb",
        "  max_write_body_size: 1g",
        "  max_write_rows: 5000000",
        "  write_timeout: 10m",
        "");

    FeatureServerConfig server = JobConfigParser.parseFeatureServer(yaml, ENV);

    assertThat(server).isEqualTo(new FeatureServerConfig(7000, Path.of("/etc/tls/tls.crt"), Path.of("/etc/tls/tls.key"),
        64 * 1024, 50, Duration.ofMillis(250), "token-very-secret", 1024L * 1024 * 1024,
        new FeatureServerConfig.Writes(1024L * 1024 * 1024, 5_000_000, Duration.ofMinutes(10))));
    assertThat(server.toString()).doesNotContain("token-very-secret");
    assertThat(JobConfigParser.parse(yaml, ENV).featureViews()).isNotEmpty();
  }

  static Stream<Arguments> badServerBlocks() {
    return Stream.of(
        Arguments.of("  prot: 1", "server.prot: unknown key"),
        Arguments.of("  port: 70000", "server.port: expected a port number from 0 to 65535, got 70000"),
        Arguments.of("  index_max_memory: lots", "server.index_max_memory: expected a positive size such as 128MB or 512kb, got 'lots'"),
        Arguments.of("  port: http", "server.port: expected an integer, got 'http'"),
        Arguments.of("  tls_cert: /a.pem", "server.tls_key: TLS needs both tls_cert and tls_key"),
        Arguments.of("  max_entities: 0", "server.max_entities: expected at least 1 (entities per request), got 0"),
        Arguments.of("  max_body_size: lots", "server.max_body_size: expected a positive size"),
        Arguments.of("  request_timeout: 0s", "server.request_timeout: must be greater than 0"),
        Arguments.of("  max_write_body_size: 3g", "server.max_write_body_size: expected a size from 1 byte to 2047m"),
        Arguments.of("  max_write_rows: -5", "server.max_write_rows: expected at least 1 (rows per write), got -5"),
        Arguments.of("  write_timeout: soon", "server.write_timeout: expected a duration"),
        Arguments.of("  bearer_token_env: NOT_SET", "server.bearer_token_env: environment variable NOT_SET is not set"));
  }

  @ParameterizedTest
  @MethodSource("badServerBlocks")
  void aBadServerKeyFailsNamingTheKey(String line, String message) throws IOException {
    String yaml = jobYaml() + "server:\n" + line + "\n";

    assertThatThrownBy(() -> JobConfigParser.parseFeatureServer(yaml, ENV))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(message);
  }
}
