package io.icebergonline.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.icebergonline.testing.RestCatalogOnS3;
import java.util.Map;
import org.apache.iceberg.catalog.Catalog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Online tables in Iceberg's REST catalog server with data in an S3 mock through S3FileIO, the
 * catalog loaded from an online_store config as the job loads it.
 */
class RestCatalogOnlineTablesTest extends OnlineTablesContract {
  private static RestCatalogOnS3 server;
  private static Catalog catalog;

  @BeforeAll
  static void startServer() throws Exception {
    server = RestCatalogOnS3.start();
    System.out.printf("start-up: S3 mock %d ms, REST catalog %d ms%n", server.s3StartupMillis(), server.restStartupMillis());
    catalog = IcebergCatalogs.load(new OnlineStoreConfig(CatalogType.REST, "rest_online", server.uri(), null,
        "feast_online", RestCatalogOnS3.fileIoProperties(server.s3Endpoint())));
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (catalog instanceof AutoCloseable closeable) {
      closeable.close();
    }
    server.close();
  }

  @Override
  Catalog catalog() {
    return catalog;
  }

  @Override
  String namespace() {
    return "feast_online";
  }

  @Test
  void tablesLiveInTheS3Warehouse() {
    FeatureViewSpec spec = driverStats("located_on_s3", 4, "");
    assertThat(OnlineTables.createOrVerify(catalog, namespace(), spec).location())
        .startsWith("s3://" + RestCatalogOnS3.BUCKET + "/");
    assertThat(Map.copyOf(catalog.loadTable(OnlineTables.identifier(namespace(), spec)).properties()))
        .containsKey(OnlineTableLayout.PROPERTY_FEATURE_VIEW);
  }
}
