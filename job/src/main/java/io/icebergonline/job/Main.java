package io.icebergonline.job;

import io.icebergonline.core.ConfigException;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.IncompatibleTableException;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.MaintenanceConfig;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.job.maintenance.MaintenanceReport;
import io.icebergonline.job.maintenance.OnlineTableMaintenance;
import io.icebergonline.job.pipeline.MaterializationJob;
import io.icebergonline.job.pipeline.MaterializeOptions;
import io.icebergonline.job.sql.SqlRunner;
import io.icebergonline.job.sql.SqlScriptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.iceberg.catalog.Catalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the job jar, for {@code java -jar} (local mini-cluster), {@code flink run} and
 * the Flink Kubernetes Operator alike: {@code materialize --config job.yaml [...]}, and the one-shot
 * {@code maintain --config job.yaml [...]} and {@code sql FILE [...]} (lookup joins and other SQL jobs).
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  static final String USAGE = String.join("\n",
      "Usage: java -jar iceberg-online-job.jar <command> [options]",
      "",
      "Commands:",
      "  materialize --config FILE [--until-end] [--parallelism N] [--checkpoint-interval 30s]",
      "              [--max-buffered-rows N]",
      "      Read feature events from Kafka and keep the newest row per entity in Iceberg, exactly once.",
      "      --until-end  read up to the offsets present at start, commit, and exit 0.",
      "  maintain --config FILE [--view NAME] [--expire-older-than 1d] [--retain-last 5]",
      "           [--orphan-older-than 3d] [--target-file-size 128MB]",
      "      Compact every bucket of the views' tables (applying and dropping all delete files), expire",
      "      snapshots and delete orphan files, once. Defaults come from the config's maintenance block.",
      "  sql FILE [FILE ...] [--set KEY=VALUE ...]",
      "      Run Flink SQL scripts in order in one session (SET, DDL, queries, INSERT jobs) and wait for",
      "      their jobs. ${KEY} / ${KEY:-default} in the scripts come from --set, else the environment.",
      "  help",
      "      Show this text.",
      "");

  private Main() {}

  /**
   * From a shell ({@code java -jar}) the process exits with {@link #run}'s code. Launched by Flink
   * (REST or web submission and application mode run {@code main()} inside the JobManager, {@code
   * flink run} inside its client), the JVM is Flink's: {@link #execute} returns or throws, and the
   * exception's message is what the submitter sees.
   */
  public static void main(String[] args) throws Exception {
    if (launchedByFlink()) {
      execute(args);
    } else {
      System.exit(run(args));
    }
  }

  /** Flink's clients and the JobManager set a context environment before they call {@code main()}. */
  static boolean launchedByFlink() {
    return !(StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment);
  }

  /** Runs a command and returns the process exit code: 0 done, 1 failed, 2 bad usage or config. */
  public static int run(String[] args) throws Exception {
    try {
      execute(args);
      return 0;
    } catch (CommandLine.UsageException e) {
      System.err.println("error: " + e.getMessage());
      System.err.print(USAGE);
      return 2;
    } catch (ConfigException e) {
      System.err.println("error: invalid config: " + e.getMessage());
      return 2;
    } catch (IncompatibleTableException | StartupException | SqlScriptException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }

  /**
   * Runs a command, returning when it is done; a usage error throws {@link CommandLine.UsageException},
   * a bad config {@link ConfigException}, a failure to start or finish {@link StartupException} (or
   * the table's or script's own exception), each with a message that says what to fix.
   */
  public static void execute(String[] args) throws Exception {
    if (args.length == 0) {
      throw new CommandLine.UsageException("no command given");
    }
    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "help", "--help", "-h" -> System.out.print(USAGE);
      case "materialize" -> materialize(parseMaterialize(rest));
      case "maintain" -> maintain(rest);
      case "sql" -> runSql(rest);
      default -> throw new CommandLine.UsageException("unknown command '" + args[0] + "'");
    }
  }

  static MaterializeOptions parseMaterialize(String[] args) {
    CommandLine line = new CommandLine(args,
        Set.of("--config", "--parallelism", "--checkpoint-interval", "--max-buffered-rows"), Set.of("--until-end"));
    return new MaterializeOptions(
        Path.of(line.required("--config")),
        line.flag("--until-end"),
        line.option("--parallelism") == null ? null : line.positiveInt("--parallelism"),
        line.option("--checkpoint-interval") == null
            ? MaterializeOptions.DEFAULT_CHECKPOINT_INTERVAL
            : line.positiveDuration("--checkpoint-interval"),
        line.option("--max-buffered-rows") == null
            ? MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS
            : line.positiveInt("--max-buffered-rows"));
  }

  private static void materialize(MaterializeOptions options) throws Exception {
    JobConfig config = JobConfigParser.load(options.config());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    MaterializationJob.build(env, config, options);
    LOG.info("Starting materialization of feature views {} from Kafka {} into catalog '{}' namespace '{}'{}",
        config.featureViews().stream().map(view -> view.name()).toList(), config.kafka().bootstrapServers(),
        config.onlineStore().catalogName(), config.onlineStore().namespace(),
        options.untilEnd() ? " (until the end of the topics)" : "");
    env.execute("iceberg-online materialize " + config.featureViews().stream().map(view -> view.name()).toList());
  }

  /** Maintains the tables of the config's views (or of {@code --view}); throws naming those that failed. */
  private static void maintain(String[] args) throws Exception {
    CommandLine line = new CommandLine(args, Set.of("--config", "--view", "--expire-older-than", "--retain-last",
        "--orphan-older-than", "--target-file-size"), Set.of());
    JobConfig config = JobConfigParser.load(Path.of(line.required("--config")));
    MaintenanceConfig defaults = config.maintenance();
    MaintenanceConfig settings = new MaintenanceConfig(true, defaults.interval(),
        line.option("--expire-older-than") == null ? defaults.expireOlderThan() : line.duration("--expire-older-than"),
        line.option("--retain-last") == null ? defaults.retainLast() : line.positiveInt("--retain-last"),
        line.option("--orphan-older-than") == null ? defaults.orphanOlderThan() : line.positiveDuration("--orphan-older-than"),
        line.option("--target-file-size") == null ? defaults.targetFileSizeBytes() : line.byteSize("--target-file-size"));
    List<FeatureViewSpec> views = config.featureViews();
    if (line.option("--view") != null) {
      views = List.of(config.featureView(line.option("--view")).orElseThrow(() -> new CommandLine.UsageException(
          "--view: no feature view named '" + line.option("--view") + "' in the config; it has "
              + config.featureViews().stream().map(FeatureViewSpec::name).toList())));
    }
    Catalog catalog;
    try {
      catalog = IcebergCatalogs.load(config.onlineStore());
    } catch (IllegalStateException e) {
      throw new StartupException(e.getMessage(), e);
    }
    List<String> failed = new java.util.ArrayList<>();
    try {
      for (FeatureViewSpec view : views) {
        try {
          for (MaintenanceReport report
              : OnlineTableMaintenance.maintainView(catalog, config.onlineStore().namespace(), view, settings, "maintain")) {
            LOG.info("Maintained feature view '{}', table {}", view.name(), report.describe());
          }
        } catch (RuntimeException e) {
          failed.add("'" + view.name() + "': " + e.getMessage());
          LOG.error("Maintenance of feature view '{}' (table {}) failed", view.name(),
              OnlineTables.identifier(config.onlineStore().namespace(), view), e);
        }
      }
    } finally {
      if (catalog instanceof AutoCloseable closeable) {
        closeable.close();
      }
    }
    if (!failed.isEmpty()) {
      throw new StartupException("maintenance failed for feature view " + String.join("; ", failed));
    }
  }

  /** Runs the scripts in one session on the local mini-cluster or, as an application, on the cluster. */
  private static void runSql(String[] args) throws Exception {
    CommandLine line = new CommandLine(args, Set.of(), Set.of("--set"), Set.of(), true);
    if (line.positionals().isEmpty()) {
      throw new CommandLine.UsageException("sql needs at least one script file");
    }
    Map<String, String> values = new HashMap<>();
    for (String assignment : line.options("--set")) {
      int equals = assignment.indexOf('=');
      if (equals <= 0) {
        throw new CommandLine.UsageException("--set expects KEY=VALUE, got '" + assignment + "'");
      }
      values.put(assignment.substring(0, equals), assignment.substring(equals + 1));
    }
    List<Path> files = line.positionals().stream().map(Path::of).toList();
    for (Path file : files) {
      if (!Files.isRegularFile(file)) {
        throw new CommandLine.UsageException("no SQL script at " + file);
      }
    }
    SqlRunner runner = new SqlRunner(TableEnvironment.create(EnvironmentSettings.inStreamingMode()),
        name -> values.containsKey(name) ? values.get(name) : System.getenv(name));
    for (Path file : files) {
      LOG.info("Running SQL script {}", file);
      runner.run(file);
    }
    runner.awaitJobs();
  }
}
