package io.icebergonline.job;

import io.icebergonline.core.ConfigException;
import io.icebergonline.core.IncompatibleTableException;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the job jar, for {@code java -jar} (local mini-cluster), {@code flink run} and
 * the Flink Kubernetes Operator alike: {@code materialize --config job.yaml [...]}.
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
      "  help",
      "      Show this text.",
      "");

  private Main() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(args));
  }

  /** Runs a command and returns the process exit code: 0 done, 1 failed, 2 bad usage or config. */
  static int run(String[] args) throws Exception {
    if (args.length == 0 || Set.of("help", "--help", "-h").contains(args[0])) {
      System.out.print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    try {
      switch (args[0]) {
        case "materialize":
          materialize(parseMaterialize(rest));
          return 0;
        default:
          throw new CommandLine.UsageException("unknown command '" + args[0] + "'");
      }
    } catch (CommandLine.UsageException e) {
      System.err.println("error: " + e.getMessage());
      System.err.print(USAGE);
      return 2;
    } catch (ConfigException e) {
      System.err.println("error: invalid config: " + e.getMessage());
      return 2;
    } catch (IncompatibleTableException | StartupException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }

  static MaterializeOptions parseMaterialize(String[] args) {
    CommandLine line = new CommandLine(args,
        Set.of("--config", "--parallelism", "--checkpoint-interval", "--max-buffered-rows"), Set.of("--until-end"));
    return new MaterializeOptions(
        Path.of(line.required("--config")),
        line.flag("--until-end"),
        line.option("--parallelism") == null ? null : positiveInt(line, "--parallelism"),
        line.option("--checkpoint-interval") == null
            ? MaterializeOptions.DEFAULT_CHECKPOINT_INTERVAL
            : duration(line, "--checkpoint-interval"),
        line.option("--max-buffered-rows") == null
            ? MaterializeOptions.DEFAULT_MAX_BUFFERED_ROWS
            : positiveInt(line, "--max-buffered-rows"));
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

  private static int positiveInt(CommandLine line, String name) {
    String text = line.required(name);
    try {
      int value = Integer.parseInt(text);
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new CommandLine.UsageException(name + " expects a positive integer, got '" + text + "'");
  }

  private static Duration duration(CommandLine line, String name) {
    String text = line.required(name);
    try {
      Duration value = TimeUtils.parseDuration(text);
      if (!value.isZero() && !value.isNegative()) {
        return value;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw new CommandLine.UsageException(name + " expects a duration such as 30s or 2min, got '" + text + "'");
  }
}
