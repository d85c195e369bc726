package io.icebergonline.testing;

/**
 * Job config YAML for code that needs only feature views (a table layout, a parser): the online
 * store, Kafka and dead-letter topic are placeholders nothing connects to.
 */
public final class PlaceholderConfig {
  private PlaceholderConfig() {}

  /** The config with these lines under {@code feature_views:} (each view starting {@code "  - name: ..."}). */
  public static String withFeatureViews(String... featureViewLines) {
    return String.join("\n",
        "online_store: { type: iceberg, catalog_type: hadoop, warehouse: /unused }",
        "kafka: { bootstrap_servers: unused }",
        "dead_letter_topic: dlq",
        "feature_views:",
        String.join("\n", featureViewLines),
        "");
  }
}
