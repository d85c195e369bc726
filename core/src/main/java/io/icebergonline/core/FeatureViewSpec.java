package io.icebergonline.core;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One Feast feature view materialized into one Iceberg table: its Kafka topic, entity (key)
 * columns, feature columns, event-time column, optional created-time tie-breaker, optional TTL,
 * the number of entity-hash buckets and the unit of integer timestamps in its events.
 *
 * @param createdTimestampColumn null when the view has no created-time column
 * @param ttl null when rows never expire
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
    TimestampUnit timestampUnit)
    implements Serializable {

  public FeatureViewSpec {
    entities = List.copyOf(entities);
    features = List.copyOf(features);
    Objects.requireNonNull(timestampUnit, "timestampUnit");
  }

  public Optional<String> createdTimestamp() {
    return Optional.ofNullable(createdTimestampColumn);
  }

  public Optional<Duration> timeToLive() {
    return Optional.ofNullable(ttl);
  }

  /** True when the entity key has more than one column (the table then carries a derived key column). */
  public boolean hasCompositeKey() {
    return entities.size() > 1;
  }
}
