package io.icebergonline.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The strict CRD schema the chart tests rely on does reject what the API server (with strict field
 * validation) or the operator would: each case breaks one field of the rendered default FlinkDeployment.
 */
class StrictCrdSchemaTest {
  private static FlinkDeploymentSchema crdSchema;
  private static JsonNode renderedDeployment;

  @BeforeAll
  static void renderDefaults() {
    crdSchema = FlinkDeploymentSchema.load();
    renderedDeployment = new ChartUnderTest().render().materializer();
  }

  /** Each case: what is broken, how, and the part of the validator's message that names it. */
  static Stream<Arguments> brokenDeployments() {
    return Stream.of(
        Arguments.of("parallelism as a word",
            edit(deployment -> job(deployment).put("parallelism", "two")), "$.spec.job.parallelism: string found, integer expected"),
        Arguments.of("misspelt spec field",
            edit(deployment -> spec(deployment).set("taskManagr", spec(deployment).path("taskManager"))),
            "$.spec: property 'taskManagr' is not defined in the schema"),
        Arguments.of("unknown Flink version",
            edit(deployment -> spec(deployment).put("flinkVersion", "v2_9")), "$.spec.flinkVersion: does not have a value in the enumeration"),
        Arguments.of("unknown upgrade mode",
            edit(deployment -> job(deployment).put("upgradeMode", "lastState")), "$.spec.job.upgradeMode: does not have a value in the enumeration"),
        Arguments.of("misspelt field deep in the pod template",
            edit(deployment -> ((ObjectNode) Manifests.mainContainer(deployment).path("securityContext")).put("allowPrivilegeEscalaton", false)),
            "property 'allowPrivilegeEscalaton' is not defined in the schema"),
        Arguments.of("numeric annotation value",
            edit(deployment -> ((ObjectNode) deployment.path("metadata")).putObject("annotations").put("replicas", 3)),
            "$.metadata.annotations.replicas: integer found, string expected"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenDeployments")
  void rejects(String problem, JsonNode brokenDeployment, String message) {
    assertThat(crdSchema.validate(brokenDeployment)).anySatisfy(error -> assertThat(error).contains(message));
  }

  @Test
  void acceptsAnyFlinkConfigurationKeyAsTheCrdPreservesThem() {
    JsonNode deployment = edit(edited -> ((ObjectNode) spec(edited).path("flinkConfiguration")).put("no.such.flink.option", "x"));

    assertThat(crdSchema.validate(deployment)).isEmpty();
  }

  /** A copy of the rendered FlinkDeployment with one change. */
  private static JsonNode edit(Consumer<ObjectNode> change) {
    ObjectNode copy = renderedDeployment.deepCopy();
    change.accept(copy);
    return copy;
  }

  private static ObjectNode spec(JsonNode deployment) {
    return (ObjectNode) deployment.path("spec");
  }

  private static ObjectNode job(JsonNode deployment) {
    return (ObjectNode) deployment.path("spec").path("job");
  }
}
