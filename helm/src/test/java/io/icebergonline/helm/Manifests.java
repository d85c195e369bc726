package io.icebergonline.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The Kubernetes objects of one {@code helm template} run, with lookups the tests share. */
record Manifests(List<JsonNode> documents) {
  static final String MAIN_CONTAINER = "flink-main-container";

  static Manifests parse(String renderedYaml) {
    List<JsonNode> documents = new ArrayList<>();
    try (MappingIterator<JsonNode> iterator = ChartUnderTest.YAML.readerFor(JsonNode.class).readValues(renderedYaml)) {
      while (iterator.hasNext()) {
        JsonNode document = iterator.next();
        if (document != null && !document.isNull() && !document.isEmpty()) {
          documents.add(document);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Manifests(documents);
  }

  List<JsonNode> ofKind(String kind) {
    return documents.stream().filter(document -> kind.equals(document.path("kind").asText())).toList();
  }

  /** The object of this kind and name; fails the test when there is none. */
  JsonNode named(String kind, String name) {
    return ofKind(kind).stream()
        .filter(document -> name.equals(document.path("metadata").path("name").asText()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " in " + names()));
  }

  /** The materialization job's FlinkDeployment. */
  JsonNode materializer() {
    return named("FlinkDeployment", ChartUnderTest.FULLNAME);
  }

  /** The job config file (job.yaml) of the materialization job's ConfigMap. */
  String jobConfig() {
    JsonNode jobYaml = named("ConfigMap", ChartUnderTest.FULLNAME + "-config").path("data").path("job.yaml");
    assertThat(jobYaml.isTextual()).as("ConfigMap data job.yaml").isTrue();
    return jobYaml.asText();
  }

  /** The container of a FlinkDeployment's pod template that the operator merges into its Flink containers. */
  static JsonNode mainContainer(JsonNode flinkDeployment) {
    for (JsonNode container : flinkDeployment.path("spec").path("podTemplate").path("spec").path("containers")) {
      if (MAIN_CONTAINER.equals(container.path("name").asText())) {
        return container;
      }
    }
    throw new AssertionError("no " + MAIN_CONTAINER + " in the pod template of " + flinkDeployment.path("metadata").path("name"));
  }

  /**
   * The environment the Flink containers of a FlinkDeployment get, as the job's config parser sees
   * it: plain values as they are, secret references resolved by {@code secretValue(key)}; null for
   * names the pod does not declare.
   */
  static Function<String, String> environment(JsonNode flinkDeployment, Function<String, String> secretValue) {
    Map<String, String> environment = new HashMap<>();
    for (JsonNode variable : mainContainer(flinkDeployment).path("env")) {
      JsonNode secretKey = variable.path("valueFrom").path("secretKeyRef").path("key");
      environment.put(variable.path("name").asText(),
          secretKey.isMissingNode() ? variable.path("value").asText() : secretValue.apply(secretKey.asText()));
    }
    return environment::get;
  }

  private List<String> names() {
    return documents.stream().map(document -> document.path("kind").asText() + "/" + document.path("metadata").path("name").asText()).toList();
  }
}
