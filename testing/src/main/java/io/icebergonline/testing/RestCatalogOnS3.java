package io.icebergonline.testing;

import com.adobe.testing.s3mock.S3MockApplication;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.rest.RESTCatalogServer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Iceberg's own REST catalog server (the {@code iceberg-open-api} test fixture) in this JVM,
 * backed by an in-memory JDBC catalog, storing table data through Iceberg's {@code S3FileIO} in an
 * in-process S3 mock. Start one per test class.
 */
public final class RestCatalogOnS3 implements AutoCloseable {
  public static final String BUCKET = "online-warehouse";

  private final S3MockApplication s3;
  private final RESTCatalogServer rest;
  private final String s3Endpoint;
  private final String uri;
  private final long s3StartupMillis;
  private final long restStartupMillis;

  private RestCatalogOnS3(S3MockApplication s3, RESTCatalogServer rest, String s3Endpoint, String uri,
      long s3StartupMillis, long restStartupMillis) {
    this.s3 = s3;
    this.rest = rest;
    this.s3Endpoint = s3Endpoint;
    this.uri = uri;
    this.s3StartupMillis = s3StartupMillis;
    this.restStartupMillis = restStartupMillis;
  }

  public static RestCatalogOnS3 start() throws Exception {
    long started = System.nanoTime();
    Map<String, Object> s3Config = new HashMap<>(); // mutable: start() removes keys
    s3Config.put(S3MockApplication.PROP_HTTP_PORT, S3MockApplication.RANDOM_PORT);
    s3Config.put(S3MockApplication.PROP_HTTPS_PORT, S3MockApplication.RANDOM_PORT);
    s3Config.put(S3MockApplication.PROP_INITIAL_BUCKETS, BUCKET);
    s3Config.put(S3MockApplication.PROP_ROOT_DIRECTORY, Files.createTempDirectory("s3mock").toString());
    s3Config.put(S3MockApplication.PROP_SILENT, true);
    S3MockApplication s3 = S3MockApplication.start(s3Config);
    String s3Endpoint = "http://127.0.0.1:" + s3.getHttpPort();
    long s3Started = System.nanoTime();

    Map<String, String> serverConfig = new HashMap<>(fileIoProperties(s3Endpoint));
    serverConfig.put("warehouse", "s3://" + BUCKET + "/warehouse");
    // one shared in-memory database for all pooled connections
    serverConfig.put("uri", "jdbc:sqlite:file:rest_" + UUID.randomUUID() + "?mode=memory&cache=shared");
    serverConfig.put("clients", "1");
    serverConfig.put(RESTCatalogServer.REST_PORT, "0");
    // The fixture's Map constructor and its Jetty server (for the bound port) are package-private in
    // 1.11.0; its public alternative reads CATALOG_* environment variables, which a test cannot set.
    Constructor<RESTCatalogServer> constructor = RESTCatalogServer.class.getDeclaredConstructor(Map.class);
    constructor.setAccessible(true);
    RESTCatalogServer rest = constructor.newInstance(serverConfig);
    rest.start(false);
    Field httpServer = RESTCatalogServer.class.getDeclaredField("httpServer");
    httpServer.setAccessible(true);
    int port = ((ServerConnector) ((Server) httpServer.get(rest)).getConnectors()[0]).getLocalPort();
    long restStarted = System.nanoTime();
    return new RestCatalogOnS3(s3, rest, s3Endpoint, "http://127.0.0.1:" + port,
        (s3Started - started) / 1_000_000, (restStarted - s3Started) / 1_000_000);
  }

  /** The properties a client needs for S3FileIO against the mock. */
  public static Map<String, String> fileIoProperties(String s3Endpoint) {
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
    properties.put("s3.endpoint", s3Endpoint);
    properties.put("s3.path-style-access", "true");
    properties.put("s3.access-key-id", "test-access-key");
    properties.put("s3.secret-access-key", "test-secret-key");
    properties.put("client.region", "us-east-1");
    return properties;
  }

  public String uri() {
    return uri;
  }

  public String s3Endpoint() {
    return s3Endpoint;
  }

  /** Catalog client properties: REST uri plus S3FileIO settings. */
  public Map<String, String> clientProperties() {
    Map<String, String> properties = new LinkedHashMap<>(fileIoProperties(s3Endpoint));
    properties.put("type", "rest");
    properties.put("uri", uri);
    return properties;
  }

  /** A fresh client of the server. */
  public Catalog newClient(String name) {
    return CatalogUtil.buildIcebergCatalog(name, clientProperties(), null);
  }

  /** The {@code online_store:} block of a job config pointing at this server (without namespace). */
  public String onlineStoreYaml() {
    String properties = fileIoProperties(s3Endpoint).entrySet().stream()
        .map(entry -> entry.getKey() + ": \"" + entry.getValue() + "\"")
        .collect(Collectors.joining(", "));
    return String.join("\n",
        "online_store:",
        "  type: iceberg",
        "  catalog_type: rest",
        "  uri: " + uri,
        "  properties: { " + properties + " }",
        "");
  }

  public long s3StartupMillis() {
    return s3StartupMillis;
  }

  public long restStartupMillis() {
    return restStartupMillis;
  }

  @Override
  public void close() throws Exception {
    rest.stop();
    s3.stop();
  }
}
