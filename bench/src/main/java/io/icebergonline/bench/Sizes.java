package io.icebergonline.bench;

import java.time.Duration;
import java.util.Locale;

/**
 * The data sizes and sample counts of one run. {@link #full()} follows the sizes; {@link
 * #quick()} is a few seconds' worth of the same shapes, for the smoke test and trying things out.
 *
 * @param keys distinct entity keys of the materialization input
 * @param events generated events of the materialization input (Zipf s = 1.1, 5% late)
 * @param lookupKeys keys of the lookup table
 * @param lookupCommits upsert commits building the lookup table (the first writes every key)
 * @param updateShare share of the keys each later commit rewrites
 * @param uncachedSamples timed lookups per uncached measurement
 * @param cachedSamples timed lookups per cached measurement
 * @param scanSamples timed plain Iceberg scans per measurement
 * @param joinProbes probe rows of the Flink SQL lookup-join throughput run
 * @param scaleKeys table sizes of the scale measurement (besides {@code lookupKeys})
 * @param freshnessSamples marker events of the freshness run
 * @param materializeCheckpoint checkpoint interval of the materialization runs (a bounded run waits up to one
 *     interval for its final commit, so quick runs use a short one)
 * @param warmupLookups uncached lookups before the timed ones, so every file's metadata is loaded
 * @param serverSeries how long each series of the feature server bench runs (and its warm-up before it)
 */
record Sizes(
    String name, int keys, int events, int lookupKeys, int lookupCommits, double updateShare, int uncachedSamples,
    int cachedSamples, int scanSamples, int joinProbes, int[] scaleKeys, int freshnessSamples,
    Duration materializeCheckpoint, int warmupLookups, Duration serverSeries) {

  static final int PARALLELISM = 2;
  static final int BUCKETS = 16;
  static final long SEED = 20_260_101L;
  static final double ZIPF_EXPONENT = 1.1;
  static final Duration FRESHNESS_CHECKPOINT = Duration.ofSeconds(5);
  static final Duration LOOKUP_REFRESH = Duration.ofSeconds(1);
  static final int LOOKUP_FEATURES = 10;
  static final double CACHE_HIT_TARGET = 0.8;

  static Sizes full(boolean tenMillionKeys) {
    return new Sizes("full", 1_000_000, 10_000_000, 1_000_000, 20, 0.05,
        5_000, 10_000, 30, 100_000, tenMillionKeys ? new int[] {100_000, 10_000_000} : new int[] {100_000}, 15,
        Duration.ofSeconds(10), 10_000, Duration.ofSeconds(10));
  }

  /** These sizes with another lookup table size and number of join probes (a reduced run of the lookup bench). */
  Sizes withLookups(int lookupKeys, int joinProbes) {
    return new Sizes(name + String.format(Locale.ROOT, " with %,d lookup keys and %,d join probes", lookupKeys,
        joinProbes), keys, events, lookupKeys, lookupCommits, updateShare, uncachedSamples, cachedSamples, scanSamples,
        joinProbes, scaleKeys, freshnessSamples, materializeCheckpoint, warmupLookups, serverSeries);
  }

  /** These sizes with another materialization input (a reduced run when the full one does not fit). */
  Sizes withMaterializeInput(int keys, int events) {
    return new Sizes(name + String.format(Locale.ROOT, " (materialization %,d keys / %,d events)", keys, events),
        keys, events, lookupKeys, lookupCommits, updateShare, uncachedSamples, cachedSamples, scanSamples, joinProbes,
        scaleKeys, freshnessSamples, materializeCheckpoint, warmupLookups, serverSeries);
  }

  /** How many times a series that is compared with another runs (one for quick sizes); its report gives the median. */
  int repeats() {
    return isQuick() ? 1 : 3;
  }

  /**
   * Commits in the seeding bench's delete log since its last maintenance: an hour's, the most the
   * hourly maintenance leaves, or a tenth of it at quick sizes (writing the ~1,800 files of an
   * hour's commits took most of a quick run's seeding).
   */
  int seedingLogCommits() {
    return isQuick() ? DeleteLogBench.CHECKPOINTS_PER_HOUR / 10 : DeleteLogBench.CHECKPOINTS_PER_HOUR;
  }

  /**
   * Whether series that are compared with each other first run unmeasured, so that no measured run
   * pays for compiling its code. Not at quick sizes: their figures check correctness, not speed.
   */
  boolean warmsUp() {
    return !isQuick();
  }

  private boolean isQuick() {
    return name.startsWith("quick");
  }

  static Sizes quick() {
    return new Sizes("quick", 5_000, 20_000, 5_000, 5, 0.05, 500, 2_000, 5, 20_000, new int[] {2_000}, 3,
        Duration.ofSeconds(1), 500, Duration.ofSeconds(1));
  }
}
