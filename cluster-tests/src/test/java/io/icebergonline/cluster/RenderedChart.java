package io.icebergonline.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.icebergonline.testing.EmbeddedKafka;
import io.icebergonline.testing.RestCatalogOnS3;
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

  /**
   * The chart with the cluster tests' values ({@code values-cluster.yaml}) and one test's names:
   * topic {@code name} of view driver_stats, its dead-letter topic and namespace, the services'
   * addresses, and checkpoints and savepoints on local disk under {@code work} (the cluster's
   * processes share this machine's disk; Flink's S3 file system is a plugin outside lib/ that would
   * test Flink's code, not ours). {@code extraSets} are further {@code --set} pairs.
   */
  static RenderedChart forTest(String name, EmbeddedKafka kafka, RestCatalogOnS3 catalog, Path work,
      Map<String, String> extraSets, String... extraValuesFiles) throws IOException {
    Map<String, String> sets = new LinkedHashMap<>();
    sets.put("onlineStore.uri", catalog.uri());
    sets.put("onlineStore.properties.s3\\.endpoint", catalog.s3Endpoint());
    sets.put("onlineStore.namespace", FeatureStream.namespaceOf(name));
    sets.put("kafka.bootstrapServers", kafka.bootstrapServers());
    sets.put("kafka.groupId", name + "-group");
    sets.put("deadLetterTopic", name + "-dlq");
    sets.put("featureViews[0].topic", name);
    sets.put("checkpoints.directory", work.resolve("checkpoints").toAbsolutePath().toUri().toString());
    sets.put("checkpoints.savepointDirectory", work.resolve("savepoints").toAbsolutePath().toUri().toString());
    sets.putAll(extraSets);
    List<Path> valuesFiles = new ArrayList<>(List.of(Path.of("src", "test", "resources", "values-cluster.yaml")));
    for (String file : extraValuesFiles) {
      valuesFiles.add(Path.of("src", "test", "resources", file));
    }
    return render(Path.of(System.getProperty("helm.chart")), valuesFiles, sets);
  }

  static RenderedChart render(Path chart, List<Path> valuesFiles, Map<String, String> sets) throws IOException {
    TemplateCommand template = new Helm(chart).template().withName(RELEASE).withNamespace("ml");
    for (Path file : valuesFiles) {
      template = template.withValuesFile(file);
    }
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
