package io.icebergonline.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the Helm chart ({@code helm/iceberg-online}) renders for one release, taken as the operator
 * would take it: the FlinkDeployment's entry class, program arguments, parallelism and Flink
 * configuration, and the ConfigMap's {@code job.yaml}, written where the arguments point.
 */
record RenderedChart(String entryClass, List<String> args, int parallelism, Map<String, String> flinkConfiguration,
    String jobYaml) {
  static final String RELEASE = "features";
  /** Where the chart mounts its ConfigMap in the pods (iceberg-online.configDir). */
  static final String CONFIG_DIR = "/opt/iceberg-online/config";

  static RenderedChart render(Path chart, Path valuesFile, Map<String, String> sets) throws IOException {
    TemplateCommand template = new Helm(chart).template().withName(RELEASE).withNamespace("ml").withValuesFile(valuesFile);
    for (Map.Entry<String, String> set : sets.entrySet()) {
      template = template.set(set.getKey(), set.getValue());
    }
    List<JsonNode> documents = new ArrayList<>();
    try (MappingIterator<JsonNode> iterator = new YAMLMapper().readerFor(JsonNode.class).readValues(template.call())) {
      while (iterator.hasNext()) {
        JsonNode document = iterator.next();
        if (document != null && !document.isEmpty()) {
          documents.add(document);
        }
      }
    }
    JsonNode deployment = find(documents, "FlinkDeployment", RELEASE + "-iceberg-online");
    JsonNode configMap = find(documents, "ConfigMap", RELEASE + "-iceberg-online-config");
    JsonNode job = deployment.path("spec").path("job");
    List<String> args = new ArrayList<>();
    job.path("args").forEach(arg -> args.add(arg.asText()));
    Map<String, String> flinkConfiguration = new LinkedHashMap<>();
    deployment.path("spec").path("flinkConfiguration").fields()
        .forEachRemaining(entry -> flinkConfiguration.put(entry.getKey(), entry.getValue().asText()));
    return new RenderedChart(job.path("entryClass").asText(), args, job.path("parallelism").asInt(),
        flinkConfiguration, configMap.path("data").path("job.yaml").asText());
  }

  private static JsonNode find(List<JsonNode> documents, String kind, String name) {
    return documents.stream()
        .filter(document -> document.path("kind").asText().equals(kind)
            && document.path("metadata").path("name").asText().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("the chart rendered no " + kind + " " + name));
  }

  /**
   * Writes the ConfigMap's files to {@code directory} (the pods' mount) and returns the program
   * arguments with the mount path replaced by it.
   */
  List<String> argsWithConfigIn(Path directory) throws IOException {
    Files.createDirectories(directory);
    Files.writeString(directory.resolve("job.yaml"), jobYaml);
    return args.stream().map(arg -> arg.startsWith(CONFIG_DIR + "/") ? directory + arg.substring(CONFIG_DIR.length()) : arg)
        .toList();
  }
}
