package io.icebergonline.testing;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Seeded generator of driver-statistics feature events for one feature view (see {@link
 * #FEATURE_VIEW_YAML}): Zipf-skewed keys, and late, duplicate, malformed events and tombstones at
 * the configured rates. The same settings and seed always give the same events. The truth for
 * what the table must hold is computed independently by {@link NewestRowOracle}.
 */
public final class FeatureEventGenerator {
  /** The feature view the events belong to, as a job-config list item (indented for {@code feature_views:}). */
  public static final String FEATURE_VIEW_YAML = String.join("\n",
      "  - name: driver_stats",
      "    topic: %s",
      "    entities: [ { name: driver_id, type: INT64 } ]",
      "    features:",
      "      - { name: conv_rate, type: DOUBLE }",
      "      - { name: trips, type: INT64 }",
      "      - { name: city, type: STRING }",
      "    timestamp_field: event_timestamp",
      "    created_timestamp_column: created",
      "    buckets: %d",
      "");

  /** How many of the latest upserts a duplicate may resend. */
  static final int DUPLICATE_POOL = 1_000_000;

  public static final String[] CITIES = {"Amsterdam", "Berlin", "Lisbon", "Oslo", "Riga", "Tallinn", "Zürich"};

  private final Settings settings;
  private final Random random;
  private final double[] zipfCdf;
  private final Map<Long, Long> lastEventTime = new HashMap<>();
  /** The upserts a duplicate is drawn from: the latest {@link #DUPLICATE_POOL}, so memory stays bounded for long runs. */
  private final List<GeneratedEvent> upserts = new ArrayList<>();
  private int nextPoolSlot;
  private long clock;
  private long created;

  /**
   * @param keys distinct driver ids {@code 1..keys}
   * @param zipfExponent skew of the key popularity; 0 = uniform
   * @param lateRate share of events whose event time lies up to {@code maxLatenessMillis} in the past
   * @param duplicateRate share of events that resend an earlier valid event (one of the latest million upserts)
   *     byte for byte
   * @param malformedRate share of records that must be dead-lettered
   * @param tombstoneRate share of records that delete a key
   */
  public record Settings(
      long seed, int keys, double zipfExponent, double lateRate, double duplicateRate, double malformedRate,
      double tombstoneRate, long startMillis, long stepMillis, long maxLatenessMillis) {

    public static Settings defaults(long seed, int keys) {
      return new Settings(seed, keys, 1.1, 0.05, 0.02, 0.01, 0.01, 1_767_225_600_000L, 7, 60_000);
    }

    public Settings withRates(double late, double duplicate, double malformed, double tombstone) {
      return new Settings(seed, keys, zipfExponent, late, duplicate, malformed, tombstone, startMillis, stepMillis,
          maxLatenessMillis);
    }

    /** These settings with event times starting at {@code start} (epoch milliseconds). */
    public Settings withStartMillis(long start) {
      return new Settings(seed, keys, zipfExponent, lateRate, duplicateRate, malformedRate, tombstoneRate, start,
          stepMillis, maxLatenessMillis);
    }
  }

  public FeatureEventGenerator(Settings settings) {
    this.settings = settings;
    this.random = new Random(settings.seed());
    this.zipfCdf = zipfCdf(settings.keys(), settings.zipfExponent());
    this.clock = settings.startMillis();
    this.created = settings.startMillis();
  }

  /** The feature view YAML for a topic and bucket count. */
  public static String featureViewYaml(String topic, int buckets) {
    return String.format(Locale.ROOT, FEATURE_VIEW_YAML, topic, buckets);
  }

  public List<GeneratedEvent> next(int count) {
    List<GeneratedEvent> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      events.add(next());
    }
    return events;
  }

  public GeneratedEvent next() {
    clock += 1 + random.nextInt((int) settings.stepMillis());
    created += 1;
    double roll = random.nextDouble();
    if ((roll -= settings.malformedRate()) < 0) {
      return malformed();
    }
    long driverId = nextKey();
    if ((roll -= settings.tombstoneRate()) < 0) {
      return new GeneratedEvent(GeneratedEvent.Kind.TOMBSTONE, driverId, key(driverId), null, clock, null);
    }
    if ((roll -= settings.duplicateRate()) < 0 && !upserts.isEmpty()) {
      GeneratedEvent original = upserts.get(random.nextInt(upserts.size()));
      return new GeneratedEvent(GeneratedEvent.Kind.UPSERT, original.driverId(), original.key(), original.value(),
          clock, null);
    }
    long eventTime = clock;
    if ((roll -= settings.lateRate()) < 0) {
      eventTime = clock - 1 - (long) (random.nextDouble() * settings.maxLatenessMillis());
    } else if (random.nextInt(50) == 0 && lastEventTime.containsKey(driverId)) {
      eventTime = lastEventTime.get(driverId); // same event time: created decides
    }
    return upsert(driverId, eventTime);
  }

  /**
   * An upsert of {@code driverId} at the current time: {@code load(1)} to {@code load(keys)} first
   * is an initial load that gives every key a row before the skewed {@link #next} events.
   */
  public GeneratedEvent load(long driverId) {
    clock += 1;
    created += 1;
    return upsert(driverId, clock);
  }

  private GeneratedEvent upsert(long driverId, long eventTime) {
    GeneratedEvent event = new GeneratedEvent(GeneratedEvent.Kind.UPSERT, driverId, key(driverId),
        upsertJson(driverId, eventTime).getBytes(StandardCharsets.UTF_8), clock, null);
    lastEventTime.put(driverId, eventTime);
    if (upserts.size() < DUPLICATE_POOL) {
      upserts.add(event);
    } else {
      upserts.set(nextPoolSlot, event);
      nextPoolSlot = (nextPoolSlot + 1) % DUPLICATE_POOL;
    }
    return event;
  }

  private String upsertJson(long driverId, long eventTime) {
    StringBuilder json = new StringBuilder("{\"driver_id\":").append(driverId);
    json.append(",\"conv_rate\":").append(Math.round(random.nextDouble() * 1e6) / 1e6);
    if (random.nextInt(10) != 0) { // a missing feature is null
      json.append(",\"trips\":").append(random.nextInt(500));
    }
    json.append(",\"city\":\"").append(CITIES[random.nextInt(CITIES.length)]).append('"');
    if (random.nextBoolean()) {
      json.append(",\"event_timestamp\":").append(eventTime);
    } else {
      json.append(",\"event_timestamp\":\"").append(Instant.ofEpochMilli(eventTime)).append('"');
    }
    json.append(",\"created\":").append(created).append('}');
    return json.toString();
  }

  private GeneratedEvent malformed() {
    long driverId = nextKey();
    String reason;
    String value;
    switch (random.nextInt(4)) {
      case 0:
        reason = "not JSON";
        value = "{\"driver_id\": " + driverId + ", \"conv_rate\": ";
        break;
      case 1:
        reason = "missing entity";
        value = "{\"conv_rate\":0.5,\"trips\":3,\"event_timestamp\":" + clock + "}";
        break;
      case 2:
        reason = "wrong type";
        value = "{\"driver_id\":" + driverId + ",\"trips\":\"many\",\"event_timestamp\":" + clock + "}";
        break;
      default:
        reason = "bad timestamp";
        value = "{\"driver_id\":" + driverId + ",\"trips\":4,\"event_timestamp\":\"yesterday\"}";
        break;
    }
    return new GeneratedEvent(GeneratedEvent.Kind.MALFORMED, driverId, key(driverId),
        value.getBytes(StandardCharsets.UTF_8), clock, reason);
  }

  private long nextKey() {
    int index = Arrays.binarySearch(zipfCdf, random.nextDouble());
    return (index >= 0 ? index : -index - 1) + 1L;
  }

  private static byte[] key(long driverId) {
    return ("{\"driver_id\":" + driverId + "}").getBytes(StandardCharsets.UTF_8);
  }

  private static double[] zipfCdf(int keys, double exponent) {
    double[] cdf = new double[keys];
    double sum = 0;
    for (int k = 0; k < keys; k++) {
      sum += 1.0 / Math.pow(k + 1, exponent);
      cdf[k] = sum;
    }
    for (int k = 0; k < keys; k++) {
      cdf[k] /= sum;
    }
    cdf[keys - 1] = 1.0;
    return cdf;
  }
}
