package io.icebergonline.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The chart {@code iceberg-online/}, linted and rendered by Helm embedded through helm-java (no
 * helm binary, no cluster). Paths are relative to the module directory, Maven's working directory
 * for tests.
 */
final class ChartUnderTest {
  static final Path CHART = Path.of("iceberg-online");
  static final Path EXAMPLES = Path.of("examples");
  static final Path TEST_VALUES = Path.of("src", "test", "resources", "values");
  static final String RELEASE = "features";
  static final String NAMESPACE = "ml";
  /** The resource name prefix for {@link #RELEASE}: release name + chart name. */
  static final String FULLNAME = RELEASE + "-iceberg-online";

  static final YAMLMapper YAML = new YAMLMapper();

  private final Helm helm = new Helm(CHART);

  /** Renders the chart with the given values files (later files win) and no --set values. */
  Manifests render(Path... valuesFiles) {
    return render(Map.of(), valuesFiles);
  }

  /**
   * Renders the chart; {@code sets} are Helm {@code --set} pairs applied after the values files.
   * Throws {@link IllegalStateException} with Helm's message when rendering fails (schema, fail).
   */
  Manifests render(Map<String, String> sets, Path... valuesFiles) {
    TemplateCommand template = helm.template().withName(RELEASE).withNamespace(NAMESPACE);
    for (Path file : valuesFiles) {
      template = template.withValuesFile(file);
    }
    for (Map.Entry<String, String> set : sets.entrySet()) {
      template = template.set(set.getKey(), set.getValue());
    }
    return Manifests.parse(template.call());
  }

  /**
   * {@code helm lint --strict} with the values files applied. helm-java's lint takes no values
   * files, so the chart is copied to {@code workDir} with its values.yaml replaced by the values
   * Helm would compute (the chart's values.yaml merged with the files).
   */
  static LintResult lintStrict(Path workDir, Path... valuesFiles) {
    if (valuesFiles.length == 0) {
      return new Helm(CHART).lint().strict().call();
    }
    Path copy = workDir.resolve(CHART.getFileName());
    copyTree(CHART, copy);
    try {
      YAML.writeValue(copy.resolve("values.yaml").toFile(), values(valuesFiles));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Helm(copy).lint().strict().call();
  }

  /** The values the chart sees: its values.yaml deep-merged with the files as Helm does (maps merge, the rest is replaced, null deletes). */
  static JsonNode values(Path... valuesFiles) {
    JsonNode merged = readYaml(CHART.resolve("values.yaml"));
    for (Path file : valuesFiles) {
      merged = merge(merged, readYaml(file));
    }
    return merged;
  }

  static JsonNode readYaml(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode merge(JsonNode base, JsonNode override) {
    if (!base.isObject() || !override.isObject()) {
      return override.deepCopy();
    }
    ObjectNode merged = ((ObjectNode) base).deepCopy();
    for (Iterator<Map.Entry<String, JsonNode>> fields = override.fields(); fields.hasNext(); ) {
      Map.Entry<String, JsonNode> field = fields.next();
      JsonNode existing = merged.get(field.getKey());
      if (field.getValue().isNull()) {
        merged.remove(field.getKey());
      } else {
        merged.set(field.getKey(), existing == null ? field.getValue().deepCopy() : merge(existing, field.getValue()));
      }
    }
    return merged;
  }

  private static void copyTree(Path source, Path target) {
    try (Stream<Path> paths = Files.walk(source)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        Path destination = target.resolve(source.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(destination);
        } else {
          Files.copy(path, destination);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
