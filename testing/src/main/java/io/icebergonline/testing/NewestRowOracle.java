package io.icebergonline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The truth for end-to-end tests: the newest row per key of a sequence of generated events,
 * computed with none of the production code. Rows are plain maps of Java values (longs, doubles,
 * strings; timestamps as epoch microseconds, integer timestamps of the events being milliseconds)
 * so tests compare them with what {@link TableRows} reads from Iceberg.
 *
 * <p>Semantics: a record's version is (event time, created time; absent created = oldest), to
 * the microsecond; a tombstone's version is (Kafka record timestamp, oldest). A record replaces the key's current
 * state when its version is greater than or equal to the current one (on an exact tie the later
 * record wins); otherwise it is stale. Per key, records arrive in generation order.
 */
public final class NewestRowOracle {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Comparator<long[]> VERSION_ORDER =
      Comparator.<long[]>comparingLong(version -> version[0]).thenComparingLong(version -> version[1]);

  private final Map<Long, long[]> versions = new HashMap<>();
  /** The winning upsert of each live key, parsed again when asked for: tens of millions of keys fit in memory. */
  private final Map<Long, GeneratedEvent> live = new HashMap<>();
  private long applied;
  private long stale;
  private long malformed;

  public void acceptAll(Iterable<GeneratedEvent> events) {
    events.forEach(this::accept);
  }

  public void accept(GeneratedEvent event) {
    switch (event.kind()) {
      case MALFORMED -> malformed++;
      case TOMBSTONE -> apply(event.driverId(), new long[] {micros(event.recordTimestamp()), Long.MIN_VALUE}, null);
      case UPSERT -> {
        Map<String, Object> row = parse(event);
        long created = row.get("created") == null ? Long.MIN_VALUE : (Long) row.get("created");
        apply(event.driverId(), new long[] {(Long) row.get("event_timestamp"), created}, event);
      }
    }
  }

  private void apply(long driverId, long[] version, GeneratedEvent upsert) {
    long[] current = versions.get(driverId);
    if (current != null && VERSION_ORDER.compare(version, current) < 0) {
      stale++;
      return;
    }
    applied++;
    versions.put(driverId, version);
    if (upsert == null) {
      live.remove(driverId);
    } else {
      live.put(driverId, upsert);
    }
  }

  /** Live rows by driver id, sorted. */
  public Map<Long, Map<String, Object>> liveRows() {
    Map<Long, Map<String, Object>> rows = new TreeMap<>();
    live.forEach((driverId, upsert) -> rows.put(driverId, parse(upsert)));
    return rows;
  }

  /** The keys that have a live row. */
  public Set<Long> liveKeys() {
    return Collections.unmodifiableSet(live.keySet());
  }

  /** The live row of {@code driverId}, or null: {@link #liveRows} one key at a time, for key spaces too big to copy. */
  public Map<String, Object> liveRow(long driverId) {
    GeneratedEvent upsert = live.get(driverId);
    return upsert == null ? null : parse(upsert);
  }

  public long appliedCount() {
    return applied;
  }

  public long staleCount() {
    return stale;
  }

  public long malformedCount() {
    return malformed;
  }

  private static Map<String, Object> parse(GeneratedEvent event) {
    JsonNode json;
    try {
      json = JSON.readTree(event.value());
    } catch (IOException e) {
      throw new UncheckedIOException("generated upsert is not JSON: " + event.valueText(), e);
    }
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("driver_id", json.get("driver_id").longValue());
    row.put("conv_rate", json.hasNonNull("conv_rate") ? json.get("conv_rate").doubleValue() : null);
    row.put("trips", json.hasNonNull("trips") ? json.get("trips").longValue() : null);
    row.put("city", json.hasNonNull("city") ? json.get("city").textValue() : null);
    row.put("event_timestamp", timestamp(json.get("event_timestamp")));
    row.put("created", json.hasNonNull("created") ? timestamp(json.get("created")) : null);
    return row;
  }

  /** Epoch microseconds of an ISO-8601 instant or of epoch milliseconds. */
  private static long timestamp(JsonNode value) {
    return value.isNumber() ? micros(value.longValue()) : TableRows.epochMicros(Instant.parse(value.textValue()));
  }

  private static long micros(long epochMillis) {
    return Math.multiplyExact(epochMillis, 1_000L);
  }
}
