package io.icebergonline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.server.FeatureServerMain;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;

/**
 * The Feast feature server under the load Feast clients put on it: {@code POST
 * /get-online-features} for one entity and ten features (and for 100 entities), over 32
 * keep-alive connections, at a constant request rate (an open model: each request has its
 * intended start, and its latency runs from then, so a slow answer delays, and is charged for,
 * the requests queued behind it, which a closed loop would hide: coordinated omission), and as
 * fast as the connections go. Then the same with the live index off (every lookup a point read),
 * beside a point read through the lookup connector and the seed's plain Iceberg scan per key on
 * the same table. The server runs as it is deployed, in a JVM of its own started with {@code
 * java -jar}'s main class and the Helm chart's JVM options ({@link #SERVER_JVM_OPTIONS}), so its
 * collector pauses for its own garbage only; the load generator runs in the bench's JVM, on the
 * same two cores.
 */
final class FeatureServerBench {
  private static final String NAMESPACE = "feature_server";
  private static final int CONNECTIONS = 32;
  private static final int CHECK_EVERY = 64;
  /** The request rate of the index-off series, and the pace of the in-process point reads beside it. */
  private static final int INDEX_OFF_RATE = 200;
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * The server JVM's options: the chart's ({@code templates/feature-server.yaml}) with a fixed
   * heap in place of its share of the container's memory limit.
   */
  static final List<String> SERVER_JVM_OPTIONS = List.of("-Xmx4g", "-XX:+UseG1GC");

  private final Sizes sizes;
  private final BenchCatalog catalog;
  private final Report report;

  FeatureServerBench(Sizes sizes, BenchCatalog catalog, Report report) {
    this.sizes = sizes;
    this.catalog = catalog;
    this.report = report;
  }

  /**
   * One measured series: the rate asked for (0: as fast as it goes), what came, and the latencies in
   * ms; {@code lateP99}: how late the load generator's threads woke from their park to send a
   * request on time (p99), a part of the latencies of an open-model series that is not the server's.
   */
  record Series(String name, int entities, int rateAsked, double rateServed, long requests, double p50, double p99,
      double p999, double max, double lateP99, long failed, long wrong) {
    Series named(String newName) {
      return new Series(newName, entities, rateAsked, rateServed, requests, p50, p99, p999, max, lateP99, failed,
          wrong);
    }
  }

  void run() throws Exception {
    LookupTableBuilder.Built built = LookupTableBuilder.build(catalog, NAMESPACE, sizes.lookupKeys(),
        sizes.lookupCommits() - 1, sizes.updateShare(), Sizes.SEED);
    Duration length = sizes.serverSeries();
    List<Series> series = new ArrayList<>();
    try (ServerProcess server = ServerProcess.start(catalog, built.view(), "512MB")) {
      Load load = new Load(server.port(), built, 1);
      load.awaitIndexBuilt();
      if (sizes.warmsUp()) {
        load.closedLoop(length); // as fast as it goes, so the JIT has compiled the request path
      }
      for (int rate : new int[] {1_000, 10_000}) {
        series.add(afterWarmUp(() -> load.openModel(rate, length)));
      }
      series.add(afterWarmUp(() -> load.closedLoop(length)));
      Load hundred = new Load(server.port(), built, 100);
      series.add(afterWarmUp(() -> hundred.openModel(500, length)));
    }
    try (ServerProcess server = ServerProcess.start(catalog, built.view(), "1B")) {
      Load load = new Load(server.port(), built, 1);
      // warm-up of the point reads: at least as many as the lookup bench makes before it times its own
      for (long warmed = 0; sizes.warmsUp() && warmed < sizes.warmupLookups(); ) {
        warmed += load.closedLoop(length).requests();
      }
      series.add(load.openModel(INDEX_OFF_RATE, length).named("index off (point reads)"));
    }
    LookupBench lookups = new LookupBench(sizes, catalog, report);
    LookupBench.Series pointRead = lookups.uncached(built);
    LookupBench.Series pacedPointRead = lookups.uncached(built, INDEX_OFF_RATE);
    LookupBench.Series scan = lookups.plainScan(built);
    write(built, series, pointRead, pacedPointRead, scan);
  }

