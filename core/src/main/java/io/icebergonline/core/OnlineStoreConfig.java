package io.icebergonline.core;

import java.io.Serializable;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The Feast-compatible {@code online_store} block: which Iceberg catalog holds the online tables
 * and in which namespace. {@code properties} pass through to the catalog and its FileIO (S3
 * endpoint, credentials, ...); {@link #toString()} masks the values of secret-looking keys.
 *
 * @param uri null when the catalog type needs none
 * @param warehouse null when the catalog decides the location
 */
public record OnlineStoreConfig(
    CatalogType catalogType,
    String catalogName,
    String uri,
    String warehouse,
    String namespace,
    Map<String, String> properties)
    implements Serializable {

  public OnlineStoreConfig {
    properties = Map.copyOf(properties);
  }

  @Override
  public String toString() {
    return "OnlineStoreConfig[catalogType=" + catalogType.configName()
        + ", catalogName=" + catalogName
        + ", uri=" + uri
        + ", warehouse=" + warehouse
        + ", namespace=" + namespace
        + ", properties=" + Secrets.mask(properties) + "]";
  }
}
