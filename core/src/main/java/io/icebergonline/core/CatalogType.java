package io.icebergonline.core;

import java.util.Locale;

/** The Iceberg catalogs an online store can live in, with what each needs from the config. */
public enum CatalogType {
  REST("org.apache.iceberg.rest.RESTCatalog", true, false),
  HADOOP("org.apache.iceberg.hadoop.HadoopCatalog", false, true),
  JDBC("org.apache.iceberg.jdbc.JdbcCatalog", true, true),
  GLUE("org.apache.iceberg.aws.glue.GlueCatalog", false, true),
  HIVE("org.apache.iceberg.hive.HiveCatalog", true, false);

  private final String catalogImpl;
  private final boolean requiresUri;
  private final boolean requiresWarehouse;

  CatalogType(String catalogImpl, boolean requiresUri, boolean requiresWarehouse) {
    this.catalogImpl = catalogImpl;
    this.requiresUri = requiresUri;
    this.requiresWarehouse = requiresWarehouse;
  }

  /** The Iceberg catalog class ({@code catalog-impl}); glue and hive need their Iceberg modules on the classpath. */
  public String catalogImpl() {
    return catalogImpl;
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