  /** One series of requests. */
  private interface SeriesRun {
    Series run() throws Exception;
  }

  /** The series' second run, the first unrecorded (it warms up), when the sizes warm up; else its only run. */
  private Series afterWarmUp(SeriesRun series) throws Exception {
    if (sizes.warmsUp()) {
      series.run();
    }
    return series.run();
  }

  /**
   * The feature server in a JVM of its own ({@link FeatureServerMain} on the bench's class path,
   * {@link #SERVER_JVM_OPTIONS}), serving {@code view} from the bench's warehouse with a live
   * index budget of {@code indexMaxMemory} (a byte size as the config writes it; {@code 1B}
   * leaves every lookup to a point read). Its config and log are kept in {@link
   * BenchCatalog#featureServers()} for the run.
   */
  private static final class ServerProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private ServerProcess(Process process, int port, Path log) {
      this.process = process;
      this.port = port;
      this.log = log;
    }

    static ServerProcess start(BenchCatalog catalog, FeatureViewSpec view, String indexMaxMemory) throws Exception {
      Path dir = Files.createDirectories(catalog.featureServers());
      int port;
      try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = free.getLocalPort();
      }
      Path config = dir.resolve("job-" + port + ".yaml");
      Files.writeString(config, String.join("\n",
          "online_store:",
          "  type: iceberg",
          "  catalog_type: hadoop",
          "  catalog_name: " + BenchCatalog.CATALOG_NAME,
          "  warehouse: " + catalog.warehouse().toUri(),
          "  namespace: " + NAMESPACE,
          "kafka: { bootstrap_servers: \"127.0.0.1:9\", group_id: unused }",
          "dead_letter_topic: unused",
          "feature_views:",
          "  - " + JobConfigParser.featureViewToJson(view),
          "server:",
          "  port: " + port,
          "  index_max_memory: " + indexMaxMemory,
          ""));
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(SERVER_JVM_OPTIONS);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), FeatureServerMain.class.getName(),
          config.toString()));
      Path log = dir.resolve("feature-server-" + port + ".log");
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      ServerProcess server = new ServerProcess(process, port, log);
      try {
        server.awaitServing();
      } catch (Exception e) {
        server.close();
        throw e;
      }
      Progress.log("feature server: own JVM (%s) on port %d, log %s", String.join(" ", SERVER_JVM_OPTIONS), port,
          log);
      return server;
    }

    int port() {
      return port;
    }

    /** Waits until {@code GET /health} answers 200: the server is up and its view readable. */
    private void awaitServing() throws Exception {
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException("the feature server exited with " + process.exitValue() + "; its log ends:\n"
              + logTail());
        }
        try (Connection connection = new Connection(port)) {
          if (connection.exchange("GET /health HTTP/1.1\r\nHost: bench\r\n\r\n".getBytes(
              StandardCharsets.US_ASCII)) == 200) {
            return;
          }
        } catch (IOException notListeningYet) {
          // the JVM is still starting
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the feature server did not serve within 5 minutes; its log ends:\n"
              + logTail());
        }
        Thread.sleep(200);
      }
    }

    /** The last lines of the server's log (the bench deletes it with the warehouse). */
    private String logTail() throws IOException {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    /** Stops the server as Kubernetes does (SIGTERM, then a kill if it has not stopped within a minute). */
    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(1, TimeUnit.MINUTES)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  private void write(LookupTableBuilder.Built built, List<Series> series, LookupBench.Series pointRead,
      LookupBench.Series pacedPointRead, LookupBench.Series scan) {
    Report.Section section = report.section("Feature server");
    section.note("`POST /get-online-features` on a table of %,d keys × %d features after %d commits, %d keep-alive "
            + "connections from a load generator in the bench's JVM; the server runs in a JVM of its own started with the "
            + "Helm chart's JVM options (" + String.join(" ", SERVER_JVM_OPTIONS) + "), on the same cores. "
            + "Constant-rate series: each request "
            + "has an intended start time (rate / connections apart on its connection) and its latency is measured from "
            + "then, corrected for coordinated omission; each is run twice and the second run recorded (the first warms "
            + "up), and each server first serves as fast as it goes for one series' length, unrecorded, so the JIT has "
            + "compiled its request path (the index-off server for at least %,d requests, the warm-up the in-process "
            + "point reads get). Every %dth answer is checked against the value written (\"wrong\"). The in-process "
            + "point reads run back to back, and again one every 1/%d s (paced), as the index-off server receives "
            + "them: a read that waits for its turn finds the CPU's caches cold, which back-to-back reads never do. "
            + "\"generator late p99\": how late the generator's threads (one per connection, parked until a "
            + "request's intended time) woke to send it, over the requests they were on time for; the latencies "
            + "include it, and it is the load generator's share of them on these shared cores, not the server's.",
        built.expectedF1().length - 1, Sizes.LOOKUP_FEATURES, built.commits(), CONNECTIONS, sizes.warmupLookups(),
        CHECK_EVERY, INDEX_OFF_RATE);
    Report.ResultTable table = new Report.ResultTable("feature-server.csv", "Feature server latency (ms)",
        "series", "entities per request", "rate asked (req/s)", "rate served (req/s)", "requests", "p50", "p99",
        "p99.9", "max", "generator late p99", "failed", "wrong");
    for (Series one : series) {
      table.add(one.name(), one.entities(), one.rateAsked() == 0 ? "as fast as it goes" : one.rateAsked(),
          one.rateServed(), one.requests(), one.p50(), one.p99(), one.p999(), one.max(),
          one.rateAsked() == 0 ? "" : one.lateP99(), one.failed(), one.wrong());
    }
    table.add("lookup connector point read (in process)", 1, "one at a time", "", pointRead.lookups(), pointRead.p50(),
        pointRead.p99(), pointRead.p999(), pointRead.max(), "", 0, pointRead.wrong());
    table.add("lookup connector point read (in process), paced", 1, INDEX_OFF_RATE, INDEX_OFF_RATE,
        pacedPointRead.lookups(), pacedPointRead.p50(), pacedPointRead.p99(), pacedPointRead.p999(),
        pacedPointRead.max(), "", 0, pacedPointRead.wrong());
    table.add("plain Iceberg scan per key (the seed)", 1, "one at a time", "", scan.lookups(), scan.p50(), scan.p99(),
        scan.p999(), scan.max(), "", 0, scan.wrong());
    section.tables().add(table);

    Series at1k = series.get(0);
    Series at10k = series.get(1);
    Series saturated = series.get(2);
    Series hundred = series.get(3);
    Series indexOff = series.get(4);
    report.target("Feature server", "one entity × 10 features from the index, p99 ≤ 1 ms at 1,000 requests/s",
        String.format(Locale.ROOT, "p99 %.2f ms (%,.0f req/s served; generator late p99 %.2f ms)", at1k.p99(),
            at1k.rateServed(), at1k.lateP99()),
        at1k.p99() <= 1 && at1k.failed() == 0);
    report.target("Feature server", "one entity × 10 features from the index, p99 ≤ 1 ms at 10,000 requests/s",
        String.format(Locale.ROOT, "p99 %.2f ms (%,.0f req/s served; generator late p99 %.2f ms)", at10k.p99(),
            at10k.rateServed(), at10k.lateP99()),
        at10k.p99() <= 1 && at10k.failed() == 0);
    report.target("Feature server", "saturated ≥ 60,000 requests/s with 32 keep-alive connections",
        String.format(Locale.ROOT, "%,.0f req/s (p99 %.2f ms)", saturated.rateServed(), saturated.p99()),
        saturated.rateServed() >= 60_000);
    report.target("Feature server", "100 entities per request p99 ≤ 3 ms",
        String.format(Locale.ROOT, "p99 %.2f ms at %d req/s", hundred.p99(), hundred.rateAsked()), hundred.p99() <= 3);
    report.target("Feature server", "index off: p99 ≤ point-read p99 + 1 ms",
        String.format(Locale.ROOT, "p99 %.2f ms vs point read %.2f ms (paced at %d/s: %.2f ms); plain Iceberg scan "
            + "%.2f ms", indexOff.p99(), pointRead.p99(), INDEX_OFF_RATE, pacedPointRead.p99(), scan.p99()),
        indexOff.p99() <= pointRead.p99() + 1);
  }

  /** Requests for random keys of the table over {@link #CONNECTIONS} keep-alive connections. */
  private static final class Load {
    private final int port;
    private final LookupTableBuilder.Built built;
    private final int entities;
    private final String features;

    Load(int port, LookupTableBuilder.Built built, int entities) {
      this.port = port;
      this.built = built;
      this.entities = entities;
      String view = built.view().name();
      this.features = IntStream.rangeClosed(1, Sizes.LOOKUP_FEATURES).mapToObj(i -> "\"" + view + ":f" + i + "\"")
          .collect(Collectors.joining(", ", "[", "]"));
    }

    /** Sends requests until a whole pass of them is answered from the live index (the server's metrics say so). */
    void awaitIndexBuilt() throws Exception {
      try (Connection connection = new Connection(port)) {
        Random random = new Random(Sizes.SEED);
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        double pointReads = pointReads(connection);
        while (true) {
          for (int i = 0; i < 1_000; i++) {
            connection.exchange(request(random, new long[entities]));
          }
          double now = pointReads(connection);
          if (now == pointReads) {
            return;
          }
          pointReads = now;
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the live index was not built within 10 minutes");
          }
          Progress.log("feature server: live index still building (%,.0f point reads so far)", now);
          Thread.sleep(1_000);
        }
      }
    }

    private static double pointReads(Connection connection) throws IOException {
      connection.exchange(("GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      for (String line : connection.body().split("\n")) {
        if (line.startsWith("feature_server_lookups_total{source=\"point_read\"}")) {
          return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return 0;
    }

    Series openModel(int rate, Duration length) throws Exception {
      return run(rate, length);
    }

    Series closedLoop(Duration length) throws Exception {
      return run(0, length);
    }

    /** {@code rate} 0: every connection sends its next request when the last is answered. */
    private Series run(int rate, Duration length) throws Exception {
      Histogram micros = new Histogram(60_000_000L, 3);
      Histogram lateMicros = new Histogram(60_000_000L, 3);
      AtomicLong failed = new AtomicLong();
      AtomicLong wrong = new AtomicLong();
      long start = System.nanoTime() + 50_000_000L;
      long end = start + length.toNanos();
      long spacing = rate == 0 ? 0 : 1_000_000_000L * CONNECTIONS / rate;
      List<Thread> threads = new ArrayList<>();
      List<Histogram> perConnection = new ArrayList<>();
      List<Histogram> latePerConnection = new ArrayList<>();
      for (int c = 0; c < CONNECTIONS; c++) {
        Histogram histogram = new Histogram(60_000_000L, 3);
        Histogram late = new Histogram(60_000_000L, 3);
        perConnection.add(histogram);
        latePerConnection.add(late);
        long offset = spacing * c / CONNECTIONS;
        long seed = Sizes.SEED + 31L * c + rate;
        Thread thread = new Thread(() -> {
          Random random = new Random(seed);
          long[] keys = new long[entities];
          try (Connection connection = new Connection(port)) {
            for (long n = 0; ; n++) {
              long intended = rate == 0 ? System.nanoTime() : start + offset + n * spacing;
              if (intended >= end) {
                return;
              }
              boolean parked = false;
              for (long now = System.nanoTime(); now < intended; now = System.nanoTime()) {
                LockSupport.parkNanos(intended - now);
                parked = true;
              }
              if (parked) { // on time: how late the thread woke; a thread still behind waited for the server
                late.recordValue(Math.max(1, (System.nanoTime() - intended) / 1_000));
              }
              int status = connection.exchange(request(random, keys));
              histogram.recordValue(Math.max(1, (System.nanoTime() - intended) / 1_000));
              if (status != 200) {
                failed.incrementAndGet();
              } else if (n % CHECK_EVERY == 0 && !answersAsWritten(connection.body(), keys)) {
                wrong.incrementAndGet();
              }
            }
          } catch (IOException e) {
            failed.incrementAndGet();
          }
        }, "load-" + c);
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join();
      }
      perConnection.forEach(micros::add);
      latePerConnection.forEach(lateMicros::add);
      double seconds = (System.nanoTime() - start) / 1e9;
      Series series = new Series(rate == 0 ? "as fast as it goes" : String.format(Locale.ROOT, "%,d req/s", rate),
          entities, rate, micros.getTotalCount() / seconds, micros.getTotalCount(),
          micros.getValueAtPercentile(50) / 1000.0, micros.getValueAtPercentile(99) / 1000.0,
          micros.getValueAtPercentile(99.9) / 1000.0, micros.getMaxValue() / 1000.0,
          lateMicros.getValueAtPercentile(99) / 1000.0, failed.get(), wrong.get());
      Progress.log("feature server: %d entities, %s: %,.0f req/s served, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, "
              + "generator late p99 %.2f ms, %d failed, %d wrong", entities, series.name(), series.rateServed(),
          series.p50(), series.p99(), series.p999(), series.lateP99(), series.failed(), series.wrong());
      return series;
    }

    private byte[] request(Random random, long[] keys) {
      int tableKeys = built.expectedF1().length - 1;
      StringBuilder ids = new StringBuilder();
      for (int i = 0; i < keys.length; i++) {
        keys[i] = 1 + random.nextInt(tableKeys);
        ids.append(i == 0 ? "" : ", ").append(keys[i]);
      }
      byte[] body = ("{\"features\": " + features + ", \"entities\": {\"driver_id\": [" + ids + "]}}")
          .getBytes(StandardCharsets.UTF_8);
      byte[] head = ("POST /get-online-features HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      byte[] request = new byte[head.length + body.length];
      System.arraycopy(head, 0, request, 0, head.length);
      System.arraycopy(body, 0, request, head.length, body.length);
      return request;
    }

    /** The answer's f1 values are the ones the table was written with (Feast's columnar answer: results[1] is f1). */
    private boolean answersAsWritten(String body, long[] keys) throws IOException {
      JsonNode values = JSON.readTree(body).at("/results/1/values");
      for (int i = 0; i < keys.length; i++) {
        if (values.get(i) == null || values.get(i).doubleValue() != built.expectedF1()[(int) keys[i]]) {
          return false;
        }
      }
      return true;
    }
  }

  /** One HTTP/1.1 keep-alive connection: a request written whole, its answer read by Content-Length. */
  private static final class Connection implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private byte[] body = new byte[64 * 1024];
    private int bodyLength;

    Connection(int port) throws IOException {
      socket = new Socket(InetAddress.getLoopbackAddress(), port);
      socket.setTcpNoDelay(true);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
    }

    /** Sends the request and reads the answer; returns its status. */
    int exchange(byte[] request) throws IOException {
      out.write(request);
      out.flush();
      String status = line();
      int contentLength = 0;
      for (String header = line(); !header.isEmpty(); header = line()) {
        if (header.regionMatches(true, 0, "content-length:", 0, 15)) {
          contentLength = Integer.parseInt(header.substring(15).trim());
        }
      }
      if (contentLength > body.length) {
        body = new byte[contentLength];
      }
      bodyLength = in.readNBytes(body, 0, contentLength);
      return Integer.parseInt(status.substring(9, 12));
    }

    String body() {
      return new String(body, 0, bodyLength, StandardCharsets.UTF_8);
    }

    private String line() throws IOException {
      StringBuilder line = new StringBuilder();
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b == -1) {
          throw new IOException("the server closed the connection");
        }
        if (b != '\r') {
          line.append((char) b);
        }
      }
      return line.toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
