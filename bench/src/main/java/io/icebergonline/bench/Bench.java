package io.icebergonline.bench;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code java -jar bench/target/iceberg-online-bench.jar [materialize|lookup|freshness|feature-server|formats|all|state|delete-log] [--quick]
 * [--ten-million-keys] [--keys N --events N] [--lookup-keys N] [--join-probes N] [--state-backend rocksdb|hashmap]
 * [--out DIR]}: runs the benchmarks and writes {@code REPORT.md}, its CSVs and
 * SVG charts to {@code bench/results/} (or {@code --out}). Tables live in a temporary local
 * warehouse, deleted at the end. {@code materialize} ends with a start without state over a table
 * of as many keys ({@link SeedingBench}). {@code state} (not part of {@code all}) runs our pipeline on
 * 10M keys / 50M events unless {@code --keys}/{@code --events} say otherwise; {@code delete-log} (not part of
 * {@code all}) measures seeding from a view's delete log after a simulated week.
 */
public final class Bench {
  private static final Set<String> COMMANDS = Set.of("materialize", "lookup", "freshness", "all", "state", "delete-log",
      "feature-server", "formats");
  private static final int STATE_KEYS = 10_000_000;
  private static final int STATE_EVENTS = 50_000_000;
  private static final String USAGE =
      "usage: java -jar iceberg-online-bench.jar [materialize|lookup|freshness|feature-server|formats|all|state|delete-log] [--quick] "
          + "[--ten-million-keys] [--keys N --events N] [--lookup-keys N] [--join-probes N] "
          + "[--state-backend rocksdb|hashmap] [--out DIR]";

  private Bench() {}

