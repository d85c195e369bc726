package io.icebergonline.bench;

import java.time.Duration;
import java.util.Locale;

/** Progress lines on stdout while a benchmark runs, each with the time since the run started. */
final class Progress {
  private static final long STARTED = System.nanoTime();

  private Progress() {}

  static void log(String format, Object... args) {
    Duration elapsed = Duration.ofNanos(System.nanoTime() - STARTED);
    System.out.printf(Locale.ROOT, "[%3d:%02d] %s%n", elapsed.toMinutes(), elapsed.toSecondsPart(),
        String.format(Locale.ROOT, format, args));
    System.out.flush();
  }
}
