package io.icebergonline.core;

import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;

/**
 * Loads the online store's Iceberg catalog through Iceberg's {@link CatalogUtil}, so any catalog
 * and FileIO property Iceberg knows (S3FileIO endpoint, keys, path-style access, region, ...)
 * passes straight through from {@code online_store.properties}.
 */
public final class IcebergCatalogs {
  private IcebergCatalogs() {}

  /** The catalog properties Iceberg's {@code CatalogUtil.buildIcebergCatalog} expects, {@code catalog-impl} included. */
  public static Map<String, String> catalogProperties(OnlineStoreConfig config) {
    Map<String, String> properties = new HashMap<>(config.properties());
    if (config.uri() != null) {
      properties.put(CatalogProperties.URI, config.uri());
    }
    if (config.warehouse() != null) {
      properties.put(CatalogProperties.WAREHOUSE_LOCATION, config.warehouse());
    }
    properties.put(CatalogProperties.CATALOG_IMPL, config.catalogType().catalogImpl());
    return properties;
  }

  /**
   * Builds and initializes the catalog. Failures name the catalog type and address but never the
   * properties, which may hold credentials.
   */
  public static Catalog load(OnlineStoreConfig config) {
    try {
      return CatalogUtil.buildIcebergCatalog(config.catalogName(), catalogProperties(config), new Configuration());
    } catch (RuntimeException e) {
      throw new IllegalStateException("Cannot load the " + config.catalogType().configName() + " catalog '"
          + config.catalogName() + "'" + (config.uri() == null ? "" : " at " + config.uri())
          + (config.warehouse() == null ? "" : " with warehouse " + config.warehouse()) + ": " + rootMessage(e), e);
    }
  }

  private static String rootMessage(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }
}
