package io.icebergonline.core;

import java.io.Serializable;
import java.time.Duration;

/**
 * The {@code maintenance:} block: whether the materialization job compacts and cleans its tables
 * on a schedule, and the bounds the one-shot {@code maintain} command uses by default.
 *
 * @param interval how often in-job maintenance runs
 * @param expireOlderThan snapshots older than this are expired (the newest {@code retainLast} are kept)
 * @param orphanOlderThan unreferenced files older than this are deleted (a safety window for in-flight writes)
 * @param targetFileSizeBytes compaction writes data files of about this size
 */
public record MaintenanceConfig(
    boolean enabled, Duration interval, Duration expireOlderThan, int retainLast, Duration orphanOlderThan,
    long targetFileSizeBytes) implements Serializable {

  public static final MaintenanceConfig DEFAULTS =
      new MaintenanceConfig(false, Duration.ofHours(1), Duration.ofDays(1), 5, Duration.ofDays(3), 128L * 1024 * 1024);
}
