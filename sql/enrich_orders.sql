-- Enrich a Kafka stream of orders with the driver's online features, into a Kafka topic.
-- Run after the script that makes the features visible, in one session: online_catalog.sql (the
-- catalog; the default lookup table online.feast_online.driver_stats), or driver_stats.sql (a
-- declared table) with LOOKUP_TABLE=driver_stats:
--   java -jar job/target/iceberg-online-job.jar sql sql/online_catalog.sql sql/enrich_orders.sql \
--     --set KAFKA_BOOTSTRAP_SERVERS=kafka:9092 --set CATALOG_URI=http://iceberg-rest:8181
--   java -jar job/target/iceberg-online-job.jar sql sql/driver_stats.sql sql/enrich_orders.sql \
--     --set LOOKUP_TABLE=driver_stats --set KAFKA_BOOTSTRAP_SERVERS=kafka:9092 --set CATALOG_URI=http://iceberg-rest:8181
--
-- Orders are JSON: {"order_id": "o-1", "driver_id": 42, "amount": 12.5, "order_time": "2026-01-01T00:00:00Z"}.
-- The join is a lookup join at processing time: each order gets the features the online table
-- holds when the order is processed; LEFT JOIN keeps orders of drivers without features (nulls).
-- ORDERS_BOUNDED_MODE = latest-offset stops at the offsets present at start (backfills, demos).

SET 'execution.checkpointing.interval' = '${CHECKPOINT_INTERVAL:-10s}';
SET 'pipeline.name' = 'iceberg-online enrich orders';

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
-- the LOOKUP hint's shuffle sends each driver to the subtask that owns its bucket, so each subtask
-- indexes (and caches) only its share of the table, not all of it
SELECT /*+ LOOKUP('table'='d', 'shuffle'='true') */ o.order_id, o.driver_id, o.amount, o.order_time,
       d.conv_rate, d.trips, d.city, d.event_timestamp AS features_as_of
FROM orders AS o
LEFT JOIN ${LOOKUP_TABLE:-online.feast_online.driver_stats} FOR SYSTEM_TIME AS OF o.proc_time AS d
  ON o.driver_id = d.driver_id;
