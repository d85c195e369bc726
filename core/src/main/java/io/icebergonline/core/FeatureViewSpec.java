package io.icebergonline.core;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One Feast feature view materialized into one Iceberg table: its Kafka topic, entity (key)
 * columns, feature columns, event-time column, optional created-time tie-breaker, optional TTL,
 * the number of entity-hash buckets, the unit of integer timestamps in its events, how long
 * the versions of deletes are kept and how its events are encoded.
 *
 * @param createdTimestampColumn null when the view has no created-time column
 * @param ttl null when rows never expire
 * @param deleteRetention null for the default, see {@link #deleteVersionRetention()}
 */
public record FeatureViewSpec(
    String name,
    String topic,
    List<FieldSpec> entities,
    List<FieldSpec> features,
    String timestampField,
    String createdTimestampColumn,
    Duration ttl,
    int buckets,
    TimestampUnit timestampUnit,
    Duration deleteRetention,
    EventFormat format)
    implements Serializable {

  /** How long delete versions are kept when neither {@code delete_retention} nor {@code ttl} is set. */
  public static final Duration DEFAULT_DELETE_RETENTION = Duration.ofDays(7);

  public FeatureViewSpec {
    entities = List.copyOf(entities);
    features = List.copyOf(features);
    Objects.requireNonNull(timestampUnit, "timestampUnit");
    Objects.requireNonNull(format, "format");
  }

  public Optional<String> createdTimestamp() {
    return Optional.ofNullable(createdTimestampColumn);
  }

  public Optional<Duration> timeToLive() {
    return Optional.ofNullable(ttl);
  }

  /**
   * How long after the job applied a delete its version is kept in the view's delete log, so that
   * a late event older than the delete cannot bring the key back even after a start without
   * state: {@code delete_retention}, else the {@code ttl}, else {@link #DEFAULT_DELETE_RETENTION}.
   */
  public Duration deleteVersionRetention() {
    return deleteRetention != null ? deleteRetention : ttl != null ? ttl : DEFAULT_DELETE_RETENTION;
  }

  /** True when the entity key has more than one column (the table then carries a derived key column). */
  public boolean hasCompositeKey() {
    return entities.size() > 1;
  }
}
