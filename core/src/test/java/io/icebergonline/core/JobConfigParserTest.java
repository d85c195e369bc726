package io.icebergonline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JobConfigParserTest {
  private static final Function<String, String> ENV = Map.of("S3_SECRET", "hunter2-very-secret")::get;

  private static String sample() throws IOException {
    try (InputStream in = JobConfigParserTest.class.getResourceAsStream("/job.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void parsesTheDesignExample() throws IOException {
    JobConfig config = JobConfigParser.parse(sample(), ENV);

    OnlineStoreConfig store = config.onlineStore();
    assertThat(store.catalogType()).isEqualTo(CatalogType.REST);
    assertThat(store.catalogName()).isEqualTo("online_catalog");
    assertThat(store.uri()).isEqualTo("http://localhost:8181");
    assertThat(store.warehouse()).isEqualTo("s3://my-bucket/online-warehouse");
    assertThat(store.namespace()).isEqualTo("feast_online");
    assertThat(store.properties())
        .containsEntry("s3.path-style-access", "true")
        .containsEntry("s3.secret-access-key", "hunter2-very-secret");
    assertThat(config.kafka().bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(config.kafka().groupId()).isEqualTo("feature-materializer");
    assertThat(config.kafka().properties()).containsEntry("security.protocol", "PLAINTEXT");
    assertThat(config.deadLetterTopic()).isEqualTo("feature-events-dlq");

    FeatureViewSpec driver = config.featureView("driver_hourly_stats").orElseThrow();
    assertThat(driver.topic()).isEqualTo("driver-stats");
    assertThat(driver.entities()).containsExactly(new FieldSpec("driver_id", FeastValueType.INT64));
    assertThat(driver.features()).containsExactly(
        new FieldSpec("conv_rate", FeastValueType.DOUBLE),
        new FieldSpec("trips", FeastValueType.INT64),
        new FieldSpec("embedding", FeastValueType.FLOAT_LIST));
    assertThat(driver.timestampField()).isEqualTo("event_timestamp");
    assertThat(driver.createdTimestamp()).contains("created");
    assertThat(driver.timeToLive()).contains(Duration.ofHours(2));
    assertThat(driver.buckets()).isEqualTo(16);

    FeatureViewSpec customer = config.featureView("customer_region_stats").orElseThrow();
    assertThat(customer.hasCompositeKey()).isTrue();
    assertThat(customer.timestampField()).isEqualTo(JobConfigParser.DEFAULT_TIMESTAMP_FIELD);
    assertThat(customer.buckets()).isEqualTo(JobConfigParser.DEFAULT_BUCKETS);
    assertThat(customer.timeToLive()).isEmpty();
    assertThat(customer.createdTimestamp()).isEmpty();

    // a whole view stands for its features in declared order; the listed order is kept
    assertThat(config.featureServices()).containsExactly(new FeatureServiceSpec("driver_activity", List.of(
        new FeatureServiceSpec.Ref("driver_hourly_stats", "trips"),
        new FeatureServiceSpec.Ref("customer_region_stats", "spend"),
        new FeatureServiceSpec.Ref("driver_hourly_stats", "conv_rate"))));
    // a push source writes one view or several, as Feast writes every view whose stream source it is
    assertThat(config.pushSources()).isEqualTo(Map.of(
        "driver_stats_push_source", List.of("driver_hourly_stats"),
        "all_push_source", List.of("driver_hourly_stats", "customer_region_stats")));
  }

  @Test
  void secretsNeverAppearInToString() throws IOException {
    JobConfig config = JobConfigParser.parse(sample(), ENV);
    assertThat(config.toString()).doesNotContain("hunter2").contains("s3.secret-access-key=******");
  }

  @Test
  void environmentDefaultsApplyAndUnsetVariablesFailNamingTheKey() throws IOException {
    String yaml = sample().replace("${S3_SECRET}", "${S3_SECRET:-fallback}");
    assertThat(JobConfigParser.parse(yaml, name -> null).onlineStore().properties())
        .containsEntry("s3.secret-access-key", "fallback");

    assertThatThrownBy(() -> JobConfigParser.parse(sample(), name -> null))
        .isInstanceOf(ConfigException.class)
        .hasMessage("online_store.properties.s3.secret-access-key: environment variable S3_SECRET is not set");
  }

  @Test
  void aSubstitutedValueThatIsInvalidIsReportedWithoutTheValue() throws IOException {
    String yaml = sample().replace("buckets: 16", "buckets: ${BUCKETS}");
    assertThatThrownBy(() -> JobConfigParser.parse(yaml, Map.of("S3_SECRET", "x", "BUCKETS", "sixteen-secret")::get))
        .isInstanceOf(ConfigException.class)
        .hasMessage("feature_views[0].buckets: expected an integer, got '${BUCKETS}'");
  }

  @Test
  void featureViewJsonRoundTrips() throws IOException {
    for (FeatureViewSpec view : JobConfigParser.parse(sample(), ENV).featureViews()) {
      assertThat(JobConfigParser.featureViewFromJson(JobConfigParser.featureViewToJson(view))).isEqualTo(view);
    }
  }

  @Test
  void integerTimestampsAreMillisecondsUnlessTheViewSetsItsUnit() throws IOException {
    JobConfig config = JobConfigParser.parse(sample().replace("    ttl: 2h", "    ttl: 2h\n    timestamp_unit: seconds"), ENV);
    FeatureViewSpec seconds = config.featureView("driver_hourly_stats").orElseThrow();
    FeatureViewSpec millis = config.featureView("customer_region_stats").orElseThrow();

    assertThat(seconds.timestampUnit()).isEqualTo(TimestampUnit.SECONDS);
    assertThat(millis.timestampUnit()).isEqualTo(TimestampUnit.MILLIS);
    assertThat(JobConfigParser.featureViewFromJson(JobConfigParser.featureViewToJson(seconds))).isEqualTo(seconds);
    assertThat(JobConfigParser.featureViewToJson(millis)).as("the default is not written, so existing tables keep their property")
        .doesNotContain("timestamp_unit");
  }

  /** Each case: text to replace in the sample, its replacement, the exact message expected. */
  static Stream<Arguments> badConfigs() {
    return Stream.of(
        Arguments.of(
            "dead_letter_topic: feature-events-dlq",
            "dead_letter_topc: x",
            "dead_letter_topc: unknown key; expected one of [dead_letter_topic, feature_services, feature_views, kafka, maintenance, online_store, push_sources, schema_registry, server]"),
        Arguments.of(
            "    ttl: 2h",
            "    ttl: 2h\n    bucket: 4",
            "feature_views[0].bucket: unknown key; expected one of [avro_schema, avro_schema_file, buckets, created_timestamp_column, delete_retention, entities, features, format, name, protobuf_descriptor_file, protobuf_message, schema_registry, timestamp_field, timestamp_unit, topic, ttl]"),
        Arguments.of(
            "    ttl: 2h",
            "    ttl: 2h\n    timestamp_unit: nanos",
            "feature_views[0].timestamp_unit: unknown timestamp unit 'nanos'; expected one of [seconds, millis, micros]"),
        Arguments.of(
            "    ttl: 2h",
            "    ttl: 2h\n    delete_retention: 0s",
            "feature_views[0].delete_retention: expected a duration > 0 (how long delete versions are kept), got 0s"),
        Arguments.of(
            "buckets: 16",
            "buckets: sixteen",
            "feature_views[0].buckets: expected an integer, got 'sixteen'"),
        Arguments.of(
            "buckets: 16",
            "buckets: 2.5",
            "feature_views[0].buckets: expected an integer, got '2.5'"),
        Arguments.of(
            "buckets: 16",
            "buckets: 0",
            "feature_views[0].buckets: expected at least 1 bucket, got 0"),
        Arguments.of(
            "buckets: 16",
            "buckets: -3",
            "feature_views[0].buckets: expected at least 1 bucket, got -3"),
        Arguments.of(
            "{ name: trips, type: INT64 }",
            "{ name: trips, type: INT65 }",
            "feature_views[0].features[1].type: unknown value type 'INT65'; expected one of [INT32, INT64, FLOAT, DOUBLE, STRING, BYTES, BOOL, UNIX_TIMESTAMP, INT32_LIST, INT64_LIST, FLOAT_LIST, DOUBLE_LIST, STRING_LIST, BYTES_LIST, BOOL_LIST, UNIX_TIMESTAMP_LIST]"),
        Arguments.of(
            "{ name: trips, type: INT64 }",
            "{ name: conv_rate, type: INT64 }",
            "feature_views[0].features[1].name: duplicate column 'conv_rate' (already declared at feature_views[0].features[0].name)"),
        Arguments.of(
            "{ name: trips, type: INT64 }",
            "{ name: driver_id, type: INT64 }",
            "feature_views[0].features[1].name: duplicate column 'driver_id' (already declared at feature_views[0].entities[0].name)"),
        Arguments.of(
            "created_timestamp_column: created",
            "created_timestamp_column: event_timestamp",
            "feature_views[0].created_timestamp_column: duplicate column 'event_timestamp' (already declared at feature_views[0].timestamp_field)"),
        Arguments.of(
            "{ name: spend, type: FLOAT }",
            "{ name: _entity_key, type: FLOAT }",
            "feature_views[1].features[0].name: duplicate column '_entity_key' (already declared at <reserved for the derived key column>)"),
        Arguments.of(
            "entities: [ { name: driver_id, type: INT64 } ]",
            "entities: []",
            "feature_views[0].entities: expected at least one entity (the join key)"),
        Arguments.of(
            "entities: [ { name: driver_id, type: INT64 } ]",
            "entities: [ { name: driver_id, type: DOUBLE } ]",
            "feature_views[0].entities[0].type: DOUBLE cannot be an entity (join key) type; expected one of [INT32, INT64, STRING, BYTES]"),
        Arguments.of(
            "entities: [ { name: driver_id, type: INT64 } ]",
            "entities: { name: driver_id }",
            "feature_views[0].entities: expected a list, got a mapping"),
        Arguments.of(
            "entities: [ { name: driver_id, type: INT64 } ]",
            "entities: [ { name: driver_id } ]",
            "feature_views[0].entities[0].type: required key is missing"),
        Arguments.of(
            "entities: [ { name: driver_id, type: INT64 } ]",
            "entities: [ { name: driver-id, type: INT64 } ]",
            "feature_views[0].entities[0].name: expected a name of letters, digits and underscores not starting with a digit, got 'driver-id'"),
        Arguments.of(
            "ttl: 2h",
            "ttl: two hours",
            "feature_views[0].ttl: expected a duration such as 500ms, 30s, 5m, 2h or 1d, got 'two hours'"),
        Arguments.of(
            "ttl: 2h",
            "ttl: 7200",
            "feature_views[0].ttl: expected a duration with a unit such as 30s, 5m, 2h or 1d, got '7200'"),
        Arguments.of(
            "  uri: http://localhost:8181\n",
            "\n",
            "online_store.uri: required for catalog_type rest (the catalog's address)"),
        Arguments.of(
            "catalog_type: rest",
            "catalog_type: nessie",
            "online_store.catalog_type: unknown catalog type 'nessie'; expected one of [rest, hadoop, jdbc, glue, hive]"),
        Arguments.of(
            "type: iceberg",
            "type: redis",
            "online_store.type: expected 'iceberg', got 'redis'"),
        Arguments.of(
            "- name: customer_region_stats",
            "- name: driver_hourly_stats",
            "feature_views[1].name: duplicate feature view 'driver_hourly_stats' (already declared at feature_views[0])"),
        Arguments.of(
            "kafka: { bootstrap_servers: \"localhost:9092\", group_id: feature-materializer,",
            "kafka: { group_id: feature-materializer,",
            "kafka.bootstrap_servers: required key is missing"),
        Arguments.of(
            "properties: { security.protocol: PLAINTEXT }",
            "properties: [ a, b ]",
            "kafka.properties: expected a mapping of keys to values, got a list"),
        Arguments.of(
            "customer_region_stats, \"driver",
            "customer_stats, \"driver",
            "feature_services.driver_activity[1]: unknown feature view 'customer_stats'; the feature views are [driver_hourly_stats, customer_region_stats]"),
        Arguments.of(
            "\"driver_hourly_stats:conv_rate\" ]",
            "\"driver_hourly_stats:speed\" ]",
            "feature_services.driver_activity[2]: feature view 'driver_hourly_stats' has no feature 'speed'; its features are [conv_rate, trips, embedding]"),
        Arguments.of(
            "\"driver_hourly_stats:conv_rate\" ]",
            "driver_hourly_stats ]",
            "feature_services.driver_activity[2]: 'driver_hourly_stats:trips' is already in the service (at feature_services.driver_activity[0])"),
        Arguments.of(
            "driver_activity: [",
            "driver_activity: []\n  other: [",
            "feature_services.driver_activity: expected at least one 'feature_view' or 'feature_view:feature'"),
        Arguments.of(
            "feature_services:\n  driver_activity:",
            "feature_services:\n  - driver_activity:",
            "feature_services: expected a mapping, got a list"),
        Arguments.of(
            "all_push_source: [ driver_hourly_stats,",
            "all_push_source: [ driver_stats,",
            "push_sources.all_push_source[0]: unknown feature view 'driver_stats'; the feature views are [driver_hourly_stats, customer_region_stats]"),
        Arguments.of(
            "driver_stats_push_source: driver_hourly_stats",
            "driver_stats_push_source: []",
            "push_sources.driver_stats_push_source: expected a feature view or a list of feature views"),
        Arguments.of(
            "all_push_source: [ driver_hourly_stats, customer_region_stats ]",
            "all_push_source: [ driver_hourly_stats, driver_hourly_stats ]",
            "push_sources.all_push_source[1]: feature view 'driver_hourly_stats' is listed twice"),
        Arguments.of(
            "feature_views:",
            "feature_views: []\nold_views:",
            "old_views: unknown key; expected one of [dead_letter_topic, feature_services, feature_views, kafka, maintenance, online_store, push_sources, schema_registry, server]"));
  }

  @ParameterizedTest(name = "{2}")
  @MethodSource("badConfigs")
  void rejectsBadConfigNamingTheKey(String find, String replace, String message) throws IOException {
    String yaml = sample();
    assertThat(yaml).contains(find);
    String bad = yaml.replace(find, replace);
    assertThatThrownBy(() -> JobConfigParser.parse(bad, ENV))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  @Test
  void hadoopCatalogNeedsAWarehouse() throws IOException {
    String yaml = sample().replace("catalog_type: rest", "catalog_type: hadoop")
        .replace("  warehouse: s3://my-bucket/online-warehouse\n", "");
    assertThatThrownBy(() -> JobConfigParser.parse(yaml, ENV))
        .hasMessage("online_store.warehouse: required for catalog_type hadoop (where table data lives)");
  }

  @Test
  void notYamlFailsWithALineNumber() {
    assertThatThrownBy(() -> JobConfigParser.parse("online_store: [\n  oops: {", ENV))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("<root>: not valid YAML: ")
        .hasMessageContaining("line");
  }

  @Test
  void emptyFileAsksForTheRootKeys() {
    assertThatThrownBy(() -> JobConfigParser.parse("", ENV))
        .hasMessage("<root>: expected a mapping with keys [dead_letter_topic, feature_services, feature_views, kafka, maintenance, online_store, push_sources, schema_registry, server], got nothing");
  }

  @Test
  void maintenanceIsOffUnlessConfiguredAndParsesEveryKey() throws IOException {
    assertThat(JobConfigParser.parse(sample(), ENV).maintenance()).isEqualTo(MaintenanceConfig.DEFAULTS);
    assertThat(MaintenanceConfig.DEFAULTS.enabled()).isFalse();

    String yaml = sample() + String.join("\n",
        "maintenance:",
        "  interval: 30m",
        "  expire_older_than: 12h",
        "  retain_last: 3",
        "  orphan_older_than: 2d",
        "  target_file_size: 64MB",
        "");
    MaintenanceConfig maintenance = JobConfigParser.parse(yaml, ENV).maintenance();
    assertThat(maintenance).isEqualTo(new MaintenanceConfig(
        true, Duration.ofMinutes(30), Duration.ofHours(12), 3, Duration.ofDays(2), 64L * 1024 * 1024));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badMaintenance")
  void rejectsBadMaintenanceNamingTheKey(String block, String message) throws IOException {
    assertThatThrownBy(() -> JobConfigParser.parse(sample() + "maintenance: " + block + "\n", ENV))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  static Stream<Arguments> badMaintenance() {
    return Stream.of(
        Arguments.of("{ enabled: yes please }", "maintenance.enabled: expected true or false, got 'yes please'"),
        Arguments.of("{ interval: 0s }", "maintenance.interval: must be greater than 0, got 0s"),
        Arguments.of("{ orphan_older_than: 0s }", "maintenance.orphan_older_than: must be greater than 0, got 0s"),
        Arguments.of("{ retain_last: 0 }", "maintenance.retain_last: expected at least 1 snapshot to retain, got 0"),
        Arguments.of("{ target_file_size: huge }",
            "maintenance.target_file_size: expected a positive size such as 128MB or 512kb, got 'huge'"),
        Arguments.of("{ schedule: hourly }",
            "maintenance.schedule: unknown key; expected one of [enabled, expire_older_than, interval, orphan_older_than, retain_last, target_file_size]"));
  }

  @Test
  void zeroExpireOlderThanExpiresEverySnapshotButTheRetainedOnes() throws IOException {
    MaintenanceConfig maintenance =
        JobConfigParser.parse(sample() + "maintenance: { expire_older_than: 0s }\n", ENV).maintenance();
    assertThat(maintenance.expireOlderThan()).isZero();
  }

  @Test
  void zeroTtlMeansNoExpiryAsInFeast() throws IOException {
    FeatureViewSpec view = JobConfigParser.parse(sample().replace("ttl: 2h", "ttl: 0s"), ENV).featureViews().get(0);
    assertThat(view.timeToLive()).isEmpty();
  }

  @Test
  void deleteVersionsAreKeptForDeleteRetentionElseTheTtlElseSevenDays() throws IOException {
    FeatureViewSpec withTtl = JobConfigParser.parse(sample(), ENV).featureViews().get(0);
    assertThat(withTtl.deleteVersionRetention()).isEqualTo(Duration.ofHours(2));
    FeatureViewSpec withoutTtl = JobConfigParser.parse(sample().replace("ttl: 2h", "ttl: 0s"), ENV).featureViews().get(0);
    assertThat(withoutTtl.deleteVersionRetention()).isEqualTo(Duration.ofDays(7));
    FeatureViewSpec explicit = JobConfigParser.parse(
        sample().replace("    ttl: 2h", "    ttl: 2h\n    delete_retention: 3d"), ENV).featureViews().get(0);
    assertThat(explicit.deleteVersionRetention()).isEqualTo(Duration.ofDays(3));
    assertThat(JobConfigParser.featureViewFromJson(JobConfigParser.featureViewToJson(explicit))).isEqualTo(explicit);
  }
}
