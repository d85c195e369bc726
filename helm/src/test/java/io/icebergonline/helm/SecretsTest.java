package io.icebergonline.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.icebergonline.core.EventFormat;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Credentials reach the job as environment variables (from existingSecret, or plain env), the
 * job config only names them, and values that would put a secret into a ConfigMap are refused.
 * Test data: values/secrets.yaml and the Secret it names, values/secret.yaml.
 */
class SecretsTest {
  private static final Path SECRETS_VALUES = ChartUnderTest.TEST_VALUES.resolve("secrets.yaml");
  private static final ChartUnderTest CHART = new ChartUnderTest();

  private static JsonNode secretData;
  private static Manifests manifests;

  @BeforeAll
  static void render() {
    secretData = ChartUnderTest.readYaml(ChartUnderTest.TEST_VALUES.resolve("secret.yaml")).path("stringData");
    manifests = CHART.render(SECRETS_VALUES);
  }

  @Test
  void noSecretValueAppearsInAnyConfigMap() {
    List<String> secretValues = new ArrayList<>();
    secretData.forEach(value -> secretValues.add(value.asText()));
    ChartUnderTest.values(SECRETS_VALUES).path("env").forEach(variable -> secretValues.add(variable.path("value").asText()));
    List<JsonNode> configMaps = manifests.ofKind("ConfigMap");

    assertThat(configMaps).hasSize(2); // the job config and the enrichment job's SQL
    for (JsonNode configMap : configMaps) {
      configMap.path("data").forEach(file -> assertThat(file.asText()).doesNotContain(secretValues));
    }
    assertThat(manifests.jobConfig()).contains("${AWS_SECRET_ACCESS_KEY}", "${KAFKA_PASSWORD}");
    assertThat(manifests.ofKind("Secret")).isEmpty();
  }

  @Test
  void everyFlinkDeploymentTakesTheSecretKeysFromExistingSecret() {
    List<JsonNode> deployments = manifests.ofKind("FlinkDeployment");

    assertThat(deployments).hasSize(2);
    for (JsonNode deployment : deployments) {
      Map<String, String> keysByVariable = new TreeMap<>();
      for (JsonNode variable : Manifests.mainContainer(deployment).path("env")) {
        JsonNode reference = variable.path("valueFrom").path("secretKeyRef");
        if (!reference.isMissingNode()) {
          assertThat(reference.path("name").asText()).isEqualTo("feature-store-credentials");
          keysByVariable.put(variable.path("name").asText(), reference.path("key").asText());
        }
      }
      assertThat(keysByVariable).containsExactlyEntriesOf(
          new TreeMap<>(Map.of("AWS_ACCESS_KEY_ID", "access-key-id", "AWS_SECRET_ACCESS_KEY", "secret-access-key")));
    }
  }

  @Test
  void jobConfigResolvesTheSecretsFromThePodEnvironment() {
    JobConfig config = JobConfigParser.parse(
        manifests.jobConfig(), Manifests.environment(manifests.materializer(), key -> secretData.path(key).asText(null)));

    assertThat(config.onlineStore().properties())
        .containsEntry("s3.access-key-id", "AKIAIOSFODNN7EXAMPLE")
        .containsEntry("s3.secret-access-key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assertThat(config.kafka().properties().get("sasl.jaas.config")).contains("password=\"Kafka-Pa55word-not-for-configmaps\"");
  }

  /** Each case: a --set that would write a secret into the job config, and the key the refusal names. */
  static Stream<Arguments> secretLiterals() {
    return Stream.of(
        Arguments.of("onlineStore.properties.s3\\.secret-access-key", "wJalrXUtnFEMI", "onlineStore.properties.s3.secret-access-key"),
        Arguments.of("onlineStore.properties.s3\\.secret-access-key", "${AWS_SECRET_ACCESS_KEY:-wJalrXUtnFEMI}",
            "onlineStore.properties.s3.secret-access-key"),
        Arguments.of("onlineStore.properties.s3\\.session-token", "FwoGZXIvYXdzE", "onlineStore.properties.s3.session-token"),
        Arguments.of("kafka.properties.sasl\\.jaas\\.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p4ss\";",
            "kafka.properties.sasl.jaas.config"),
        Arguments.of("kafka.properties.ssl\\.keystore\\.password", "changeit", "kafka.properties.ssl.keystore.password"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("secretLiterals")
  void refusesASecretWrittenIntoTheValues(String key, String literal, String reportedPath) {
    assertThatThrownBy(() -> CHART.render(Map.of(key, literal), SECRETS_VALUES))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(reportedPath + " looks like a secret")
        .satisfies(error -> assertThat(error.getMessage()).doesNotContain(literal));
  }

  @Test
  void aSchemaRegistryTakesItsCredentialsFromTheEnvironmentAndAvroViewsReachTheJobConfig() {
    Manifests avro = CHART.render(ChartUnderTest.TEST_VALUES.resolve("avro.yaml"));

    JobConfig config = JobConfigParser.parse(avro.jobConfig(),
        name -> name.equals("REGISTRY_USER_INFO") ? "user:registry-pa55" : "unused");

    EventFormat format = config.featureViews().get(0).format();
    assertThat(format.kind()).isEqualTo(EventFormat.Kind.AVRO);
    assertThat(format.registry().url()).isEqualTo("https://registry:8081");
    assertThat(format.registry().basicAuthUserInfo()).isEqualTo("user:registry-pa55");
    assertThatThrownBy(() -> CHART.render(Map.of("schemaRegistry.url", "https://registry:8081",
        "schemaRegistry.bearerToken", "eyJhbGciOi-literal")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schemaRegistry.bearerToken is a credential")
        .satisfies(error -> assertThat(error.getMessage()).doesNotContain("eyJhbGciOi-literal"));
  }

  @Test
  void refusesSecretEnvWithoutExistingSecret() {
    assertThatThrownBy(() -> CHART.render(Map.of("existingSecret", ""), SECRETS_VALUES))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("secretEnv needs existingSecret");
  }
}
