package io.icebergonline.core;

import java.util.Locale;

/** The Iceberg catalogs an online store can live in, with what each needs from the config. */
public enum CatalogType {
  REST(true, false),
  HADOOP(false, true),
  JDBC(true, true),
  GLUE(false, true),
  HIVE(true, false);

  private final boolean requiresUri;
  private final boolean requiresWarehouse;

  CatalogType(boolean requiresUri, boolean requiresWarehouse) {
    this.requiresUri = requiresUri;
    this.requiresWarehouse = requiresWarehouse;
  }

  public boolean requiresUri() {
    return requiresUri;
  }

  public boolean requiresWarehouse() {
    return requiresWarehouse;
  }

  /** The name used in configs: {@code rest}, {@code hadoop}, ... */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
