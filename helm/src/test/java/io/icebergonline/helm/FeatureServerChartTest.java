package io.icebergonline.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.FeatureServiceSpec;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The optional Feast feature server: a Deployment and Service reading the job config plus its server block. */
class FeatureServerChartTest {
  private static final ChartUnderTest CHART = new ChartUnderTest();
  private static final String NAME = ChartUnderTest.FULLNAME + "-feature-server";

  @Test
  void isNotDeployedByDefault() {
    Manifests manifests = CHART.render();

    assertThat(manifests.ofKind("Deployment")).isEmpty();
    assertThat(manifests.ofKind("Service")).noneMatch(service -> service.path("metadata").path("name").asText().equals(NAME));
  }

  @Test
  void runsTheServerJarNonRootWithHealthProbesResourcesAndReplicas() {
    Manifests manifests = CHART.render(Map.of("featureServer.enabled", "true", "featureServer.replicas", "3"));
    JsonNode deployment = manifests.named("Deployment", NAME);
    JsonNode pod = deployment.path("spec").path("template").path("spec");
    JsonNode container = pod.path("containers").path(0);

    assertThat(deployment.path("spec").path("replicas").asInt()).isEqualTo(3);
    assertThat(container.path("image").asText()).isEqualTo("iceberg-online:0.1.0");
    assertThat(container.path("command").toString())
        .isEqualTo("[\"java\",\"-XX:MaxRAMPercentage=75\",\"-XX:+UseG1GC\",\"-jar\",\"/opt/iceberg-online/iceberg-online-feature-server.jar\","
            + "\"/opt/iceberg-online/config/job.yaml\"]");
    assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/health");
    assertThat(container.path("readinessProbe").path("httpGet").path("port").asText()).isEqualTo("http");
    assertThat(container.path("livenessProbe").isObject()).isTrue();
    assertThat(container.path("ports").path(0).path("containerPort").asInt()).isEqualTo(6566);
    assertThat(container.path("resources").path("requests").path("memory").asText()).isEqualTo("1Gi");
    assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(container.path("securityContext").path("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(pod.path("volumes").path(0).path("configMap").path("name").asText()).isEqualTo(NAME + "-config");

    JsonNode service = manifests.named("Service", NAME);
    assertThat(service.path("spec").path("ports").path(0).path("port").asInt()).isEqualTo(6566);
    assertThat(service.path("spec").path("selector"))
        .isEqualTo(deployment.path("spec").path("selector").path("matchLabels"));
  }

  @Test
  void itsConfigIsTheJobConfigPlusAServerBlockBothParsersAccept() {
    Manifests manifests = CHART.render(Map.of("featureServer.enabled", "true", "featureServer.maxEntities", "50",
        "featureServer.requestTimeout", "2s", "featureServer.tlsSecret", "server-tls",
        "featureServer.bearerTokenKey", "token", "existingSecret", "creds"));
    JsonNode deployment = manifests.named("Deployment", NAME);
    String yaml = manifests.named("ConfigMap", NAME + "-config").path("data").path("job.yaml").asText();
    Function<String, String> environment = environment(deployment);

    JobConfig job = JobConfigParser.parse(yaml, environment);
    FeatureServerConfig server = JobConfigParser.parseFeatureServer(yaml, environment);

    assertThat(job.featureViews()).isEqualTo(JobConfigParser.parse(manifests.jobConfig(), name -> null).featureViews());
    assertThat(server).isEqualTo(new FeatureServerConfig(6566, Path.of("/opt/iceberg-online/tls/tls.crt"),
        Path.of("/opt/iceberg-online/tls/tls.key"), 1024 * 1024, 50, Duration.ofSeconds(2), "value-of-token",
        256L * 1024 * 1024, FeatureServerConfig.Writes.DEFAULTS));
    JsonNode pod = deployment.path("spec").path("template").path("spec");
    assertThat(pod.path("volumes").path(1).path("secret").path("secretName").asText()).isEqualTo("server-tls");
    assertThat(pod.path("containers").path(0).path("readinessProbe").path("httpGet").path("scheme").asText())
        .isEqualTo("HTTPS");
  }

  @Test
  void featureServicesReachTheConfigAndAreResolvedAgainstTheViews() {
    Manifests manifests = CHART.render(Map.of("featureServer.enabled", "true",
        "featureServices.driver_activity[0]", "driver_hourly_stats:trips",
        "featureServices.all_driver_stats[0]", "driver_hourly_stats"));
    String yaml = manifests.named("ConfigMap", NAME + "-config").path("data").path("job.yaml").asText();

    // Helm writes the mapping's keys sorted
    assertThat(JobConfigParser.parse(yaml, name -> null).featureServices()).containsExactly(
        new FeatureServiceSpec("all_driver_stats", List.of(new FeatureServiceSpec.Ref("driver_hourly_stats", "conv_rate"),
            new FeatureServiceSpec.Ref("driver_hourly_stats", "trips"))),
        new FeatureServiceSpec("driver_activity", List.of(new FeatureServiceSpec.Ref("driver_hourly_stats", "trips"))));
    assertThat(JobConfigParser.parse(manifests.jobConfig(), name -> null).featureServices()).hasSize(2);
  }

  @Test
  void pushSourcesAndWriteLimitsReachTheServersConfig() {
    Manifests manifests = CHART.render(Map.of("featureServer.enabled", "true",
        "pushSources.driver_stats_push_source", "driver_hourly_stats",
        "featureServer.maxWriteBodySize", "512MB", "featureServer.maxWriteRows", "5000",
        "featureServer.writeTimeout", "10m"));
    String yaml = manifests.named("ConfigMap", NAME + "-config").path("data").path("job.yaml").asText();

    assertThat(JobConfigParser.parse(yaml, name -> null).pushSources())
        .isEqualTo(Map.of("driver_stats_push_source", List.of("driver_hourly_stats")));
    assertThat(JobConfigParser.parseFeatureServer(yaml, name -> null).writes())
        .isEqualTo(new FeatureServerConfig.Writes(512L * 1024 * 1024, 5000, Duration.ofMinutes(10)));
  }

  @Test
  void aFeatureServiceOfAnUnknownViewIsRefusedByTheConfigNamingIt() {
    Manifests manifests = CHART.render(Map.of("featureServices.svc[0]", "driver_stats:trips"));

    assertThatThrownBy(() -> JobConfigParser.parse(manifests.jobConfig(), name -> null))
        .hasMessage("feature_services.svc[0]: unknown feature view 'driver_stats'; the feature views are "
            + "[driver_hourly_stats]");
  }

  @Test
  void aTokenKeyWithoutExistingSecretFails() {
    assertThatThrownBy(() -> CHART.render(Map.of("featureServer.enabled", "true", "featureServer.bearerTokenKey", "t")))
        .hasMessageContaining("featureServer.bearerTokenKey needs existingSecret");
  }

  private static Function<String, String> environment(JsonNode deployment) {
    Map<String, String> environment = new HashMap<>();
    for (JsonNode variable : deployment.path("spec").path("template").path("spec").path("containers").path(0).path("env")) {
      JsonNode secretKey = variable.path("valueFrom").path("secretKeyRef").path("key");
      environment.put(variable.path("name").asText(),
          secretKey.isMissingNode() ? variable.path("value").asText() : "value-of-" + secretKey.asText());
    }
    return environment::get;
  }
}
