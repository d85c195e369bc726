package io.icebergonline.job.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.iceberg.hadoop.HadoopFileIO;
import org.apache.iceberg.io.OutputFile;

/**
 * Iceberg's {@link HadoopFileIO} that fails every commit to the tables registered with {@link
 * #failCommitsTo}: a Hadoop catalog commits by writing a new {@code *.metadata.json} through its
 * FileIO, and this one refuses to create it. Data and manifest files are written as usual, so a
 * test sees a commit fail exactly between the files and the snapshot, as a crash there would.
 * The refusal comes 12 seconds late, as a slow commit to object storage would: the window in which
 * the job's other commits of that checkpoint (the other table, Kafka offsets) land. (The Kafka
 * source's own asynchronous offset commit took several seconds to land here; with a 1 or 5 second
 * window the job died before it did, and the test could not see the group move ahead.) Set with
 * the catalog property {@code io-impl}; the registry is static because the mini-cluster runs in
 * the test's JVM.
 */
public class FailingCommitsFileIO extends HadoopFileIO {
  private static final Set<String> FAILING_TABLE_LOCATIONS = ConcurrentHashMap.newKeySet();
  private static final Duration COMMIT_TIME = Duration.ofSeconds(12);

  public FailingCommitsFileIO() {}

  /** From now on every commit to the table at {@code tableLocation} fails. */
  static void failCommitsTo(String tableLocation) {
    FAILING_TABLE_LOCATIONS.add(withoutScheme(tableLocation));
  }

  static void commitNormally() {
    FAILING_TABLE_LOCATIONS.clear();
  }

  @Override
  public OutputFile newOutputFile(String path) {
    String location = withoutScheme(path);
    if (location.endsWith(".metadata.json")
        && FAILING_TABLE_LOCATIONS.stream().anyMatch(table -> location.startsWith(table + "/metadata/"))) {
      try {
        Thread.sleep(COMMIT_TIME.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new UncheckedIOException(new IOException("injected: commits to this table fail (" + path + ")"));
    }
    return super.newOutputFile(path);
  }

  private static String withoutScheme(String location) {
    return location.replaceFirst("^file:/+", "/");
  }
}
