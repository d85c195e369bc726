package io.icebergonline.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The openAPI schema of the operator's FlinkDeployment CRD ({@code v1beta1}, test resource
 * {@code crds/}), made strict: every object without {@code x-kubernetes-preserve-unknown-fields}
 * rejects unknown properties, as a server-side apply with {@code fieldValidation=Strict} would,
 * and the root also checks apiVersion, kind and metadata, which the CRD schema leaves out.
 */
final class FlinkDeploymentSchema {
  private static final String CRD = "/crds/flinkdeployments.flink.apache.org-v1.yml";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final JsonSchema schema;

  private FlinkDeploymentSchema(JsonSchema schema) {
    this.schema = schema;
  }

  static FlinkDeploymentSchema load() {
    JsonNode crd;
    try (InputStream in = FlinkDeploymentSchema.class.getResourceAsStream(CRD)) {
      if (in == null) {
        throw new IllegalStateException("test resource " + CRD + " is missing");
      }
      crd = ChartUnderTest.YAML.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ObjectNode root = null;
    for (JsonNode version : crd.path("spec").path("versions")) {
      if ("v1beta1".equals(version.path("name").asText())) {
        root = ((ObjectNode) version.path("schema").path("openAPIV3Schema")).deepCopy();
      }
    }
    if (root == null) {
      throw new IllegalStateException(CRD + " has no v1beta1 version");
    }
    ObjectNode properties = (ObjectNode) root.path("properties");
    properties.set("apiVersion", enumOf("flink.apache.org/v1beta1"));
    properties.set("kind", enumOf("FlinkDeployment"));
    properties.set("metadata", objectMetadata());
    root.set("required", NODES.arrayNode().add("apiVersion").add("kind").add("metadata"));
    strictify(root);
    JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(root);
    schema.initializeValidators();
    return new FlinkDeploymentSchema(schema);
  }

  /** What is wrong with a FlinkDeployment, one message per problem; empty when it is valid. */
  List<String> validate(JsonNode flinkDeployment) {
    return schema.validate(flinkDeployment).stream().map(ValidationMessage::getMessage).sorted().toList();
  }

  private static ObjectNode enumOf(String value) {
    ObjectNode node = NODES.objectNode().put("type", "string");
    node.putArray("enum").add(value);
    return node;
  }

  /** The part of Kubernetes' ObjectMeta a chart may set. */
  private static ObjectNode objectMetadata() {
    ObjectNode stringMap = NODES.objectNode().put("type", "object");
    stringMap.set("additionalProperties", NODES.objectNode().put("type", "string"));
    ObjectNode metadata = NODES.objectNode().put("type", "object");
    ObjectNode properties = metadata.putObject("properties");
    properties.putObject("name").put("type", "string");
    properties.putObject("generateName").put("type", "string");
    properties.putObject("namespace").put("type", "string");
    properties.set("labels", stringMap);
    properties.set("annotations", stringMap.deepCopy());
    properties.putObject("finalizers").put("type", "array").putObject("items").put("type", "string");
    properties.putObject("ownerReferences").put("type", "array").putObject("items").put("type", "object");
    return metadata;
  }

  /** Adds additionalProperties: false where the CRD does not allow unknown fields, and drops x-kubernetes-* keys. */
  private static void strictify(JsonNode node) {
    if (!(node instanceof ObjectNode object)) {
      return;
    }
    boolean preservesUnknownFields = object.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    boolean isObject = "object".equals(object.path("type").asText()) || object.has("properties");
    if (isObject && !object.has("additionalProperties") && !preservesUnknownFields) {
      object.put("additionalProperties", false);
    }
    object.properties().removeIf(field -> field.getKey().startsWith("x-kubernetes-"));
    for (Iterator<Map.Entry<String, JsonNode>> fields = object.path("properties").fields(); fields.hasNext(); ) {
      strictify(fields.next().getValue());
    }
    strictify(object.get("items"));
    strictify(object.get("additionalProperties"));
    if (object.get("anyOf") instanceof ArrayNode alternatives) {
      alternatives.forEach(FlinkDeploymentSchema::strictify);
    }
  }
}
