package io.icebergonline.job.pipeline;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Command-line options of {@code materialize}.
 *
 * @param parallelism null = the environment's default
 * @param untilEnd read up to the offsets present at start, commit, and finish (backfills, tests)
 * @param maxBufferedRows per subtask, the collapse buffer's cap before it is emitted early
 */
public record MaterializeOptions(
    Path config, boolean untilEnd, Integer parallelism, Duration checkpointInterval, int maxBufferedRows) {

  public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_BUFFERED_ROWS = 1_000_000;
}
