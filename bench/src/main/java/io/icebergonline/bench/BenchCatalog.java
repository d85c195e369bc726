package io.icebergonline.bench;

import io.icebergonline.core.CatalogType;
import io.icebergonline.core.FeatureViewSpec;
import io.icebergonline.core.IcebergCatalogs;
import io.icebergonline.core.JobConfig;
import io.icebergonline.core.JobConfigParser;
import io.icebergonline.core.OnlineStoreConfig;
import io.icebergonline.core.OnlineTables;
import io.icebergonline.testing.FeatureEventGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;

/**
 * The benchmarks' Iceberg catalog: a Hadoop catalog whose warehouse is a local directory, so that
 * the numbers measure our code and Iceberg's, not an object-store mock. One namespace per table.
 */
final class BenchCatalog {
  static final String CATALOG_NAME = "bench";
  static final String KEY_COLUMN = "driver_id";

  private final Path warehouse;
  private final Catalog catalog;

  BenchCatalog(Path warehouse) {
    this.warehouse = warehouse;
    this.catalog = IcebergCatalogs.load(store("unused"));
  }

  Path warehouse() {
    return warehouse;
  }

  Catalog catalog() {
    return catalog;
  }

  /** Where the benchmarks' Flink jobs write checkpoints: next to the warehouse (the newest-wins state is large). */
  Path checkpoints() {
    return warehouse.resolveSibling(warehouse.getFileName() + "-checkpoints");
  }

  /** Where the feature server bench keeps its servers' configs and logs: next to the warehouse. */
  Path featureServers() {
    return warehouse.resolveSibling(warehouse.getFileName() + "-feature-server");
  }

  OnlineStoreConfig store(String namespace) {
    return new OnlineStoreConfig(CatalogType.HADOOP, CATALOG_NAME, null, warehouse.toUri().toString(), namespace, Map.of());
  }

  /** The catalog part of a {@code 'connector' = 'iceberg-online'} table's options. */
  Map<String, String> connectorOptions(String namespace, String table) {
    return Map.of("connector", "iceberg-online", "catalog-type", "hadoop", "catalog-name", CATALOG_NAME,
        "warehouse", warehouse.toUri().toString(), "namespace", namespace, "table", table);
  }

  /** A job config for the generator's driver-stats view in {@code namespace}, reading {@code topic}. */
  JobConfig driverStatsConfig(String namespace, String bootstrapServers, String topic) {
    return driverStatsConfig(namespace, bootstrapServers, topic, topic + "-bench");
  }

  /** The same under the consumer group {@code groupId}. */
  JobConfig driverStatsConfig(String namespace, String bootstrapServers, String topic, String groupId) {
    String yaml = String.join("\n",
        "online_store:",
        "  type: iceberg",
        "  catalog_type: hadoop",
        "  catalog_name: " + CATALOG_NAME,
        "  warehouse: " + warehouse.toUri(),
        "  namespace: " + namespace,
        "kafka: { bootstrap_servers: \"" + bootstrapServers + "\", group_id: " + groupId + " }",
        "dead_letter_topic: " + topic + "-dlq",
        "feature_views:",
        FeatureEventGenerator.featureViewYaml(topic, Sizes.BUCKETS));
    return JobConfigParser.parse(yaml, name -> null);
  }

  Table create(String namespace, FeatureViewSpec view) {
    return OnlineTables.createOrVerify(catalog, namespace, view);
  }

  Table load(String namespace, FeatureViewSpec view) {
    return catalog.loadTable(OnlineTables.identifier(namespace, view));
  }

  /** Bytes of every file under the table's location: data, deletes, manifests, metadata of all snapshots. */
  static long storeBytes(Table table) {
    try (Stream<Path> files = Files.walk(Path.of(URI.create(table.location())))) {
      return files.filter(Files::isRegularFile).mapToLong(BenchCatalog::size).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
