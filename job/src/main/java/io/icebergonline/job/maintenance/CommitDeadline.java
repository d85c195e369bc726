package io.icebergonline.job.maintenance;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.iceberg.exceptions.ValidationException;

/**
 * How long the files a maintenance commit adds may wait for it. A concurrent orphan cleanup (the
 * job's schedule, a one-shot {@code maintain}) deletes every unreferenced file older than
 * {@code maintenance.orphan_older_than}, including files written for a commit that has not landed
 * yet; a commit naming deleted files would break every later read of their buckets. So a commit
 * starts only while its oldest file is younger than half that window, which leaves the other half
 * for the commit itself. A zero window sets no deadline: it says that nothing else writes or cleans
 * the table meanwhile (the config and the command line refuse it; the bench uses it on tables only
 * it writes).
 */
final class CommitDeadline {
  private final Duration orphanWindow;
  private final long limitNanos;
  private final LongSupplier nanoClock;
  private long firstWriteNanos = -1;

  CommitDeadline(Duration orphanWindow) {
    this(orphanWindow, System::nanoTime);
  }

  CommitDeadline(Duration orphanWindow, LongSupplier nanoClock) {
    this.orphanWindow = orphanWindow;
    this.limitNanos = orphanWindow.toNanos() / 2;
    this.nanoClock = nanoClock;
  }

  /** Called before each file write of the pending commit; the first one starts the clock. */
  void writing() {
    if (firstWriteNanos < 0 && !orphanWindow.isZero()) {
      firstWriteNanos = nanoClock.getAsLong();
    }
  }

  /**
   * Whether the pending commit should land now rather than after more work taking about
   * {@code nextWorkNanos}: that work would bring its files past half of the allowed wait.
   */
  boolean dueBefore(long nextWorkNanos) {
    return firstWriteNanos >= 0 && ageNanos() + nextWorkNanos >= limitNanos / 2;
  }

  /**
   * Throws a {@link ValidationException} (the rewrite is redone from a new plan) if the files have
   * waited too long to be committed safely.
   */
  void checkCommittable(String table) {
    long age = ageNanos();
    ValidationException.check(firstWriteNanos < 0 || age < limitNanos,
        "Maintenance of %s: its new files waited %d ms for their commit, more than half of "
            + "maintenance.orphan_older_than (%s), so a concurrent orphan cleanup may have deleted them; not "
            + "committed. Set orphan_older_than far above the time a rewrite takes.",
        table, age / 1_000_000, orphanWindow);
  }

  private long ageNanos() {
    return nanoClock.getAsLong() - firstWriteNanos;
  }
}
