package io.icebergonline.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.LintResult;
import io.icebergonline.core.EventFormat;
import io.icebergonline.core.FeastValueType;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.FieldSpec;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.TimestampUnit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.flink.util.TimeUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart with its default values and with each example values file: strict lint passes, every
 * rendered FlinkDeployment passes the strict CRD schema, and the job parses the rendered config.
 */
class ChartValuesFilesTest {
  private static final ChartUnderTest CHART = new ChartUnderTest();
  private static FlinkDeploymentSchema crdSchema;

  @BeforeAll
  static void loadCrdSchema() {
    crdSchema = FlinkDeploymentSchema.load();
  }

  /** Each case: a name, its values files, and how many enrichment jobs it declares. */
  static Stream<Arguments> valuesCases() {
    return Stream.of(
        Arguments.of("defaults", List.of(), 0),
        Arguments.of("REST catalog on S3", List.of(ChartUnderTest.EXAMPLES.resolve("values-rest-s3.yaml")), 0),
        Arguments.of("Glue catalog", List.of(ChartUnderTest.EXAMPLES.resolve("values-glue.yaml")), 0),
        Arguments.of("several views and an enrichment job",
            List.of(ChartUnderTest.EXAMPLES.resolve("values-multi-view-enrichment.yaml")), 1));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valuesCases")
  void lintsInStrictMode(String name, List<Path> valuesFiles, int enrichmentJobs, @TempDir Path workDir) {
    LintResult result = ChartUnderTest.lintStrict(workDir, valuesFiles.toArray(Path[]::new));

    assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valuesCases")
  void rendersFlinkDeploymentsTheStrictCrdSchemaAccepts(String name, List<Path> valuesFiles, int enrichmentJobs) {
    List<JsonNode> deployments = CHART.render(valuesFiles.toArray(Path[]::new)).ofKind("FlinkDeployment");

    assertThat(deployments).hasSize(1 + enrichmentJobs);
    for (JsonNode deployment : deployments) {
      assertThat(crdSchema.validate(deployment)).as("schema errors of %s", deployment.path("metadata").path("name")).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valuesCases")
  void rendersAJobConfigTheJobParsesWithThePodEnvironment(String name, List<Path> valuesFiles, int enrichmentJobs) {
    Path[] files = valuesFiles.toArray(Path[]::new);
    Manifests manifests = CHART.render(files);
    JsonNode values = ChartUnderTest.values(files);

    // Every ${VAR} in job.yaml must be declared by the pod, or the parser fails on the unset variable.
    JobConfig config = JobConfigParser.parse(
        manifests.jobConfig(), Manifests.environment(manifests.materializer(), key -> "value-of-" + key));

    assertThat(config.onlineStore().catalogType().configName()).isEqualTo(values.path("onlineStore").path("catalogType").asText());
    assertThat(config.onlineStore().namespace()).isEqualTo(values.path("onlineStore").path("namespace").asText());
    assertThat(config.kafka().bootstrapServers()).isEqualTo(values.path("kafka").path("bootstrapServers").asText());
    assertThat(config.featureViews()).containsExactlyElementsOf(expectedViews(values));
    assertThat(config.maintenance().enabled()).isEqualTo(values.path("maintenance").path("enabled").asBoolean());
  }

  /** The feature views as the values declare them (camelCase keys, the parser's defaults for absent ones). */
  private static List<FeatureViewSpec> expectedViews(JsonNode values) {
    List<FeatureViewSpec> views = new ArrayList<>();
    for (JsonNode view : values.path("featureViews")) {
      views.add(new FeatureViewSpec(
          view.path("name").asText(),
          view.path("topic").asText(),
          fields(view.path("entities")),
          fields(view.path("features")),
          view.path("timestampField").asText(JobConfigParser.DEFAULT_TIMESTAMP_FIELD),
          view.path("createdTimestampColumn").textValue(),
          view.has("ttl") ? TimeUtils.parseDuration(view.path("ttl").asText()) : null,
          view.path("buckets").asInt(JobConfigParser.DEFAULT_BUCKETS),
          view.has("timestampUnit") ? TimestampUnit.valueOf(view.path("timestampUnit").asText().toUpperCase(Locale.ROOT))
              : JobConfigParser.DEFAULT_TIMESTAMP_UNIT,
          view.has("deleteRetention") ? TimeUtils.parseDuration(view.path("deleteRetention").asText()) : null,
          EventFormat.JSON));
    }
    return views;
  }

  private static List<FieldSpec> fields(JsonNode fields) {
    List<FieldSpec> specs = new ArrayList<>();
    fields.forEach(field -> specs.add(new FieldSpec(field.path("name").asText(), FeastValueType.valueOf(field.path("type").asText()))));
    return specs;
  }
}
