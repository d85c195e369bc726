package io.icebergonline.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the rendered FlinkDeployments of the materialization and enrichment jobs carry. */
class FlinkDeploymentTest {
  private static final ChartUnderTest CHART = new ChartUnderTest();
  private static final Path ENRICHMENT_VALUES = ChartUnderTest.EXAMPLES.resolve("values-multi-view-enrichment.yaml");
  private static final String ENRICHMENT_JOB = ChartUnderTest.FULLNAME + "-enrich-orders";

  private static Manifests defaults;

  @BeforeAll
  static void renderDefaults() {
    defaults = CHART.render();
  }

  @Test
  void runsMaterializeInApplicationModeOnFlink21() {
    JsonNode spec = defaults.materializer().path("spec");

    assertThat(spec.path("flinkVersion").asText()).isEqualTo("v2_1");
    assertThat(spec.path("mode").asText()).isEqualTo("native");
    assertThat(spec.path("image").asText()).isEqualTo("iceberg-online:0.1.0");
    JsonNode job = spec.path("job");
    assertThat(job.path("jarURI").asText()).isEqualTo("local:///opt/flink/usrlib/iceberg-online-job.jar");
    assertThat(job.path("entryClass").asText()).isEqualTo("io.icebergonline.job.Main");
    assertThat(texts(job.path("args")))
        .containsExactly("materialize", "--config", "/opt/iceberg-online/config/job.yaml", "--checkpoint-interval", "30s");
    assertThat(job.path("parallelism").asInt()).isEqualTo(2);
    assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
    assertThat(job.path("state").asText()).isEqualTo("running");
  }

  @Test
  void mountsTheJobConfigWhereTheConfigArgumentPoints() {
    JsonNode podSpec = defaults.materializer().path("spec").path("podTemplate").path("spec");
    JsonNode volume = podSpec.path("volumes").path(0);
    JsonNode mount = Manifests.mainContainer(defaults.materializer()).path("volumeMounts").path(0);

    assertThat(volume.path("configMap").path("name").asText()).isEqualTo(ChartUnderTest.FULLNAME + "-config");
    assertThat(mount.path("name").asText()).isEqualTo(volume.path("name").asText());
    assertThat(mount.path("mountPath").asText() + "/job.yaml").isEqualTo(defaults.materializer().path("spec").path("job").path("args").path(2).asText());
    assertThat(mount.path("readOnly").asBoolean()).isTrue();
  }

  @Test
  void configuresCheckpointsSavepointsHighAvailabilityAndPrometheus() {
    JsonNode configuration = defaults.materializer().path("spec").path("flinkConfiguration");

    assertThat(configuration.path("execution.checkpointing.dir").asText()).isEqualTo("s3://my-bucket/flink/checkpoints");
    assertThat(configuration.path("execution.checkpointing.savepoint-dir").asText()).isEqualTo("s3://my-bucket/flink/savepoints");
    assertThat(configuration.path("high-availability.type").asText()).isEqualTo("kubernetes");
    assertThat(configuration.path("high-availability.storageDir").asText()).isEqualTo("s3://my-bucket/flink/ha");
    assertThat(configuration.path("metrics.reporter.prom.factory.class").asText())
        .isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
    assertThat(configuration.path("metrics.reporter.prom.port").asText()).isEqualTo("9249");
    assertThat(configuration.path("taskmanager.numberOfTaskSlots").asText()).isEqualTo("2");

    JsonNode podTemplate = defaults.materializer().path("spec").path("podTemplate");
    assertThat(podTemplate.path("metadata").path("annotations").path("prometheus.io/scrape").asText()).isEqualTo("true");
    assertThat(podTemplate.path("metadata").path("annotations").path("prometheus.io/port").asText()).isEqualTo("9249");
    JsonNode port = Manifests.mainContainer(defaults.materializer()).path("ports").path(0);
    assertThat(port.path("name").asText()).isEqualTo("metrics");
    assertThat(port.path("containerPort").asInt()).isEqualTo(9249);
  }

  @Test
  void keepsKeyedStateInRocksDbWithIncrementalCheckpointsUnlessToldOtherwise() {
    JsonNode configuration = defaults.materializer().path("spec").path("flinkConfiguration");
    assertThat(configuration.path("state.backend.type").asText()).isEqualTo("rocksdb");
    assertThat(configuration.path("execution.checkpointing.incremental").asText()).isEqualTo("true");
    assertThat(configuration.path("state.backend.rocksdb.use-bloom-filter").asText()).isEqualTo("true");

    JsonNode onHeap = CHART.render(Map.of("stateBackend.type", "hashmap", "stateBackend.incremental", "false"))
        .materializer().path("spec").path("flinkConfiguration");
    assertThat(onHeap.path("state.backend.type").asText()).isEqualTo("hashmap");
    assertThat(onHeap.path("execution.checkpointing.incremental").asText()).isEqualTo("false");
    assertThat(onHeap.has("state.backend.rocksdb.use-bloom-filter")).isFalse();

    assertThatThrownBy(() -> CHART.render(Map.of("stateBackend.type", "memory")))
        .hasMessageContaining("/stateBackend/type").hasMessageContaining("'rocksdb', 'hashmap'");
  }

  @Test
  void leavesOutHighAvailabilityAndMetricsWhenDisabled() {
    JsonNode deployment = CHART.render(Map.of("highAvailability.enabled", "false", "metrics.enabled", "false")).materializer();
    JsonNode configuration = deployment.path("spec").path("flinkConfiguration");

    assertThat(configuration.has("high-availability.type")).isFalse();
    assertThat(configuration.has("metrics.reporter.prom.factory.class")).isFalse();
    assertThat(deployment.path("spec").path("podTemplate").path("metadata").path("annotations").has("prometheus.io/scrape")).isFalse();
    assertThat(Manifests.mainContainer(deployment).has("ports")).isFalse();
  }

