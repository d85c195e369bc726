-- The iceberg-online catalog `online`: the online store's namespaces as databases, its tables by
-- name with the feature views' columns and keys, read-only. No table declaration to keep in step
-- with the feature view; enrich_orders.sql joins online.feast_online.driver_stats by default.
--
-- Its options are the connector's, with the catalog placeholders of driver_stats.sql (NAMESPACE is
-- the default database); the lookup options set here are every table's defaults, which a query
-- overrides with /*+ OPTIONS('lookup.cache' = 'NONE') */ after the table name.
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
  'lookup.index' = 'MEMORY',
  'lookup.index.max-memory' = '${LOOKUP_INDEX_MEMORY:-128mb}',
  'lookup.refresh-interval' = '${LOOKUP_REFRESH_INTERVAL:-1s}'
);
