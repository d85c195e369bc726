package io.icebergonline.lookup;

import io.icebergonline.core.JobConfigParser;
import io.icebergonline.reader.IndexMode;
import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;

/**
 * Options of {@code 'connector' = 'iceberg-online'} beyond Flink's standard {@code LookupOptions}
 * ({@code lookup.cache}, {@code lookup.partial-cache.*}, {@code lookup.full-cache.*},
 * {@code lookup.max-retries}), which the connector uses as they are.
 */
public final class IcebergOnlineOptions {
  /** Options starting with this prefix go, without it, to the Iceberg catalog and its FileIO. */
  public static final String CATALOG_PROPERTIES_PREFIX = "catalog.";

  public static final ConfigOption<String> CATALOG_TYPE = ConfigOptions.key("catalog-type").stringType().noDefaultValue()
      .withDescription("Iceberg catalog type: rest, hadoop, jdbc, glue or hive.");
  public static final ConfigOption<String> CATALOG_NAME = ConfigOptions.key("catalog-name").stringType()
      .defaultValue(JobConfigParser.DEFAULT_CATALOG_NAME).withDescription("Name of the Iceberg catalog.");
  public static final ConfigOption<String> URI = ConfigOptions.key("uri").stringType().noDefaultValue()
      .withDescription("Catalog address (rest, jdbc, hive).");
  public static final ConfigOption<String> WAREHOUSE = ConfigOptions.key("warehouse").stringType().noDefaultValue()
      .withDescription("Warehouse location (hadoop, jdbc, glue).");
  public static final ConfigOption<String> NAMESPACE = ConfigOptions.key("namespace").stringType()
      .defaultValue(JobConfigParser.DEFAULT_NAMESPACE).withDescription("Namespace of the online table.");
  public static final ConfigOption<String> TABLE = ConfigOptions.key("table").stringType().noDefaultValue()
      .withDescription("Name of the online table (the feature view name).");
  public static final ConfigOption<Boolean> LOOKUP_ASYNC = ConfigOptions.key("lookup.async").booleanType()
      .defaultValue(false).withDescription("Look up asynchronously on a bounded thread pool.");
  public static final ConfigOption<Integer> LOOKUP_ASYNC_THREADS = ConfigOptions.key("lookup.async-thread-number")
      .intType().defaultValue(16).withDescription("Threads of the asynchronous lookup pool.");
  public static final ConfigOption<Duration> LOOKUP_REFRESH_INTERVAL = ConfigOptions.key("lookup.refresh-interval")
      .durationType().defaultValue(Duration.ofSeconds(1))
      .withDescription("How often the table's metadata is checked for new snapshots.");
  public static final ConfigOption<Duration> LOOKUP_MAX_AGE = ConfigOptions.key("lookup.max-age").durationType()
      .noDefaultValue().withDescription("Rows whose event time is older than this count as missing "
          + "(overrides the feature view's ttl).");
  public static final ConfigOption<IndexMode> LOOKUP_INDEX = ConfigOptions.key("lookup.index").enumType(IndexMode.class)
      .defaultValue(IndexMode.MEMORY).withDescription("MEMORY: each lookup subtask keeps the live rows of the buckets "
          + "it serves in memory, refreshed from new snapshots, and answers from there; NONE: a point read per lookup.");
  public static final ConfigOption<MemorySize> LOOKUP_INDEX_MAX_MEMORY = ConfigOptions.key("lookup.index.max-memory")
      .memoryType().defaultValue(MemorySize.ofMebiBytes(128)).withDescription("Memory budget of the live index per "
          + "lookup subtask; buckets beyond it are served by point reads.");

  private IcebergOnlineOptions() {}
}
