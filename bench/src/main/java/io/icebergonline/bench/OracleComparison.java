package io.icebergonline.bench;

import io.icebergonline.testing.TableRows;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Table;

/**
 * A table's live rows, read with Iceberg's generic reader, against the oracle's newest row per key.
 *
 * @param staleKeys keys whose live row is not the newest version
 * @param missingKeys live keys of the oracle the table lacks (e.g. a late tombstone applied)
 * @param extraKeys keys the table holds that the oracle deleted (e.g. a late upsert resurrected them)
 * @param duplicateKeys keys with more than one live row
 */
record OracleComparison(long tableRows, long oracleKeys, long staleKeys, long missingKeys, long extraKeys,
    long duplicateKeys) {

  static OracleComparison of(Table table, Map<Long, Map<String, Object>> oracle) {
    List<Map<String, Object>> rows = TableRows.read(table);
    Map<Object, Map<String, Object>> byKey = new HashMap<>();
    long duplicates = 0;
    for (Map<String, Object> row : rows) {
      if (byKey.put(row.get(BenchCatalog.KEY_COLUMN), row) != null) {
        duplicates++;
      }
    }
    long stale = 0;
    long missing = 0;
    for (Map.Entry<Long, Map<String, Object>> truth : oracle.entrySet()) {
      Map<String, Object> actual = byKey.get(truth.getKey());
      if (actual == null) {
        missing++;
      } else if (!actual.equals(truth.getValue())) {
        stale++;
      }
    }
    long extra = byKey.keySet().stream().filter(key -> !oracle.containsKey(key)).count();
    return new OracleComparison(rows.size(), oracle.size(), stale, missing, extra, duplicates);
  }

  /** Keys whose live state differs from the newest: stale, missing, resurrected or duplicated. */
  long wrongKeys() {
    return staleKeys + missingKeys + extraKeys + duplicateKeys;
  }
}
