package io.icebergonline.server;

import io.icebergonline.core.ConfigException;
import io.icebergonline.core.FeatureServerConfig;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import java.nio.file.Path;

/**
 * {@code java -jar iceberg-online-feature-server.jar CONFIG.yaml}: serves the feature views of
 * the job's config (same file, plus its {@code server:} block). Exits 2 on a usage or config
 * error, 1 when the server fails.
 */
public final class FeatureServerMain {
  private FeatureServerMain() {}

  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: java -jar iceberg-online-feature-server.jar CONFIG.yaml");
      System.exit(2);
    }
    JobConfig job;
    FeatureServerConfig server;
    try {
      job = JobConfigParser.load(Path.of(args[0]));
      server = JobConfigParser.loadFeatureServer(Path.of(args[0]));
    } catch (ConfigException e) {
      System.err.println("config error: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      FeatureServer running = FeatureServer.start(job, server);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          running.close();
        } catch (Exception e) {
          System.err.println("stopping the feature server failed: " + e);
        }
      }, "feature-server-shutdown"));
      running.join();
    } catch (Exception e) {
      System.err.println("feature server failed: " + e.getMessage());
      System.exit(1);
    }
  }
}
