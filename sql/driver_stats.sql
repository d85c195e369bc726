-- The online features of the feature view `driver_stats`, as a lookup table for Flink SQL.
--
-- The table is the one the materialization job keeps (namespace ${NAMESPACE}, table = view name).
-- enrich_orders.sql joins it with LOOKUP_TABLE=driver_stats (online_catalog.sql finds it by name instead).
-- Catalog placeholders; an empty value counts as unset, so one script serves every catalog type:
--   CATALOG_TYPE   rest (default), hadoop, jdbc, glue or hive
--   CATALOG_URI    the REST catalog (or JDBC / Hive metastore) address
--   WAREHOUSE      the warehouse location (hadoop, jdbc, glue, hive)
--   NAMESPACE      the job's online_store.namespace (default feast_online)
--   S3_ENDPOINT, S3_PATH_STYLE_ACCESS, AWS_REGION: for S3-compatible stores; credentials come from
--   the AWS default chain (environment, web identity, instance profile) unless
--   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are set.
CREATE TABLE driver_stats (
  driver_id       BIGINT,
  conv_rate       DOUBLE,
  trips           BIGINT,
  city            STRING,
  event_timestamp TIMESTAMP_LTZ(6),
  PRIMARY KEY (driver_id) NOT ENFORCED
) WITH (
  'connector' = 'iceberg-online',
  'catalog-type' = '${CATALOG_TYPE:-rest}',
  'catalog-name' = '${CATALOG_NAME:-online_catalog}',
  'uri' = '${CATALOG_URI:-}',
  'warehouse' = '${WAREHOUSE:-}',
  'namespace' = '${NAMESPACE:-feast_online}',
  'table' = 'driver_stats',
  'catalog.s3.endpoint' = '${S3_ENDPOINT:-}',
  'catalog.s3.path-style-access' = '${S3_PATH_STYLE_ACCESS:-}',
  'catalog.client.region' = '${AWS_REGION:-}',
  'catalog.s3.access-key-id' = '${AWS_ACCESS_KEY_ID:-}',
  'catalog.s3.secret-access-key' = '${AWS_SECRET_ACCESS_KEY:-}',
  -- each lookup subtask keeps the live rows of the buckets it serves in memory, refreshed from
  -- every new snapshot: lookups at memory speed and as fresh as the table
  'lookup.index' = 'MEMORY',
  'lookup.index.max-memory' = '${LOOKUP_INDEX_MEMORY:-128mb}',
  'lookup.refresh-interval' = '${LOOKUP_REFRESH_INTERVAL:-1s}'
);
