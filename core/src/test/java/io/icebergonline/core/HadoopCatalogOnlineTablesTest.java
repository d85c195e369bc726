package io.icebergonline.core;

import java.nio.file.Path;
import java.util.Map;
import org.apache.iceberg.catalog.Catalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Online tables in a Hadoop catalog on the local file system, loaded from an online_store config. */
class HadoopCatalogOnlineTablesTest extends OnlineTablesContract {
  @TempDir static Path warehouse;
  private static Catalog catalog;

  @BeforeAll
  static void loadCatalog() {
    catalog = IcebergCatalogs.load(new OnlineStoreConfig(
        CatalogType.HADOOP, "hadoop_online", null, warehouse.toUri().toString(), "feast_online", Map.of()));
  }

  @AfterAll
  static void closeCatalog() throws Exception {
    if (catalog instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }

  @Override
  Catalog catalog() {
    return catalog;
  }

  @Override
  String namespace() {
    return "feast_online";
  }
}