  @Test
  void refusesStandbyJobManagersWithoutHighAvailability() {
    assertThatThrownBy(() -> CHART.render(Map.of("highAvailability.enabled", "false", "jobManager.replicas", "2")))
        .hasMessageContaining("jobManager.replicas > 1 needs highAvailability.enabled");
  }

  @Test
  void letsFlinkConfigurationValuesOverrideTheChartsSettings() {
    JsonNode configuration = CHART.render(Map.of("flinkConfiguration.execution\\.checkpointing\\.dir", "s3://elsewhere/checkpoints"))
        .materializer().path("spec").path("flinkConfiguration");

    assertThat(configuration.path("execution.checkpointing.dir").asText()).isEqualTo("s3://elsewhere/checkpoints");
  }

  @Test
  void runsPodsAsNonRootWithoutPrivilegeEscalationOrCapabilities() {
    JsonNode podSecurity = defaults.materializer().path("spec").path("podTemplate").path("spec").path("securityContext");
    JsonNode containerSecurity = Manifests.mainContainer(defaults.materializer()).path("securityContext");

    assertThat(podSecurity.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(podSecurity.path("runAsUser").asInt()).isEqualTo(9999);
    assertThat(containerSecurity.path("allowPrivilegeEscalation").isBoolean()).isTrue();
    assertThat(containerSecurity.path("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(texts(containerSecurity.path("capabilities").path("drop"))).containsExactly("ALL");
  }

  @Test
  void bindsTheJobManagersServiceAccountToItsRole() {
    String serviceAccount = defaults.materializer().path("spec").path("serviceAccount").asText();
    JsonNode binding = defaults.named("RoleBinding", ChartUnderTest.FULLNAME);

    assertThat(defaults.named("ServiceAccount", serviceAccount)).isNotNull();
    assertThat(binding.path("roleRef").path("name").asText()).isEqualTo(defaults.named("Role", ChartUnderTest.FULLNAME).path("metadata").path("name").asText());
    assertThat(binding.path("subjects").path(0).path("name").asText()).isEqualTo(serviceAccount);
    assertThat(binding.path("subjects").path(0).path("namespace").asText()).isEqualTo(ChartUnderTest.NAMESPACE);
  }

  @Test
  void usesAnExistingServiceAccountWithoutRbacWhenAsked() {
    Manifests manifests = CHART.render(Map.of(
        "serviceAccount.create", "false", "serviceAccount.name", "flink", "rbac.create", "false"));

    assertThat(manifests.materializer().path("spec").path("serviceAccount").asText()).isEqualTo("flink");
    assertThat(manifests.ofKind("ServiceAccount")).isEmpty();
    assertThat(manifests.ofKind("Role")).isEmpty();
    assertThat(manifests.ofKind("RoleBinding")).isEmpty();
  }

  @Test
  void changesThePodTemplateWhenTheJobConfigChanges() {
    JsonNode changed = CHART.render(Map.of("kafka.bootstrapServers", "other-kafka:9092")).materializer();

    assertThat(checksum(changed)).isNotEqualTo(checksum(defaults.materializer()));
    assertThat(checksum(CHART.render().materializer())).isEqualTo(checksum(defaults.materializer()));
  }

  @Test
  void runsEachEnrichmentJobsScriptWithItsSetOptions() {
    Manifests manifests = CHART.render(ENRICHMENT_VALUES);
    JsonNode deployment = manifests.named("FlinkDeployment", ENRICHMENT_JOB);
    JsonNode job = deployment.path("spec").path("job");
    JsonNode mount = Manifests.mainContainer(deployment).path("volumeMounts").path(0);
    String configMapName = deployment.path("spec").path("podTemplate").path("spec").path("volumes").path(0).path("configMap").path("name").asText();
    JsonNode declared = ChartUnderTest.values(ENRICHMENT_VALUES).path("enrichmentJobs").path(0);

    assertThat(job.path("jarURI").asText()).isEqualTo("local:///opt/flink/usrlib/iceberg-online-job.jar");
    assertThat(job.path("entryClass").asText()).isEqualTo("io.icebergonline.job.Main");
    assertThat(texts(job.path("args"))).containsExactly("sql", "/opt/iceberg-online/sql/enrich-orders.sql",
        "--set", "CATALOG_URI=http://iceberg-rest.catalog:8181", "--set", "KAFKA_BOOTSTRAP_SERVERS=kafka-bootstrap.kafka:9092");
    assertThat(job.path("parallelism").asInt()).isEqualTo(2);
    assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");
    assertThat(mount.path("mountPath").asText()).isEqualTo("/opt/iceberg-online/sql");
    assertThat(manifests.named("ConfigMap", configMapName).path("data").path("enrich-orders.sql").asText())
        .isEqualTo(declared.path("sql").asText());
    assertThat(deployment.path("spec").path("image").asText()).isEqualTo(manifests.materializer().path("spec").path("image").asText());
    assertThat(Manifests.mainContainer(deployment).path("env")).isEqualTo(Manifests.mainContainer(manifests.materializer()).path("env"));
  }

  private static String checksum(JsonNode deployment) {
    return deployment.path("spec").path("podTemplate").path("metadata").path("annotations").path("checksum/config").asText();
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(item -> texts.add(item.asText()));
    return texts;
  }
}
