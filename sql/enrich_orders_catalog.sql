-- Enrich a Kafka stream of orders with the driver's online features, into a Kafka topic, looking
-- the features up by name in the iceberg-online catalog: no table declaration to keep in step
-- with the feature view. One script:
--   java -jar job/target/iceberg-online-job.jar sql sql/enrich_orders_catalog.sql \
--     --set KAFKA_BOOTSTRAP_SERVERS=kafka:9092 --set CATALOG_URI=http://iceberg-rest:8181
--
-- The catalog `online` lists the online store's namespaces as databases and its tables with the
-- feature views' columns and keys; it is read-only. Its options are the connector's (placeholders
-- as in driver_stats.sql); the lookup options set here are every table's defaults, which a query
-- overrides with /*+ OPTIONS('lookup.cache' = 'NONE') */ after the table name.
-- Orders and the output are as in enrich_orders.sql.

SET 'execution.checkpointing.interval' = '${CHECKPOINT_INTERVAL:-10s}';
SET 'pipeline.name' = 'iceberg-online enrich orders (catalog)';

CREATE CATALOG online WITH (
  'type' = 'iceberg-online',
  'catalog-type' = '${CATALOG_TYPE:-rest}',
  'catalog-name' = '${CATALOG_NAME:-online_catalog}',
  'uri' = '${CATALOG_URI:-}',
  'warehouse' = '${WAREHOUSE:-}',
  'namespace' = '${NAMESPACE:-feast_online}',
  'catalog.s3.endpoint' = '${S3_ENDPOINT:-}',
  'catalog.s3.path-style-access' = '${S3_PATH_STYLE_ACCESS:-}',
  'catalog.client.region' = '${AWS_REGION:-}',
  'catalog.s3.access-key-id' = '${AWS_ACCESS_KEY_ID:-}',
  'catalog.s3.secret-access-key' = '${AWS_SECRET_ACCESS_KEY:-}',
  'lookup.cache' = 'PARTIAL',
  'lookup.partial-cache.max-rows' = '${LOOKUP_CACHE_ROWS:-100000}',
  'lookup.partial-cache.expire-after-write' = '${LOOKUP_CACHE_TTL:-10s}',
  'lookup.refresh-interval' = '${LOOKUP_REFRESH_INTERVAL:-1s}'
);

CREATE TABLE orders (
  order_id   STRING,
  driver_id  BIGINT,
  amount     DOUBLE,
  order_time TIMESTAMP_LTZ(3),
  proc_time  AS PROCTIME()
) WITH (
  'connector' = 'kafka',
  'topic' = '${ORDERS_TOPIC:-orders}',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP_SERVERS}',
  'properties.group.id' = '${ORDERS_GROUP_ID:-iceberg-online-enrich-orders}',
  'properties.auto.offset.reset' = 'earliest',
  'scan.startup.mode' = '${ORDERS_STARTUP_MODE:-group-offsets}',
  'scan.bounded.mode' = '${ORDERS_BOUNDED_MODE:-unbounded}',
  'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601'
);

CREATE TABLE enriched_orders (
  order_id        STRING,
  driver_id       BIGINT,
  amount          DOUBLE,
  order_time      TIMESTAMP_LTZ(3),
  conv_rate       DOUBLE,
  trips           BIGINT,
  city            STRING,
  features_as_of  TIMESTAMP_LTZ(6)
) WITH (
  'connector' = 'kafka',
  'topic' = '${ENRICHED_ORDERS_TOPIC:-orders_enriched}',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP_SERVERS}',
  'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601'
);

INSERT INTO enriched_orders
SELECT o.order_id, o.driver_id, o.amount, o.order_time,
       d.conv_rate, d.trips, d.city, d.event_timestamp AS features_as_of
FROM orders AS o
LEFT JOIN online.`${NAMESPACE:-feast_online}`.driver_stats FOR SYSTEM_TIME AS OF o.proc_time AS d
  ON o.driver_id = d.driver_id;
