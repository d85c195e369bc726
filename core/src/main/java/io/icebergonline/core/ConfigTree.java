package io.icebergonline.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.util.TimeUtils;

/**
 * A parsed YAML/JSON node together with its key path, with typed reads that fail with a {@link
 * ConfigException} naming that path. Scalars go through {@code ${VAR}} / {@code ${VAR:-default}}
 * substitution; error messages show the text as written in the file, never the substituted value.
 */
final class ConfigTree {

  private final String path;
  private final JsonNode node;
  private final Function<String, String> environment;

  private ConfigTree(String path, JsonNode node, Function<String, String> environment) {
    this.path = path;
    this.node = node;
    this.environment = environment;
  }

  static ConfigTree root(JsonNode node, Function<String, String> environment) {
    return new ConfigTree("", node, environment);
  }

  String path() {
    return path.isEmpty() ? "<root>" : path;
  }

  ConfigException error(String problem) {
    return new ConfigException(path(), problem);
  }

  /** Checks this node is a mapping holding only the given keys. */
  ConfigTree requireMapping(Set<String> allowedKeys) {
    if (node == null || !node.isObject()) {
      throw error("expected a mapping with keys " + new TreeSet<>(allowedKeys) + ", got " + describe());
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowedKeys.contains(name)) {
        throw child(name).error("unknown key; expected one of " + new TreeSet<>(allowedKeys));
      }
    }
    return this;
  }

  Optional<ConfigTree> optional(String key) {
    JsonNode value = node.get(key);
    return value == null || value.isNull() ? Optional.empty() : Optional.of(child(key));
  }

  ConfigTree required(String key) {
    return optional(key).orElseThrow(() -> child(key).error("required key is missing"));
  }

  String asString() {
    if (!node.isValueNode() || node.isNull()) {
      throw error("expected a string, got " + describe());
    }
    String resolved = substitute(node.asText());
    if (resolved.isEmpty()) {
      throw error("expected a non-empty string");
    }
    return resolved;
  }

  int asInt() {
    if (node.isIntegralNumber() && node.canConvertToInt()) {
      return node.intValue();
    }
    if (node.isTextual()) {
      try {
        return Integer.parseInt(substitute(node.asText()).trim());
      } catch (NumberFormatException e) {
        // reported below with the text as written
      }
    }
    throw error("expected an integer, got " + describe());
  }

  boolean asBoolean() {
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    String text = node.isTextual() ? substitute(node.asText()).trim() : "";
    if (text.equals("true") || text.equals("false")) {
      return Boolean.parseBoolean(text);
    }
    throw error("expected true or false, got " + describe());
  }

  /** A size such as 128MB, 64kb or 1048576 (bytes), parsed by Flink's {@link MemorySize}. */
  long asByteSize() {
    if (node.isIntegralNumber() && node.canConvertToLong() && node.longValue() > 0) {
      return node.longValue();
    }
    try {
      long bytes = MemorySize.parseBytes(asString());
      if (bytes > 0) {
        return bytes;
      }
    } catch (IllegalArgumentException e) {
      // reported below with the text as written
    }
    throw error("expected a positive size such as 128MB or 512kb, got " + describe());
  }

  Duration asDuration() {
    if (node.isIntegralNumber()) {
      throw error("expected a duration with a unit such as 30s, 5m, 2h or 1d, got " + describe());
    }
    String text = asString();
    try {
      return TimeUtils.parseDuration(text);
    } catch (IllegalArgumentException e) {
      throw error("expected a duration such as 500ms, 30s, 5m, 2h or 1d, got " + describe());
    }
  }

  boolean isList() {
    return node.isArray();
  }

  List<ConfigTree> asList() {
    if (!node.isArray()) {
      throw error("expected a list, got " + describe());
    }
    List<ConfigTree> items = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      items.add(new ConfigTree(path + "[" + i + "]", node.get(i), environment));
    }
    return items;
  }

  /** A mapping of keys to subtrees, in the file's order. */
  Map<String, ConfigTree> asMapping() {
    if (!node.isObject()) {
      throw error("expected a mapping, got " + describe());
    }
    Map<String, ConfigTree> entries = new LinkedHashMap<>();
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      entries.put(name, child(name));
    }
    return entries;
  }

  /** A mapping of scalar values, all read as strings (numbers and booleans as written). */
  Map<String, String> asStringMap() {
    if (!node.isObject()) {
      throw error("expected a mapping of keys to values, got " + describe());
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      ConfigTree value = child(name);
      if (value.node.isNull()) {
        throw value.error("expected a value, got null");
      }
      values.put(name, value.asString());
    }
    return values;
  }

  private ConfigTree child(String key) {
    String childPath = path.isEmpty() ? key : path + "." + key;
    return new ConfigTree(childPath, node.get(key), environment);
  }

  private String substitute(String text) {
    try {
      return Placeholders.substitute(text, environment);
    } catch (Placeholders.UnsetVariableException e) {
      throw error("environment variable " + e.variable() + " is not set");
    }
  }

  private String describe() {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return "nothing";
    }
    if (node.isObject()) {
      return "a mapping";
    }
    if (node.isArray()) {
      return "a list";
    }
    return "'" + node.asText() + "'";
  }
}
