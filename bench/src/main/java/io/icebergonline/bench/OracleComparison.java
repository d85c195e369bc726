package io.icebergonline.bench;

import io.icebergonline.testing.TableRows;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
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

  /** Compares row by row as the generic reader streams them, so a table of tens of millions of rows need not fit in memory. */
  static OracleComparison of(Table table, Map<Long, Map<String, Object>> oracle) {
    return of(table, oracle.keySet(), oracle::get);
  }

  /** As {@link #of(Table, Map)}, with the oracle's row of a key looked up one at a time (null: no live row). */
  static OracleComparison of(Table table, Set<Long> liveKeys, Function<Long, Map<String, Object>> oracle) {
    Set<Object> seen = new HashSet<>();
    long[] counts = new long[4]; // rows, stale, extra, duplicates
    TableRows.forEach(table, row -> {
      counts[0]++;
      Object key = row.get(BenchCatalog.KEY_COLUMN);
      if (!seen.add(key)) {
        counts[3]++;
        return;
      }
      Map<String, Object> truth = oracle.apply((Long) key);
      if (truth == null) {
        counts[2]++;
      } else if (!truth.equals(row)) {
        counts[1]++;
      }
    });
    long missing = liveKeys.stream().filter(key -> !seen.contains(key)).count();
    return new OracleComparison(counts[0], liveKeys.size(), counts[1], missing, counts[2], counts[3]);
  }

  /** Keys whose live state differs from the newest: stale, missing, resurrected or duplicated. */
  long wrongKeys() {
    return staleKeys + missingKeys + extraKeys + duplicateKeys;
  }
}
