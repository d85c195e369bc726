package io.icebergonline.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.SchemaRegistryClient;
import io.icebergonline.reader.UnreadableTableException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.catalog.Catalog;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Feast feature server on the online tables: Feast's HTTP protocol
 * ({@code POST /get-online-features}, {@code /push}, {@code /write-to-online-store}, {@code GET
 * /health}) plus Prometheus {@code GET /metrics}, on Jetty, over TLS when configured. Every answer
 * is JSON; a refused request gets a 4xx naming what is wrong, a failure a 5xx without a stack
 * trace. With a bearer token configured, every endpoint but health and metrics requires it.
 */
public final class FeatureServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FeatureServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WRITE_PATH = "/write-to-online-store";
  private static final Set<String> POST_PATHS = Set.of("/get-online-features", "/push", WRITE_PATH);
  private static final Set<String> GET_PATHS = Set.of("/health", "/metrics");

  /** How often the views' tables are checked: created, dropped or replaced since the last look. */
  static final long TABLE_CHECK_MILLIS = 5_000;
  /** How long a stop waits for requests in flight beyond the request_timeout they are bound by. */
  static final long STOP_MARGIN_MILLIS = 5_000;

  private final FeatureServerConfig config;
  private final ServerMetrics metrics = new ServerMetrics();
  private final JobConfig job;
  private final Map<String, ViewReader> readers = new LinkedHashMap<>();
  private final ScheduledExecutorService tableChecks = Executors.newSingleThreadScheduledExecutor(runnable -> {
    Thread thread = new Thread(runnable, "feature-server-table-checks");
    thread.setDaemon(true);
    return thread;
  });
  /** The catalog the table checks share (never one per check), loaded when first reachable. */
  private Catalog checkCatalog;
  private final OnlineFeatures features;
  private final FeatureEvents events;
  private final Server server;
  private final GracefulHandler requests;
  private final byte[] expectedAuthorization;

  private FeatureServer(JobConfig job, FeatureServerConfig config) {
    this.config = config;
    this.job = job;
    for (FeatureViewSpec view : job.featureViews()) {
      readers.put(view.name(), new ViewReader(job.onlineStore(), view, config.indexMaxBytes()));
    }
    this.features = new OnlineFeatures(readers, job.featureServices(), config.maxEntities(), metrics,
        System::currentTimeMillis);
    this.events = new FeatureEvents(job, config.maxEntities(), config.writes().maxRows(), config.requestTimeout(),
        metrics);
    this.expectedAuthorization = config.bearerToken() == null ? null
        : ("Bearer " + config.bearerToken()).getBytes(StandardCharsets.UTF_8);
    this.server = new Server();
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    ServerConnector connector;
    if (config.tls()) {
      SslContextFactory.Server tls = new SslContextFactory.Server();
      tls.setKeyStore(PemKeyStore.load(config.tlsCertificate(), config.tlsPrivateKey()));
      tls.setKeyStorePassword(PemKeyStore.PASSWORD);
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false); // clients may call by IP or service name the certificate does not list
      http.addCustomizer(secure);
      connector = new ServerConnector(server, tls, new HttpConnectionFactory(http));
    } else {
      connector = new ServerConnector(server, new HttpConnectionFactory(http));
    }
    connector.setPort(config.port());
    server.addConnector(connector);
    // a stop (SIGTERM in Kubernetes) refuses new connections, then answers the requests in flight
    this.requests = new GracefulHandler(new Routes());
    server.setHandler(requests);
    server.setStopTimeout(config.requestTimeout().toMillis() + STOP_MARGIN_MILLIS);
  }

  /**
   * Starts serving; the views' tables are opened now when they exist, else on first use or by the
   * table checks, which also notice a table dropped or replaced while open.
   */
  public static FeatureServer start(JobConfig job, FeatureServerConfig config) throws Exception {
    long budgets = config.indexMaxBytes() * job.featureViews().size();
    long heap = Runtime.getRuntime().maxMemory();
    if (budgets > heap) {
      LOG.warn("The live indexes of {} feature views may use up to {} MB (server.index_max_memory {} MB each), more "
          + "than the heap of {} MB: lower index_max_memory or give the server more memory", job.featureViews().size(),
          budgets >> 20, config.indexMaxBytes() >> 20, heap >> 20);
    }
    FeatureServer featureServer = new FeatureServer(job, config);
    for (ViewReader view : featureServer.readers.values()) {
      try {
        view.reader();
      } catch (UnreadableTableException e) {
        LOG.warn("Feature view {} is not readable yet (its requests answer 503 until it is): {}", view.view().name(),
            e.getMessage());
      }
    }
    featureServer.tableChecks.scheduleWithFixedDelay(featureServer::checkTables, TABLE_CHECK_MILLIS,
        TABLE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    featureServer.server.start();
    LOG.info("Feast feature server listening on port {} ({}), {}", featureServer.port(),
        config.tls() ? "TLS" : "plain HTTP", config);
    return featureServer;
  }

  /** The bound port (the configured one, or the one chosen for port 0). */
  public int port() {
    return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  public void join() throws InterruptedException {
    server.join();
  }

  private void checkTables() {
    try {
      if (checkCatalog == null) {
        checkCatalog = IcebergCatalogs.load(job.onlineStore());
      }
      for (ViewReader view : readers.values()) {
        view.verify(checkCatalog);
      }
    } catch (RuntimeException e) {
      LOG.warn("Checking the feature views' tables failed (next try in {} ms): {}", TABLE_CHECK_MILLIS, e.toString());
    }
  }

  /**
   * Feast's {@code GET /health} answers 200 while its registry answers; this one 200 while any
   * view can be served, so one missing table does not take every replica out of a Service, and
   * 503 when none can. The body says per view whether it is served, and why not.
   */
  private ObjectNode health() {
    ObjectNode views = JSON.createObjectNode();
    int serving = 0;
    for (ViewReader view : readers.values()) {
      ObjectNode state = views.putObject(view.view().name());
      if (view.serving()) {
        serving++;
        state.put("status", "serving");
      } else {
        state.put("status", "unavailable");
        state.put("reason", view.problem().orElse("not opened yet"));
      }
    }
    ObjectNode health = JSON.createObjectNode();
    health.put("status", serving == readers.size() ? "ok" : serving > 0 ? "degraded" : "unavailable");
    health.set("feature_views", views);
    return health;
  }

  /** Requests being answered now. */
  long requestsInFlight() {
    return requests.getCurrentRequestCount();
  }

  /** Stops accepting connections, answers the requests in flight (within request_timeout and a margin), then stops. */
  @Override
  public void close() throws Exception {
    if (server.isRunning()) {
      LOG.info("Stopping the feature server; answering {} requests in flight first", requestsInFlight());
    }
    server.stop();
    tableChecks.shutdownNow();
    tableChecks.awaitTermination(10, TimeUnit.SECONDS);
    if (checkCatalog instanceof AutoCloseable closeable) {
      closeable.close();
    }
    events.close();
    features.close();
  }

  private final class Routes extends Handler.Abstract {
    /**
     * Refuses what can be refused from the request line and headers, reads the body without
     * holding a thread while it arrives, then answers on the thread that read its end.
     */
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      long started = System.nanoTime();
      String path = Request.getPathInContext(request);
      String endpoint = POST_PATHS.contains(path) || GET_PATHS.contains(path) ? path : "other";
      RequestBody.Bounds bounds = path.equals(WRITE_PATH)
          ? new RequestBody.Bounds(config.writes().maxBodyBytes(), "max_write_body_size", config.writes().timeout(),
              "write_timeout")
          : new RequestBody.Bounds(config.maxBodyBytes(), "max_body_size", config.requestTimeout(), "request_timeout");
      new RequestBody(request, bounds).read(refusalBeforeBody(path, request), body -> {
        int status;
        if (body.refusal() != null) {
          status = send(response, callback, body.ended(), body.refusal());
        } else {
          long deadline = started + bounds.timeout().toNanos();
          try {
            status = answer(path, body.bytes(), response, callback, deadline);
          } catch (RequestException e) {
            status = send(response, callback, true, e);
          } catch (UnreadableTableException | SchemaRegistryClient.RegistryUnavailableException e) {
            status = send(response, callback, true, new RequestException(503, e.getMessage()));
          } catch (RuntimeException | IOException e) {
            LOG.error("{} {} failed", request.getMethod(), path, e);
            status = send(response, callback, true, RequestException.internal(
                "internal error (" + e.getClass().getSimpleName() + "); see the server log"));
          }
        }
        metrics.request(endpoint, status, System.nanoTime() - started);
      });
      return true;
    }

    /** The refusal of a request for an unknown path, a wrong method or a missing token; null when it may go on. */
    private RequestException refusalBeforeBody(String path, Request request) {
      String method = request.getMethod();
      if (GET_PATHS.contains(path)) {
        return requireMethod("GET", method, path);
      }
      if (!POST_PATHS.contains(path)) {
        return new RequestException(404, "no endpoint " + path + "; the server has " + List.of(
            "POST /get-online-features", "POST /push", "POST " + WRITE_PATH, "GET /health", "GET /metrics"));
      }
      RequestException wrongMethod = requireMethod("POST", method, path);
      if (wrongMethod != null || expectedAuthorization == null) {
        return wrongMethod;
      }
      String given = request.getHeaders().get(HttpHeader.AUTHORIZATION);
      if (given == null || !MessageDigest.isEqual(expectedAuthorization, given.getBytes(StandardCharsets.UTF_8))) {
        return new RequestException(401, given == null ? "missing 'Authorization: Bearer <token>' header"
            : "wrong bearer token");
      }
      return null;
    }

    private int answer(String path, byte[] bytes, Response response, Callback callback, long deadline)
        throws IOException {
      return switch (path) {
        case "/metrics" -> {
          ByteArrayOutputStream text = new ByteArrayOutputStream();
          metrics.write(text);
          yield send(response, callback, true, 200, metrics.contentType(), text.toByteArray());
        }
        case "/health" -> {
          ObjectNode health = health();
          yield send(response, callback, health.get("status").asText().equals("unavailable") ? 503 : 200, health);
        }
        case "/get-online-features" -> send(response, callback, true, 200, "application/json",
            features.get(GetOnlineFeaturesRequest.parse(bytes), deadline));
        case "/push" -> {
          events.push(bytes, deadline);
          yield send(response, callback, 200, JSON.nullNode());
        }
        default -> {
          events.write(bytes, deadline);
          yield send(response, callback, 200, JSON.nullNode());
        }
      };
    }

    private static RequestException requireMethod(String expected, String method, String path) {
      return expected.equals(method) ? null : new RequestException(405, path + " takes " + expected + ", not " + method);
    }

    private int send(Response response, Callback callback, int status, JsonNode body) throws JsonProcessingException {
      return send(response, callback, true, status, "application/json", JSON.writeValueAsBytes(body));
    }

    /**
     * Answers; {@code keepAlive} false (the request's body was not read to its end) says {@code
     * Connection: close}, so no keep-alive client sends its next request on a connection the server
     * then closes.
     */
    private int send(Response response, Callback callback, boolean keepAlive, int status, String contentType,
        byte[] body) {
      if (!keepAlive) {
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
      }
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
      response.write(true, ByteBuffer.wrap(body), callback);
      return status;
    }

    /** Answers a refusal in Feast's shape for it (see {@link RequestException}); returns its status. */
    private int send(Response response, Callback callback, boolean keepAlive, RequestException refusal) {
      try {
        return send(response, callback, keepAlive, refusal.status(), "application/json",
            JSON.writeValueAsBytes(refusal.body()));
      } catch (JsonProcessingException e) {
        callback.failed(e);
        return refusal.status();
      }
    }
  }
}