  public static void main(String[] args) throws Exception {
    String command = "all";
    boolean quick = false;
    boolean tenMillionKeys = false;
    Path out = null;
    Integer lookupKeys = null;
    Integer joinProbes = null;
    Integer keys = null;
    Integer events = null;
    StateScaleBench.Backend stateBackend = StateScaleBench.Backend.ROCKSDB;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--ten-million-keys" -> tenMillionKeys = true;
        case "--keys" -> keys = count(args, ++i);
        case "--events" -> events = count(args, ++i);
        case "--state-backend" -> {
          if (i + 1 == args.length) {
            fail("--state-backend needs rocksdb or hashmap");
          }
          try {
            stateBackend = StateScaleBench.Backend.of(args[++i]);
          } catch (IllegalArgumentException e) {
            fail(e.getMessage());
          }
        }
        case "--lookup-keys" -> lookupKeys = count(args, ++i);
        case "--join-probes" -> joinProbes = count(args, ++i);
        case "--out" -> {
          if (i + 1 == args.length) {
            fail("--out needs a directory");
          }
          out = Path.of(args[++i]);
        }
        default -> {
          if (!COMMANDS.contains(args[i])) {
            fail("unknown argument '" + args[i] + "'");
          }
          command = args[i];
        }
      }
    }
    Sizes sizes = quick ? Sizes.quick() : Sizes.full(tenMillionKeys);
    if (lookupKeys != null || joinProbes != null) {
      sizes = sizes.withLookups(lookupKeys == null ? sizes.lookupKeys() : lookupKeys,
          joinProbes == null ? sizes.joinProbes() : joinProbes);
    }
    boolean stateRun = command.equals("state");
    if (keys != null || events != null || stateRun) {
      int defaultKeys = stateRun ? STATE_KEYS : sizes.keys();
      int defaultEvents = stateRun ? STATE_EVENTS : sizes.events();
      sizes = sizes.withMaterializeInput(keys == null ? defaultKeys : keys, events == null ? defaultEvents : events);
    }
    Path report = run(command, sizes, stateBackend, out == null ? defaultResults() : out, String.join(" ", args));
    Progress.log("report written to %s", report.toAbsolutePath());
    System.exit(0); // Flink's and Kafka's non-daemon threads would keep the JVM alive
  }

  /** Runs {@code command} at {@code sizes} and writes the report into {@code results}; returns REPORT.md. */
  static Path run(String command, Sizes sizes, StateScaleBench.Backend stateBackend, Path results, String arguments)
      throws Exception {
    Instant started = Instant.now();
    double loadAtStart = Machine.loadAverage();
    Report report = new Report();
    report.runFacts.put("Command", arguments.isEmpty() ? "all" : arguments);
    report.runFacts.putAll(Machine.facts());
    report.runFacts.put("Started", started.truncatedTo(ChronoUnit.SECONDS).toString());
    report.runFacts.put("Sizes", describe(sizes));
    Path warehouse = Files.createTempDirectory("iceberg-online-bench-");
    report.runFacts.put("Warehouse", "Hadoop catalog on the local file system (temporary directory " + warehouse
        + ", deleted after the run)");
    Progress.log("bench %s (%s sizes), warehouse %s, load average %.2f", command, sizes.name(), warehouse, loadAtStart);
    BenchCatalog catalog = new BenchCatalog(warehouse);
    try {
      if (command.equals("materialize") || command.equals("all")) {
        new MaterializeBench(sizes, catalog, report).run();
        new SeedingBench(sizes, catalog, report).run();
      }
      if (command.equals("lookup") || command.equals("all")) {
        new LookupBench(sizes, catalog, report).run();
      }
      if (command.equals("freshness") || command.equals("all")) {
        new FreshnessBench(sizes, catalog, report).run();
      }
      if (command.equals("feature-server") || command.equals("all")) {
        new FeatureServerBench(sizes, catalog, report).run();
      }
      if (command.equals("formats") || command.equals("all")) {
        new FormatBench(sizes, catalog, report).run();
      }
      if (command.equals("state")) {
        new StateScaleBench(sizes, catalog, report, stateBackend).run();
      }
      if (command.equals("delete-log")) {
        new DeleteLogBench(catalog, report).run();
      }
    } finally {
      deleteRecursively(warehouse);
      deleteRecursively(catalog.checkpoints());
      deleteRecursively(catalog.featureServers());
    }
    Duration took = Duration.between(started, Instant.now());
    report.runFacts.put("Duration", String.format(Locale.ROOT, "%d min %d s", took.toMinutes(), took.toSecondsPart()));
    report.runFacts.put("System load average (1 min) at start / end", String.format(Locale.ROOT,
        "%.2f / %.2f (on %d cores; above ~0.5 at start means something else was running)", loadAtStart,
        Machine.loadAverage(), Runtime.getRuntime().availableProcessors()));
    return ReportWriter.write(report, results);
  }

  private static String describe(Sizes sizes) {
    List<String> scale = new ArrayList<>();
    for (int keys : sizes.scaleKeys()) {
      scale.add(String.format(Locale.ROOT, "%,d", keys));
    }
    return String.format(Locale.ROOT, "%s: materialization %,d keys / %,d events (the same events end to end from Kafka), checkpoint %s; "
            + "lookups on %,d keys after %d commits, %,d uncached / %,d cached / %d scan lookups per series, "
            + "%,d SQL join probes; scale tables %s keys; %d freshness markers%s", sizes.name(), sizes.keys(),
        sizes.events(), sizes.materializeCheckpoint(), sizes.lookupKeys(), sizes.lookupCommits(), sizes.uncachedSamples(),
        sizes.cachedSamples(), sizes.scanSamples(), sizes.joinProbes(), String.join(", ", scale),
        sizes.freshnessSamples(), sizes.warmsUp() ? "" : "; no unmeasured warm-up runs");
  }

  /** {@code bench/results} next to the jar's {@code target} directory, else under the working directory. */
  private static Path defaultResults() throws URISyntaxException {
    Path code = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (Files.isRegularFile(code) && code.getParent().getFileName().toString().equals("target")) {
      return code.getParent().getParent().resolve("results");
    }
    return Path.of("bench", "results");
  }

  private static void deleteRecursively(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  private static int count(String[] args, int i) {
    if (i == args.length || !args[i].matches("[1-9][0-9]{0,9}")) {
      fail(args[i - 1] + " needs a positive count");
    }
    return Integer.parseInt(args[i]);
  }

  private static void fail(String message) {
    System.err.println(message);
    System.err.println(USAGE);
    System.exit(2);
  }
}
