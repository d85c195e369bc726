package io.icebergonline.core;

import java.io.Serializable;
import java.util.Map;

/**
 * Where feature events come from. {@code properties} pass through to the Kafka clients (security
 * settings and the like); {@link #toString()} masks secret values.
 */
public record KafkaConfig(String bootstrapServers, String groupId, Map<String, String> properties)
    implements Serializable {

  public KafkaConfig {
    properties = Map.copyOf(properties);
  }

  @Override
  public String toString() {
    return "KafkaConfig[bootstrapServers=" + bootstrapServers + ", groupId=" + groupId
        + ", properties=" + Secrets.mask(properties) + "]";
  }
}
