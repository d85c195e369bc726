package io.icebergonline.lookup;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs its arguments as SQL statements in one session on a local mini-cluster, for a JVM whose
 * classpath the caller chose (see {@link ThinConnectorJarIT}). Prints where the connector's and
 * Iceberg's classes came from, then each row of each {@code SELECT} as {@code ROW <statement> <fields>}
 * (tab-separated, null as {@code null}).
 */
public final class SqlStatementsMain {
  private SqlStatementsMain() {}

  public static void main(String[] statements) throws Exception {
    System.out.println("CONNECTOR\t" + location("io.icebergonline.lookup.catalog.IcebergOnlineCatalogFactory"));
    System.out.println("ICEBERG\t" + location("org.apache.iceberg.Table"));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    StreamTableEnvironment sql = StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
    for (int i = 0; i < statements.length; i++) {
      TableResult result = sql.executeSql(statements[i]);
      if (!statements[i].startsWith("SELECT")) {
        continue;
      }
      try (CloseableIterator<Row> rows = result.collect()) {
        while (rows.hasNext()) {
          Row row = rows.next();
          StringBuilder line = new StringBuilder("ROW\t").append(i);
          for (int field = 0; field < row.getArity(); field++) {
            line.append('\t').append(row.getField(field));
          }
          System.out.println(line);
        }
      }
    }
  }

  private static String location(String className) throws ClassNotFoundException {
    return Class.forName(className).getProtectionDomain().getCodeSource().getLocation().toString();
  }
}
