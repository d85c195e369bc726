package io.icebergonline.job.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.iceberg.exceptions.ValidationException;
import org.junit.jupiter.api.Test;

class CommitDeadlineTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final CommitDeadline deadline = new CommitDeadline(Duration.ofSeconds(10), now::get);

  @Test
  void nothingWrittenIsNeverDueAndAlwaysCommittable() {
    now.addAndGet(Duration.ofHours(1).toNanos());
    assertThat(deadline.dueBefore(Duration.ofHours(1).toNanos())).isFalse();
    deadline.checkCommittable("t");
  }

  @Test
  void dueOnceTheNextWorkWouldBringTheFilesToAQuarterOfTheWindow() {
    deadline.writing();
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(deadline.dueBefore(Duration.ofMillis(1_400).toNanos())).isFalse();
    assertThat(deadline.dueBefore(Duration.ofMillis(1_500).toNanos())).isTrue();
  }

  @Test
  void aZeroWindowSetsNoDeadline() {
    CommitDeadline none = new CommitDeadline(Duration.ZERO, now::get);
    none.writing();
    now.addAndGet(Duration.ofHours(1).toNanos());
    assertThat(none.dueBefore(0)).isFalse();
    none.checkCommittable("t");
  }

  @Test
  void theClockStartsAtTheFirstWrite() {
    deadline.writing();
    now.addAndGet(Duration.ofSeconds(4).toNanos());
    deadline.writing();
    now.addAndGet(Duration.ofMillis(999).toNanos());
    deadline.checkCommittable("t");
    now.addAndGet(Duration.ofMillis(1).toNanos());
    assertThatThrownBy(() -> deadline.checkCommittable("db.t"))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("db.t")
        .hasMessageContaining("waited 5000 ms")
        .hasMessageContaining("maintenance.orphan_older_than (PT10S)");
  }
}
